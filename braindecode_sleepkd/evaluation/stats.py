"""Aggregation over units, paired comparisons against a reference, gap closed.

The paired comparison itself is :func:`braindecode_sleepkd.metrics.paired_comparison`.
"""

import numpy as np

from ..metrics import paired_comparison, scores
from ..report import gap_share


def mean_std(values):
    """Mean and sample standard deviation (0 for one value), ignoring NaN."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return {"mean": float("nan"), "std": float("nan"), "n": 0}
    std = float(v.std(ddof=1)) if len(v) > 1 else 0.0
    return {"mean": float(v.mean()), "std": std, "n": int(len(v))}


def summarize(runs, keys):
    """Mean and standard deviation of ``keys`` per method over its runs.

    Parameters
    ----------
    runs : list of dict
        One dict per (method, fold, seed) with a ``method`` key.
    keys : sequence of str
        Numeric fields to aggregate; ``f1_per_class`` is aggregated per stage.
    """
    out = {}
    for method in dict.fromkeys(r["method"] for r in runs):
        rows = [r for r in runs if r["method"] == method]
        summary = {k: mean_std([r[k] for r in rows]) for k in keys}
        stages = rows[0].get("f1_per_class", {})
        summary["f1_per_class"] = {
            s: mean_std([r["f1_per_class"][s] for r in rows]) for s in stages
        }
        out[method] = summary
    return out


def compare_all(runs, references, keys):
    """Paired comparison of every method against each reference method.

    Returns ``{method: {"vs_<ref>": {key: paired_comparison}}}`` (see
    :func:`~braindecode_sleepkd.metrics.paired_comparison`); pairs are matched on
    ``(fold, seed)``.
    """
    by = {(r["method"], r["fold"], r["seed"]): r for r in runs}
    methods = list(dict.fromkeys(r["method"] for r in runs))
    out = {}
    for m in methods:
        out[m] = {}
        for ref in references:
            if ref not in methods:
                continue
            units = [(f, s) for (mm, f, s) in by if mm == m and (ref, f, s) in by]
            out[m][f"vs_{ref}"] = {
                k: paired_comparison(
                    [by[(m, *u)][k] for u in units], [by[(ref, *u)][k] for u in units]
                )
                for k in keys
            }
    return out


def paired_by_key(a, b, diffs=False, **kwargs):
    """Paired comparison of two ``{unit: score}`` mappings on their common units.

    Parameters
    ----------
    a, b : dict
        Scores of a row and of its reference, by unit (e.g. held-out subject).
    diffs : bool
        Add ``diffs``, the list of per-unit differences ``a - b``.
    **kwargs
        Passed to :func:`~braindecode_sleepkd.metrics.paired_comparison`.

    Returns
    -------
    dict
        The comparison of ``a - b`` over the units of ``a`` also in ``b``, in
        the order of ``a``.
    """
    common = [k for k in a if k in b]
    out = paired_comparison([a[k] for k in common], [b[k] for k in common], **kwargs)
    if diffs:
        out["diffs"] = [a[k] - b[k] for k in common]
    return out


def gap_closed(distilled, alone, teacher):
    """Share of the teacher-vs-alone gap a distilled row closes.

    ``mean(distilled - alone) / mean(teacher - alone)`` over the same units
    (NaN-aware means); with scalars, ``(distilled - alone) / (teacher - alone)``.
    1 matches the teacher, 0 the learner trained alone, < 0 is worse than alone.
    The share itself is :func:`braindecode_sleepkd.report.gap_share`, the one
    the estimator's report gives after a fit.

    Parameters
    ----------
    distilled, alone, teacher : float | array-like
        Scores of the distilled row, the learner alone and the teacher, on
        the same units in the same order.

    Returns
    -------
    float
        NaN when the teacher is no different from the learner alone.
    """
    d, a, t = (np.asarray(v, dtype=float) for v in (distilled, alone, teacher))
    if not d.shape == a.shape == t.shape:
        raise ValueError(
            f"gap_closed needs scores on the same units: shapes {d.shape}, "
            f"{a.shape}, {t.shape}."
        )
    if not t.size:
        return float("nan")
    gain, gap = float(np.nanmean(d - a)), float(np.nanmean(t - a))
    if not np.isfinite(gap):
        return float("nan")
    return float(gap_share(gain, 0.0, gap)[0])


def pooled_scores(labels, predictions, subjects):
    """Scores of the held-out predictions concatenated over subjects, per seed.

    Parameters
    ----------
    labels : dict
        ``{subject: true stages}``.
    predictions : dict
        ``{seed: {subject: predicted stages}}``.
    subjects : sequence
        The subjects to pool, in this order.

    Returns
    -------
    dict
        ``{seed: scores}`` (:func:`~braindecode_sleepkd.metrics.scores`).
    """
    y = np.concatenate([labels[s] for s in subjects])
    return {
        seed: scores(y, np.concatenate([np.asarray(p[s]) for s in subjects]))
        for seed, p in predictions.items()
    }


def compare_pairs(values, pairs, diffs=False, **kwargs):
    """Paired comparisons ``"a - b"`` of rows given as ``{row: {unit: score}}``.

    Parameters
    ----------
    values : dict
        Scores by row, then by unit.
    pairs : sequence of (str, str)
        ``(row, reference)``; a pair with a row missing from ``values`` is
        left out.
    diffs : bool
        Add the per-unit differences (see :func:`paired_by_key`).
    **kwargs
        Passed to :func:`~braindecode_sleepkd.metrics.paired_comparison`.

    Returns
    -------
    dict
        ``{"a - b": comparison}`` in the order of ``pairs``.
    """
    return {
        f"{a} - {b}": paired_by_key(values[a], values[b], diffs, **kwargs)
        for a, b in pairs
        if a in values and b in values
    }
