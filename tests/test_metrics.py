"""The one metrics module: scores against sklearn and by hand, size, timer, stats."""

import warnings

import numpy as np
import pytest
import torch
from sklearn import metrics as skm
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score, cross_validate
from torch import nn

from braindecode_sleepkd.metrics import (
    SCORERS,
    STAGE_LABELS,
    accuracy,
    f1_per_class,
    inference_speed,
    kappa,
    macro_f1,
    macro_f1_scorer,
    n_parameters,
    paired_comparison,
    scores,
    size_mib,
    time_calls,
)

# 8 epochs as (n_seq=2, seq_len=4); REM (4) is in neither array.
Y_TRUE = np.array([[0, 0, 1, 2], [2, 2, 3, 1]])
Y_PRED = np.array([[0, 1, 1, 2], [2, 3, 3, 1]])
# by hand: W 2/3 (tp 1, fn 1), N1 0.8 (tp 2, fp 1), N2 0.8 (tp 2, fn 1),
# N3 2/3 (tp 1, fp 1), REM 0 / 0
F1_BY_HAND = [2 / 3, 0.8, 0.8, 2 / 3]


def test_macro_f1_by_hand_and_absent_stage_left_out():
    assert macro_f1(Y_TRUE, Y_PRED) == pytest.approx(np.mean(F1_BY_HAND))
    per_class = f1_per_class(Y_TRUE, Y_PRED)
    assert list(per_class) == ["W", "N1", "N2", "N3", "REM"]
    np.testing.assert_allclose(list(per_class.values())[:4], F1_BY_HAND)
    assert np.isnan(per_class["REM"])  # absent from both: no F1
    # the same as sklearn's default (labels present in either array) ...
    yt, yp = Y_TRUE.ravel(), Y_PRED.ravel()
    assert macro_f1(Y_TRUE, Y_PRED) == pytest.approx(
        skm.f1_score(yt, yp, average="macro")
    )
    # ... and not the mean over five with REM as 0
    assert macro_f1(Y_TRUE, Y_PRED) != pytest.approx(np.sum(F1_BY_HAND) / 5)


def test_macro_f1_counts_a_stage_predicted_but_absent_from_y_true():
    y_true = np.array([2, 2, 2, 0])
    y_pred = np.array([2, 2, 4, 0])  # REM predicted once, never true
    # W 1, N2 0.8, REM 0 (counts); N1, N3 absent from both (left out)
    assert macro_f1(y_true, y_pred) == pytest.approx((1 + 0.8 + 0) / 3)
    assert f1_per_class(y_true, y_pred)["REM"] == 0
    assert macro_f1(y_true, y_pred) == pytest.approx(
        skm.f1_score(y_true, y_pred, labels=STAGE_LABELS, average="macro",
                     zero_division=np.nan)
    )  # fmt: skip


def test_scores_agree_with_sklearn_on_random_labels():
    rng = np.random.default_rng(0)
    yt, yp = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
    s = scores(yt, yp)
    assert s["accuracy"] == pytest.approx(skm.accuracy_score(yt, yp))
    assert s["macro_f1"] == pytest.approx(skm.f1_score(yt, yp, average="macro"))
    assert s["kappa"] == pytest.approx(skm.cohen_kappa_score(yt, yp))
    np.testing.assert_array_equal(s["confusion"], skm.confusion_matrix(yt, yp))
    assert s["n_epochs"] == 200


def test_kappa_by_hand_and_undefined():
    # p_o = 6 / 8; p_e = sum(true count * pred count) / 64 = 16 / 64
    assert kappa(Y_TRUE, Y_PRED) == pytest.approx((0.75 - 0.25) / 0.75)
    assert kappa([0, 0, 2, 2], [2, 2, 0, 0]) == pytest.approx(-1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(kappa([2, 2, 2], [2, 2, 2]))  # p_e = 1: undefined


def test_scores_dict_and_probability_targets():
    s = scores(Y_TRUE, Y_PRED)
    assert s["accuracy"] == pytest.approx(6 / 8) == accuracy(Y_TRUE, Y_PRED)
    expected = np.zeros((5, 5), dtype=int)
    np.add.at(expected, (Y_TRUE.ravel(), Y_PRED.ravel()), 1)
    assert s["confusion"] == expected.tolist()
    proba = np.eye(5)[Y_TRUE] * 0.7 + 0.06  # (2, 4, 5), argmax = Y_TRUE
    assert macro_f1(proba, Y_PRED) == macro_f1(Y_TRUE, Y_PRED)


@pytest.mark.parametrize(
    "y_true, y_pred, match",
    [
        ([0, 1, 2], [0, 1], "3 and 2 labels"),
        ([], [], "empty"),
        ([0, 5], [0, 1], r"y_true holds labels \[5\] outside the stages"),
        ([0, 1], [-1, 1], r"y_pred holds labels \[-1\].*unlabelled"),
    ],
)
def test_bad_labels_are_refused(y_true, y_pred, match):
    for fn in (macro_f1, kappa, accuracy, scores):
        with pytest.raises(ValueError, match=match):
            fn(y_true, y_pred)


def test_size_in_mib_and_parameters():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    model[0].weight.requires_grad_(False)
    assert n_parameters(model) == 12 + 4 + 4 + 4
    assert n_parameters(model, trainable_only=True) == 4 + 4 + 4
    # 24 float32 parameters, 8 float32 running stats, 1 int64 counter
    assert size_mib(model) == (24 * 4 + 8 * 4 + 8) / 2**20
    assert size_mib(model.double()) == (24 * 8 + 8 * 8 + 8) / 2**20
    assert size_mib(nn.Linear(1024, 256, bias=False)) == 1.0  # 2**18 floats


def test_time_calls_runs_in_turn():
    order = []
    t = time_calls(
        {"a": lambda: order.append("a"), "b": lambda: order.append("b")},
        n_repeats=3,
        n_warmup=1,
    )
    assert order == ["a", "b"] * 4
    assert t["a"].shape == t["b"].shape == (3,) and (t["a"] >= 0).all()
    with pytest.raises(ValueError, match="n_repeats"):
        time_calls({"a": lambda: None}, n_repeats=0)


class _Majority(BaseEstimator, ClassifierMixin):
    """Predicts one stage (the most frequent in training when None) everywhere."""

    def __init__(self, stage=None):
        self.stage = stage

    def fit(self, X, y):
        counts = np.bincount(np.asarray(y).ravel(), minlength=5)
        self.stage_ = int(counts.argmax()) if self.stage is None else self.stage
        self.classes_ = np.arange(5)
        return self

    def predict(self, X):
        return np.full(np.asarray(X).shape[:2], self.stage_)


def test_inference_speed_epochs_per_second_and_modes():
    model = nn.Sequential(nn.Flatten(2), nn.Linear(20, 5)).train()
    x = torch.randn(3, 4, 1, 20)
    out = inference_speed(
        {"net": model, "majority": _Majority().fit(x, [[2]])},
        x,
        batch_sizes=(1, 6),
        n_repeats=3,
        n_warmup=0,
    )
    assert model.training  # restored
    for name in ("net", "majority"):
        for b in (1, 6):
            r = out[name][b]
            assert 0 < r["best_s"] <= r["median_s"]
            assert r["epochs_per_s"] == pytest.approx(b * 4 / r["median_s"])
            assert r["best_epochs_per_s"] == pytest.approx(b * 4 / r["best_s"])
    with pytest.raises(TypeError, match="Cannot time a str"):
        inference_speed({"x": "model"}, x, (1,))
    with pytest.raises(ValueError, match="n_seq, seq_len, n_chans, n_times"):
        inference_speed({"net": model}, torch.randn(4, 20), (1,))


def test_paired_comparison_known_case():
    b = np.array([0.70, 0.72, 0.68, 0.75, 0.71, 0.73])
    d = np.array([0.02, 0.03, 0.01, 0.04, 0.02, 0.03])
    c = paired_comparison(b + d, b, n_boot=2000, seed=3)
    assert c["n"] == c["n_positive"] == 6
    assert c["mean_diff"] == pytest.approx(0.025)
    # sd = sqrt(550e-6 / 5), t(0.975, 5) = 2.5706: half width 0.011006
    assert c["ci_low"] == pytest.approx(0.025 - 0.011006, abs=1e-6)
    assert c["ci_high"] == pytest.approx(0.025 + 0.011006, abs=1e-6)
    assert c["p_wilcoxon"] == pytest.approx(2 / 2**6)  # all 6 positive, exact
    assert 0.01 <= c["boot_low"] < 0.025 < c["boot_high"] <= 0.04
    assert paired_comparison(b + d, b, n_boot=2000, seed=3) == c  # seeded
    assert paired_comparison(b + d, b, n_boot=2000, seed=4) != c


def test_paired_comparison_edge_cases():
    const = paired_comparison([0.6, 0.7, 0.8], [0.5, 0.6, 0.7])
    assert const["boot_low"] == pytest.approx(0.1) == const["boot_high"]
    assert np.isnan(paired_comparison([0.5, 0.6], [0.5, 0.6])["p_wilcoxon"])
    one = paired_comparison([0.5], [0.4])
    assert one["mean_diff"] == pytest.approx(0.1) and one["n"] == 1
    assert all(np.isnan(one[k]) for k in ("ci_low", "boot_high", "p_wilcoxon"))
    dropped = paired_comparison([0.5, np.nan, 0.7], [0.4, 0.1, 0.5])
    assert dropped["n"] == 2 and dropped["mean_diff"] == pytest.approx(0.15)
    with pytest.raises(ValueError, match="not paired"):
        paired_comparison([1, 2], [1])


def test_scorer_in_cross_val_score_matches_the_metric():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int) * 2 + (X[:, 1] > 1)  # stages 0..3, no REM
    cv = KFold(3, shuffle=True, random_state=0)
    est = LogisticRegression(max_iter=200)
    got = cross_val_score(est, X, y, cv=cv, scoring=macro_f1_scorer)
    expected = [
        macro_f1(y[te], est.fit(X[tr], y[tr]).predict(X[te])) for tr, te in cv.split(X)
    ]
    np.testing.assert_allclose(got, expected)
    res = cross_validate(est, X, y, cv=cv, scoring=SCORERS)
    assert {"test_accuracy", "test_macro_f1", "test_kappa"} <= set(res)
    np.testing.assert_allclose(res["test_macro_f1"], expected)


def test_scorer_in_grid_search_on_sequence_labels():
    # labels of shape (n_seq, seq_len), which sklearn's "f1_macro" cannot score
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 4, 1, 5))
    y = np.where(rng.random((12, 4)) < 0.7, 2, 0)
    grid = GridSearchCV(
        _Majority(), {"stage": [0, 2]}, cv=KFold(3), scoring=macro_f1_scorer
    )
    grid.fit(X, y)
    folds = [macro_f1(y[te], np.full((4, 4), 2)) for _, te in KFold(3).split(X)]
    assert grid.best_score_ == pytest.approx(np.mean(folds))
    assert grid.best_params_ == {"stage": 2}
