"""Property tests (hypothesis): sequences, losses at extreme logits, determinism.

``make_sequences`` runs on small synthetic windows datasets (MNE ``RawArray`` +
annotations -> braindecode windows) whose sample values encode recording and
epoch, so every property can be read back from ``X``. Determinism is checked
on a preset model and the real DREAMS sample (one excerpt, one epoch: tiny).
"""

import warnings

import hypothesis.extra.numpy as hnp
import mne
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from braindecode_sleepkd.datasets import make_sequences
from braindecode_sleepkd.datasets._windows import (
    annotate_epochs,
    make_windows,
    raw_dataset,
)
from braindecode_sleepkd.datasets.paths import data_path
from braindecode_sleepkd.datasets.sequences import SequenceDataset
from braindecode_sleepkd.distill.losses import DKDLoss, HardCELoss, SoftKLLoss

SFREQ = 1.0  # 30 samples per epoch: windows stay tiny
SEQ = settings(max_examples=20, deadline=None)
LOSS = settings(max_examples=25, deadline=None)


def _windows(recordings):
    """Windows from ``[labels per epoch]`` (label -1: epoch left out, a gap).

    Sample value ``1000 * recording + epoch`` identifies every window.
    """
    datasets = []
    for i, labels in enumerate(recordings):
        n = len(labels)
        data = np.repeat(1000.0 * i + np.arange(n), int(30 * SFREQ))[None]
        raw = mne.io.RawArray(data, mne.create_info(1, SFREQ, "eeg"), verbose="error")
        annotate_epochs(raw, labels)
        datasets.append(raw_dataset(raw, dict(subject=10 + i, recording=1)))
    return make_windows(datasets)


def _runs(labels):
    """(first epoch, length) of every run of consecutive labelled epochs."""
    runs, start = [], None
    for k, lab in enumerate(list(labels) + [-1]):
        if lab >= 0 and start is None:
            start = k
        elif lab < 0 and start is not None:
            runs.append((start, k - start))
            start = None
    return runs


# every recording has at least one labelled epoch (make_windows refuses others)
_recording = st.lists(st.integers(-1, 4), min_size=1, max_size=9).filter(
    lambda labels: max(labels) >= 0
)


@SEQ
@given(
    recordings=st.lists(_recording, min_size=1, max_size=3),
    seq_len=st.integers(1, 4),
    stride=st.one_of(st.none(), st.integers(1, 4)),
)
def test_make_sequences_never_cross_and_cover(recordings, seq_len, stride):
    windows = _windows(recordings)
    runs = {i: _runs(labels) for i, labels in enumerate(recordings)}
    long_runs = {i: [r for r in rs if r[1] >= seq_len] for i, rs in runs.items()}
    if not any(long_runs.values()):
        with pytest.raises(ValueError, match="No recording holds"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                make_sequences(windows, seq_len, stride, on_short="skip")
        return
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        X, y, groups = make_sequences(windows, seq_len, stride, on_short="skip")
    value = X[:, :, 0, 0].astype(int)  # (n_seq, seq_len): 1000 * rec + epoch
    rec, epoch = value // 1000, value % 1000
    assert X.shape[1:] == (seq_len, 1, 30) and y.shape == X.shape[:2]
    # one recording per sequence, consecutive epochs, no gap crossed
    assert (rec == rec[:, :1]).all()
    assert (np.diff(epoch, axis=1) == 1).all()
    for r, e, labels in zip(rec.ravel(), epoch.ravel(), y.ravel()):
        assert recordings[r][e] == labels >= 0
    np.testing.assert_array_equal(groups, 10 + rec[:, 0])
    # coverage: with stride <= seq_len every epoch of a run >= seq_len is in a
    # sequence (a larger stride skips epochs on purpose); no other epoch is
    covered = set(zip(rec.ravel().tolist(), epoch.ravel().tolist()))
    expected = {
        (i, start + k)
        for i, rs in long_runs.items()
        for start, length in rs
        for k in range(length)
    }
    if stride is None or stride <= seq_len:
        assert covered == expected
    else:
        assert covered <= expected
    # with stride == seq_len, runs whose length is a multiple are tiled once
    if stride in (None, seq_len):
        n_expected = sum(
            -(-length // seq_len) for rs in long_runs.values() for _, length in rs
        )
        assert len(X) == n_expected
    # what was left out is counted in a warning
    n_short = sum(
        length for rs in runs.values() for _, length in rs if length < seq_len
    )
    messages = " ".join(str(w.message) for w in record)
    if n_short:
        assert f"{n_short} windows in no sequence" in messages
    else:
        assert "shorter than seq_len" not in messages


@settings(max_examples=8, deadline=None)
@given(
    recordings=st.lists(_recording, min_size=1, max_size=2),
    seq_len=st.integers(1, 3),
    stride=st.integers(1, 3),
)
def test_sequence_dataset_equals_make_sequences(recordings, seq_len, stride):
    windows = _windows(recordings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            X, y, groups = make_sequences(windows, seq_len, stride, on_short="skip")
        except ValueError:
            return
        lazy = SequenceDataset(windows, seq_len, stride, on_short="skip")
    assert len(lazy) == len(X)
    for i in range(len(X)):
        xi, yi = lazy[i]
        np.testing.assert_array_equal(xi, X[i])
        np.testing.assert_array_equal(yi, y[i])
    np.testing.assert_array_equal(lazy.groups, groups)


# ------------------------------------------------------------------ losses
# test_losses.py has non-negativity / identity for moderate logits (|z| <= 50)
# and a fixed extreme case; here the same properties hold for any mix of
# logits up to +-1e4, with integer and probability targets.
_extreme = st.one_of(st.sampled_from([-1e4, 1e4, 0.0]), st.floats(-1e4, 1e4, width=32))
_shape = st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(2, 6))


@LOSS
@given(shape=_shape, data=st.data())
def test_logit_losses_extreme_logits_finite_non_negative_zero_at_identity(shape, data):
    zs = data.draw(hnp.arrays(np.float32, shape, elements=_extreme))
    zt = data.draw(hnp.arrays(np.float32, shape, elements=_extreme))
    y = data.draw(
        hnp.arrays(np.int64, shape[:2], elements=st.integers(0, shape[2] - 1))
    )
    temperature = data.draw(st.sampled_from([1.0, 4.0]))
    s = torch.from_numpy(zs).requires_grad_()
    t, y = torch.from_numpy(zt), torch.from_numpy(y)
    proba = torch.softmax(torch.from_numpy(zt), -1)
    for name, loss, args, same in (
        ("soft_kl", SoftKLLoss(temperature), (s, t), (s, s)),
        ("dkd", DKDLoss(temperature=temperature), (s, t, y), (s, s, y)),
        ("hard_ce", HardCELoss(), (s, y), None),
        ("hard_ce_proba", HardCELoss(), (s, proba), None),
    ):
        value = loss(*args)
        assert torch.isfinite(value), name
        assert value.item() >= -1e-3 * max(1.0, abs(value.item())), name
        (grad,) = torch.autograd.grad(value, s)
        assert torch.isfinite(grad).all(), name
        if same is not None:
            assert abs(loss(*same).item()) < 1e-3, name


# ------------------------------------------------------------- determinism
# where the package finds the data: $SLEEPKD_DATA, else ../shared/data
SAMPLE = data_path(must_exist=False) / "dreams-spindles"


@pytest.mark.skipif(not SAMPLE.is_dir(), reason=f"real sample absent: {SAMPLE}")
def test_preset_student_on_real_sample_same_seed_same_predictions():
    from braindecode_sleepkd.datasets import load_sample
    from braindecode_sleepkd.estimator import SleepKDClassifier
    from braindecode_sleepkd.preprocessing import EpochScaler

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        windows = load_sample(subject_ids=[1], sfreq=100.0)  # 60 epochs, 30 min
    X, y, _ = make_sequences(windows, 5)
    X, y = EpochScaler().fit_transform(X)[:6], y[:6]  # 30 epochs: a quick fit

    def fit_predict(seed):
        clf = SleepKDClassifier(
            None,
            None,
            "salient",
            strategy="scratch",
            max_epochs=1,
            batch_size=3,
            random_state=seed,
            verbose=0,
        )
        return clf.fit(X, y).predict_proba(X)

    a, b, c = fit_predict(0), fit_predict(0), fit_predict(1)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
