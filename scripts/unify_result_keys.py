"""Bring the committed results in ``benchmarks/results/`` to the one metrics module.

Run once from the repository root (no benchmark is re-run; seconds)::

    .venv/bin/python scripts/unify_result_keys.py

- ``sleepkd benchmark`` folders (``results.json`` with a confusion matrix per
  run): every run's ``accuracy``, ``macro_f1``, ``kappa`` and ``f1_per_class``
  are recomputed from its confusion matrix with :mod:`braindecode_sleepkd.metrics`
  (the old ``f1_macro``, over the stages present in the test labels, and
  ``f1_macro_5``, absent stages as 0, are dropped); the summaries, paired
  comparisons and goals are recomputed from the runs; ``cost.size_mb`` (already
  MiB) becomes ``size_mib``; ``results.md`` is rendered again.
- ``model_speed.json``: ``size_mb`` (10**6 bytes, float tensors only) becomes
  ``size_mib`` computed from the same presets, and ``throughput`` (sequences/s)
  becomes epochs/s (times ``seq_len``); ``model_speed.md`` is rendered again.
- ``yasa_distill.json``: the paired comparisons are recomputed from the stored
  per-subject differences (same bootstrap seed and resamples, so the same
  numbers) under the one set of keys; the per-subject ``f1_macro`` values
  (absent stages as 0, in no table) cannot be converted without the
  predictions and are removed, with a note; ``yasa_distill.md`` is rendered
  again.

Every value that the new definitions should leave unchanged is checked.
"""

import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))


def _nan(obj):
    """JSON ``null`` back to NaN (the report writes non-finite floats as null)."""
    if isinstance(obj, dict):
        return {k: _nan(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_nan(v) for v in obj]
    return float("nan") if obj is None else obj


def _labels(confusion):
    """``(y_true, y_pred)`` arrays with the counts of a confusion matrix."""
    cm = np.asarray(confusion)
    true, pred = np.nonzero(cm)
    counts = cm[true, pred]
    return np.repeat(true, counts), np.repeat(pred, counts)


def _close(a, b, what):
    a, b = float("nan" if a is None else a), float("nan" if b is None else b)
    if not (math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (a != a and b != b)):
        raise AssertionError(f"{what}: {a} != {b}")


def benchmark_folder(folder):
    from braindecode_sleepkd.benchmark.report import _clean, goals, markdown
    from braindecode_sleepkd.benchmark.stats import compare_all, summarize
    from braindecode_sleepkd.metrics import SCORE_KEYS, scores

    path = folder / "results.json"
    res = json.loads(path.read_text())
    if "f1_macro" not in res["runs"][0]:
        return f"{path}: already converted"
    changed = 0
    for run in res["runs"]:
        s = scores(*_labels(run["confusion"]))
        what = f"{folder.name} {run['method']} fold {run['fold']} seed {run['seed']}"
        _close(s["accuracy"], run["accuracy"], what + " accuracy")
        if np.isfinite(s["kappa"]):  # the old code wrote 0 for undefined kappa
            _close(s["kappa"], run["kappa"], what + " kappa")
        changed += not math.isclose(s["macro_f1"], run["f1_macro"], abs_tol=1e-12)
        for key in ("f1_macro", "f1_macro_5"):
            del run[key]
        run.update({k: s[k] for k in SCORE_KEYS}, f1_per_class=s["f1_per_class"])
    methods = list(res["summary"])
    res["summary"] = summarize(res["runs"], SCORE_KEYS + ("fit_seconds",))
    assert list(res["summary"]) == methods
    refs = [r for r in ("scratch", "sleepkd") if r in methods]
    res["comparisons"] = compare_all(res["runs"], refs, SCORE_KEYS)
    for c in res["cost"].values():
        c["size_mib"] = c.pop("size_mb")
    res["cost"] = _nan(res["cost"])
    res["goals"] = goals(res)
    path.write_text(json.dumps(_clean(res), indent=1))
    (folder / "results.md").write_text(markdown(res, res["command"]))
    return f"{path}: {changed} of {len(res['runs'])} runs change macro-F1"


def model_speed():
    import model_speed as ms

    from braindecode_sleepkd.metrics import n_parameters, size_mib
    from braindecode_sleepkd.models import preset

    path = RESULTS / "model_speed.json"
    res = json.loads(path.read_text())
    if "size_mib" in res["rows"][0]:
        return f"{path}: already converted"
    inp = res["input"]
    for row in res["rows"]:
        model = preset(
            row["family"], row["role"], n_chans=inp["n_chans"], sfreq=inp["sfreq"]
        )
        assert n_parameters(model) == row["n_params"], row
        old = row.pop("size_mb")
        float_mb = sum(
            t.numel() * 4 for t in [*model.parameters(), *model.buffers()]
            if t.is_floating_point()
        ) / 1e6  # fmt: skip
        _close(old, float_mb, f"model_speed {row['family']} {row['role']} size")
        row["size_mib"] = size_mib(model)
        _close(row["seq_len"], inp["seq_len"], "seq_len")
        row["throughput"] = row["throughput"] * row["seq_len"]
        rows = list(row)  # keep size_mib where size_mb was
        rows.insert(rows.index("n_params") + 1, rows.pop(rows.index("size_mib")))
        reordered = {k: row[k] for k in rows}
        row.clear()
        row.update(reordered)
    path.write_text(json.dumps(res, indent=2) + "\n")
    (RESULTS / "model_speed.md").write_text(ms.to_markdown(res))
    return f"{path}: {len(res['rows'])} rows"


def yasa_distill():
    import yasa_distill as yd

    from braindecode_sleepkd.metrics import paired_comparison

    path = RESULTS / "yasa_distill.json"
    res = json.loads(path.read_text())
    first = next(iter(res["paired_kappa"].values()))
    if "mean_diff" in first:
        return f"{path}: already converted"
    n_boot = int(res["config"]["n_boot"])
    for name, old in res["paired_kappa"].items():
        d = np.asarray(old["diffs"])
        new = dict(
            paired_comparison(d, np.zeros_like(d), n_boot=n_boot), diffs=old["diffs"]
        )
        for a, b in (("mean", "mean_diff"), ("wilcoxon_p", "p_wilcoxon"),
                     ("n", "n"), ("n_positive", "n_positive")):  # fmt: skip
            _close(new[b], old[a], f"yasa {name} {a}")
        for (lo, hi), key in ((("ci_low", "ci_high"), "t_ci95"),
                              (("boot_low", "boot_high"), "boot_ci95")):  # fmt: skip
            _close(new[lo], old[key][0], f"yasa {name} {key}")
            _close(new[hi], old[key][1], f"yasa {name} {key}")
        res["paired_kappa"][name] = new
    n_removed = 0
    for per in res["per_subject"].values():
        for entry in per.values():
            for m in entry.values() if "kappa" not in entry else [entry]:
                n_removed += m.pop("f1_macro", None) is not None
    res.setdefault("notes", []).append(
        "Per-subject macro-F1 of this run removed when the metrics were unified: it "
        "counted stages absent from both labels and predictions as 0, unlike "
        "braindecode_sleepkd.metrics.macro_f1; a new run writes macro_f1."
    )
    path.write_text(json.dumps(res, indent=2) + "\n")
    (RESULTS / "yasa_distill.md").write_text(yd.to_markdown(res))
    return f"{path}: paired comparisons re-keyed, {n_removed} f1_macro values removed"


def main():
    for folder in sorted(p.parent for p in RESULTS.glob("*/results.json")):
        print(benchmark_folder(folder))
    print(model_speed())
    print(yasa_distill())
    for path in RESULTS.glob("sleepkd_variants*.json"):  # already macro_f1
        rows = json.loads(path.read_text())["rows"]
        assert all("macro_f1" in s for v in rows.values() for s in v), path
        print(f"{path}: keys already macro_f1 (sklearn default = metrics.macro_f1)")


if __name__ == "__main__":
    main()
