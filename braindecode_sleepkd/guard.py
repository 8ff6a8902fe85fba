"""The baseline guard of a fit: train the student alone, compare, report, warn.

When the guard runs (``baseline="auto"`` with validation data, or
``baseline="student"``), :class:`~braindecode_sleepkd.SleepKDClassifier`
also trains a copy of the student's initial weights on the hard labels alone,
with the student's epoch budget, validation split, seed offset and callbacks
(so it too restores its best-kappa epoch), then scores every model on the
validation subjects into a :class:`~braindecode_sleepkd.report.DistillationReport`.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import warnings

import numpy as np
import torch

from .constants import UNLABELLED
from .distill.diagnostics import hard_targets, kappa_n, macro_f1_n
from .report import DistillationGuardWarning, DistillationReport, Scores, gap_share

__all__ = [
    "BASELINES",
    "SELECTS",
    "announce",
    "check_guard",
    "check_guard_labels",
    "guard_report",
]

BASELINES = ("auto", "student", None)
"""Values of the estimator's ``baseline``."""

SELECTS = ("best", "distilled")
"""Values of the estimator's ``select``."""


def check_guard(net, valid_split):
    """Refuse bad ``baseline`` / ``select`` values before any training.

    Returns
    -------
    str | None
        Why the guard does not run in this fit (None: it runs).

    Raises
    ------
    ValueError
        An unknown value, or ``baseline="student"`` with no validation data
        (it needs held-out subjects to compare on).
    """
    if net.baseline not in BASELINES:
        raise ValueError(
            f"baseline must be 'auto', 'student' or None, got {net.baseline!r}."
        )
    if net.select not in SELECTS:
        raise ValueError(f"select must be 'best' or 'distilled', got {net.select!r}.")
    if net.baseline is None:
        return "baseline=None: the student alone is not trained"
    if net.strategy == "scratch":
        return "strategy='scratch' trains the student alone already"
    if not valid_split:
        if net.baseline == "student":
            raise ValueError(
                "baseline='student' compares the students on held-out validation "
                "data, but this fit has none: pass groups=subjects to fit (20% of "
                "the subjects are held out), or train_split=SubjectValidSplit(...)."
            )
        return (
            "no validation data (pass groups=subjects to fit, or a train_split): "
            "the student alone is not trained and the distilled student is kept"
        )
    return None


def check_guard_labels(net, y):
    """Why the guard cannot run when no epoch is scored (None: it can).

    Raises
    ------
    ValueError
        With ``baseline="student"``: the student alone needs labels.
    """
    if (hard_targets(y) != UNLABELLED).any():
        return None
    if net.baseline == "student":
        raise ValueError(
            "baseline='student' trains the student alone on the labels, but every "
            "epoch is unscored (label -1); give scored epochs or baseline=None."
        )
    return "every epoch is unscored (label -1): no student alone to train"


def announce(report, select, verbose):
    """Print ``report`` (when ``verbose``) and warn when distillation lost."""
    message = report.warning(select)
    if verbose:
        print(report)
    if message is not None:
        warnings.warn(message, DistillationGuardWarning, stacklevel=4)


def _valid_items(net, dataset, y, fit_params):
    """Indices (into ``dataset``) and labels of the validation items."""
    _, valid = net.get_split_datasets(dataset, y, **fit_params)
    if not isinstance(valid, torch.utils.data.Subset) or valid.dataset is not dataset:
        # a split that hands back its own items (e.g. predefined_split)
        items = [valid[i] for i in range(len(valid))]
        xs = np.stack(
            [
                np.asarray(it[0]["x"] if isinstance(it[0], dict) else it[0])
                for it in items
            ]
        )
        return None, xs, np.stack([np.asarray(it[1]) for it in items])
    index = np.asarray(valid.indices)
    return index, None, np.asarray(y)[index]


def _logits(net, model, X, index):
    out = []
    model.eval()
    device = next(model.parameters()).device  # the model's (accelerate: its own)
    n = len(index) if index is not None else len(X)
    with torch.no_grad():
        for start in range(0, n, net.batch_size):
            sel = slice(start, start + net.batch_size)
            xb = (
                np.stack([np.asarray(X[i]) for i in index[sel]])
                if index is not None
                else X[sel]
            )
            xb = torch.as_tensor(xb, dtype=torch.float32, device=device)
            out.append(model.forward_features(xb).logits.cpu())
    return torch.cat(out).numpy()


def guard_report(net, dataset, y, fit_params, external, links, seconds):
    """Score every model on the validation items into a ``DistillationReport``.

    ``seconds`` is the time the student alone took to train.
    """
    index, Xv, yv = _valid_items(net, dataset, y, fit_params)
    X = dataset.X["x"] if index is not None else Xv
    target = hard_targets(torch.as_tensor(yv)).numpy()
    scored = target != UNLABELLED
    preds = {}
    for role in ("teacher", "assistant", "student", "student_alone"):
        model = getattr(net, f"{role}_", None)
        if role == "teacher" and "proba" in external:  # external probabilities
            if index is not None:
                preds[role] = external["proba"][index].argmax(-1).reshape(-1)
        elif model is not None:
            preds[role] = _logits(net, model, X, index).argmax(-1).reshape(-1)

    def scores(role):
        if role not in preds:
            return None
        p, t, k = preds[role][scored], target[scored], net.n_classes
        return Scores(kappa_n(t, p, k), macro_f1_n(t, p, k), float((p == t).mean()))

    guides = [link.guides for link in links if link.learner == "student"]
    guide = guides[0][0] if guides and guides[0] else "labels"
    agreement = (
        float((preds["student"] == preds[guide]).mean())
        if guide in preds
        else float("nan")
    )
    teacher, alone, distilled = (
        scores("teacher"),
        scores("student_alone"),
        scores("student"),
    )
    nan = float("nan")
    share, note = gap_share(
        distilled.kappa, alone.kappa, teacher.kappa if teacher else nan
    )
    if teacher is None:
        note = "the teacher's outputs on the validation data are unknown"
    best = net.select == "best" and alone.kappa > distilled.kappa
    return DistillationReport(
        teacher=teacher,
        assistant=scores("assistant")
        if net.models_()["assistant"] is not None
        and any(link.learner == "assistant" for link in links)
        else None,
        student_alone=alone,
        distilled=distilled,
        guide=guide,
        agreement=agreement,
        gap_closed=share,
        gap_note=note,
        selected="student_alone" if best else "distilled",
        n_valid_epochs=int(scored.sum()),
        baseline_seconds=float(seconds),
    )
