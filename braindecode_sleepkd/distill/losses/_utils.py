"""Shape checks and helpers shared by the losses."""

import torch.nn.functional as F  # noqa: F401


def _flat_logits(logits, name="logits"):
    """Reshape ``(..., n_classes)`` logits to ``(n_epochs, n_classes)``."""
    if logits.ndim < 2:
        raise ValueError(
            f"{name} must have shape (batch, seq_len, n_classes), got "
            f"{tuple(logits.shape)}."
        )
    return logits.reshape(-1, logits.shape[-1])


def _check_same_shape(student, teacher, what):
    if student.shape != teacher.shape:
        raise ValueError(
            f"Student and teacher {what} must have the same shape, got "
            f"{tuple(student.shape)} and {tuple(teacher.shape)}."
        )


def _is_probability_target(logits, y):
    """Tell probability targets from integer labels, or raise on a bad shape."""
    if y.is_floating_point() and y.shape == logits.shape:
        return True
    if not y.is_floating_point() and y.shape == logits.shape[:-1]:
        return False
    raise ValueError(
        "Targets must be integer labels of shape (batch, seq_len) or float "
        "class probabilities of the logits' shape (batch, seq_len, n_classes); "
        f"got dtype {y.dtype} and shape {tuple(y.shape)} for logits of shape "
        f"{tuple(logits.shape)}."
    )


def _hard_labels(logits, y):
    """Integer labels ``(n_epochs,)``; probability targets go through argmax."""
    if _is_probability_target(logits, y):
        y = y.argmax(dim=-1)
    return y.reshape(-1).long()


def _kl_from_log_probs(log_p_teacher, log_p_student):
    """Per-row ``KL(p_teacher || p_student)``, summed over the last axis."""
    return (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(dim=-1)


def _check_temperature(temperature):
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}.")
