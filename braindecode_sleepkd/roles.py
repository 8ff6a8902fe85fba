"""The three roles of a distillation chain: building each model and checking them.

A role (``"teacher"``, ``"assistant"``, ``"student"``) is given to the estimator
as a preset family name, a module class or a module instance. Building a role
turns that into a module for the data's signal shape; checking makes sure all
three agree with each other and with the data before any training starts.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import copy
import inspect
import warnings

import numpy as np
import torch
from torch import nn

from .constants import ROLES, UNLABELLED
from .teachers import is_external_teacher

__all__ = ["ROLES", "build_role", "check_models", "reset_weights"]


def reset_weights(module):
    """Re-initialise every sub-module that has ``reset_parameters``, in order.

    Returns
    -------
    list of str
        Names of parameters that no ``reset_parameters`` covers (their values
        are kept as they were).
    """
    covered = set()
    for sub in module.modules():
        if hasattr(sub, "reset_parameters") and callable(sub.reset_parameters):
            sub.reset_parameters()
            covered.update(id(p) for p in sub.parameters(recurse=False))
    return [n for n, p in module.named_parameters() if id(p) not in covered]


def build_role(role, spec, kwargs, signal, *, pretrained=False, reinitialise=False):
    """Build the module of one role.

    Parameters
    ----------
    role : str
        ``"teacher"``, ``"assistant"`` or ``"student"``.
    spec : str | type | torch.nn.Module | None
        What the user passed for the role.
    kwargs : dict
        The routed ``<role>__*`` parameters.
    signal : dict
        ``n_chans``, ``n_times``, ``sfreq``, ``n_classes`` of the data.
    pretrained : bool
        The instance is a trained model to use as is (a pretrained teacher).
    reinitialise : bool
        Re-initialise a (non-pretrained) instance's weights under the current
        torch seed, so a seeded fit does not depend on when it was built.

    Returns
    -------
    torch.nn.Module | None
        None for an absent role or an external teacher.
    """
    if spec is None or (role == "teacher" and is_external_teacher(spec)):
        if kwargs and spec is None:
            raise ValueError(f"{role}__* parameters given but {role}=None.")
        return None
    if isinstance(spec, str):
        from .models import preset

        return preset(spec, role, **{**signal, **kwargs})
    if isinstance(spec, type):
        accepted = inspect.signature(spec).parameters
        takes_any = any(p.kind == p.VAR_KEYWORD for p in accepted.values())
        extra = {
            k: v
            for k, v in signal.items()
            if (k in accepted or takes_any) and k not in kwargs
        }
        return spec(**extra, **kwargs)
    if isinstance(spec, nn.Module):
        if kwargs:
            if pretrained:
                raise ValueError(
                    f"{role}__* parameters cannot be combined with a pretrained "
                    f"{role} instance: they would rebuild an untrained copy."
                )
            return type(spec)(**kwargs)
        module = copy.deepcopy(spec)
        if reinitialise and not pretrained:
            kept = reset_weights(module)
            if kept:
                warnings.warn(
                    f"The {role} instance has {len(kept)} parameters that no "
                    f"reset_parameters() covers (e.g. {kept[0]!r}); they keep the "
                    "values they were built with, outside random_state. Pass the "
                    "class or a preset name for a fully seeded fit.",
                    stacklevel=4,
                )
        return module
    raise TypeError(
        f"{role} must be a preset name, a module class or a module instance, "
        f"got {type(spec).__name__}."
    )


def check_models(models, x, n_classes, signal):
    """Check that every model agrees with the data and has ``forward_features``.

    Parameters
    ----------
    models : dict of str to torch.nn.Module | None
        The built roles.
    x : torch.Tensor
        One sequence ``(1, seq_len, n_chans, n_times)`` on the models' device.
    n_classes : int
        Number of classes.
    signal : dict
        ``n_chans``, ``n_times``, ``n_classes`` of the data.

    Raises
    ------
    ValueError, TypeError
        Naming the role and what disagrees.
    """
    for role, model in models.items():
        if model is None:
            continue
        for attr in ("n_chans", "n_times", "n_classes"):
            have = getattr(model, attr, None)
            want = signal[attr]
            if have is not None and have != want:
                raise ValueError(
                    f"The {role} expects {attr}={have}, but the data / estimator "
                    f"have {attr}={want}. All models must share n_chans, n_times "
                    "and n_classes."
                )
        if not hasattr(model, "forward_features"):
            raise TypeError(
                f"The {role} ({type(model).__name__}) has no forward_features(x); "
                "wrap it in braindecode_sleepkd.models.SleepSequenceModel."
            )
        was_training = model.training
        model.eval()
        with torch.no_grad():
            out = model.forward_features(x)
        model.train(was_training)
        if out.logits.shape != (1, x.shape[1], n_classes):
            raise ValueError(
                f"The {role} returns logits of shape {tuple(out.logits.shape)} "
                f"for one sequence; expected (1, {x.shape[1]}, {n_classes})."
            )


def check_links(net, links, external, y):
    """Refuse a chain that cannot train, before any training.

    Raises
    ------
    ValueError
        A role the strategy needs is missing; a learner that learns from labels
        alone gets only unscored epochs (-1); every loss weight is 0.
    """
    models = net.models_()
    for role in sorted({r for link in links for r in (link.learner, *link.guides)}):
        if models[role] is None and role not in external:
            raise ValueError(
                f"The {role} is needed by strategy {net.strategy!r} but none "
                "was given (pass a model, or teacher_proba= for the teacher)."
            )
    trained = {link.learner for link in links if not link.guides}
    trained -= {"teacher"} if (net.teacher_pretrained or external) else set()
    if trained and not (np.asarray(y) != UNLABELLED).any():
        raise ValueError(
            f"Every epoch is unscored (label -1) but the {', '.join(sorted(trained))} "
            "learns from labels alone; give some scored epochs, or a pretrained "
            "teacher."
        )
    weights = net.strategy_.weights()
    if any(link.guides for link in links) and not any(weights.values()):
        raise ValueError(
            f"Every loss weight of strategy {net.strategy!r} is 0 ({weights}): "
            "the learners would have nothing to learn from."
        )


def build_roles(net):
    """The teacher, assistant and student of estimator ``net``, by role.

    Raises
    ------
    ValueError
        ``teacher_pretrained=True`` without a teacher instance, or no student.
    """
    if net.teacher_pretrained and not isinstance(net.teacher, nn.Module):
        raise ValueError(
            "teacher_pretrained=True needs a trained teacher instance, got "
            f"{net.teacher!r}."
        )
    if net.student is None:
        raise ValueError("A student model is required (student=None given).")
    signal = dict(getattr(net, "signal_", None) or {})
    return {
        role: build_role(
            role,
            getattr(net, role),
            net.get_params_for(role),
            signal,
            pretrained=role == "teacher" and net.teacher_pretrained,
            reinitialise=net.random_state is not None,
        )
        for role in ROLES
    }
