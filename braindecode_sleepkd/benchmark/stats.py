"""Aggregation over folds and seeds, and paired per-fold comparisons."""

import warnings

import numpy as np
from scipy import stats as sps


def mean_std(values):
    """Mean and sample standard deviation (0 for one value), ignoring NaN."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return {"mean": float("nan"), "std": float("nan"), "n": 0}
    std = float(v.std(ddof=1)) if len(v) > 1 else 0.0
    return {"mean": float(v.mean()), "std": std, "n": int(len(v))}


def paired_comparison(a, b, confidence=0.95):
    """Compare two methods scored on the same folds and seeds.

    Parameters
    ----------
    a, b : array-like
        Scores of method A and reference B, paired by (fold, seed).
    confidence : float
        Level of the interval.

    Returns
    -------
    dict
        ``mean_diff`` (A - B), ``ci_low`` / ``ci_high`` (Student-t interval of
        the mean difference; NaN with fewer than 2 pairs), ``p_wilcoxon``
        (two-sided signed-rank test; NaN with fewer than 2 pairs or when all
        differences are 0) and ``n``. With few pairs the Wilcoxon test cannot
        reach small p-values (the smallest possible with 5 pairs is 0.0625).
    """
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    d = d[np.isfinite(d)]
    n = len(d)
    out = {"mean_diff": float(d.mean()) if n else float("nan"), "n": int(n)}
    if n < 2:
        out.update(ci_low=float("nan"), ci_high=float("nan"), p_wilcoxon=float("nan"))
        return out
    sem = d.std(ddof=1) / np.sqrt(n)
    half = float(sps.t.ppf(0.5 + confidence / 2, n - 1) * sem)
    out["ci_low"], out["ci_high"] = out["mean_diff"] - half, out["mean_diff"] + half
    if np.allclose(d, 0):
        out["p_wilcoxon"] = float("nan")
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out["p_wilcoxon"] = float(sps.wilcoxon(d).pvalue)
    return out


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

    Returns ``{method: {"vs_<ref>": {key: paired_comparison}}}``; pairs are
    matched on ``(fold, seed)``.
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
