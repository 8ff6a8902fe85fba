"""The package's one set of metrics: stage scores, size, speed, paired comparisons.

The library, the ``sleepkd benchmark`` runner, the scripts in ``benchmarks/``
and the examples all score with these functions, so a number means the same
thing in every table. Result keys (see :ref:`results_keys`):

- scores: ``accuracy``, ``macro_f1`` (:func:`macro_f1`), ``kappa``
  (:func:`kappa`), ``f1_per_class``, ``confusion``, ``n_epochs``;
- cost: ``n_params`` (:func:`n_parameters`), ``size_mib`` (:func:`size_mib`,
  MiB = 2**20 bytes), speeds in 30-s epochs per second (:func:`inference_speed`);
- paired comparisons (:func:`paired_comparison`): ``mean_diff``, ``ci_low`` /
  ``ci_high``, ``boot_low`` / ``boot_high``, ``p_wilcoxon``, ``n``,
  ``n_positive``.

The scikit-learn scorers (:data:`SCORERS`) wrap the scores for
``GridSearchCV`` / ``cross_validate`` and skorch's ``EpochScoring``: the
built-in string scorers (``scoring="f1_macro"``) fail on labels of shape
``(n_seq, seq_len)``.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import time
import warnings

import numpy as np
import torch
from scipy import stats
from sklearn import metrics as skm
from sklearn.exceptions import UndefinedMetricWarning
from torch import nn

from .constants import N_STAGES, SLEEP_STAGES

STAGE_LABELS = tuple(range(N_STAGES))
"""The labels every score averages over: 0..4 = W, N1, N2, N3, REM."""

SCORE_KEYS = ("accuracy", "macro_f1", "kappa")
"""The scalar scores of :func:`scores`, in table order."""


# --------------------------------------------------------------------------
# stage scores
# --------------------------------------------------------------------------
def _flat(y_true, y_pred):
    """Flatten labels and predictions to 1-D, checking them first.

    Probability targets (``y_true`` with one more axis than ``y_pred``, e.g.
    ``(n_seq, seq_len, 5)``) are reduced to their most likely stage.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim == y_pred.ndim + 1:
        y_true = y_true.argmax(-1)
    y_true, y_pred = y_true.ravel(), y_pred.ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred hold {y_true.size} and {y_pred.size} labels."
        )
    if y_true.size == 0:
        raise ValueError("No epochs to score: y_true and y_pred are empty.")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        bad = np.setdiff1d(y, STAGE_LABELS)
        if bad.size:
            raise ValueError(
                f"{name} holds labels {bad[:5].tolist()} outside the stages "
                f"0..{N_STAGES - 1} ({', '.join(SLEEP_STAGES)}); drop unlabelled "
                "epochs (-1) before scoring."
            )
    return y_true, y_pred


def accuracy(y_true, y_pred):
    """Share of epochs whose predicted stage is the true one.

    Parameters
    ----------
    y_true, y_pred : array-like of int
        As in :func:`macro_f1`.

    Returns
    -------
    float
        In ``[0, 1]``.
    """
    return float(skm.accuracy_score(*_flat(y_true, y_pred)))


def macro_f1(y_true, y_pred):
    """Macro-F1: the unweighted mean of the per-stage F1 over the five stages.

    The average runs over ``labels=(0, 1, 2, 3, 4)`` (W, N1, N2, N3, REM),
    passed to :func:`sklearn.metrics.f1_score` explicitly:

    - a stage in ``y_true`` or in ``y_pred`` counts, with F1 = 0 when it is
      never predicted right (e.g. REM predicted on a night without REM);
    - a stage absent from **both** ``y_true`` and ``y_pred`` has no F1 (0 / 0):
      it is left out of the mean (``zero_division=np.nan``), so a night
      without REM on which REM is never predicted is averaged over four
      stages.

    This equals scikit-learn's default ``f1_score(average="macro")`` (the
    labels present in either array) for labels within ``0..4``.

    Parameters
    ----------
    y_true, y_pred : array-like of int
        Stages ``0..4`` of the same epochs, any shape (flattened);
        ``y_true`` may hold probabilities on one extra last axis.

    Returns
    -------
    float
    """
    yt, yp = _flat(y_true, y_pred)
    return float(
        skm.f1_score(yt, yp, labels=STAGE_LABELS, average="macro", zero_division=np.nan)
    )


def f1_per_class(y_true, y_pred):
    """F1 of each stage, ``{"W": f1, ...}``; NaN for a stage absent from both.

    Parameters
    ----------
    y_true, y_pred : array-like of int
        As in :func:`macro_f1`, whose mean over the finite values this is.

    Returns
    -------
    dict of str to float
    """
    yt, yp = _flat(y_true, y_pred)
    f1 = skm.f1_score(yt, yp, labels=STAGE_LABELS, average=None, zero_division=np.nan)
    return {s: float(v) for s, v in zip(SLEEP_STAGES, f1, strict=True)}


def kappa(y_true, y_pred):
    """Cohen's kappa over the five stages (``labels=(0, 1, 2, 3, 4)``).

    Undefined (NaN) when the expected agreement is 1, i.e. both arrays hold
    one and the same single stage.

    Parameters
    ----------
    y_true, y_pred : array-like of int
        The two raters' stages of the same epochs, as in :func:`macro_f1`.

    Returns
    -------
    float
        In ``[-1, 1]``, or NaN.
    """
    yt, yp = _flat(y_true, y_pred)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        value = skm.cohen_kappa_score(
            yt, yp, labels=STAGE_LABELS, replace_undefined_by=np.nan
        )
    return float(value)


def scores(y_true, y_pred):
    """All stage scores of a set of predictions.

    Parameters
    ----------
    y_true, y_pred : array-like of int
        True and predicted stages of the same epochs, as in :func:`macro_f1`.

    Returns
    -------
    dict
        ``accuracy``, ``macro_f1`` (:func:`macro_f1`), ``kappa``
        (:func:`kappa`), ``f1_per_class`` (:func:`f1_per_class`),
        ``confusion`` (5 x 5 nested list, rows = true stage) and
        ``n_epochs``.
    """
    yt, yp = _flat(y_true, y_pred)
    return {
        "accuracy": accuracy(yt, yp),
        "macro_f1": macro_f1(yt, yp),
        "kappa": kappa(yt, yp),
        "f1_per_class": f1_per_class(yt, yp),
        "confusion": skm.confusion_matrix(yt, yp, labels=STAGE_LABELS).tolist(),
        "n_epochs": int(yt.size),
    }


accuracy_scorer = skm.make_scorer(accuracy)
"""Scorer of :func:`accuracy` for ``GridSearchCV`` and skorch's ``EpochScoring``."""

macro_f1_scorer = skm.make_scorer(macro_f1)
"""Scorer of :func:`macro_f1` for ``GridSearchCV`` and skorch's ``EpochScoring``."""

kappa_scorer = skm.make_scorer(kappa)
"""Scorer of :func:`kappa` for ``GridSearchCV`` and skorch's ``EpochScoring``."""

SCORERS = {
    "accuracy": accuracy_scorer,
    "macro_f1": macro_f1_scorer,
    "kappa": kappa_scorer,
}
"""The scorers by result key, e.g. ``cross_validate(..., scoring=SCORERS)``."""


# --------------------------------------------------------------------------
# model size
# --------------------------------------------------------------------------
def n_parameters(module, trainable_only=False):
    """Number of parameters (all, or only those with ``requires_grad``)."""
    return int(
        sum(
            p.numel()
            for p in module.parameters()
            if p.requires_grad or not trainable_only
        )
    )


def size_mib(module):
    """Size of a module's parameters and buffers in MiB (2**20 bytes).

    Each tensor counts at its stored dtype (``element_size``), integer buffers
    such as batch-norm counters included: about the size of a checkpoint of
    the weights.
    """
    n_bytes = sum(p.numel() * p.element_size() for p in module.parameters())
    n_bytes += sum(b.numel() * b.element_size() for b in module.buffers())
    return n_bytes / 2**20


# --------------------------------------------------------------------------
# speed
# --------------------------------------------------------------------------
def time_calls(calls, n_repeats=10, n_warmup=1):
    """Wall-clock seconds of each call, the calls run in turn.

    The calls are interleaved (a, b, c, a, b, c, ...) so that load from other
    processes slows all of them alike; ``time.perf_counter`` times each one.

    Parameters
    ----------
    calls : dict of str to callable
        Functions without arguments.
    n_repeats : int, default=10
        Timed rounds.
    n_warmup : int, default=1
        Untimed rounds first.

    Returns
    -------
    dict of str to numpy.ndarray
        ``n_repeats`` seconds per call. Report the median, or the minimum
        (``timeit``'s advice: the least disturbed run) on a shared machine.
    """
    if n_repeats < 1 or n_warmup < 0:
        raise ValueError(
            f"n_repeats must be >= 1 and n_warmup >= 0, got {n_repeats}, {n_warmup}."
        )
    for _ in range(n_warmup):
        for fn in calls.values():
            fn()
    times = {name: np.empty(n_repeats) for name in calls}
    for i in range(n_repeats):
        for name, fn in calls.items():
            start = time.perf_counter()
            fn()
            times[name][i] = time.perf_counter() - start
    return times


def _predictor(model, xb):
    if isinstance(model, nn.Module):
        xt = torch.as_tensor(xb)
        return lambda: model(xt)
    if hasattr(model, "predict"):
        xn = np.asarray(xb, dtype=np.float32)
        return lambda: model.predict(xn)
    raise TypeError(
        f"Cannot time a {type(model).__name__}: expected a torch module or an "
        "object with predict."
    )


def inference_speed(models, x, batch_sizes=(1, 64), n_repeats=10, n_warmup=1):
    """Seconds per batch and 30-s epochs per second of several models' inference.

    The first sequence of ``x`` is repeated to each batch size; the models are
    timed in turn (:func:`time_calls`). Torch modules run in eval mode under
    :func:`torch.inference_mode` (their train / eval flags are restored);
    other models through ``predict`` on a float32 array.

    Parameters
    ----------
    models : dict of str to torch.nn.Module or estimator
        Models mapping ``(batch, seq_len, n_chans, n_times)`` to stages or
        logits.
    x : torch.Tensor | numpy.ndarray
        Example input ``(n_seq, seq_len, n_chans, n_times)``.
    batch_sizes : tuple of int, default=(1, 64)
        Batch sizes (sequences) to time.
    n_repeats, n_warmup : int
        As in :func:`time_calls`.

    Returns
    -------
    dict
        ``{name: {batch_size: {"median_s", "best_s", "epochs_per_s",
        "best_epochs_per_s"}}}``: median and fastest seconds per batch, and
        the epochs per second they give (``batch_size * seq_len / seconds``).
    """
    x = torch.as_tensor(np.asarray(x, dtype=np.float32))
    if x.ndim != 4 or len(x) == 0:
        raise ValueError(
            "x must be (n_seq, seq_len, n_chans, n_times) with n_seq >= 1, "
            f"got shape {tuple(x.shape)}."
        )
    flags = [
        (m, m.training)
        for model in models.values()
        if isinstance(model, nn.Module)
        for m in model.modules()
    ]
    out = {name: {} for name in models}
    try:
        for model in models.values():
            if isinstance(model, nn.Module):
                model.eval()
        with torch.inference_mode():
            for b in batch_sizes:
                xb = x[:1].expand(b, *x.shape[1:]).contiguous()
                calls = {name: _predictor(m, xb) for name, m in models.items()}
                seconds = time_calls(calls, n_repeats, n_warmup)
                n_epochs = b * x.shape[1]
                for name, t in seconds.items():
                    med, best = float(np.median(t)), float(np.min(t))
                    out[name][b] = {
                        "median_s": med,
                        "best_s": best,
                        "epochs_per_s": n_epochs / med,
                        "best_epochs_per_s": n_epochs / best,
                    }
    finally:
        for m, was_training in flags:
            m.training = was_training
    return out


# --------------------------------------------------------------------------
# paired comparison
# --------------------------------------------------------------------------
def paired_comparison(a, b, confidence=0.95, n_boot=10000, seed=0):
    """Mean difference of paired scores with a t and a bootstrap interval.

    Parameters
    ----------
    a, b : array-like of float
        Scores of method A and of the reference B on the same units (folds,
        seeds, subjects), in the same order; pairs with a non-finite value
        are dropped.
    confidence : float, default=0.95
        Level of both intervals.
    n_boot : int, default=10000
        Bootstrap resamples of the pairs.
    seed : int, default=0
        Seed of the bootstrap resampling.

    Returns
    -------
    dict
        ``mean_diff`` (mean of A - B); ``ci_low`` / ``ci_high``: Student-t
        interval of the mean difference; ``boot_low`` / ``boot_high``:
        percentile bootstrap interval of the mean difference; ``p_wilcoxon``:
        two-sided Wilcoxon signed-rank p (NaN when every difference is 0);
        ``n`` pairs and ``n_positive`` pairs with A > B. Intervals and p are
        NaN with fewer than 2 pairs; with few pairs the Wilcoxon test cannot
        reach small p-values (at least 0.0625 with 5 pairs).
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"a and b are not paired: shapes {a.shape} and {b.shape}.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}.")
    d = (a - b).ravel()
    d = d[np.isfinite(d)]
    n = len(d)
    nan = float("nan")
    out = {
        "mean_diff": float(d.mean()) if n else nan,
        "ci_low": nan,
        "ci_high": nan,
        "boot_low": nan,
        "boot_high": nan,
        "p_wilcoxon": nan,
        "n": int(n),
        "n_positive": int((d > 0).sum()),
    }
    if n < 2:
        return out
    alpha = (1 - confidence) / 2
    half = float(stats.t.ppf(1 - alpha, n - 1) * d.std(ddof=1) / np.sqrt(n))
    out["ci_low"], out["ci_high"] = out["mean_diff"] - half, out["mean_diff"] + half
    rng = np.random.default_rng(seed)
    boot = d[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    low, high = np.percentile(boot, [100 * alpha, 100 * (1 - alpha)])
    out["boot_low"], out["boot_high"] = float(low), float(high)
    if not np.allclose(d, 0):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out["p_wilcoxon"] = float(stats.wilcoxon(d).pvalue)
    return out
