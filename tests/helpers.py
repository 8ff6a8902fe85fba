"""Tiny models and data shared by the estimator tests (seconds per fit)."""

import numpy as np
from torch import nn

from braindecode_sleepkd.estimator import SleepKDClassifier
from braindecode_sleepkd.models import SleepSequenceModel


class _BiLSTM(nn.Module):
    def __init__(self, in_features, units):
        super().__init__()
        self.lstm = nn.LSTM(in_features, units, batch_first=True, bidirectional=True)

    def forward(self, x):
        return self.lstm(x)[0]


class TinySleepNet(SleepSequenceModel):
    """A very small CNN + BiLSTM sleep model for fast tests."""

    def __init__(
        self, n_chans=1, n_times=300, sfreq=10, n_classes=5, width=8, units=8, pool=4
    ):
        # pool=None keeps the conv's own time axis (ONNX can make it dynamic);
        # pool=k gives epoch features with k time steps via AdaptiveAvgPool1d.
        layers = [nn.Conv1d(n_chans, width, 25, stride=10), nn.BatchNorm1d(width)]
        layers.append(nn.ReLU())
        if pool is not None:
            layers.append(nn.AdaptiveAvgPool1d(pool))
        encoder = nn.Sequential(*layers)
        super().__init__(
            encoder,
            _BiLSTM(width, units),
            nn.Linear(2 * units, n_classes),
            n_chans=n_chans,
            n_times=n_times,
            n_classes=n_classes,
            sfreq=sfreq,
        )
        self.width = width
        self.units = units
        self.pool = pool


def make_data(n_seq=40, seq_len=6, n_chans=1, n_times=300, seed=0, n_subjects=4):
    """Learnable synthetic sequences: class k is a sine at (k + 1) * 0.5 Hz."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 5, size=(n_seq, seq_len))
    t = np.arange(n_times) / 10.0
    X = np.sin(2 * np.pi * (y[..., None] + 1) * 0.5 * t)[:, :, None, :]
    X = np.repeat(X, n_chans, axis=2)
    X = X + 0.3 * rng.standard_normal((n_seq, seq_len, n_chans, n_times))
    groups = np.repeat(np.arange(n_subjects), int(np.ceil(n_seq / n_subjects)))[:n_seq]
    return X.astype(np.float32), y, groups


def tiny_params(**params):
    """Keyword arguments of a quick estimator of tiny models.

    TinySleepNet teacher and student, no assistant, one epoch per stage, seeded
    and quiet; ``params`` override these (e.g. ``assistant=TinySleepNet``,
    ``max_epochs=2``) or add others (``batch_size=8``, ``student__width=4``).
    """
    return {
        "teacher": TinySleepNet,
        "assistant": None,
        "student": TinySleepNet,
        "max_epochs": 1,
        "random_state": 0,
        "verbose": 0,
        **params,
    }


def tiny_clf(**params):
    """A ``SleepKDClassifier(**tiny_params(**params))``, not fitted."""
    return SleepKDClassifier(**tiny_params(**params))
