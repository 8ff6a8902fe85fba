"""Prediction and scoring of a fitted :class:`~.estimator.SleepKDClassifier`.

:class:`PredictorMixin` makes the estimator behave as its fitted predictor
(``module_``: the student, or the student alone where the baseline guard kept
it): ``predict_proba``, ``predict`` and ``score``, with the preprocessing
contract of the fit applied to every input.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import numpy as np
import torch
from skorch.exceptions import NotInitializedError

from .constants import UNLABELLED
from .contract import apply_contract, check_contract
from .distill.diagnostics import hard_targets
from .inputs import as_sequences, check_labels

__all__ = ["PREDICT_CHUNK", "PredictorMixin"]

#: Sequences scaled (and predicted) at a time by ``predict_proba``.
PREDICT_CHUNK = 256


class PredictorMixin:
    """``predict_proba``, ``predict``, ``score`` and the fitted-state checks."""

    @property
    def classes_(self):
        """Class labels ``0 .. n_classes - 1``."""
        return np.arange(self.n_classes)

    def check_is_fitted(self, attributes=None, *args, **kwargs):
        """Raise ``NotInitializedError`` (a ``NotFittedError``) before ``fit``."""
        if not getattr(self, "fitted_", False) and not hasattr(self, "stage_"):
            raise NotInitializedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' "
                "with appropriate arguments before using this estimator."
            )

    def __sklearn_is_fitted__(self):
        return bool(getattr(self, "fitted_", False))

    def predict_proba(self, X):
        """Class probabilities ``(n_seq, seq_len, n_classes)`` from the student."""
        self.check_is_fitted()
        windows = X if hasattr(X, "datasets") else None
        X, _, _, sfreq = as_sequences(
            X, None, self.seq_len, self.seq_stride, return_sfreq=True
        )
        contract = getattr(self, "contract_", None)
        check_contract(contract, windows, sfreq)
        self.module_.eval()
        probas = []
        for start in range(0, len(X), PREDICT_CHUNK):
            # scaled a chunk at a time: a large X (memory-mapped nights) is
            # never copied whole
            part = X[start : start + PREDICT_CHUNK]
            part = apply_contract(contract, part, windows, sfreq, check=False)
            probas += [
                torch.softmax(logits, dim=-1).cpu().numpy()
                for logits in self.forward_iter(part, training=False)
            ]
        return np.concatenate(probas, axis=0)

    def predict(self, X):
        """Sleep stages ``(n_seq, seq_len)`` predicted by the student."""
        return self.predict_proba(X).argmax(axis=-1)

    def score(self, X, y=None, sample_weight=None):
        """Accuracy over all epochs of all sequences."""
        X, y, _ = as_sequences(X, y, self.seq_len, self.seq_stride)
        if y is None:
            raise ValueError("score needs labels y of shape (n_seq, seq_len).")
        y = hard_targets(check_labels(y, len(X), self.n_classes)).numpy()
        scored = y != UNLABELLED
        if not scored.any():
            raise ValueError("score needs scored epochs; every label is -1.")
        return float((self.predict(X).reshape(-1) == y)[scored].mean())
