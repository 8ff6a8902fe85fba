"""Validation splits that never share a subject with training."""

from sklearn.model_selection import GroupShuffleSplit
from skorch.dataset import ValidSplit


class SubjectValidSplit(ValidSplit):
    """skorch ``train_split`` holding out whole subjects for validation.

    Built on :class:`sklearn.model_selection.GroupShuffleSplit`; the groups are
    the ``groups`` passed to ``fit`` (or the subjects of the windows).

    Parameters
    ----------
    valid_size : float | int, default=0.2
        Fraction (or number) of subjects held out.
    random_state : int | None, default=0
        Seed of the subject draw.
    """

    def __init__(self, valid_size=0.2, random_state=0):
        self.valid_size = valid_size
        self.random_state = random_state
        super().__init__(
            cv=GroupShuffleSplit(
                n_splits=1, test_size=valid_size, random_state=random_state
            ),
            stratified=False,
        )

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
        return super().__call__(dataset, y=y, groups=groups)

    def __repr__(self):
        return (
            f"SubjectValidSplit(valid_size={self.valid_size}, "
            f"random_state={self.random_state})"
        )


def subject_valid_split(valid_size=0.2, random_state=0):
    """Return a :class:`SubjectValidSplit` (convenience function)."""
    return SubjectValidSplit(valid_size=valid_size, random_state=random_state)
