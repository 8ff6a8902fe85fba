"""Any braindecode model (or custom module) as an Epoch Learning encoder."""

import inspect

import torch
from torch import nn

from .classifier import EpochClassifier
from .sequence import SleepSequenceModel
from .sequence_learners import make_sequence_learner

# Known input constraints of braindecode sleep models, used in error messages.
_REQUIREMENTS = {
    "AttnSleep": (
        "AttnSleep takes a single channel (n_chans=1) and is written for 30-s "
        "windows at 100 Hz (n_times=3000, d_model=80) or 125 Hz (d_model=100); "
        "for other rates pass d_model=<number of feature steps> (and an "
        "n_attn_heads that divides it)."
    ),
    "DeepSleepNet": (
        "braindecode's DeepSleepNet has filter sizes fixed for 100 Hz input (its "
        "small/large first kernels and strides are arguments)."
    ),
    "SleepStagerChambon2018": (
        "SleepStagerChambon2018 needs n_times long enough for two max-pools of "
        "max_pool_size_s * sfreq samples."
    ),
}


def _hint(name):
    return _REQUIREMENTS.get(name, "")


def infer_out_features(module, n_chans, n_times):
    """Feature size of ``module`` on ``(2, n_chans, n_times)`` zeros (dry run).

    The module's train/eval flags are restored afterwards.

    Returns
    -------
    int | tuple of int
        ``d`` for 2-D outputs ``(n, d)``; ``(d, n_steps)`` for 3-D outputs.
    """
    flags = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        with torch.no_grad():
            out = module(torch.zeros(2, n_chans, n_times))
    finally:
        for m, was_training in flags:
            m.training = was_training
    if isinstance(out, dict):
        out = out["features"]
    if out.ndim == 2:
        return int(out.shape[1])
    if out.ndim == 3:
        return int(out.shape[1]), int(out.shape[2])
    raise ValueError(
        f"An epoch encoder must return (n, d) or (n, d, n_steps) features; got "
        f"shape {tuple(out.shape)}."
    )


def _resolve_class(model):
    if isinstance(model, str):
        import braindecode.models as bd_models

        if not hasattr(bd_models, model):
            raise ValueError(
                f"braindecode.models has no model {model!r} (e.g. "
                "'SleepStagerChambon2018', 'AttnSleep', 'DeepSleepNet')."
            )
        return getattr(bd_models, model)
    return model


def _build(cls, n_chans, n_times, sfreq, kwargs):
    params = inspect.signature(cls.__init__).parameters
    signal = dict(n_chans=n_chans, n_times=n_times, sfreq=sfreq, n_outputs=5)
    kw = {k: v for k, v in signal.items() if k in params}
    if "return_feats" in params:
        kw["return_feats"] = True
    kw.update(kwargs)
    return cls(**kw)


class BraindecodeEncoder(nn.Module):
    """Wrap a braindecode model so that it returns epoch features.

    Models with a ``return_feats`` flag (``SleepStagerChambon2018``,
    ``AttnSleep``, ``DeepSleepNet``) are built with ``return_feats=True``;
    otherwise the ``final_layer`` (braindecode's name for the classification
    head) is replaced by :class:`torch.nn.Identity`. ``out_features`` is found by
    a dry run, so any output size works.

    Parameters
    ----------
    model : str | type | torch.nn.Module
        A braindecode model class, its name in :mod:`braindecode.models`, or an
        instance (used as is when built with ``return_feats=True``, otherwise its
        ``final_layer`` is replaced by an identity; the instance is modified).
    n_chans, n_times : int
        Input size of one epoch.
    sfreq : float
        Sampling frequency in Hz.
    **kwargs
        Passed to the model's constructor when ``model`` is a class or a name.

    Attributes
    ----------
    model : torch.nn.Module
        The wrapped network.
    out_features : int
        Size of the (flattened) features.
    """

    def __init__(self, model, n_chans, n_times, sfreq, **kwargs):
        super().__init__()
        model = _resolve_class(model)
        name = getattr(model, "__name__", type(model).__name__)
        if name == "AttnSleep" and n_chans != 1:
            raise ValueError(
                f"AttnSleep supports n_chans=1 only, got n_chans={n_chans}. "
                + _hint(name)
            )
        try:
            if isinstance(model, type):
                model = _build(model, n_chans, n_times, sfreq, kwargs)
            elif kwargs:
                raise ValueError(
                    "Keyword arguments need a model class, not an instance."
                )
            if not getattr(model, "return_feats", False):
                if not hasattr(model, "final_layer"):
                    raise ValueError(
                        f"{name} has neither return_feats nor a final_layer; wrap "
                        "it yourself or pass a feature extractor (see "
                        "`make_sleep_model`)."
                    )
                model.final_layer = nn.Identity()
            self.model = model
            out = infer_out_features(self, n_chans, n_times)
        except (ValueError, RuntimeError, TypeError) as err:
            raise ValueError(
                f"Could not use {name} as an epoch encoder for n_chans={n_chans}, "
                f"n_times={n_times}, sfreq={sfreq}: {err} {_hint(name)}".rstrip()
            ) from err
        self.name = name
        self.n_chans = n_chans
        self.n_times = n_times
        self.sfreq = sfreq
        self.out_features = out if isinstance(out, int) else out[0] * out[1]

    def forward(self, x):
        """Map ``(n, n_chans, n_times)`` to ``(n, out_features)``."""
        out = self.model(x)
        if isinstance(out, dict):
            out = out["features"]
        return out.flatten(1)


def make_sleep_model(
    epoch_encoder,
    n_chans,
    n_times,
    sfreq=None,
    n_classes=5,
    sequence_learner="bilstm",
    dropout=0.0,
    **sequence_kwargs,
):
    """Assemble a :class:`SleepSequenceModel` around any epoch encoder.

    Parameters
    ----------
    epoch_encoder : torch.nn.Module
        Maps ``(n, n_chans, n_times)`` to ``(n, d)`` (or ``(n, d, n_steps)``,
        averaged over steps before the sequence learner). ``out_features`` is
        read from the module if present, otherwise found by a dry run.
    n_chans, n_times : int
        Input size of one epoch.
    sfreq : float | None, default=None
        Sampling frequency (stored on the model).
    n_classes : int, default=5
        Sleep stages.
    sequence_learner : str | torch.nn.Module, default="bilstm"
        A name accepted by :func:`make_sequence_learner` or a module with
        ``out_features``.
    dropout : float, default=0.0
        Dropout on the epoch features and on the sequence features.
    **sequence_kwargs
        Passed to the sequence learner (e.g. ``units=64``).

    Returns
    -------
    SleepSequenceModel

    Examples
    --------
    >>> from torch import nn
    >>> encoder = nn.Sequential(
    ...     nn.Conv1d(1, 8, 50, stride=6), nn.ReLU(), nn.AdaptiveAvgPool1d(1),
    ...     nn.Flatten(1))
    >>> model = make_sleep_model(encoder, n_chans=1, n_times=3000, sfreq=100,
    ...                          sequence_learner="gru", units=16)
    """
    d_epoch = getattr(epoch_encoder, "out_features", None)
    if d_epoch is None:
        d_epoch = infer_out_features(epoch_encoder, n_chans, n_times)
    if not isinstance(d_epoch, int):
        d_epoch = d_epoch[0]  # (d, n_steps): the model averages over steps
    if isinstance(sequence_learner, nn.Module):
        learner = make_sequence_learner(sequence_learner, d_epoch)
    else:
        learner = make_sequence_learner(
            sequence_learner, d_epoch, dropout=dropout, **sequence_kwargs
        )
    classifier = EpochClassifier(learner.out_features, n_classes, dropout=dropout)
    return SleepSequenceModel(
        epoch_encoder,
        learner,
        classifier,
        n_chans=n_chans,
        n_times=n_times,
        n_classes=n_classes,
        sfreq=sfreq,
    )


def from_braindecode(
    encoder,
    n_chans,
    n_times,
    sfreq,
    n_classes=5,
    sequence_learner="bilstm",
    dropout=0.0,
    sequence_kwargs=None,
    **encoder_kwargs,
):
    """Build a :class:`SleepSequenceModel` on a braindecode epoch encoder.

    Parameters
    ----------
    encoder : str | type | torch.nn.Module
        A braindecode model (class, name or instance), see
        :class:`BraindecodeEncoder`.
    n_chans, n_times : int
        Input size of one epoch.
    sfreq : float
        Sampling frequency in Hz.
    n_classes : int, default=5
        Sleep stages.
    sequence_learner : str | torch.nn.Module, default="bilstm"
        See :func:`make_sequence_learner`.
    dropout : float, default=0.0
        Dropout on the epoch and sequence features.
    sequence_kwargs : dict | None, default=None
        Passed to the sequence learner (e.g. ``{"units": 64}``).
    **encoder_kwargs
        Passed to the braindecode model's constructor.

    Returns
    -------
    SleepSequenceModel

    Examples
    --------
    >>> model = from_braindecode("SleepStagerChambon2018", n_chans=2,
    ...                          n_times=3000, sfreq=100,
    ...                          sequence_kwargs={"units": 32})
    """
    enc = BraindecodeEncoder(encoder, n_chans, n_times, sfreq, **encoder_kwargs)
    return make_sleep_model(
        enc,
        n_chans,
        n_times,
        sfreq=sfreq,
        n_classes=n_classes,
        sequence_learner=sequence_learner,
        dropout=dropout,
        **(sequence_kwargs or {}),
    )
