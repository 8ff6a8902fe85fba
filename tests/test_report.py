"""The baseline guard and the distillation report (``baseline``, ``select``)."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from helpers import TinySleepNet
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold
from skorch.dataset import ValidSplit

from braindecode_sleepkd import DistillationReport, SleepKDClassifier
from braindecode_sleepkd.metrics import macro_f1_scorer
from braindecode_sleepkd.report import DistillationGuardWarning, GuardSkipped, gap_share


def _clf(**kw):
    params = dict(
        max_epochs=4,
        random_state=0,
        verbose=0,
        batch_size=16,
        lr=1e-2,
        baseline="student",
    )
    params.update(kw)
    return SleepKDClassifier(TinySleepNet, None, TinySleepNet, **params)


#: sizes of the shared ``data`` fixture (tests/conftest.py)
DATA = dict(n_seq=40, n_subjects=5)


def _wrong_teacher(y):
    """Confident probabilities of the wrong stage (the next one) for every epoch."""
    proba = np.full((*y.shape, 5), 0.02, dtype=np.float32)
    np.put_along_axis(proba, ((y + 1) % 5)[..., None], 0.92, axis=-1)
    return proba


@pytest.fixture(scope="module")
def wrong_teacher_fit(data):
    X, y, groups = data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = _clf(select="best").fit(
            X, y, groups=groups, teacher_proba=_wrong_teacher(y)
        )
    return clf, [w for w in caught if issubclass(w.category, DistillationGuardWarning)]


def test_a_teacher_worse_than_the_student_alone_warns_once(data, wrong_teacher_fit):
    X, y, groups = data
    clf, caught = wrong_teacher_fit
    assert len(caught) == 1 and issubclass(caught[0].category, UserWarning)
    r = clf.report_
    assert r.teacher.kappa < r.student_alone.kappa
    assert "the teacher (kappa " in str(caught[0].message)
    assert f"{r.student_alone.kappa:.3f}" in str(caught[0].message)
    with pytest.warns(UserWarning, match=r"the teacher \(kappa -?\d\.\d{3}\) is not "):
        _clf(max_epochs=2).fit(X, y, groups=groups, teacher_proba=_wrong_teacher(y))


def test_select_best_returns_the_better_student(data, wrong_teacher_fit):
    X, _, _ = data
    clf, _ = wrong_teacher_fit
    r = clf.report_
    assert r.student_alone.kappa > r.distilled.kappa  # copying a wrong teacher
    assert r.selected == "student_alone" and clf.module_ is clf.student_alone_
    x = torch.as_tensor(X)
    with torch.no_grad():
        alone = clf.student_alone_.eval()(x).argmax(-1).numpy()
        distilled = clf.student_.eval()(x).argmax(-1).numpy()
    np.testing.assert_array_equal(clf.predict(X), alone)
    assert not np.array_equal(alone, distilled)
    assert (
        "student_alone" in clf.histories_ and clf.history_ is clf.histories_["student"]
    )


def test_report_numbers_are_in_range_and_follow_the_formula(wrong_teacher_fit):
    clf, _ = wrong_teacher_fit
    r = clf.report_
    assert isinstance(r, DistillationReport) and r.assistant is None
    for s in r.rows().values():
        assert -1 <= s.kappa <= 1 and 0 <= s.macro_f1 <= 1 and 0 <= s.accuracy <= 1
    assert 0 <= r.agreement <= 1 and r.guide == "teacher"
    want = (r.distilled.kappa - r.student_alone.kappa) / (
        r.teacher.kappa - r.student_alone.kappa
    )
    assert r.gap_closed == pytest.approx(want)
    assert "negative" in r.gap_note  # the teacher is below the student alone
    assert r.n_valid_epochs > 0 and r.baseline_seconds > 0
    frame = r.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.index) == ["teacher", "student_alone", "distilled"]
    assert frame.loc["distilled", "kappa"] == r.distilled.kappa
    assert frame.loc["distilled", "agreement_with_guide"] == r.agreement
    assert frame["selected"].tolist() == [False, True, False]
    text = str(r)
    assert "student_alone" in text and "<- selected" in text and "gap closed" in text
    with pytest.raises(AttributeError):
        r.gap_closed = 0.0  # frozen


def test_gap_share_nan_when_teacher_equals_student_alone():
    share, note = gap_share(0.5, 0.4, 0.4)
    assert math.isnan(share) and "same validation kappa" in note
    assert gap_share(0.5, 0.4, 0.6) == (pytest.approx(0.5), "")


def test_a_good_teacher_with_its_own_stage_and_verbose_report(data, capsys):
    X, y, groups = data
    clf = _clf(max_epochs=2, verbose=1, strategy="kd", select="distilled")
    clf.fit(X, y, groups=groups)
    out = capsys.readouterr().out
    assert "Distillation report" in out and "== stage student_alone" in out
    assert clf.report_.selected == "distilled" and clf.module_ is clf.student_
    assert clf.report_.guide == "teacher"
    assert clf.stages_[-1].startswith("student_alone: trained for 2 epochs")


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"baseline": "teacher"}, "baseline must be 'auto', 'student' or None"),
        ({"select": "better"}, "select must be 'best' or 'distilled'"),
    ],
)
def test_bad_values_fail_before_training(data, params, match):
    X, y, groups = data
    clf = _clf(**params)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y, groups=groups)
    assert "student_" not in vars(clf)  # nothing was built, let alone trained


def test_baseline_without_validation_data_is_refused(data):
    X, y, groups = data
    with pytest.raises(ValueError, match=r"pass groups=subjects to fit"):
        _clf().fit(X, y)
    with pytest.raises(ValueError, match=r"train_split=SubjectValidSplit"):
        _clf(train_split=False).fit(X, y, groups=groups)


def test_clone_and_grid_search_keep_the_guard_params(data):
    X, y, groups = data
    # GridSearchCV hands groups to its cv only: validate on a plain split
    clf = _clf(select="best", train_split=ValidSplit(4, stratified=False))
    params = clone(clf).get_params()
    assert params["baseline"] == "student" and params["select"] == "best"
    assert not hasattr(clone(clf), "report_")
    grid = GridSearchCV(
        clf.set_params(max_epochs=1),
        {"select": ["distilled", "best"]},
        cv=GroupKFold(2),
        scoring=macro_f1_scorer,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DistillationGuardWarning)
        grid.fit(X, y, groups=groups)
    assert grid.best_estimator_.report_ is not None
    assert grid.best_estimator_.select == grid.best_params_["select"]


def test_baseline_with_only_unscored_epochs_is_refused(data):
    X, y, groups = data
    unscored = np.full_like(y, -1)
    clf = _clf()
    with pytest.raises(ValueError, match="every epoch is unscored"):
        clf.fit(X, unscored, groups=groups, teacher_proba=_wrong_teacher(y))
    assert "histories_" not in vars(clf)


def _default(**kw):
    """The estimator with its default strategy, recipe, baseline and select."""
    params = dict(random_state=0, verbose=0, batch_size=16, lr=1e-2)
    return SleepKDClassifier(TinySleepNet, TinySleepNet, TinySleepNet, **params, **kw)


def test_default_guard_keeps_the_student_alone_when_distillation_loses(data):
    X, y, groups = data
    # a teacher and an assistant trained one epoch guide the student astray
    clf = _default(max_epochs=4, teacher_max_epochs=1, assistant_max_epochs=1)
    assert (clf.baseline, clf.select) == ("auto", "best")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y, groups=groups)
    r = clf.report_
    assert isinstance(r, DistillationReport) and r.assistant is not None
    assert r.distilled.kappa < r.student_alone.kappa
    assert r.selected == "student_alone" and clf.module_ is clf.student_alone_
    (warning,) = [w for w in caught if w.category is DistillationGuardWarning]
    message = str(warning.message)
    assert f"the distilled student (kappa {r.distilled.kappa:.3f})" in message
    assert f"the student alone ({r.student_alone.kappa:.3f})" in message
    assert [s.split(":")[0] for s in clf.stages_] == [
        "teacher", "assistant", "student", "student_alone"
    ]  # fmt: skip
    with torch.no_grad():
        alone = clf.student_alone_.eval()(torch.as_tensor(X)).argmax(-1).numpy()
    np.testing.assert_array_equal(clf.predict(X), alone)


def test_default_guard_does_not_run_without_validation_data(data):
    X, y, groups = data
    clf = _default(max_epochs=1).fit(X, y)
    assert isinstance(clf.report_, GuardSkipped)
    assert "no validation data" in clf.report_.reason
    assert "did not run" in str(clf.report_) and clf.report_.selected == "distilled"
    assert "student_alone" not in clf.histories_ and "student_alone_" not in vars(clf)
    assert clf.module_ is clf.student_
    off = clone(clf).set_params(baseline=None).fit(X, y, groups=groups)
    assert "baseline=None" in off.report_.reason
    assert "student_alone" not in off.histories_ and off.module_ is off.student_
    split = ValidSplit(4, stratified=False)
    unscored = _default(max_epochs=1, strategy="kd", train_split=split).fit(
        X, np.full_like(y, -1), teacher_proba=_wrong_teacher(y)
    )
    assert "every epoch is unscored" in unscored.report_.reason
