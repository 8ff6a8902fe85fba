"""scikit-learn transformers for sequences of sleep epochs."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sleepkd_runtime.contract import scale_epochs


class EpochScaler(TransformerMixin, BaseEstimator):
    """Scale every epoch and channel on its own (stateless, so no leakage).

    For ``X`` of shape ``(n_seq, seq_len, n_chans, n_times)``, each 30-s epoch of
    each channel is centred and divided by its spread: median and inter-quartile
    range (``method="robust"``) or mean and standard deviation (``"standard"``).

    Parameters
    ----------
    method : {"robust", "standard"}, default="robust"
    eps : float, default=1e-6
        Added to the spread so flat epochs do not divide by zero.
    """

    def __init__(self, method="robust", eps=1e-6):
        self.method = method
        self.eps = eps

    def fit(self, X, y=None):
        """Check the parameters (nothing is learnt)."""
        if self.method not in ("robust", "standard"):
            raise ValueError(
                f"method must be 'robust' or 'standard', got {self.method!r}."
            )
        self.n_features_in_ = None
        return self

    def transform(self, X):
        """Return the scaled epochs as float32, same shape as ``X``."""
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 4:
            raise ValueError(
                "EpochScaler expects X of shape (n_seq, seq_len, n_chans, n_times), "
                f"got shape {X.shape}."
            )
        return scale_epochs(X, self.method, self.eps)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags
