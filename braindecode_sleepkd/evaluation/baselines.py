"""Non-deep reference methods: majority class and band-power logistic regression."""

import numpy as np
from scipy.signal import welch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

BANDS = {
    "delta": (0.5, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 12.0),
    "sigma": (12.0, 16.0),
    "beta": (16.0, 30.0),
}


def _epochs(X):
    X = np.asarray(X, dtype=np.float32)
    return X.reshape(-1, *X.shape[2:]), X.shape[:2]


def band_power_features(X, sfreq):
    """YASA-style log band powers per epoch and channel.

    Parameters
    ----------
    X : np.ndarray, (n_seq, seq_len, n_chans, n_times)
    sfreq : float

    Returns
    -------
    np.ndarray, (n_seq * seq_len, n_chans * 11)
        Absolute log power of delta, theta, alpha, sigma and beta (Welch, 4-s
        segments), their relative powers, and the log total power.
    """
    E, _ = _epochs(X)
    freqs, psd = welch(E, fs=sfreq, nperseg=min(E.shape[-1], int(4 * sfreq)), axis=-1)
    powers = np.stack(
        [psd[..., (freqs >= lo) & (freqs < hi)].sum(-1) for lo, hi in BANDS.values()],
        axis=-1,
    )
    total = powers.sum(-1, keepdims=True) + 1e-12
    feats = np.concatenate(
        [np.log(powers + 1e-12), powers / total, np.log(total)], axis=-1
    )
    return feats.reshape(len(E), -1)


class MajorityClass(ClassifierMixin, BaseEstimator):
    """Predict the most frequent training stage for every epoch."""

    def fit(self, X, y):
        """Remember the most frequent label of ``y``."""
        self.majority_ = int(np.bincount(np.asarray(y).ravel()).argmax())
        return self

    def predict(self, X):
        """The majority stage, shape ``(n_seq, seq_len)``."""
        return np.full(np.asarray(X).shape[:2], self.majority_, dtype=np.int64)

    def n_parameters(self):
        """Number of learnt numbers (one label)."""
        return 1


class BandPowerLogReg(ClassifierMixin, BaseEstimator):
    """Log band powers (delta..beta) + standard scaling + logistic regression.

    A classical reference in the spirit of YASA's features (which adds a
    gradient-boosted tree on many more features).

    Parameters
    ----------
    sfreq : float
        Sampling frequency of ``X``.
    C : float
        Inverse regularisation strength.
    class_weight : str | None
        Passed to :class:`~sklearn.linear_model.LogisticRegression`.
    random_state : int
        Seed of the solver.
    """

    def __init__(self, sfreq=100.0, C=1.0, class_weight="balanced", random_state=0):
        self.sfreq = sfreq
        self.C = C
        self.class_weight = class_weight
        self.random_state = random_state

    def fit(self, X, y):
        """Fit on sequences ``(n_seq, seq_len, n_chans, n_times)`` and labels."""
        self.pipeline_ = make_pipeline(
            StandardScaler(),
            LogisticRegression(
                C=self.C,
                class_weight=self.class_weight,
                max_iter=2000,
                random_state=self.random_state,
            ),
        )
        self.pipeline_.fit(band_power_features(X, self.sfreq), np.asarray(y).ravel())
        return self

    def predict(self, X):
        """Stages ``(n_seq, seq_len)``."""
        shape = np.asarray(X).shape[:2]
        pred = self.pipeline_.predict(band_power_features(X, self.sfreq))
        return pred.reshape(shape).astype(np.int64)

    def n_parameters(self):
        """Learnt numbers: coefficients, intercepts and scaler statistics."""
        lr = self.pipeline_[-1]
        scaler = self.pipeline_[0]
        return int(lr.coef_.size + lr.intercept_.size + 2 * scaler.mean_.size)
