"""scikit-learn scorers for sequence-shaped sleep labels.

``GridSearchCV(..., scoring="f1_macro")`` fails on labels of shape
``(n_seq, seq_len)``; these scorers flatten labels and predictions first. Use
them in ``GridSearchCV``/``cross_validate`` and skorch's ``EpochScoring``.
"""

import numpy as np
from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score, make_scorer


def _flat(y_true, y_pred):
    y_true = np.asarray(y_true)
    if y_true.ndim == 3:  # probability targets
        y_true = y_true.argmax(-1)
    return y_true.ravel(), np.asarray(y_pred).ravel()


def sequence_accuracy(y_true, y_pred):
    """Accuracy over all epochs of all sequences."""
    return accuracy_score(*_flat(y_true, y_pred))


def sequence_f1_macro(y_true, y_pred, labels=None):
    """Macro-F1 over all epochs (over ``labels`` when given, else classes present)."""
    yt, yp = _flat(y_true, y_pred)
    return f1_score(yt, yp, average="macro", labels=labels, zero_division=0)


def sequence_kappa(y_true, y_pred):
    """Cohen's kappa over all epochs."""
    return cohen_kappa_score(*_flat(y_true, y_pred))


accuracy_scorer = make_scorer(sequence_accuracy)
macro_f1_scorer = make_scorer(sequence_f1_macro)
kappa_scorer = make_scorer(sequence_kappa)

SCORERS = {
    "accuracy": accuracy_scorer,
    "f1_macro": macro_f1_scorer,
    "kappa": kappa_scorer,
}
