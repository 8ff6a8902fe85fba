"""Cost reports in braindecode_sleepkd.evaluation (the metrics: test_metrics.py)."""

import pytest
import torch
from torch import nn

from braindecode_sleepkd.evaluation import (
    ModelReport,
    compare_models,
    count_macs,
    model_report,
)
from braindecode_sleepkd.metrics import n_parameters, size_mib
from braindecode_sleepkd.models import make_sleep_model, preset


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
    assert rep.n_params == n_parameters(model)
    assert rep.seq_len == 3 and rep.macs > 0
    assert rep.latency_s > 0 and rep.throughput > 0
    # epochs per second: 4 sequences of 3 epochs per batch
    assert rep.throughput == pytest.approx(4 * 3 / rep.batch_seconds[4])
    assert rep.size_mib == pytest.approx(size_mib(model))
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
    assert rep.n_params == n_parameters(model)
    assert rep.macs > rep.n_params
