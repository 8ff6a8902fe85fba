"""Validation by subject inside ``fit``: every stage restores its best-kappa epoch."""

import numpy as np
import pytest
from helpers import make_data, tiny_clf
from skorch.callbacks import EarlyStopping

from braindecode_sleepkd.distill.diagnostics import kappa_n
from braindecode_sleepkd.splits import SubjectValidSplit


def _clf(**kw):
    return tiny_clf(**{"max_epochs": 4, "batch_size": 16, "lr": 3e-3, **kw})


#: sizes of the shared ``data`` fixture (tests/conftest.py)
DATA = dict(n_seq=40, n_subjects=5)


@pytest.fixture(scope="module")
def fitted(data):
    X, y, groups = data
    return _clf().fit(X, y, groups=groups)


def test_groups_give_a_subject_split_and_epoch_metrics(fitted, data):
    _, _, groups = data
    assert isinstance(fitted.valid_split_, SubjectValidSplit)
    assert fitted.valid_split_.random_state == 0
    assert fitted.train_split is None  # the parameter is left as given
    for stage in ("teacher", "student"):
        row = fitted.histories_[stage][-1]
        for key in ("valid_kappa", "valid_macro_f1", "valid_acc", "train_macro_f1"):
            assert -1 <= row[key] <= 1, key


def test_each_stage_restores_its_best_kappa_epoch(fitted, data):
    X, y, groups = data
    _, valid = fitted.valid_split_(np.arange(len(X)), y, groups=groups)
    idx = np.asarray(valid.indices)
    assert not set(groups[idx]) & set(np.delete(groups, idx))
    for stage, model in (("teacher", fitted.teacher_), ("student", fitted.module_)):
        hist = fitted.histories_[stage]
        kappas = np.asarray(hist[:, "valid_kappa"])
        best = [r["epoch"] for r in hist if r["valid_kappa_best"]][-1]
        assert kappas[best - 1] == pytest.approx(np.nanmax(kappas))
        assert f"restored epoch {best} " in " ".join(fitted.stages_)
        # the model kept now scores exactly the selected epoch's kappa
        fitted.module_, kept = model, fitted.module_
        pred = fitted.predict(X[idx])
        fitted.module_ = kept
        assert kappa_n(y[idx].ravel(), pred.ravel(), 5) == pytest.approx(
            kappas[best - 1], abs=1e-6
        )


def test_no_groups_no_validation_and_false_never_validates(data):
    X, y, groups = data
    plain = _clf(max_epochs=1).fit(X, y)
    assert plain.valid_split_ is None
    assert "valid_kappa" not in plain.history_[-1]
    off = _clf(max_epochs=1, train_split=False).fit(X, y, groups=groups)
    assert off.valid_split_ is None and "valid_kappa" not in off.history_[-1]


def test_a_user_load_best_callback_takes_precedence(data):
    X, y, groups = data
    stop = EarlyStopping(monitor="valid_loss", patience=100, load_best=True)
    clf = _clf(max_epochs=2, callbacks=[stop]).fit(X, y, groups=groups)
    assert "best_epoch" not in dict(clf.callbacks_)
    assert "valid_kappa_best" not in clf.history_[-1]


def test_unscored_sequences_stay_in_training(data):
    X, y, groups = data
    y = y.copy()
    y[groups == 0] = -1
    train, valid = SubjectValidSplit(valid_size=0.5, random_state=0)(
        np.arange(len(X)), y, groups=groups
    )
    assert 0 not in set(groups[valid.indices])
    assert set(np.flatnonzero(groups == 0)) <= set(train.indices)


def test_fit_with_unscored_nights_validates_on_scored_subjects(data):
    X, y, groups = data
    Xu, _, _ = make_data(n_seq=10, seed=1)
    clf = _clf(max_epochs=2).fit(X, y, groups=groups, unlabelled=Xu)
    all_groups = np.concatenate([groups.astype(object), ["unlabelled"] * len(Xu)])
    y_all = np.concatenate([y, np.full((len(Xu), y.shape[1]), -1)])
    _, valid = clf.valid_split_(np.arange(len(y_all)), y_all, groups=all_groups)
    assert len(valid.indices) and max(valid.indices) < len(X)
    assert all(np.isfinite(clf.histories_["student"][:, "valid_kappa"]))
