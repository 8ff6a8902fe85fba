"""Distillation that transfers: DIST, consistent views, unscored epochs, recipes,
diagnostics and learning-rate schedules."""

import numpy as np
import pytest
import torch
from helpers import TinySleepNet, make_data

from braindecode_sleepkd import SleepKDClassifier
from braindecode_sleepkd.distill import ConsistentViews
from braindecode_sleepkd.distill.losses import DISTLoss, HardCELoss
from braindecode_sleepkd.distill.recipes import RECIPES
from braindecode_sleepkd.distill.stage import DistillationStage
from braindecode_sleepkd.distill.strategies import make_strategy
from braindecode_sleepkd.splits import subject_valid_split


def _clf(**kw):
    params = dict(
        strategy="sleepkd", max_epochs=2, batch_size=8, verbose=0, random_state=0
    )
    params.update(kw)
    return SleepKDClassifier(TinySleepNet, None, TinySleepNet, **params)


# --- DIST ---------------------------------------------------------------------


def test_dist_loss_against_numpy_pearson():
    torch.manual_seed(0)
    s, t = torch.randn(2, 3, 5), torch.randn(2, 3, 5)
    inter, intra = DISTLoss(temperature=2.0)(s, t)
    ps = torch.softmax(s.reshape(-1, 5) / 2, -1).numpy()
    pt = torch.softmax(t.reshape(-1, 5) / 2, -1).numpy()
    rows = np.mean([1 - np.corrcoef(a, b)[0, 1] for a, b in zip(ps, pt)]) * 4
    cols = np.mean([1 - np.corrcoef(a, b)[0, 1] for a, b in zip(ps.T, pt.T)]) * 4
    assert inter.item() == pytest.approx(rows, abs=1e-5)
    assert intra.item() == pytest.approx(cols, abs=1e-5)
    # invariant to a positive affine change of the student's probabilities' relations
    assert [v.item() for v in DISTLoss()(t, t)] == pytest.approx([0.0, 0.0], abs=1e-6)


def test_dist_strategy_terms_and_fit():
    strategy = make_strategy("dist", inter_weight=2.0, intra_weight=0.5)
    assert strategy.weights() == {"inter": 2.0, "intra": 0.5, "hard": 1.0}
    X, y, _ = make_data(n_seq=16)
    clf = _clf(strategy="dist", recipe="paper").fit(X, y)
    cols = clf.histories_["student"][-1]
    assert {"train_loss_inter", "train_loss_intra", "train_loss_hard"} <= set(cols)
    assert "train_loss_soft" not in cols  # weight 0: not computed


# --- consistent views ---------------------------------------------------------


def test_views_mix_inputs_and_targets_with_the_same_weight():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, size=(6, 4))
    y[1, 2] = -1
    # each epoch's signal is its label (constant), so a mixed input's value is
    # the mean class index of its mixed target when both are mixed alike
    x = torch.as_tensor(np.clip(y, 0, None), dtype=torch.float32)[:, :, None, None]
    x = x.expand(6, 4, 1, 10).contiguous()
    views = ConsistentViews(max_shift=0, scale=(1, 1), mixup_alpha=1.0, seed=3)
    xv, yv = views(x, torch.as_tensor(y))
    assert xv.shape == x.shape and yv.shape == (6, 4, 5)
    scored = yv.sum(-1) > 0
    torch.testing.assert_close(yv.sum(-1)[scored], torch.ones(int(scored.sum())))
    mean_class = (yv * torch.arange(5.0)).sum(-1)
    torch.testing.assert_close(
        mean_class[scored], xv[..., 0, 0][scored], atol=1e-5, rtol=0
    )
    assert not torch.equal(xv, x)  # mixed with a permutation of the batch
    # the view of an unscored epoch is unscored, and so is its partner's view
    assert not scored[1, 2] and (~scored).sum() <= 2 and scored[:, [0, 1, 3]].all()


def test_views_are_reproducible_and_shift_across_epoch_boundaries():
    x = torch.arange(2 * 3 * 10, dtype=torch.float32).reshape(2, 3, 1, 10)
    y = torch.zeros(2, 3, dtype=torch.long)
    a = ConsistentViews(max_shift=0.3, scale=(1, 1), mixup_alpha=0, seed=1)(x, y)
    b = ConsistentViews(max_shift=0.3, scale=(1, 1), mixup_alpha=0, seed=1)(x, y)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], y)
    flat = a[0].reshape(2, 30)
    shift = [int((flat[i] - x[i].reshape(30)[0]).abs().argmin()) for i in range(2)]
    for i, k in enumerate(shift):  # a circular roll of the whole sequence
        assert torch.equal(flat[i], torch.roll(x[i].reshape(30), k))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(max_shift=1.5), "max_shift"),
        (dict(scale=(0, 1)), "scale"),
        (dict(mixup_alpha=-1), "mixup_alpha"),
    ],
)
def test_views_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ConsistentViews(**kwargs)


def test_guides_see_exactly_the_learners_view():
    torch.manual_seed(0)
    teacher, student = TinySleepNet(width=16), TinySleepNet(width=4)
    seen = {}

    def spy(model, key):
        original = model.forward_features

        def forward_features(x):
            seen[key] = x.clone()
            return original(x)

        model.forward_features = forward_features

    spy(teacher, "teacher")
    spy(student, "student")
    views = ConsistentViews(seed=0)
    stage = DistillationStage(
        student, {"teacher": teacher}, make_strategy("kd"), HardCELoss(), views
    )
    X, y, _ = make_data(n_seq=8)
    x = torch.as_tensor(X)
    out = stage(x, torch.as_tensor(y))
    assert torch.equal(seen["teacher"], seen["student"])
    assert not torch.equal(seen["student"], x)  # a view, not the input
    assert out.targets.ndim == 3  # mixed targets
    stage.train(False)  # no views when evaluating
    stage(x, torch.as_tensor(y))
    assert torch.equal(seen["student"], x)


def test_function_matching_runs_guides_live_and_mixes_targets():
    X, y, _ = make_data(n_seq=16)
    clf = _clf(strategy="kd", recipe="function_matching").fit(X, y)
    assert clf.histories_["student"][-1]["train_agreement"] >= 0
    assert clf.strategy_.weights() == {"soft": 1.0, "hard": 0.0}
    # the cache is not built when views apply: the guides run on every view
    cached = _clf(strategy="kd", recipe="authors").fit(X, y)
    assert not np.allclose(
        clf.predict_proba(X), cached.predict_proba(X)
    )  # different training inputs


# --- unscored epochs ------------------------------------------------------------


def test_unlabelled_sequences_get_only_the_distillation_terms():
    X, y, _ = make_data(n_seq=16)
    Xu, _, _ = make_data(n_seq=8, seed=5)
    clf = _clf(strategy="kd").fit(X, y, unlabelled=Xu)
    assert clf.n_unlabelled_ == 8
    # the student sees labelled and unscored sequences: 24 items per epoch
    batches = clf.histories_["student"][-1]["batches"]
    assert sum(b["train_batch_size"] for b in batches) == 24
    # a batch made only of unscored sequences has a zero hard term
    hard = HardCELoss()(torch.randn(2, 6, 5), torch.full((2, 6), -1))
    assert hard.item() == 0.0
    # the same fit without them differs
    alone = _clf(strategy="kd").fit(X, y)
    assert not np.allclose(alone.predict_proba(X), clf.predict_proba(X))


def test_minus_one_in_y_marks_unscored_epochs():
    X, y, _ = make_data(n_seq=16)
    y = y.copy()
    y[:4] = -1
    clf = _clf(strategy="kd").fit(X, y)
    acc = clf.score(X, y)
    pred = clf.predict(X)
    assert acc == pytest.approx(float((pred[4:] == y[4:]).mean()))


def test_every_epoch_unscored_with_a_teacher_to_train_is_refused():
    X, y, _ = make_data(n_seq=8)
    with pytest.raises(ValueError, match="Every epoch is unscored.*teacher"):
        _clf(strategy="kd").fit(X, np.full_like(y, -1))


def test_unlabelled_of_another_shape_is_refused():
    X, y, _ = make_data(n_seq=8)
    Xu, _, _ = make_data(n_seq=4, seq_len=3)
    with pytest.raises(ValueError, match="unlabelled sequences have shape"):
        _clf(strategy="kd").fit(X, y, unlabelled=Xu)


# --- recipes ---------------------------------------------------------------------


def test_recipes_fill_in_only_what_is_left_at_none():
    X, y, _ = make_data(n_seq=8)
    clf = _clf(recipe="authors", max_epochs=1).fit(X, y)
    assert clf.strategy_.weights() == {
        "epoch": 0.1,
        "seq": 0.1,
        "soft": 1.0,
        "hard": 0.0,
    }
    assert clf.strategy_.align == "pool" and not clf.strategy_.normalize_features
    clf = _clf(recipe="authors", gamma_soft=0.5, strategy__align="student_to_teacher")
    clf.initialize()
    assert clf.strategy_.weights()["soft"] == 0.5
    assert clf.strategy_.align == "student_to_teacher"
    fm = _clf(recipe="function_matching")
    fm.initialize()
    assert fm.strategy_.weights() == {
        "epoch": 0.1,
        "seq": 0.1,
        "soft": 1.0,
        "hard": 0,
    }
    assert fm.strategy_.align == "pool"
    # the default recipe is the paper's
    default = _clf()
    default.initialize()
    assert default.recipe == "paper"
    assert default.strategy_.weights() == {
        "epoch": 0.3,
        "seq": 0.2,
        "soft": 0.4,
        "hard": 0.1,
    }
    assert default.strategy_.align == "student_to_teacher"
    assert default.strategy_.normalize_features
    assert set(RECIPES) == {"paper", "authors", "function_matching"}


def test_unknown_recipe_lists_the_valid_ones():
    with pytest.raises(
        ValueError, match="valid recipes are: paper, authors, function_matching"
    ):
        _clf(recipe="best").initialize()


# --- diagnostics and schedules ------------------------------------------------------


def test_history_records_gradient_shares_agreement_and_kappa():
    X, y, groups = make_data(n_seq=24)
    clf = _clf(train_split=subject_valid_split(0.25, random_state=0), recipe="paper")
    clf.fit(X, y, groups=groups)
    row = clf.histories_["student"][-1]
    shares = {k: v for k, v in row.items() if k.startswith("grad_share_")}
    assert set(shares) == {f"grad_share_{t}" for t in ("epoch", "seq", "soft", "hard")}
    assert sum(shares.values()) == pytest.approx(1.0)
    for key in ("train_agreement", "valid_agreement", "valid_kappa", "train_acc"):
        assert key in row and -1 <= row[key] <= 1
    assert "train_agreement" not in clf.histories_["teacher"][-1]  # no guide


@pytest.mark.parametrize("schedule", ["cosine", "onecycle"])
def test_lr_schedules_anneal_over_each_stage(schedule):
    X, y, _ = make_data(n_seq=16)
    clf = _clf(strategy="kd", lr_schedule=schedule, max_epochs=3).fit(X, y)
    lrs = [g["lr"] for g in clf.optimizer_.param_groups]
    assert max(lrs) < 1e-3 * 0.5  # annealed by the end of the student stage
    hist = clf.histories_["teacher"]
    if schedule == "cosine":  # one step per epoch, down from lr
        assert hist[-1]["event_lr"] < hist[0]["event_lr"]
    else:  # one step per batch: warm up, then down
        lrs = [b["event_lr"] for row in hist for b in row["batches"]]
        assert max(lrs) > lrs[0] and lrs[-1] < max(lrs)


def test_unknown_lr_schedule_is_refused_before_training():
    X, y, _ = make_data(n_seq=8)
    with pytest.raises(ValueError, match="lr_schedule must be one of"):
        _clf(lr_schedule="linear").fit(X, y)
