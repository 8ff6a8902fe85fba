"""SleepKDClassifier: staged fitting, losses, caching, errors, determinism, resume."""

import numpy as np
import pytest
import torch
from helpers import TinySleepNet
from sklearn.exceptions import NotFittedError
from skorch.callbacks import Callback
from skorch.exceptions import NotInitializedError

from braindecode_sleepkd.distill import strategies
from braindecode_sleepkd.estimator import SleepKDClassifier

BIG = dict(teacher__width=16, teacher__units=16, assistant__width=12)


def make_clf(**kw):
    params = dict(max_epochs=2, random_state=0, verbose=0, batch_size=16, **BIG)
    params.update({"strategy": "sleepkd", **kw})
    return SleepKDClassifier(TinySleepNet, TinySleepNet, TinySleepNet, **params)


@pytest.fixture(scope="module")
def fitted(data):
    X, y, _ = data
    return make_clf().fit(X, y)


def test_fit_predict_shapes_and_stages(fitted, data):
    X, y, _ = data
    assert fitted.predict(X).shape == y.shape
    proba = fitted.predict_proba(X)
    assert proba.shape == (*y.shape, 5)
    np.testing.assert_allclose(proba.sum(-1), 1.0, atol=1e-5)
    assert 0.0 <= fitted.score(X, y) <= 1.0
    assert [s.split(":")[0] for s in fitted.stages_] == [
        "teacher",
        "assistant",
        "student",
    ]
    assert set(fitted.histories_) == {"teacher", "assistant", "student"}
    assert fitted.module_ is fitted.student_
    assert fitted.teacher_.width == 16 and fitted.student_.width == 8
    assert fitted.history_[-1, "stage"] == "student"
    assert fitted.histories_["teacher"][-1, "stage"] == "teacher"


def test_total_loss_is_sum_of_logged_weighted_terms(fitted):
    hist = fitted.histories_["student"]
    for batch in hist[-1, "batches"]:
        # the default recipe (paper) has all four terms
        terms = ("epoch", "seq", "soft", "hard")
        assert {f"train_loss_{k}" for k in terms} <= set(batch)
        total = sum(batch[f"train_loss_{k}"] for k in terms)
        assert batch["train_loss"] == pytest.approx(total, rel=1e-5)
    # epoch values: batch-size-weighted means, by skorch's PassthroughScoring
    sizes = [b["train_batch_size"] for b in hist[-1, "batches"]]
    soft = [b["train_loss_soft"] for b in hist[-1, "batches"]]
    assert hist[-1, "train_loss_soft"] == pytest.approx(np.average(soft, weights=sizes))


def test_teacher_stage_uses_hard_loss_only(fitted):
    for batch in fitted.histories_["teacher"][-1, "batches"]:
        assert batch["train_loss"] == pytest.approx(batch["train_loss_hard"])
        assert "train_loss_soft" not in batch


def test_zero_distillation_weights_equal_scratch(data):
    X, y, _ = data
    # fixed inputs (no views): the same batches and updates as from scratch
    zero = make_clf(
        alpha_epoch=0, beta_seq=0, gamma_soft=0, delta_hard=1.0, recipe="paper"
    ).fit(X, y)
    scratch = make_clf(strategy="scratch").fit(X, y)
    np.testing.assert_allclose(
        zero.predict_proba(X), scratch.predict_proba(X), rtol=1e-5, atol=1e-6
    )


def test_pretrained_teacher_is_not_changed(data):
    X, y, _ = data
    teacher = TinySleepNet(width=16, units=16)
    before = {k: v.clone() for k, v in teacher.state_dict().items()}
    clf = SleepKDClassifier(
        teacher,
        TinySleepNet,
        TinySleepNet,
        teacher_pretrained=True,
        max_epochs=2,
        random_state=0,
        verbose=0,
    ).fit(X, y)
    assert clf.stages_[0] == "teacher: pretrained, not trained"
    for key, value in clf.teacher_.state_dict().items():
        assert torch.equal(value, before[key]), key
    for key, value in teacher.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_teacher_frozen_during_later_stages(data):
    X, y, _ = data

    class Snapshot(Callback):
        def on_train_begin(self, net, **kw):
            if net.stage_ == "assistant":
                self.teacher = {
                    k: v.clone() for k, v in net.teacher_.state_dict().items()
                }

    snap = Snapshot()
    clf = make_clf(callbacks=[snap]).fit(X, y)
    for key, value in clf.teacher_.state_dict().items():
        assert torch.equal(value, snap.teacher[key]), key


def test_distilled_student_loss_decreases(data):
    X, y, _ = data
    clf = make_clf(max_epochs=8, lr=5e-3).fit(X, y)
    losses = clf.histories_["student"][:, "train_loss"]
    assert losses[-1] < losses[0]


def test_cache_and_live_guides_agree(data):
    X, y, _ = data
    cached = make_clf(cache_teacher=True).fit(X, y)
    live = make_clf(cache_teacher=False).fit(X, y)
    np.testing.assert_allclose(
        cached.predict_proba(X), live.predict_proba(X), rtol=1e-4, atol=1e-5
    )


def test_cache_size_limit_falls_back_to_live(data):
    X, y, _ = data
    with pytest.warns(UserWarning, match="running the guides live"):
        make_clf(cache_max_gb=1e-9, max_epochs=1, recipe="paper").fit(X, y)


@pytest.mark.parametrize("name", strategies())
def test_every_strategy_fits_and_predicts(name, data):
    X, y, _ = data
    clf = make_clf(strategy=name, max_epochs=1).fit(X, y)
    assert clf.predict(X).shape == y.shape
    learners = [s.split(":")[0] for s in clf.stages_]
    assert learners[-1] == "student"
    if name in ("sleepkd", "takd", "dgkd"):
        assert learners == ["teacher", "assistant", "student"]
    elif name == "scratch":
        assert learners == ["student"]
    else:
        assert learners == ["teacher", "student"]


@pytest.mark.parametrize(
    "ablation, missing",
    [
        ("no_epoch", "epoch"),
        ("no_seq", "seq"),
        ("no_soft", "soft"),
        ("no_hard", "hard"),
        ("no_assistant", None),
    ],
)
def test_sleepkd_ablations(ablation, missing, data):
    X, y, _ = data
    clf = make_clf(ablation=ablation, max_epochs=1).fit(X, y)
    batch = clf.histories_["student"][-1, "batches"][0]
    if missing is None:
        assert [s.split(":")[0] for s in clf.stages_] == ["teacher", "student"]
    else:
        assert f"train_loss_{missing}" not in batch
        assert len(clf.stages_) == 3


def test_strategy_params_are_routed(data):
    X, y, _ = data
    clf = make_clf(strategy="dkd", strategy__beta=2.0, max_epochs=1).fit(X, y)
    assert clf.strategy_.beta == 2.0
    assert clf.get_params()["strategy__beta"] == 2.0


def test_same_seed_same_predictions_other_seed_differs(data):
    X, y, _ = data
    a = make_clf(random_state=3).fit(X, y).predict_proba(X)
    b = make_clf(random_state=3).fit(X, y).predict_proba(X)
    c = make_clf(random_state=4).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_soft_targets_from_two_scorers(data):
    X, y, _ = data
    y2 = np.roll(y, 1, axis=1)
    proba = (np.eye(5)[y] + np.eye(5)[y2]) / 2
    clf = make_clf(max_epochs=1).fit(X, proba)
    assert clf.predict(X).shape == y.shape


# ----------------------------------------------------------------- errors
def test_predict_before_fit_raises_not_fitted(data):
    X, _, _ = data
    with pytest.raises(NotFittedError, match="not fitted"):
        make_clf().predict(X)
    assert issubclass(NotInitializedError, NotFittedError)


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda X, y: (X, y + 5), r"Labels outside 0\.\.4 .*: \[5, 6, 7, 8, 9\]"),
        (lambda X, y: (X, y[:-1]), "different lengths: 40 sequences in X, 39 in y"),
        (lambda X, y: (X[:0], y[:0]), "X is empty"),
        (lambda X, y: (X[:, 0], y), "must have 4 dimensions"),
        (lambda X, y: (X, y.astype(float) + 0.5), "whole numbers"),
        (lambda X, y: (X, y.astype(str)), "Labels must be integers"),
        (lambda X, y: (np.where(X > 1.5, np.nan, X), y), "non-finite values"),
    ],
)
def test_bad_inputs_fail_before_training(mutate, match, data):
    X, y, _ = data
    Xb, yb = mutate(X, y)
    clf = make_clf()
    with pytest.raises(ValueError, match=match):
        clf.fit(Xb, yb)
    assert not hasattr(clf, "histories_")


def test_models_disagreeing_on_n_classes(data):
    X, y, _ = data
    clf = make_clf(assistant__n_classes=4)
    with pytest.raises(ValueError, match="assistant expects n_classes=4"):
        clf.fit(X, y)


def test_model_built_for_other_n_times(data):
    X, y, _ = data
    clf = SleepKDClassifier(
        TinySleepNet(n_times=600), TinySleepNet, TinySleepNet, verbose=0
    )
    with pytest.raises(ValueError, match="teacher expects n_times=600"):
        clf.fit(X, y)


def test_unknown_strategy_lists_valid_ones(data):
    X, y, _ = data
    with pytest.raises(
        ValueError, match="valid strategies are: dgkd, dist, dkd, fitnets"
    ):
        make_clf(strategy="nope").fit(X, y)


@pytest.mark.parametrize("strategy", ["sleepkd", "kd"])
@pytest.mark.parametrize("value", [-0.1, float("nan")])
def test_bad_loss_weight(value, strategy, data):
    X, y, _ = data
    # also where the strategy has no such term (KD has no epoch term)
    with pytest.raises(ValueError, match="alpha_epoch must be a number >= 0"):
        make_clf(alpha_epoch=value, strategy=strategy).fit(X, y)


def test_bad_temperature_even_where_the_strategy_has_none(data):
    X, y, _ = data
    with pytest.raises(ValueError, match="temperature must be > 0, got -1"):
        make_clf(temperature=-1.0, strategy="scratch").fit(X, y)


def test_default_trains_teacher_assistant_and_student(data):
    """The default is the paper's chain: SleepKD, paper weights, every stage."""
    X, y, _ = data
    clf = SleepKDClassifier(
        TinySleepNet, TinySleepNet, TinySleepNet, max_epochs=1, random_state=0,
        verbose=0, batch_size=16,
    )  # fmt: skip
    init = {k: v.clone() for k, v in clf.initialize().assistant_.state_dict().items()}
    clf.fit(X, y)
    assert (clf.strategy, clf.recipe) == ("sleepkd", "paper")
    assert [s.split(":")[0] for s in clf.stages_] == ["teacher", "assistant", "student"]
    assert set(clf.histories_) == {"teacher", "assistant", "student"}
    trained = clf.assistant_.state_dict()
    assert any(not torch.equal(init[k], trained[k]) for k in init)
    paper = {"epoch": 0.3, "seq": 0.2, "soft": 0.4, "hard": 0.1}
    assert clf.strategy_.weights() == paper
    terms = {f"train_loss_{t}" for t in ("epoch", "seq", "soft", "hard")}
    assert terms <= set(clf.histories_["assistant"][-1])
    assert terms <= set(clf.history[-1])
    # KD is one argument away: teacher -> student, the assistant not trained
    kd = clf.set_params(strategy="kd").fit(X, y)
    assert [s.split(":")[0] for s in kd.stages_] == ["teacher", "student"]


def test_partial_fit_is_refused_with_what_to_call_instead(fitted, data):
    X, y, _ = data
    what = r"Call fit\(\) instead.*same checkpoint_dir and a larger max_epochs"
    with pytest.raises(NotImplementedError, match=what):
        fitted.partial_fit(X, y)
    assert fitted.fitted_  # still the fitted student


def test_pretrained_flag_needs_instance(data):
    X, y, _ = data
    with pytest.raises(ValueError, match="needs a trained teacher instance"):
        make_clf(teacher_pretrained=True).fit(X, y)


# ----------------------------------------------------------------- resume
class _Interrupt(Callback):
    def __init__(self, at_epoch=2):
        self.at_epoch = at_epoch

    def on_epoch_end(self, net, **kw):
        if net.stage_ == "student" and len(net.history) == self.at_epoch:
            raise RuntimeError("simulated crash")


def test_resume_skips_finished_stages(tmp_path, data):
    X, y, _ = data
    with pytest.raises(RuntimeError, match="simulated crash"):
        make_clf(max_epochs=4, checkpoint_dir=tmp_path, callbacks=[_Interrupt()]).fit(
            X, y
        )
    (run,) = tmp_path.iterdir()  # one sub-folder for this fit
    assert (run / "teacher.pt").exists() and (run / "assistant.pt").exists()
    assert (run / "student.partial.pt").exists()
    saved_teacher = torch.load(run / "teacher.pt", weights_only=False)["module"]
    resumed = make_clf(max_epochs=4, checkpoint_dir=tmp_path).fit(X, y)
    assert resumed.checkpoint_path_ == run
    assert resumed.stages_[0].startswith("teacher: loaded")
    assert resumed.stages_[1].startswith("assistant: loaded")
    assert resumed.stages_[2] == "student: trained for 4 epochs (resumed after 2)"
    for key, value in resumed.teacher_.state_dict().items():
        assert torch.equal(value, saved_teacher[key])
    assert (run / "student.pt").exists()
    assert not (run / "student.partial.pt").exists()
    straight = make_clf(max_epochs=4).fit(X, y)
    np.testing.assert_allclose(
        resumed.predict_proba(X), straight.predict_proba(X), rtol=0, atol=1e-6
    )


def test_other_configuration_or_data_gets_its_own_folder(tmp_path, data):
    X, y, _ = data
    a = make_clf(max_epochs=1, checkpoint_dir=tmp_path).fit(X, y)
    b = make_clf(max_epochs=1, checkpoint_dir=tmp_path, gamma_soft=0.9).fit(X, y)
    c = make_clf(max_epochs=1, checkpoint_dir=tmp_path).fit(X[:20], y[:20])
    paths = {a.checkpoint_path_, b.checkpoint_path_, c.checkpoint_path_}
    assert len(paths) == 3
    assert all(
        s.startswith(("teacher: trained", "assistant: trained", "student: trained"))
        for s in c.stages_
    )


def test_cross_validation_folds_train_their_own_models(tmp_path, data):
    from sklearn.model_selection import GroupKFold, cross_validate

    X, y, groups = data
    res = cross_validate(
        make_clf(max_epochs=1, checkpoint_dir=tmp_path),
        X,
        y,
        groups=groups,
        cv=GroupKFold(2),
        return_estimator=True,
    )
    first, second = res["estimator"]
    assert first.checkpoint_path_ != second.checkpoint_path_
    assert not any("loaded" in s for s in second.stages_)
    t1, t2 = first.teacher_.state_dict(), second.teacher_.state_dict()
    assert any(not torch.equal(t1[k], t2[k]) for k in t1)


def test_larger_budget_continues_smaller_refuses(tmp_path, data):
    X, y, _ = data
    make_clf(max_epochs=1, checkpoint_dir=tmp_path).fit(X, y)
    more = make_clf(max_epochs=2, checkpoint_dir=tmp_path).fit(X, y)
    assert more.stages_[0] == "teacher: trained for 2 epochs (resumed after 1)"
    with pytest.raises(ValueError, match="budget of 2 epochs, more than the 1"):
        make_clf(max_epochs=1, checkpoint_dir=tmp_path).fit(X, y)


class _CtrlC(Callback):
    def on_epoch_end(self, net, **kw):
        if net.stage_ == "teacher" and len(net.history) == 1:
            raise KeyboardInterrupt


def test_ctrl_c_keeps_the_stage_partial_and_unfitted(tmp_path, data):
    X, y, _ = data
    with pytest.warns(UserWarning, match="fit interrupted: teacher: interrupted"):
        clf = make_clf(max_epochs=3, checkpoint_dir=tmp_path, callbacks=[_CtrlC()])
        clf.fit(X, y)
    run = clf.checkpoint_path_
    assert (run / "teacher.partial.pt").exists() and not (run / "teacher.pt").exists()
    with pytest.raises(NotFittedError):
        clf.predict(X)
    resumed = make_clf(max_epochs=3, checkpoint_dir=tmp_path).fit(X, y)
    assert resumed.stages_[0] == "teacher: trained for 3 epochs (resumed after 1)"


def test_set_params_of_a_model_unfits(fitted, data):
    import copy

    X, _, _ = data
    clf = copy.deepcopy(fitted)
    clf.set_params(verbose=0)
    assert clf.predict(X).shape
    clf.set_params(student__width=4)
    with pytest.raises(NotFittedError):
        clf.predict(X)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(max_epochs=0), "max_epochs must be >= 1"),
        (dict(max_epochs=1.5), "max_epochs must be a whole number"),
        (dict(teacher_max_epochs=-1), "teacher_max_epochs must be >= 1"),
        (dict(sfreq=256), "epoch"),
        (
            dict(alpha_epoch=0, beta_seq=0, gamma_soft=0, delta_hard=0),
            "Every loss weight",
        ),
    ],
)
def test_bad_settings_fail_before_training(kw, match, data):
    X, y, _ = data
    with pytest.raises(ValueError, match=match):
        make_clf(**kw).fit(X, y)


def test_instance_weights_follow_the_seed(data):
    X, y, _ = data
    runs = []
    for _ in range(2):
        torch.manual_seed(len(runs) + 7)  # the instance is built under another seed
        student = TinySleepNet()
        clf = SleepKDClassifier(
            None,
            None,
            student,
            strategy="scratch",
            max_epochs=1,
            random_state=0,
            verbose=0,
        )
        runs.append(clf.fit(X, y).predict_proba(X))
    np.testing.assert_array_equal(runs[0], runs[1])


# ------------------------------------------------------- external teacher
def test_precomputed_teacher_probabilities(data):
    X, y, _ = data
    proba = np.full((*y.shape, 5), 0.05)
    proba[np.arange(len(y))[:, None], np.arange(y.shape[1]), y] = 0.8
    clf = SleepKDClassifier(
        None,
        TinySleepNet,
        TinySleepNet,
        strategy="sleepkd",
        max_epochs=2,
        random_state=0,
        verbose=0,
        recipe="paper",
    ).fit(X, y, teacher_proba=proba)
    assert clf.stages_[0].startswith("teacher: external probabilities")
    assert clf.teacher_ is None
    ta_batch = clf.histories_["assistant"][-1, "batches"][0]
    assert set(k for k in ta_batch if k.startswith("train_loss_")) == {
        "train_loss_soft",
        "train_loss_hard",
    }
    st_batch = clf.histories_["student"][-1, "batches"][0]
    assert {"train_loss_epoch", "train_loss_seq"} <= set(st_batch)
    assert clf.predict(X).shape == y.shape


@pytest.mark.parametrize(
    "proba, match",
    [
        (np.full((40, 5, 5), 0.2), r"shape \(n_seq, seq_len, n_classes\)"),
        (np.full((40, 6, 5), 0.3), "must sum to 1; 240 epochs"),
        (np.full((40, 6, 5), -0.2), "finite and >= 0"),
    ],
)
def test_bad_teacher_probabilities(proba, match, data):
    X, y, _ = data
    clf = SleepKDClassifier(None, TinySleepNet, TinySleepNet, verbose=0)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y, teacher_proba=proba)


def test_missing_teacher_is_an_error(data):
    X, y, _ = data
    clf = SleepKDClassifier(None, TinySleepNet, TinySleepNet, verbose=0)
    with pytest.raises(ValueError, match="teacher is needed by strategy"):
        clf.fit(X, y)


def test_unknown_strategy_parameter_is_refused_with_the_valid_ones(data):
    from braindecode_sleepkd.distill import make_strategy

    X, y, _ = data
    with pytest.raises(ValueError, match="tempreature for strategy 'kd'.*temperature"):
        make_clf(strategy="kd", strategy__tempreature=4).fit(X, y)
    with pytest.raises(ValueError, match="valid parameters are: .*drop_rate"):
        make_strategy("dgkd", drop=0.1)
    kd = make_strategy("kd", shared={"alpha_epoch": 0.3, "temperature": 2.0})
    assert kd.temperature == 2.0  # shared parameters it lacks are skipped
