"""Benchmark tooling: statistics, metrics, folds, baselines, the CLI end to end."""

import json

import numpy as np
import pytest

from braindecode_sleepkd.cli import main
from braindecode_sleepkd.datasets.paths import data_path
from braindecode_sleepkd.evaluation import data as bdata
from braindecode_sleepkd.evaluation.baselines import (
    BandPowerLogReg,
    MajorityClass,
    band_power_features,
)
from braindecode_sleepkd.evaluation.runner import _class_weights
from braindecode_sleepkd.evaluation.splits import subject_folds
from braindecode_sleepkd.evaluation.stats import compare_all, summarize

# where the package finds the data: $SLEEPKD_DATA, else ../shared/data
DREAMS_DIR = data_path(must_exist=False) / "dreams-spindles"
TINY = json.dumps(
    {
        "teacher": {"lstm_units": 16, "n_filters_1": 8, "n_filters_2": 16},
        "assistant": {"lstm_units": 12, "n_filters_1": 4, "n_filters_2": 8},
        "student": {"lstm_units": 8, "n_filters_1": 4, "n_filters_2": 8},
    }
)


def test_compare_all_pairs_on_fold_and_seed():
    runs = [
        {"method": m, "fold": f, "seed": 0, "kappa": k}
        for m, ks in {"scratch": [0.5, 0.6], "kd": [0.6, 0.8]}.items()
        for f, k in enumerate(ks)
    ]
    out = compare_all(runs, ["scratch"], ["kappa"])
    assert out["kd"]["vs_scratch"]["kappa"]["mean_diff"] == pytest.approx(0.15)
    assert out["scratch"]["vs_scratch"]["kappa"]["mean_diff"] == 0


def test_summarize_ignores_nan_and_aggregates_per_stage():
    runs = [
        {"method": "kd", "macro_f1": 0.5, "f1_per_class": {"W": 0.2, "REM": None}},
        {"method": "kd", "macro_f1": 0.7, "f1_per_class": {"W": 0.4, "REM": 0.6}},
    ]
    s = summarize(runs, ["macro_f1"])["kd"]
    assert s["macro_f1"] == pytest.approx({"mean": 0.6, "std": 0.1 * 2**0.5, "n": 2})
    assert s["f1_per_class"]["REM"] == {"mean": 0.6, "std": 0.0, "n": 1}


def test_subject_folds_are_disjoint_and_cover():
    subjects = np.repeat(np.arange(7), 3)
    folds = subject_folds(subjects, 3, seed=1)
    tests = np.concatenate([te for _, te in folds])
    assert sorted(tests) == list(range(7))
    for tr, te in folds:
        assert not set(tr) & set(te)
    with pytest.raises(ValueError, match="folds"):
        subject_folds(subjects, 8)


def test_robust_scaling_per_recording():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 2, 1, 60)).astype(np.float32)
    X[2:] = X[2:] * 50 + 7
    Xs = bdata.robust_scale_per_recording(X, np.array([0, 0, 1, 1]))
    for rec in (slice(0, 2), slice(2, 4)):
        q25, med, q75 = np.percentile(Xs[rec], [25, 50, 75])
        assert med == pytest.approx(0, abs=1e-5) and q75 - q25 == pytest.approx(1)


def test_baselines_on_band_limited_signals():
    rng = np.random.default_rng(0)
    t = np.arange(3000) / 100
    y = rng.integers(0, 2, size=(12, 4)) * 3  # W (alpha) or N3 (delta)
    freq = np.where(y == 0, 10.0, 2.0)
    X = np.sin(2 * np.pi * freq[..., None] * t)[:, :, None, :]
    X = (X + 0.3 * rng.normal(size=X.shape)).astype(np.float32)
    assert band_power_features(X, 100.0).shape == (48, 11)
    clf = BandPowerLogReg(sfreq=100.0).fit(X[:8], y[:8])
    assert (clf.predict(X[8:]) == y[8:]).mean() > 0.9
    assert MajorityClass().fit(X, y).predict(X).shape == y.shape


def test_class_weights_balanced():
    w = _class_weights(np.array([2] * 8 + [0] * 2), "balanced")
    assert w.mean() == pytest.approx(1.0, rel=0.5) and w[0] > w[2]
    assert w[1] == 1.0 or w[1] <= 10
    assert _class_weights(np.array([1, 2]), "none") is None


def test_cli_errors(capsys):
    assert main(["benchmark", "--dataset", "isruc", "--out", "x"]) == 2
    assert "ISRUC" in capsys.readouterr().err
    assert main(["benchmark", "--methods", "majority,bogus"]) == 2
    assert "bogus" in capsys.readouterr().err
    assert main(["benchmark", "--config", "/nonexistent.json"]) == 2


@pytest.mark.skipif(not DREAMS_DIR.is_dir(), reason="DREAMS excerpts absent")
def test_benchmark_sample_end_to_end(tmp_path):
    out = tmp_path / "bench"
    argv = [
        "benchmark", "--dataset", "sample", "--folds", "2", "--seeds", "1",
        "--max-epochs", "1", "--seq-len", "5", "--quiet", "--out", str(out),
        "--n-recordings", "4",
        "--methods", "majority,bandpower,teacher,scratch,sleepkd",
        "--model-overrides", TINY,
    ]  # fmt: skip
    assert main(argv) == 0
    for name in ("results.json", "results.md", "command.txt", "confusion.png",
                 "hypnogram.png", "fold_differences.png"):  # fmt: skip
        assert (out / name).is_file(), name
    res = json.loads((out / "results.json").read_text())
    methods = ["majority", "bandpower", "teacher", "scratch", "sleepkd"]
    assert list(res["summary"]) == methods
    assert len(res["runs"]) == 2 * len(methods)
    assert res["data"]["n_recordings"] == 4 and not res["data"]["simulated"]
    assert 0 < res["data"]["n_epochs"] <= 360
    for fold in res["folds"]:
        assert not set(fold["train_subjects"]) & set(fold["test_subjects"])
    for run in res["runs"]:
        for key in ("accuracy", "macro_f1", "kappa"):
            assert np.isfinite(run[key]) and -1 <= run[key] <= 1, (run["method"], key)
        assert np.sum(run["confusion"]) > 0
    for m in methods:
        cost = res["cost"][m]
        assert cost["params"] > 0 and cost["throughput"] > 0
        assert cost["latency_ms"] >= 0
        for ref in ("vs_scratch", "vs_sleepkd"):
            c = res["comparisons"][m][ref]["kappa"]
            assert c["n"] == 2 and np.isfinite(c["mean_diff"])
            assert c["boot_low"] <= c["mean_diff"] <= c["boot_high"]
    assert res["cost"]["teacher"]["speedup"] == pytest.approx(1.0)
    assert res["cost"]["teacher"]["size_mib"] > res["cost"]["sleepkd"]["size_mib"] > 0
    assert res["cost"]["sleepkd"]["params"] < res["cost"]["teacher"]["params"]
    assert res["goals"]["n_distillation_methods"] == 1
    md = (out / "results.md").read_text()
    assert "| Method | Accuracy | Macro-F1 | Kappa |" in md and "Wilcoxon" in md
    assert "Size (MiB)" in md
    assert "sleepkd benchmark" in (out / "command.txt").read_text()
    # the teachers are cached: a second run loads them
    assert len(list((out / "teacher-cache").glob("teacher-*.pt"))) == 2


def test_evenly_spaced_sequences_per_recording():
    recordings = np.repeat([0, 1, 2], [10, 3, 6])
    keep = bdata.evenly_spaced(recordings, 4)
    assert np.bincount(recordings[keep]).tolist() == [4, 3, 4]
    assert keep[0] == 0 and keep[3] == 9  # first and last of recording 0
