"""The evaluation matrix of issue 26: its decision rule, its tables, its command."""

import importlib.util
import json
import time
from pathlib import Path

import pytest
from lib import matrix as mx

from braindecode_sleepkd import SleepKDClassifier
from braindecode_sleepkd.distill.recipes import recipe_settings
from braindecode_sleepkd.distill.strategies import make_strategy

SCRIPT = Path(__file__).parents[1] / "benchmarks" / "matrix.py"


def entry(mean_diff, ci_high=None):
    """A summary cell: paired difference and the upper end of its interval."""
    ci_high = mean_diff + 0.05 if ci_high is None else ci_high
    return dict(mean_diff=mean_diff, ci_low=mean_diff - 0.05, ci_high=ci_high)


def test_decide_rejects_a_row_significantly_below_alone_despite_best_mean():
    summary = {
        "r1": {"alone": {"score": 0.5}, "a": entry(0.20), "b": entry(0.01)},
        "r2": {"a": entry(-0.03, ci_high=-0.01), "b": entry(0.0)},
    }
    out = mx.decide(summary)
    assert out["choice"] == "b" and out["qualified"]
    assert out["table"]["a"]["mean"] > out["table"]["b"]["mean"]
    assert out["table"]["a"]["below"] == ["r2"]
    assert (
        "significantly below" in out["rejected"]["a"] and "r2" in out["rejected"]["a"]
    )


def test_decide_maximin_then_ties_by_mean():
    summary = {
        "r1": {"a": entry(0.10), "b": entry(0.02), "c": entry(0.02)},
        "r2": {"a": entry(-0.01), "b": entry(0.03), "c": entry(0.05)},
    }
    out = mx.decide(summary)
    # a has the best mean but the worst case -0.01; b and c tie at +0.02
    assert out["choice"] == "c"
    assert list(out["table"]) == ["c", "b", "a"]
    assert "lower mean" in out["rejected"]["b"]
    assert "worst case" in out["rejected"]["a"]
    assert out["loses_in"] == []


def test_decide_without_a_qualifying_row():
    summary = {
        "r1": {"a": entry(-0.10, -0.02), "b": entry(0.05)},
        "r2": {"a": entry(0.02), "b": entry(-0.20, -0.10)},
    }
    out = mx.decide(summary)
    assert not out["qualified"]
    assert out["choice"] == "a"  # worst case -0.10 beats -0.20
    assert out["loses_in"] == ["r1"]
    assert "b" in out["rejected"] and "a" not in out["rejected"]


def test_decide_needs_every_regime_and_clear_errors():
    out = mx.decide({"r1": {"a": entry(0.1), "b": entry(0.0)}, "r2": {"b": entry(0)}})
    assert out["choice"] == "b" and "not measured in r2" in out["rejected"]["a"]
    with pytest.raises(ValueError, match="at least one regime"):
        mx.decide({})
    with pytest.raises(ValueError, match="distillation row"):
        mx.decide({"r1": {"alone": {"score": 0.3}}})
    with pytest.raises(ValueError, match="unknown rows"):
        mx.check_names(["kd", "nope"], mx.ROWS, "rows")


@pytest.mark.parametrize("regime", list(mx.REGIMES))
def test_every_row_is_a_valid_estimator_configuration(regime):
    cfg = mx.Config()
    assert mx.REGIMES[regime].student in mx.STUDENTS
    assert mx.REGIMES[regime].teacher in ("own", "yasa", "gssc")
    for row in mx.ROWS:
        params = dict(
            mx.row_params(row, mx.REGIMES[regime]), **mx.training_params(cfg, 0)
        )
        clf = SleepKDClassifier(
            "deepsleepnet", "deepsleepnet", "deepsleepnet", **params
        )
        names = ("alpha_epoch", "beta_seq", "gamma_soft", "delta_hard", "temperature")
        shared = recipe_settings(clf.recipe, **{k: getattr(clf, k) for k in names})
        strategy = make_strategy(clf.strategy, shared=dict(shared, seed=0))
        assert strategy.links(True)
        assert clf.get_params()["strategy"] == mx.ROWS[row].strategy
    assert mx.ROWS["sleepkd_fm_hard"].estimator_params()["delta_hard"] == 0.1


def test_quick_run_resumes_without_refitting(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("matrix_script", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    fits = []
    fit_record = mx.gap.fit_record
    monkeypatch.setattr(
        mx.gap, "fit_record", lambda *a, **k: fits.append(1) or fit_record(*a, **k)
    )
    args = ["--quick", "--regimes", "a_narrow", "--rows", "alone", "kd"]
    args += ["--out", str(tmp_path), "--work", str(tmp_path / "work")]
    t0 = time.time()
    res = script.main(args)
    first = time.time() - t0
    keys = {"simulated|narrow|split0|seed0|alone", "a_narrow|split0|seed0|kd"}
    assert set(res["runs"]) == keys and len(fits) == 2
    saved = json.loads((tmp_path / "matrix.json").read_text())
    assert set(saved) >= {"meta", "runs", "summary"}
    assert set(saved["summary"]) == {"kappa", "macro_f1", "decision"}
    kd = saved["summary"]["kappa"]["a_narrow"]["kd"]
    assert set(kd) >= {"score", "mean_diff", "ci_high", "gap_closed", "n_units"}
    assert saved["summary"]["decision"]["choice"] == "kd"
    md = (tmp_path / "matrix.md").read_text()
    assert "Worst case over regimes" in md and "KD, paper weights" in md
    t0 = time.time()
    again = script.main(args)  # everything is done: nothing is fitted again
    assert len(fits) == 2 and again["runs"].keys() == keys
    assert time.time() - t0 < first
    script.main(["--report", "--out", str(tmp_path)])
    assert len(fits) == 2
    merged = ["--merge", "matrix", "--name", "merged", "--out", str(tmp_path)]
    assert script.main(["--report", *merged])["runs"].keys() == keys
    assert (tmp_path / "merged.md").exists()
    with pytest.raises(SystemExit):  # other sizes in the same file: refused
        script.main([*args[1:-2], "--work", str(tmp_path / "w2")])


def test_merge_unites_parts_and_refuses_other_sizes():
    meta = dict(config={"max_epochs": 40}, commands=["c1"], regimes=["a_narrow"])
    one = {"meta": dict(meta, rows=["alone", "kd"]), "runs": {"k1": {"kappa": 0.1}}}
    two = {
        "meta": dict(meta, commands=["c2"], regimes=["c_dreams"], rows=["dist"]),
        "runs": {"k2": {"kappa": 0.2}},
    }
    out = mx.merge([one, two])
    assert out["runs"].keys() == {"k1", "k2"}
    assert out["meta"]["regimes"] == ["a_narrow", "c_dreams"]
    assert out["meta"]["rows"] == ["alone", "kd", "dist"]
    assert out["meta"]["commands"] == ["c1", "c2"]
    two["meta"]["config"] = {"max_epochs": 1}
    with pytest.raises(ValueError, match="different sizes"):
        mx.merge([one, two])


def test_report_leaves_out_a_regime_whose_only_records_are_the_shared_alone():
    # a_narrow and b_narrow_8 share the student alone; only a_narrow ran a row
    runs = {}
    for seed, (alone, kd) in enumerate([(0.50, 0.55), (0.52, 0.56), (0.48, 0.55)]):
        teacher = {"kappa": 0.6, "macro_f1": 0.6}
        unit = (0, seed)
        runs[mx.run_key("a_narrow", mx.REGIMES["a_narrow"], unit, "alone")] = dict(
            kappa=alone, macro_f1=alone, epochs=10
        )
        runs[mx.run_key("a_narrow", mx.REGIMES["a_narrow"], unit, "kd")] = dict(
            kappa=kd, macro_f1=kd, epochs=12, teacher=teacher
        )
    lines, summary = mx.report_lines(runs, ["a_narrow", "b_narrow_8"], ["kd"])
    assert list(summary["kappa"]) == ["a_narrow"]
    assert "Not run (no distillation record): b_narrow_8." in lines
    decision = summary["decision"]
    assert decision["choice"] == "kd" and decision["qualified"]
    assert decision["table"]["kd"]["worst"] == pytest.approx(0.16 / 3)
