"""SleepSequenceModel: epoch encoder -> sequence learner -> classifier."""

from typing import NamedTuple

import torch
from torch import nn


class SleepFeatures(NamedTuple):
    """The three levels of a sleep model's output used for distillation.

    Attributes
    ----------
    logits : torch.Tensor
        ``(batch, seq_len, n_classes)`` class scores of every epoch.
    epoch_features : torch.Tensor
        ``(batch, seq_len, d_epoch)`` (or ``(batch, seq_len, d_epoch, n_steps)`` when
        the encoder keeps a time axis): Epoch Learning output.
    sequence_features : torch.Tensor
        ``(batch, seq_len, d_seq)``: Sequence Learning output.
    """

    logits: torch.Tensor
    epoch_features: torch.Tensor
    sequence_features: torch.Tensor


def _is_exporting():
    compiler = getattr(torch, "compiler", None)
    return bool(compiler is not None and compiler.is_exporting())


def check_signal(x, n_chans=None, n_times=None):
    """Check a batch of sequences ``(batch, seq_len, n_chans, n_times)``.

    Raises
    ------
    ValueError
        On a wrong number of dimensions, an empty sequence / channel / sample
        axis, a non-float dtype, a wrong channel or sample count, or non-finite
        values (the message says how many).
    """
    if x.ndim != 4:
        raise ValueError(
            f"Expected input of shape (batch, seq_len, n_chans, n_times) with 4 "
            f"dimensions, got {x.ndim} dimensions with shape {tuple(x.shape)}."
        )
    if 0 in tuple(x.shape[1:]):
        raise ValueError(
            "Expected at least one epoch, channel and sample per sequence, got "
            f"input shape {tuple(x.shape)} (seq_len, n_chans, n_times >= 1)."
        )
    if not (x.is_floating_point() or x.is_complex()):
        raise ValueError(
            f"Expected a floating-point signal, got dtype {x.dtype}; convert it "
            "with x.float()."
        )
    if n_chans is not None and x.shape[2] != n_chans:
        raise ValueError(
            f"Expected n_chans={n_chans} channels (axis 2), got {x.shape[2]} "
            f"(input shape {tuple(x.shape)})."
        )
    if n_times is not None and x.shape[3] != n_times:
        raise ValueError(
            f"Expected n_times={n_times} samples per epoch (axis 3), got "
            f"{x.shape[3]} (input shape {tuple(x.shape)})."
        )
    # One cheap pass (a sum) on the happy path; the exact count only on failure
    # (NaN and inf propagate through the sum; an overflowing sum is recounted).
    if _is_exporting():  # data-dependent checks cannot be traced by torch.export
        return
    if x.is_floating_point() and not torch.isfinite(x.sum()):
        n_bad = int((~torch.isfinite(x)).sum())
        if n_bad:
            raise ValueError(
                f"Input contains {n_bad} non-finite values (NaN or inf); clean or "
                "interpolate the signal before training or predicting."
            )


class SleepSequenceModel(nn.Module):
    """A sleep-staging network with three feature levels.

    Epoch Learning (``epoch_encoder``, applied to every 30-s epoch) -> Sequence
    Learning (``sequence_learner`` over the sequence of epoch features) ->
    ``classifier`` (per-epoch logits).

    Parameters
    ----------
    epoch_encoder : torch.nn.Module
        Maps ``(n, n_chans, n_times)`` to ``(n, d_epoch)`` or ``(n, d_epoch, n_steps)``.
    sequence_learner : torch.nn.Module
        Maps ``(batch, seq_len, d_epoch)`` to ``(batch, seq_len, d_seq)``. Epoch
        features with a time axis are averaged over it first.
    classifier : torch.nn.Module
        Maps ``(batch, seq_len, d_seq)`` to ``(batch, seq_len, n_classes)``.
    n_chans, n_times : int | None
        Expected input size; checked on every call when given.
    n_classes : int | None
        Number of classes (informative; used by the estimator's checks).
    sfreq : float | None
        Sampling frequency the model was built for (informative).
    """

    def __init__(
        self,
        epoch_encoder,
        sequence_learner,
        classifier,
        n_chans=None,
        n_times=None,
        n_classes=None,
        sfreq=None,
    ):
        super().__init__()
        self.epoch_encoder = epoch_encoder
        self.sequence_learner = sequence_learner
        self.classifier = classifier
        self.n_chans = n_chans
        self.n_times = n_times
        self.n_classes = n_classes
        self.sfreq = sfreq

    def encode_epochs(self, x):
        """Epoch features ``(batch, seq_len, d_epoch[, n_steps])`` of ``x``."""
        batch, seq_len = x.shape[:2]
        feats = self.epoch_encoder(x.reshape(batch * seq_len, *x.shape[2:]))
        return feats.reshape(batch, seq_len, *feats.shape[1:])

    def forward_features(self, x):
        """Return :class:`SleepFeatures` (logits, epoch and sequence features)."""
        check_signal(x, self.n_chans, self.n_times)
        epoch_features = self.encode_epochs(x)
        pooled = epoch_features
        if pooled.ndim == 4:
            pooled = pooled.mean(dim=-1)
        sequence_features = self.sequence_learner(pooled)
        logits = self.classifier(sequence_features)
        return SleepFeatures(logits, epoch_features, sequence_features)

    def forward(self, x):
        """Per-epoch logits ``(batch, seq_len, n_classes)``."""
        return self.forward_features(x).logits
