"""SleepKDClassifier in the scikit-learn / skorch ecosystem."""

import pickle

import joblib
import numpy as np
import pytest
from helpers import TinySleepNet
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate
from sklearn.pipeline import Pipeline
from skorch.callbacks import (
    Checkpoint,
    EarlyStopping,
    EpochScoring,
    LRScheduler,
    ProgressBar,
)
from skorch.dataset import Dataset
from skorch.helper import SliceDataset, predefined_split

from braindecode_sleepkd.estimator import SleepKDClassifier
from braindecode_sleepkd.metrics import macro_f1_scorer
from braindecode_sleepkd.preprocessing import EpochScaler
from braindecode_sleepkd.splits import SubjectValidSplit


def make_clf(**kw):
    params = dict(
        strategy="sleepkd", max_epochs=1, random_state=0, verbose=0, batch_size=16
    )
    params.update(kw)
    return SleepKDClassifier(TinySleepNet, TinySleepNet, TinySleepNet, **params)


@pytest.fixture(scope="module")
def fitted(data):
    X, y, _ = data
    return make_clf(student__width=4).fit(X, y)


def test_clone_keeps_every_param():
    clf = make_clf(gamma_soft=0.7, student__units=3, strategy="kd", strategy__x=1)
    params = clf.get_params()
    cloned = clone(clf).get_params()
    assert cloned.keys() == params.keys()
    for key in ("gamma_soft", "student__units", "strategy", "strategy__x"):
        assert cloned[key] == params[key]
    assert "module" not in params
    assert not hasattr(clone(clf), "module_")


def test_get_params_deep_and_set_params_reach_prefixed(data):
    X, y, _ = data
    clf = make_clf(student__units=3)
    assert clf.get_params(deep=True)["student__units"] == 3
    clf.set_params(student__units=5, delta_hard=0.2)
    assert clf.get_params()["student__units"] == 5
    clf.fit(X, y)
    assert clf.student_.units == 5
    clf.set_params(student__units=6)  # re-initialises the modules
    assert clf.student_.units == 6


def test_typo_in_prefixed_param_is_reported(data):
    X, y, _ = data
    clf = make_clf(studnet__units=3)
    with pytest.raises(ValueError, match="studnet__units"):
        clf.fit(X, y)


def test_pickle_and_joblib_round_trip(fitted, data, tmp_path):
    X, _, _ = data
    expected = fitted.predict_proba(X)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_allclose(restored.predict_proba(X), expected, rtol=1e-6)
    path = tmp_path / "clf.joblib"
    joblib.dump(fitted, path)
    np.testing.assert_allclose(joblib.load(path).predict_proba(X), expected, rtol=1e-6)


def test_pipeline_with_epoch_scaler(data):
    X, y, _ = data
    pipe = Pipeline([("scale", EpochScaler()), ("kd", make_clf())])
    pipe.fit(X * 50.0, y)
    assert pipe.predict(X).shape == y.shape
    assert 0 <= pipe.score(X, y) <= 1


def test_epoch_scaler_values():
    X = np.arange(2 * 1 * 1 * 5, dtype=np.float32).reshape(2, 1, 1, 5)
    out = EpochScaler().fit_transform(X)
    # median 2, IQR 2 for [0..4]
    np.testing.assert_allclose(out[0, 0, 0], [-1, -0.5, 0, 0.5, 1], atol=1e-5)
    with pytest.raises(ValueError, match="n_seq, seq_len, n_chans, n_times"):
        EpochScaler().fit_transform(X[0])


def test_grid_search_with_group_kfold(data):
    X, y, groups = data
    grid = GridSearchCV(
        make_clf(),
        {"gamma_soft": [0.2, 0.4], "student__units": [4, 8]},
        cv=GroupKFold(n_splits=2),
        scoring=macro_f1_scorer,
        refit=False,
    )
    grid.fit(X, y, groups=groups)
    scores = grid.cv_results_["mean_test_score"]
    assert len(scores) == 4
    assert np.all((scores >= 0) & (scores <= 1))


def test_cross_validate_default_score(data):
    X, y, groups = data
    res = cross_validate(make_clf(), X, y, groups=groups, cv=GroupKFold(n_splits=2))
    assert res["test_score"].shape == (2,)
    assert np.all((res["test_score"] >= 0) & (res["test_score"] <= 1))


def test_callbacks_work_per_stage(data, tmp_path):
    X, y, groups = data
    scoring = EpochScoring(
        macro_f1_scorer, lower_is_better=False, name="valid_f1", use_caching=True
    )
    clf = make_clf(
        max_epochs=6,
        train_split=SubjectValidSplit(valid_size=0.25, random_state=0),
        callbacks=[
            scoring,
            EarlyStopping(monitor="valid_loss", patience=1, threshold=10.0),
            Checkpoint(dirname=str(tmp_path / "cp"), monitor="valid_loss_best"),
            ("lr", LRScheduler(policy="StepLR", step_size=1, gamma=0.5)),
        ],
    ).fit(X, y, groups=groups)
    for stage in ("teacher", "assistant", "student"):
        hist = clf.histories_[stage]
        # an absurd threshold makes early stopping end every stage early
        assert len(hist) < 6
        assert all(0 <= f <= 1 for f in hist[:, "valid_f1"])
        assert "valid_loss" in hist[-1]
    assert (tmp_path / "cp" / "params.pt").exists()
    assert clf.optimizer_.param_groups[0]["lr"] < 1e-3


def test_subject_valid_split_never_shares_subjects(data):
    X, y, groups = data
    ds = Dataset(X, y)
    train, valid = SubjectValidSplit(valid_size=0.25, random_state=0)(
        ds, y, groups=groups
    )
    g_train = set(groups[train.indices])
    g_valid = set(groups[valid.indices])
    assert g_train and g_valid and not g_train & g_valid
    with pytest.raises(ValueError, match="needs the subject of every sequence"):
        SubjectValidSplit()(ds, y)


def test_predefined_split(data):
    X, y, _ = data
    valid = make_clf().get_dataset(X[:8], y[:8])
    clf = make_clf(train_split=predefined_split(valid)).fit(X[8:], y[8:])
    assert "valid_loss" in clf.histories_["teacher"][-1]


def test_slice_dataset_input(data):
    X, y, _ = data
    ds = Dataset(X, y)
    clf = make_clf().fit(SliceDataset(ds, idx=0), SliceDataset(ds, idx=1))
    assert clf.predict(SliceDataset(ds, idx=0)).shape == y.shape


def test_verbose_prints_stage_names_and_progress_bar(data, capsys):
    X, y, _ = data
    clf = make_clf(verbose=2).fit(X, y)
    captured = capsys.readouterr()
    for stage in ("teacher", "assistant", "student"):
        assert f"== stage {stage}" in captured.out
    assert "stage" in captured.out.splitlines()[1]  # the epoch table's header
    assert any(isinstance(cb, ProgressBar) for _, cb in clf.callbacks_)
    assert make_clf(verbose=1).initialize().callbacks_[1][0] != "progress_bar"
