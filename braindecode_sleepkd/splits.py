"""Validation splits that never share a subject with training."""

import numpy as np
import torch
from sklearn.model_selection import GroupShuffleSplit
from skorch.dataset import ValidSplit

from .constants import UNLABELLED


class SubjectValidSplit(ValidSplit):
    """skorch ``train_split`` holding out whole subjects for validation.

    Built on :class:`sklearn.model_selection.GroupShuffleSplit`; the groups are
    the ``groups`` passed to ``fit`` (or the subjects of the windows).
    Sequences without any scored epoch (labels all -1, e.g. ``unlabelled=``
    nights) always stay in training: the subjects are drawn among those with
    scored sequences, so the validation set can always be scored.

    Parameters
    ----------
    valid_size : float | int, default=0.2
        Fraction (or number) of subjects held out.
    random_state : int | None, default=0
        Seed of the subject draw.
    """

    def __init__(self, valid_size=0.2, random_state=0):
        super().__init__(
            cv=GroupShuffleSplit(
                n_splits=1, test_size=valid_size, random_state=random_state
            ),
            stratified=False,
        )
        self.valid_size = valid_size
        self.random_state = random_state  # after ValidSplit's, which sets None

    def __call__(self, dataset, y=None, groups=None):
        if groups is None:
            raise ValueError(
                "SubjectValidSplit needs the subject of every sequence: call "
                "fit(X, y, groups=subjects) or pass braindecode windows."
            )
        if len(set(groups)) < 2:
            raise ValueError(
                f"SubjectValidSplit needs at least 2 subjects, got {len(set(groups))}."
            )
        groups = np.asarray(groups)
        scored = _scored_sequences(y, len(groups))
        if scored.all():
            return super().__call__(dataset, y=y, groups=groups)
        keep = np.flatnonzero(scored)
        if len(set(groups[keep])) < 2:
            raise ValueError(
                "SubjectValidSplit needs at least 2 subjects with scored epochs, "
                f"got {len(set(groups[keep]))}."
            )
        tr, va = next(iter(self.cv.split(keep, groups=groups[keep])))
        train = np.sort(np.concatenate([keep[tr], np.flatnonzero(~scored)]))
        return (
            torch.utils.data.Subset(dataset, train),
            torch.utils.data.Subset(dataset, keep[va]),
        )

    def __repr__(self):
        return (
            f"SubjectValidSplit(valid_size={self.valid_size}, "
            f"random_state={self.random_state})"
        )


def _scored_sequences(y, n):
    """Whether each sequence has a scored epoch (all True when ``y`` is None)."""
    if y is None:
        return np.ones(n, dtype=bool)
    y = np.asarray(y)
    if y.ndim == 3:  # probabilities: an all-zero row is unscored
        return (y.sum(-1) > 0).reshape(n, -1).any(1)
    return (y != UNLABELLED).reshape(n, -1).any(1)


def fit_split(train_split, groups_given, random_state):
    """The split a fit validates with: ``train_split``, or subjects when grouped.

    Parameters
    ----------
    train_split : callable | None | False
        The estimator's ``train_split``. None with ``groups`` given to ``fit``
        gives a :class:`SubjectValidSplit` (20% of the subjects, seeded by
        ``random_state``); False never validates.
    groups_given : bool
        Whether ``fit`` was called with ``groups``.
    random_state : int | None
        The estimator's seed (None: 0).

    Returns
    -------
    callable | None
    """
    if train_split is None and groups_given:
        return SubjectValidSplit(0.2, 0 if random_state is None else random_state)
    return train_split or None


def subject_valid_split(valid_size=0.2, random_state=0):
    """Return a :class:`SubjectValidSplit` (convenience function)."""
    return SubjectValidSplit(valid_size=valid_size, random_state=random_state)
