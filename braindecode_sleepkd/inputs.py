"""Turn what users pass to ``fit`` / ``predict`` into checked sequences."""

import numpy as np
import torch
from skorch.dataset import Dataset
from skorch.helper import SliceDataset
from torch.utils.data import Subset

from .constants import UNLABELLED


def _is_windows_dataset(X):
    return hasattr(X, "datasets") and hasattr(X, "description")


def _windows_sfreq(windows):
    ds = windows.datasets[0]
    raw = getattr(ds, "windows", None)
    if raw is None:
        raw = getattr(ds, "raw", None)
    return None if raw is None else float(raw.info["sfreq"])


def _unwrap(X):
    """The sequences behind the estimator's own datasets (and subsets of them)."""
    if isinstance(X, Subset):
        inner = _unwrap(X.dataset)
        if inner is not X.dataset:
            return inner[np.asarray(X.indices)]
        return X
    if isinstance(X, Dataset) and isinstance(X.X, dict) and "x" in X.X:
        return X.X["x"]
    if isinstance(X, dict) and "x" in X:
        return X["x"]
    return X


def as_sequences(X, y, seq_len, stride=None, groups=None, return_sfreq=False):
    """Check ``X`` (and ``y``) and return sequences ``(X, y, groups[, sfreq])``.

    Parameters
    ----------
    X : array-like | braindecode windows dataset | skorch SliceDataset
        Arrays of shape ``(n_seq, seq_len, n_chans, n_times)``; windows are cut
        into sequences of ``seq_len`` consecutive epochs of one recording with
        :func:`~braindecode_sleepkd.datasets.make_sequences`.
    y : array-like | None
        Labels, or None (taken from windows).
    seq_len, stride : int
        Used for windows only.
    groups : array-like | None
        Subject of each sequence (taken from windows when None).
    return_sfreq : bool
        Also return the sampling frequency when it is known (windows), else None.

    Raises
    ------
    ValueError
        Empty or ragged input, wrong number of dimensions, non-finite values, or
        ``X`` and ``y`` of different lengths or sequence lengths.
    """
    sfreq = None
    X = _unwrap(X)
    if _is_windows_dataset(X):
        from .datasets import make_sequences

        sfreq = _windows_sfreq(X)
        X, y_w, groups_w = make_sequences(X, seq_len, stride=stride)
        y = y_w if y is None else y
        groups = groups_w if groups is None else groups
    elif isinstance(X, SliceDataset):
        if len(X) == 0:
            raise ValueError("X is empty: got a SliceDataset with 0 items.")
        if y is not None and not isinstance(y, np.ndarray):
            y = np.asarray(list(y) if isinstance(y, SliceDataset) else y)
    else:
        if isinstance(X, torch.Tensor):
            X = X.detach().cpu().numpy()
        try:
            X = np.asarray(X)
        except ValueError as exc:
            raise ValueError(
                "X must be one array of shape (n_seq, seq_len, n_chans, n_times); "
                f"its sequences or epochs have different shapes ({exc})"
            ) from exc
        if X.size == 0 or len(X) == 0:
            raise ValueError(
                f"X is empty (shape {X.shape}); expected at least one "
                "sequence of shape (seq_len, n_chans, n_times)."
            )
        if X.ndim != 4:
            raise ValueError(
                f"X must have 4 dimensions (n_seq, seq_len, n_chans, n_times), got "
                f"{X.ndim} with shape {X.shape}. Use make_sequences() to cut windows "
                "into sequences, or X[:, None] for single epochs (seq_len=1)."
            )
        if not np.issubdtype(X.dtype, np.number):
            raise ValueError(f"X must be numeric, got dtype {X.dtype}.")
        X = X.astype(np.float32, copy=False)
        n_bad = int(np.size(X) - np.isfinite(X).sum())
        if n_bad:
            raise ValueError(
                f"X contains {n_bad} non-finite values (NaN or inf); clean or "
                "interpolate the signal first."
            )
    if y is not None:
        if isinstance(y, torch.Tensor):
            y = y.detach().cpu().numpy()
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(
                f"X and y have different lengths: {len(X)} sequences in X, "
                f"{len(y)} in y."
            )
        if isinstance(X, np.ndarray) and X.ndim == 4 and y.ndim >= 2:
            if y.shape[1] != X.shape[1]:
                raise ValueError(
                    f"X and y have different sequence lengths: seq_len={X.shape[1]} "
                    f"epochs in X, {y.shape[1]} labels per sequence in y."
                )
    if groups is not None and len(groups) != len(X):
        raise ValueError(f"groups has {len(groups)} entries for {len(X)} sequences.")
    if return_sfreq:
        return X, y, groups, sfreq
    return X, y, groups


def check_labels(y, n_seq, n_classes):
    """Check labels and return them as int64 ``(n_seq, seq_len)`` or float32 probas.

    Raises
    ------
    ValueError
        Wrong shape, non-numeric or non-integer labels, labels outside
        ``0 .. n_classes - 1`` (named), or probabilities that do not sum to 1.
    """
    y = np.asarray(y)
    if y.dtype.kind in "USO":
        raise ValueError(
            f"Labels must be integers 0..{n_classes - 1}, got {y.dtype} values such "
            f"as {y.ravel()[:3].tolist()}; map stage names to integers first "
            "(W=0, N1=1, N2=2, N3=3, REM=4)."
        )
    if y.ndim == 3:
        if y.shape[-1] != n_classes:
            raise ValueError(
                f"Probability targets must have n_classes={n_classes} on the last "
                f"axis, got shape {y.shape}."
            )
        if (y < 0).any() or not np.allclose(y.sum(-1), 1.0, atol=1e-3):
            raise ValueError("Probability targets must be >= 0 and sum to 1 per epoch.")
        return y.astype(np.float32)
    if y.ndim != 2:
        raise ValueError(
            f"y must have shape (n_seq, seq_len) (labels) or (n_seq, seq_len, "
            f"n_classes) (probabilities), got shape {y.shape}."
        )
    if y.dtype.kind == "f":
        if not np.isfinite(y).all() or not np.equal(np.round(y), y).all():
            raise ValueError(
                "Float labels must be whole numbers 0..n_classes-1; got non-integer "
                "or non-finite values. Pass probabilities with shape "
                "(n_seq, seq_len, n_classes) for soft targets."
            )
    y = y.astype(np.int64)
    bad = np.unique(y[(y < UNLABELLED) | (y >= n_classes)])
    if bad.size:
        raise ValueError(
            f"Labels outside 0..{n_classes - 1} (or {UNLABELLED} for an unscored "
            f"epoch): {bad.tolist()} ({int(np.isin(y, bad).sum())} epochs). Map or "
            "drop them first."
        )
    return y


def add_unlabelled(X, y, groups, unlabelled, seq_len, stride=None):
    """Append unscored sequences to ``(X, y, groups)`` with labels -1.

    Parameters
    ----------
    X, y, groups : numpy.ndarray | None
        Checked sequences, labels ``(n_seq, seq_len)`` and subjects.
    unlabelled : array-like | braindecode windows dataset
        Sequences ``(n_u, seq_len, n_chans, n_times)`` or windows (their labels,
        if any, are ignored).
    seq_len, stride : int
        Used for windows only.

    Returns
    -------
    X, y, groups, n_unlabelled

    Raises
    ------
    ValueError
        When the unscored sequences' shape differs from ``X``'s, or ``y`` holds
        probabilities (unscored epochs need integer labels).
    """
    Xu, _, gu = as_sequences(unlabelled, None, seq_len, stride)
    Xu = np.asarray(Xu, dtype=np.float32)
    if Xu.shape[1:] != np.shape(X)[1:]:
        raise ValueError(
            f"unlabelled sequences have shape {Xu.shape[1:]} per item but X has "
            f"{np.shape(X)[1:]}; cut both with the same seq_len and sampling rate."
        )
    if y.ndim != 2:
        raise ValueError(
            "unlabelled= needs integer labels y (n_seq, seq_len), not probabilities."
        )
    yu = np.full(Xu.shape[:2], UNLABELLED, dtype=y.dtype)
    if groups is not None:
        gu = np.asarray(["unlabelled"] * len(Xu) if gu is None else gu, dtype=object)
        groups = np.concatenate([np.asarray(groups, dtype=object), gu])
    return np.concatenate([np.asarray(X), Xu]), np.concatenate([y, yu]), groups, len(Xu)


def check_teacher_proba(proba, shape, n_classes):
    """Check external teacher probabilities against the labels' ``(n_seq, seq_len)``.

    Raises
    ------
    ValueError
        Wrong shape (say which), negative values, NaN, or rows not summing to 1.
    """
    if isinstance(proba, torch.Tensor):
        proba = proba.detach().cpu().numpy()
    proba = np.asarray(proba, dtype=np.float32)
    want = (*shape, n_classes)
    if proba.shape != want:
        raise ValueError(
            f"teacher_proba must have shape (n_seq, seq_len, n_classes) = {want}, "
            f"aligned with y; got {proba.shape}."
        )
    if not np.isfinite(proba).all() or (proba < 0).any():
        raise ValueError("teacher_proba must be finite and >= 0.")
    sums = proba.sum(-1)
    if not np.allclose(sums, 1.0, atol=1e-3):
        bad = int((np.abs(sums - 1.0) > 1e-3).sum())
        raise ValueError(
            f"teacher_proba rows must sum to 1; {bad} epochs do not (probabilities "
            "in the estimator's class order W, N1, N2, N3, REM are expected)."
        )
    return proba


def _check_epochs(name, value, allow_none=False):
    if value is None and allow_none:
        return
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be >= 1 (epochs of training), got {value!r}.")


def check_fit_params(net, shape, data_sfreq):
    """Check an estimator's settings against the data before any training.

    Parameters
    ----------
    net : SleepKDClassifier
        The estimator (``n_classes``, ``max_epochs``, per-stage budgets, ``sfreq``).
    shape : tuple
        Shape of one batch of one sequence ``(1, seq_len, n_chans, n_times)``.
    data_sfreq : float | None
        The sampling frequency the data carry (windows), if known.

    Returns
    -------
    dict
        The signal of the models: ``n_chans``, ``n_times``, ``sfreq``, ``n_classes``.

    Raises
    ------
    ValueError
        On a non-integer or non-positive class count or epoch budget, a
        sampling frequency that disagrees with the data, or epochs that are not
        30 s long.
    """
    from .constants import EPOCH_S

    n_classes = net.n_classes
    if isinstance(n_classes, bool) or int(n_classes) != n_classes or n_classes < 2:
        raise ValueError(f"n_classes must be a whole number >= 2, got {n_classes!r}.")
    _check_epochs("max_epochs", net.max_epochs)
    for role in ("teacher", "assistant"):
        name = f"{role}_max_epochs"
        _check_epochs(name, getattr(net, name), allow_none=True)
    n_times = int(shape[3])
    sfreq = net.sfreq
    if sfreq is not None:
        if not np.isfinite(sfreq) or sfreq <= 0:
            raise ValueError(f"sfreq must be a positive number, got {sfreq!r}.")
        if data_sfreq is not None and not np.isclose(sfreq, data_sfreq):
            raise ValueError(
                f"sfreq={sfreq} Hz was given but the windows are sampled at "
                f"{data_sfreq} Hz; resample the data or leave sfreq=None."
            )
    sfreq = float(sfreq or data_sfreq or n_times / EPOCH_S)
    if not np.isclose(n_times / sfreq, EPOCH_S):
        raise ValueError(
            f"Each window must be one {EPOCH_S:g}-s sleep epoch, but n_times="
            f"{n_times} at {sfreq:g} Hz is {n_times / sfreq:g} s."
        )
    return {
        "n_chans": int(shape[2]),
        "n_times": n_times,
        "sfreq": sfreq,
        "n_classes": int(n_classes),
    }


def prepare_fit_data(net, X, y, groups, teacher_proba, unlabelled):
    """Checked sequences, labels, subjects and external guides for ``net.fit``.

    Cuts windows into sequences, checks labels (-1: unscored), appends the
    ``unlabelled`` sequences, checks the signal against the estimator's
    settings (the estimator sets the ``signal_`` and ``n_unlabelled_`` returned
    in ``learnt``) and turns an
    external teacher's probabilities (given, or from ``net.teacher``'s
    ``predict_proba`` on ``X`` then ``unlabelled``) into stored guide outputs.

    Returns
    -------
    X, y, groups, external, learnt
        ``external`` maps ``"teacher"`` to its
        :class:`~.distill.guides.StoredOutputs` and ``"proba"`` to the checked
        probabilities (empty without an external teacher); ``learnt`` the
        fitted attributes read from the data (``n_unlabelled_``, ``signal_``,
        ``contract_``), for the estimator to set.
    """
    from .distill.guides import StoredOutputs
    from .models.sequence import check_signal
    from .teachers import is_external_teacher

    n = net.n_classes
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n_classes must be a whole number >= 2, got {n!r}.")
    if teacher_proba is None and is_external_teacher(net.teacher):
        teacher_proba = np.concatenate(
            [
                net.teacher.predict_proba(
                    data, seq_len=net.seq_len, seq_stride=net.seq_stride
                )
                for data in (X, unlabelled)
                if data is not None
            ]
        )
    from .contract import fit_contract, windows_channels
    from .datasets.units import MODEL_UNIT

    channels = windows_channels(_unwrap(X))
    from_windows = _is_windows_dataset(_unwrap(X))
    X, y, groups, sfreq = as_sequences(
        X, y, net.seq_len, net.seq_stride, groups=groups, return_sfreq=True
    )
    if y is None:
        raise ValueError("y is required: labels of shape (n_seq, seq_len).")
    y = check_labels(y, len(X), net.n_classes)
    n_unlabelled = 0
    if unlabelled is not None:
        X, y, groups, n_unlabelled = add_unlabelled(
            X, y, groups, unlabelled, net.seq_len, net.seq_stride
        )
    first = torch.as_tensor(np.asarray(X[0]))[None]
    check_signal(first)
    signal = check_fit_params(net, first.shape, sfreq)
    sample = np.stack(
        [np.asarray(X[i], dtype=np.float32) for i in range(min(len(X), 8))]
    )
    contract = fit_contract(
        sample,
        signal,
        int(first.shape[1]),
        channels,
        unit=MODEL_UNIT if from_windows else None,
    )
    external = {}
    if teacher_proba is not None:
        proba = check_teacher_proba(teacher_proba, y.shape[:2], net.n_classes)
        logits = torch.log(torch.as_tensor(proba) + 1e-8)
        external = {"teacher": StoredOutputs(logits=logits), "proba": proba}
    learnt = dict(n_unlabelled_=n_unlabelled, signal_=signal, contract_=contract)
    return X, y, groups, external, learnt


def split_batch(batch, device):
    """``(x, index, y)`` of a skorch batch (``index`` is None for plain X)."""
    from skorch.dataset import unpack_data
    from skorch.utils import to_tensor

    Xi, yi = unpack_data(batch)
    index = None
    if isinstance(Xi, dict):
        Xi, index = Xi["x"], Xi["index"]
    x = to_tensor(Xi, device=device).float()
    return x, index, None if yi is None else to_tensor(yi, device=device)
