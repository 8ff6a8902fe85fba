"""Aggregation over folds and seeds, and paired per-fold comparisons.

The paired comparison itself is :func:`braindecode_sleepkd.metrics.paired_comparison`.
"""

import numpy as np

from ..metrics import paired_comparison


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
