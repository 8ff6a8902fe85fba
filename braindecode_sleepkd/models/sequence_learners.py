"""Sequence Learning modules: ``(batch, seq_len, d_in) -> (batch, seq_len, d_seq)``.

Every learner exposes ``out_features`` (``d_seq``), takes an input ``dropout``
(applied to the epoch features it receives, never inside a convolution stack)
and works for ``seq_len=1``.
"""

import math

import torch
from torch import nn


class _RecurrentLearner(nn.Module):
    """Batch-first recurrent layers over the epoch features, after input dropout.

    What the recurrent learners share: ``in_features``, ``units``, the input
    dropout ``drop``, the recurrent layers ``rnn`` (``rnn_cls``; dropout between
    stacked layers only) and ``out_features`` (``units`` per direction).
    """

    def __init__(self, rnn_cls, in_features, units, n_layers, bidirectional, dropout):
        super().__init__()
        self.in_features = in_features
        self.units = units
        self.out_features = units * (2 if bidirectional else 1)
        self.drop = nn.Dropout(dropout)
        self.rnn = rnn_cls(
            in_features,
            units,
            num_layers=n_layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if n_layers > 1 else 0.0,
        )

    def forward(self, x):
        """Map ``(batch, seq_len, in_features)`` to ``(batch, seq_len, out)``."""
        out, _ = self.rnn(self.drop(x))
        return out


class BiLSTMLearner(_RecurrentLearner):
    """Bidirectional LSTM with a linear residual shortcut, as in DeepSleepNet.

    Parameters
    ----------
    in_features : int
        Size ``d_in`` of the epoch features.
    units : int, default=128
        Hidden units per direction; ``out_features = 2 * units``.
    n_layers : int, default=1
        Number of stacked LSTM layers.
    skip : bool, default=True
        Add ``Linear(in_features, 2 * units)(x)`` to the LSTM output
        (DeepSleepNet's residual shortcut).
    dropout : float, default=0.0
        Dropout on the input epoch features (and between stacked layers).
    """

    def __init__(self, in_features, units=128, n_layers=1, skip=True, dropout=0.0):
        super().__init__(nn.LSTM, in_features, units, n_layers, True, dropout)
        self.skip = nn.Linear(in_features, 2 * units) if skip else None

    def forward(self, x):
        """Map ``(batch, seq_len, in_features)`` to ``(batch, seq_len, 2 * units)``."""
        x = self.drop(x)
        out, _ = self.rnn(x)
        if self.skip is not None:
            out = out + self.skip(x)
        return out


class GRULearner(_RecurrentLearner):
    """Bidirectional (or unidirectional) GRU over the sequence of epoch features.

    Parameters
    ----------
    in_features : int
        Size of the epoch features.
    units : int, default=128
        Hidden units per direction.
    n_layers : int, default=1
        Number of stacked GRU layers.
    bidirectional : bool, default=True
        ``out_features`` is ``2 * units`` when True, else ``units``.
    dropout : float, default=0.0
        Dropout on the input epoch features (and between stacked layers).
    """

    def __init__(
        self, in_features, units=128, n_layers=1, bidirectional=True, dropout=0.0
    ):
        super().__init__(nn.GRU, in_features, units, n_layers, bidirectional, dropout)


def sinusoidal_positions(seq_len, d_model, device=None, dtype=None):
    """Return ``(seq_len, d_model)`` sinusoidal position encodings."""
    pos = torch.arange(seq_len, device=device, dtype=torch.float32)[:, None]
    div = torch.exp(
        torch.arange(0, d_model, 2, device=device, dtype=torch.float32)
        * (-math.log(10000.0) / d_model)
    )
    enc = torch.zeros(seq_len, d_model, device=device)
    enc[:, 0::2] = torch.sin(pos * div)
    enc[:, 1::2] = torch.cos(pos * div[: d_model // 2])
    return enc.to(dtype) if dtype is not None else enc


class TransformerLearner(nn.Module):
    """Small transformer encoder with sinusoidal positions (any ``seq_len``).

    Parameters
    ----------
    in_features : int
        Size of the epoch features.
    d_model : int, default=64
        Model width; ``out_features = d_model``. The input is projected to it.
    n_heads : int, default=4
        Attention heads (must divide ``d_model``).
    n_layers : int, default=2
        Encoder layers.
    dim_feedforward : int | None, default=None
        Feed-forward width; ``2 * d_model`` when None.
    dropout : float, default=0.0
        Dropout on the input epoch features and inside the encoder layers.
    """

    def __init__(
        self,
        in_features,
        d_model=64,
        n_heads=4,
        n_layers=2,
        dim_feedforward=None,
        dropout=0.0,
    ):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"n_heads={n_heads} must divide d_model={d_model}.")
        self.in_features = in_features
        self.out_features = d_model
        self.drop = nn.Dropout(dropout)
        self.proj = nn.Linear(in_features, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model,
            n_heads,
            dim_feedforward=dim_feedforward or 2 * d_model,
            dropout=dropout,
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(
            layer, n_layers, enable_nested_tensor=False
        )

    def forward(self, x):
        """Map ``(batch, seq_len, in_features)`` to ``(batch, seq_len, d_model)``."""
        h = self.proj(self.drop(x))
        h = h + sinusoidal_positions(h.shape[1], h.shape[2], h.device, h.dtype)
        return self.encoder(h)


class IdentityLearner(nn.Module):
    """No sequence learning: every epoch is classified on its own features.

    Parameters
    ----------
    in_features : int
        Size of the epoch features (``out_features`` is the same).
    dropout : float, default=0.0
        Dropout on the epoch features.
    """

    def __init__(self, in_features, dropout=0.0):
        super().__init__()
        self.in_features = in_features
        self.out_features = in_features
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        """Return ``x`` (after dropout)."""
        return self.drop(x)


class TemporalConvLearner(nn.Module):
    """Residual dilated 1-D convolutions over the sequence axis.

    A pointwise projection to ``channels`` is followed by ``n_layers`` residual
    blocks ``x + relu(conv_k(x))`` with dilations ``1, 2, 4, ...`` and "same"
    padding, so the output keeps ``seq_len`` (1 included). No batch norm: the
    learner behaves the same in train and eval mode.

    Parameters
    ----------
    in_features : int
        Size of the epoch features.
    channels : int, default=64
        Width; ``out_features = channels``.
    n_layers : int, default=2
        Residual temporal-convolution blocks.
    kernel_size : int, default=3
        Odd kernel size along the sequence.
    dropout : float, default=0.0
        Dropout on the input epoch features.
    """

    def __init__(
        self, in_features, channels=64, n_layers=2, kernel_size=3, dropout=0.0
    ):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}.")
        self.in_features = in_features
        self.out_features = channels
        self.drop = nn.Dropout(dropout)
        self.proj = nn.Conv1d(in_features, channels, 1)
        self.blocks = nn.ModuleList(
            nn.Conv1d(
                channels,
                channels,
                kernel_size,
                dilation=2**i,
                padding=(kernel_size // 2) * 2**i,
            )
            for i in range(n_layers)
        )
        self.act = nn.ReLU()

    def forward(self, x):
        """Map ``(batch, seq_len, in_features)`` to ``(batch, seq_len, channels)``."""
        h = self.act(self.proj(self.drop(x).transpose(1, 2)))
        for conv in self.blocks:
            h = h + self.act(conv(h))
        return h.transpose(1, 2)


SEQUENCE_LEARNERS = {
    "bilstm": BiLSTMLearner,
    "gru": GRULearner,
    "transformer": TransformerLearner,
    "identity": IdentityLearner,
    "tcn": TemporalConvLearner,
}


def make_sequence_learner(name, in_features, **kwargs):
    """Build a sequence learner by name.

    Parameters
    ----------
    name : str | torch.nn.Module
        One of ``"bilstm"``, ``"gru"``, ``"transformer"``, ``"identity"``,
        ``"tcn"``; a module instance is returned unchanged (it must expose
        ``out_features``).
    in_features : int
        Size of the epoch features.
    **kwargs
        Passed to the learner's constructor (e.g. ``units=64``, ``dropout=0.1``).

    Returns
    -------
    torch.nn.Module
        Maps ``(batch, seq_len, in_features)`` to ``(batch, seq_len, out_features)``.
    """
    if isinstance(name, nn.Module):
        if not hasattr(name, "out_features"):
            raise ValueError("A custom sequence learner must expose `out_features`.")
        return name
    key = str(name).lower()
    if key not in SEQUENCE_LEARNERS:
        raise ValueError(
            f"Unknown sequence learner {name!r}; valid names are "
            f"{sorted(SEQUENCE_LEARNERS)}."
        )
    return SEQUENCE_LEARNERS[key](in_features, **kwargs)
