"""Several pretrained scorers as one teacher: the weighted mean of their outputs."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import numpy as np

from .base import ExternalTeacher


class EnsembleTeacher(ExternalTeacher):
    """The weighted mean of several scorers' class probabilities.

    Each member is an external teacher (``predict_proba(X, seq_len,
    seq_stride)``, e.g. :class:`~braindecode_sleepkd.teachers.YASATeacher`) for
    ``SleepKDClassifier.fit``, and/or a night scorer (``score_night(X, sfreq)``,
    e.g. :class:`~braindecode_sleepkd.cohort.YASANightScorer`) for
    :func:`~braindecode_sleepkd.cohort.distill_cohort`.

    Parameters
    ----------
    members : list
        The scorers, each with W, N1, N2, N3, REM probabilities.
    weights : list of float | None
        Non-negative weight of each member (normalised); None: equal.

    Examples
    --------
    >>> from braindecode_sleepkd.cohort import GSSCNightScorer, YASANightScorer
    >>> teacher = EnsembleTeacher([YASANightScorer(), GSSCNightScorer()], [2, 1])
    >>> teacher.weights_
    array([0.66666667, 0.33333333])
    """

    name = "ensemble"

    def __init__(self, members, weights=None):
        members = list(members)
        if len(members) < 2:
            raise ValueError(
                f"An ensemble needs at least 2 members, got {len(members)}."
            )
        w = np.ones(len(members)) if weights is None else np.asarray(weights, float)
        if w.shape != (len(members),) or not np.all(w >= 0) or not w.sum() > 0:
            raise ValueError(
                f"weights must be {len(members)} non-negative numbers, not all "
                f"zero; got {weights!r}."
            )
        self.members = members
        self.weights = weights
        self.weights_ = w / w.sum()

    def combine(self, probas):
        """The weighted mean of the members' probabilities (same shapes)."""
        shapes = {np.shape(p) for p in probas}
        if len(shapes) != 1:
            raise ValueError(f"Members gave probabilities of shapes {sorted(shapes)}.")
        stacked = np.stack([np.asarray(p, dtype=np.float64) for p in probas])
        return np.tensordot(self.weights_, stacked, axes=1)

    def config(self):
        """What keys a cache of the ensemble: its members' configs and weights."""
        return dict(
            scorer=self.name,
            members=[m.config() for m in self.members],
            weights=self.weights_.round(6).tolist(),
        )

    def score_night(self, X, sfreq):
        """The mean of the members' ``score_night`` probabilities."""
        return self.combine([m.score_night(X, sfreq) for m in self.members])

    def predict_proba(self, X, seq_len, seq_stride=None):
        """The mean of the members' ``predict_proba`` (see ``ExternalTeacher``)."""
        probas = [m.predict_proba(X, seq_len, seq_stride) for m in self.members]
        return self.combine(probas).astype(np.float32)
