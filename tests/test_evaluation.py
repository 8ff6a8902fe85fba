"""Scores and cost reports in braindecode_sleepkd.evaluation."""

import numpy as np
import pytest
import torch
from sklearn import metrics
from torch import nn

from braindecode_sleepkd.evaluation import (
    ModelReport,
    compare_models,
    count_macs,
    count_params,
    model_report,
    model_size_mb,
    sleep_scores,
)
from braindecode_sleepkd.models import make_sleep_model, preset


def test_sleep_scores_hand_made():
    # (n_seq=2, seq_len=4); class 4 (REM) never occurs.
    y_true = np.array([[0, 0, 1, 2], [2, 2, 3, 1]])
    y_pred = np.array([[0, 1, 1, 2], [2, 3, 3, 1]])
    s = sleep_scores(y_true, y_pred)
    assert s["n_samples"] == 8
    assert s["accuracy"] == pytest.approx(6 / 8)
    # per class F1: W 2/3, N1 0.8, N2 0.8, N3 2/3, REM 0
    f1 = [2 / 3, 0.8, 0.8, 2 / 3, 0.0]
    assert list(s["per_class_f1"]) == ["W", "N1", "N2", "N3", "REM"]
    np.testing.assert_allclose(list(s["per_class_f1"].values()), f1)
    assert s["macro_f1"] == pytest.approx(np.mean(f1[:4]))
    assert s["macro_f1_all"] == pytest.approx(np.mean(f1))
    assert s["kappa"] == pytest.approx(
        metrics.cohen_kappa_score(y_true.ravel(), y_pred.ravel())
    )
    # kappa by hand: p_o = 0.75, p_e = sum(row * col) / 64 = 16 / 64
    assert s["kappa"] == pytest.approx((0.75 - 0.25) / 0.75)
    expected_cm = np.zeros((5, 5), dtype=int)
    for t, p in zip(y_true.ravel(), y_pred.ravel(), strict=True):
        expected_cm[t, p] += 1
    np.testing.assert_array_equal(s["confusion_matrix"], expected_cm)


def test_sleep_scores_other_class_counts_and_errors():
    s = sleep_scores([0, 1, 2], [0, 1, 1], n_classes=3)
    assert list(s["per_class_f1"]) == ["0", "1", "2"]
    assert s["confusion_matrix"].shape == (3, 3)
    with pytest.raises(ValueError, match="3 and 2"):
        sleep_scores([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="class names"):
        sleep_scores([0], [0], n_classes=2, class_names=["a"])


def test_params_and_size_vs_manual_sum():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    model[0].weight.requires_grad_(False)
    assert count_params(model) == 12 + 4 + 4 + 4
    assert count_params(model, trainable_only=True) == 4 + 4 + 4
    # buffers: running mean/var (4 + 4 floats); num_batches_tracked is an int
    assert model_size_mb(model) == pytest.approx((24 + 8) * 4 / 1e6)


def test_macs_by_hand():
    conv = nn.Conv1d(2, 3, 5, stride=5)  # (n, 2, 50) -> (n, 3, 10)
    lin = nn.Linear(30, 7)
    model = nn.Sequential(conv, nn.Flatten(1), lin)
    assert count_macs(model, torch.zeros(4, 2, 50)) == 3 * 10 * 2 * 5 + 30 * 7

    lstm = nn.LSTM(6, 5, batch_first=True, bidirectional=True)

    class Wrap(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = lstm

        def forward(self, x):
            return self.lstm(x)[0]

    # per step: 2 directions * 4 gates * 5 * (6 + 5); 3 steps
    assert count_macs(Wrap(), torch.zeros(2, 3, 6)) == 3 * 2 * 4 * 5 * 11


def _tiny(units):
    encoder = nn.Sequential(
        nn.Conv1d(1, 4, 10, stride=10), nn.AdaptiveAvgPool1d(1), nn.Flatten(1)
    )
    return make_sleep_model(encoder, 1, 100, units=units)


def test_model_report_fields_and_mode_restored():
    model = _tiny(4).train()
    x = torch.randn(2, 3, 1, 100)
    rep = model_report(model, x, n_repeats=2, batch_sizes=(1, 4), n_warmup=0)
    assert isinstance(rep, ModelReport)
    assert model.training
    assert rep.n_params == count_params(model)
    assert rep.seq_len == 3 and rep.macs > 0
    assert rep.latency_s > 0 and rep.throughput > 0
    assert rep.throughput == pytest.approx(4 / rep.batch_seconds[4])
    d = rep.as_dict()
    assert d["batch_seconds"].keys() == d["best_batch_seconds"].keys() == {"1", "4"}
    assert rep.best_batch_seconds[4] <= rep.batch_seconds[4]
    assert model_report(model, x, batch_sizes=()).latency_s is None


def test_compare_models_ratios():
    models = {"big": _tiny(16), "small": _tiny(2)}
    out = compare_models(models, torch.randn(1, 2, 1, 100), n_repeats=2, n_warmup=0)
    assert out["big"]["compression"] == 1.0 and out["big"]["speedup_latency"] == 1.0
    n_big, n_small = out["big"]["n_params"], out["small"]["n_params"]
    assert out["small"]["compression"] == pytest.approx(n_big / n_small)
    assert out["small"]["param_ratio"] == pytest.approx(n_small / n_big)
    assert out["small"]["speedup_throughput"] == pytest.approx(
        out["small"]["throughput"] / out["big"]["throughput"]
    )
    assert out["small"]["speedup_throughput_best"] > 0
    with pytest.raises(ValueError, match="reference"):
        compare_models(models, torch.randn(1, 2, 1, 100), reference="x")


def test_report_on_a_preset():
    model = preset("salient", "student", sfreq=50)
    rep = model_report(model, torch.randn(1, 2, 1, 1500), batch_sizes=())
    assert rep.n_params == count_params(model)
    assert rep.macs > rep.n_params
