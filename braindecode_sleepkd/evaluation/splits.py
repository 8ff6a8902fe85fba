"""Subject-wise splits: K folds, leave one subject out, held-out test subjects."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from typing import NamedTuple

import numpy as np


class Unit(NamedTuple):
    """One training unit of a leave-one-subject-out run.

    Attributes
    ----------
    seed : int
        Training seed.
    index : int
        Position of the held-out recording in the windows.
    subject : int
        The held-out subject.
    train, test : braindecode.datasets.BaseConcatDataset
        Every other recording, and the held-out one.
    """

    seed: int
    index: int
    subject: int
    train: object
    test: object


def subject_folds(subjects, n_folds, seed=0):
    """Subject-wise K folds: each subject is in exactly one test fold.

    Parameters
    ----------
    subjects : array-like
        Subject of every sequence.
    n_folds : int
        Number of folds (at most the number of subjects).
    seed : int
        Seed of the shuffling of the subjects before they are dealt out.

    Returns
    -------
    list of (train_subjects, test_subjects)
    """
    unique = np.unique(subjects)
    if not 2 <= n_folds <= len(unique):
        raise ValueError(
            f"--folds must be between 2 and the number of subjects ({len(unique)}), "
            f"got {n_folds}."
        )
    order = np.random.default_rng(seed).permutation(unique)
    chunks = np.array_split(order, n_folds)
    return [(np.sort(np.setdiff1d(unique, test)), np.sort(test)) for test in chunks]


def leave_one_subject_out(windows, seeds):
    """Units of a leave-one-subject-out run, seed by seed, recording by recording.

    Parameters
    ----------
    windows : braindecode.datasets.BaseConcatDataset
        One recording per subject, with a ``subject`` description column.
    seeds : sequence of int
        Training seeds; the outer loop.

    Yields
    ------
    Unit
        ``(seed, index, subject, train, test)``; ``train`` holds every other
        recording, ``test`` the held-out one.
    """
    from braindecode.datasets import BaseConcatDataset

    subjects = [int(s) for s in windows.description["subject"]]
    if len(set(subjects)) != len(subjects):
        raise ValueError(
            f"leave_one_subject_out needs one recording per subject, got subjects "
            f"{subjects}."
        )
    if len(subjects) < 2:
        raise ValueError(f"leave_one_subject_out needs 2 subjects, got {subjects}.")
    for seed in seeds:
        for i, subject in enumerate(subjects):
            train = BaseConcatDataset(
                [ds for j, ds in enumerate(windows.datasets) if j != i]
            )
            test = BaseConcatDataset([windows.datasets[i]])
            yield Unit(seed, i, subject, train, test)


def held_out_split(subjects, seed, n_test, n_labelled=4):
    """Test, labelled and remaining subjects drawn by a seeded permutation.

    Parameters
    ----------
    subjects : array-like
        Subject of every item.
    seed : int
        Seed of the permutation (one split per seed).
    n_test, n_labelled : int
        Subjects held out for testing, then subjects whose labels are used.

    Returns
    -------
    test, labelled, rest : np.ndarray
        Disjoint subject arrays covering every subject.
    """
    unique = np.unique(subjects)
    if n_test < 1 or n_labelled < 1 or n_test + n_labelled > len(unique):
        raise ValueError(
            f"{n_test} test and {n_labelled} labelled subjects do not fit in the "
            f"{len(unique)} subjects."
        )
    order = np.random.default_rng(seed).permutation(unique)
    return (
        order[:n_test],
        order[n_test : n_test + n_labelled],
        order[n_test + n_labelled :],
    )
