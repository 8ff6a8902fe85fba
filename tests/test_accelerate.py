"""AcceleratedSleepKDClassifier (skorch AccelerateMixin) on CPU."""

import numpy as np
import pytest
from helpers import TinySleepNet, tiny_params

from braindecode_sleepkd.estimator import SleepKDClassifier

accelerate = pytest.importorskip("accelerate")

from braindecode_sleepkd.accelerate import AcceleratedSleepKDClassifier  # noqa: E402


def _kwargs():
    # function_matching: consistent views and live guides, the longest path
    return tiny_params(
        assistant=TinySleepNet, student__units=4, max_epochs=2, batch_size=8,
        strategy="sleepkd", recipe="function_matching",
    )  # fmt: skip


#: sizes of the shared ``data`` fixture (tests/conftest.py)
DATA = dict(n_seq=16, seq_len=4)


def test_fits_on_cpu_like_the_plain_estimator(data):
    X, y, _ = data
    plain = SleepKDClassifier(**_kwargs()).fit(X, y)
    acc = AcceleratedSleepKDClassifier(
        accelerator=accelerate.Accelerator(cpu=True), **_kwargs()
    ).fit(X, y)
    assert acc.fitted_
    assert [s.split(":")[0] for s in acc.stages_] == ["teacher", "assistant", "student"]
    assert set(acc.histories_) == {"teacher", "assistant", "student"}
    # same seeds, same batches, same updates: the same student
    np.testing.assert_allclose(acc.predict_proba(X), plain.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(acc.predict(X), plain.predict(X))
    # function_matching: consistent views, guides live, no hard term
    for key in ("train_loss", "train_loss_soft", "train_loss_epoch"):
        np.testing.assert_allclose(
            acc.history[:, key], plain.history[:, key], rtol=1e-5, atol=1e-6
        )
    assert 0.0 <= acc.score(X, y) <= 1.0


def test_gradient_accumulation_and_explicit_device(data):
    X, y, _ = data
    accelerator = accelerate.Accelerator(
        cpu=True, device_placement=False, gradient_accumulation_steps=2
    )
    clf = AcceleratedSleepKDClassifier(
        accelerator=accelerator, device="cpu", **{**_kwargs(), "max_epochs": 1}
    ).fit(X, y)
    assert clf.predict(X).shape == (16, 4)
    assert np.isfinite(clf.history[-1, "train_loss"])


def test_device_placement_with_device_is_refused(data):
    X, y, _ = data
    clf = AcceleratedSleepKDClassifier(
        accelerator=accelerate.Accelerator(cpu=True), device="cpu", **_kwargs()
    )
    with pytest.raises(ValueError, match="device=None"):
        clf.fit(X, y)


def test_a_change_in_the_training_step_reaches_both_paths(data, monkeypatch):
    """Both classes run the estimator's one training step (only the hooks differ)."""
    from braindecode_sleepkd import steps

    X, y, _ = data
    calls = []
    record = steps.record_gradient_shares

    def counted(history, terms, params):
        calls.append(sorted(terms))
        return record(history, terms, params)

    monkeypatch.setattr(steps, "record_gradient_shares", counted)
    kw = {**_kwargs(), "max_epochs": 1}
    SleepKDClassifier(**kw).fit(X, y)
    plain = len(calls)
    acc = AcceleratedSleepKDClassifier(
        accelerator=accelerate.Accelerator(cpu=True), **kw
    ).fit(X, y)
    assert plain == 3 and len(calls) == 2 * plain  # first batch of every stage
    assert any(k.startswith("grad_share_") for k in acc.history[-1])
