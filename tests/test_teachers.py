"""External teachers: YASA's probabilities, their alignment and the estimator."""

import sys
import warnings

import mne
import numpy as np
import pandas as pd
import pytest
from helpers import TinySleepNet

from braindecode_sleepkd.datasets import load_sample, make_sequences
from braindecode_sleepkd.datasets._windows import (
    annotate_epochs,
    make_windows,
    raw_dataset,
)
from braindecode_sleepkd.estimator import SleepKDClassifier
from braindecode_sleepkd.teachers import is_external_teacher
from braindecode_sleepkd.teachers.yasa import (
    YASATeacher,
    map_windows_to_epochs,
    yasa_proba_to_labels,
)

SFREQ = 100.0
N_EPOCH = 3000  # samples per 30-s epoch at SFREQ
ALPHABETICAL = ["N1", "N2", "N3", "R", "W"]  # YASA's classifier columns


def _fake_proba(k, n_epochs, stage):
    """Our-order probabilities for epoch ``k`` peaking at ``stage``, unique per k."""
    p = np.full(5, 0.125)
    p[stage] = 0.5
    tag = 0.05 * (k + 1) / (n_epochs + 1)  # encodes k, keeps ``stage`` the argmax
    p[(stage + 1) % 5] += tag
    p[(stage + 2) % 5] -= tag
    return p


def _epoch_of(proba, stage, n_epochs):
    """Recover the epoch index ``k`` encoded by :func:`_fake_proba`."""
    tag = proba[(stage + 1) % 5] - 0.125
    return int(round(tag / 0.05 * (n_epochs + 1) - 1))


class FakeYASA(YASATeacher):
    """YASATeacher whose scorer is replaced by a known function (no yasa needed).

    Epoch ``k`` of the raw it is given gets probabilities peaking at
    ``stages[k]`` (``stages[n_epochs][k]`` with a dict keyed by the raw's
    number of epochs), in YASA's alphabetical column order.
    """

    def __init__(self, stages, **kwargs):
        super().__init__(**kwargs)
        self.stages = stages
        self.calls = []

    def _run_yasa(self, raw, eeg_name, eog_name, emg_name):
        n = raw.n_times // int(30 * raw.info["sfreq"])
        stages = self.stages[n] if isinstance(self.stages, dict) else self.stages
        self.calls.append((raw.n_times, float(np.abs(raw.get_data()).max())))
        ours = np.stack([_fake_proba(k, n, stages[k]) for k in range(n)])
        alpha = ours[:, [1, 2, 3, 4, 0]]  # W N1 N2 N3 REM -> N1 N2 N3 R W
        return pd.DataFrame(alpha, columns=ALPHABETICAL)


def _windows(stages, labels=None, first_onset=0.0, n_extra=0, subject=0, sfreq=SFREQ):
    """A 1-channel recording of ``len(stages)`` epochs (microvolts) as windows."""
    rng = np.random.default_rng(subject)
    n = len(stages)
    n_times = int((n * 30 + first_onset) * sfreq) + n_extra
    data = 20 * rng.standard_normal((1, n_times))
    raw = mne.io.RawArray(
        data, mne.create_info(["C3-A1"], sfreq, "eeg"), verbose="error"
    )
    labels = np.asarray(stages if labels is None else labels)
    annotate_epochs(raw, labels, first_onset=first_onset)
    desc = dict(subject=subject, recording=f"rec{subject}", sfreq_native=sfreq)
    return make_windows([raw_dataset(raw, desc)])


def _concat(*parts):
    from braindecode.datasets import BaseConcatDataset

    return BaseConcatDataset([ds for p in parts for ds in p.datasets])


STAGES = np.array([0, 0, 1, 2, 2, 2, 3, 3, 2, 4, 4, 1, 0, 2])  # 14 epochs, 7 min


# ------------------------------------------------------------- class order
def test_class_order_mapping():
    alpha = np.array([[0.1, 0.2, 0.3, 0.15, 0.25]])  # N1 N2 N3 R W
    ours = yasa_proba_to_labels(pd.DataFrame(alpha, columns=ALPHABETICAL))
    np.testing.assert_allclose(ours, [[0.25, 0.1, 0.2, 0.3, 0.15]])
    hyp_names = ["WAKE", "N1", "N2", "N3", "REM"]  # yasa.Hypnogram.proba
    np.testing.assert_allclose(yasa_proba_to_labels(ours, classes=hyp_names), ours)
    with pytest.raises(ValueError, match="classes="):
        yasa_proba_to_labels(alpha)
    with pytest.raises(ValueError, match="unknown: \\['ART'\\]"):
        yasa_proba_to_labels(alpha, classes=["N1", "N2", "N3", "ART", "W"])
    with pytest.raises(ValueError, match="once"):
        yasa_proba_to_labels(alpha, classes=["N1", "N2", "N3", "W", "WAKE"])


# --------------------------------------------------------------- alignment
def test_alignment_windows_one_epoch_late_and_gaps():
    labels = STAGES.copy()
    labels[0] = -1  # windows start one epoch late
    labels[[6, 13]] = -1  # a gap and a cropped end
    windows = _windows(STAGES, labels)
    teacher = FakeYASA(STAGES)
    proba = teacher.predict_proba_windows(windows)
    kept = np.flatnonzero(labels >= 0)
    assert proba.shape == (len(kept), 5)
    # the whole recording is scored (context), window i maps to YASA row kept[i]
    assert teacher.scored_["subject=0, recording=rec0"]["n_epochs"] == len(STAGES)
    np.testing.assert_array_equal(proba.argmax(1), STAGES[kept])
    rows = [_epoch_of(p, s, len(STAGES)) for p, s in zip(proba, STAGES[kept])]
    np.testing.assert_array_equal(rows, kept)


def test_alignment_shifted_grid_crops_the_raw():
    # epochs start 10 s into the raw: YASA is run from there, not from sample 0
    windows = _windows(STAGES, first_onset=10.0, n_extra=500)
    teacher = FakeYASA(STAGES)
    proba = teacher.predict_proba_windows(windows)
    assert teacher.scored_["subject=0, recording=rec0"]["offset"] == 1000
    assert teacher.calls[0][0] == len(STAGES) * N_EPOCH + 500
    np.testing.assert_array_equal(proba.argmax(1), STAGES)
    rows = [_epoch_of(p, s, len(STAGES)) for p, s in zip(proba, STAGES)]
    np.testing.assert_array_equal(rows, np.arange(len(STAGES)))


def test_off_grid_and_wrong_length_windows_raise():
    starts = np.array([0, 3000, 6500])
    with pytest.raises(ValueError, match=r"not on one 30-s grid.*\[2\].*\[6500\]"):
        map_windows_to_epochs(starts, starts + 3000, 3000, 10, name="rec")
    with pytest.raises(ValueError, match="must be 30-s epochs"):
        map_windows_to_epochs([0, 3000], [2000, 5000], 3000, 10)
    with pytest.raises(ValueError, match="outside the 2 epochs"):
        map_windows_to_epochs([0, 3000, 6000], [3000, 6000, 9000], 3000, 2)


def test_sequences_align_with_make_sequences_and_cache():
    other = np.array([2, 2, 3, 3, 3, 2, 1, 0, 0, 4, 4, 2])  # 12 epochs
    labels = other.copy()
    labels[[0, 5]] = -1
    windows = _concat(_windows(STAGES, subject=0), _windows(other, labels, subject=1))
    teacher = FakeYASA({len(STAGES): STAGES, len(other): other})
    proba = teacher.predict_proba(windows, seq_len=4, seq_stride=3)
    _, y, _ = make_sequences(windows, 4, 3)
    assert proba.shape == (*y.shape, 5)
    np.testing.assert_array_equal(proba.argmax(-1), y)
    assert len(teacher.calls) == 2
    teacher.predict_proba(windows, seq_len=4)
    assert len(teacher.calls) == 2  # cached
    assert all(info["cached"] for info in teacher.scored_.values())


def test_units_are_converted_to_volts():
    windows = _windows(STAGES)
    teacher = FakeYASA(STAGES)
    teacher.predict_proba_windows(windows)
    assert teacher.calls[0][1] < 1e-3  # microvolts in the raw -> volts for YASA
    teacher = FakeYASA(STAGES, unit="V")
    teacher.predict_proba_windows(windows)
    assert teacher.calls[0][1] > 1.0


# ---------------------------------------------------------------- refusals
def _dreams(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return load_sample(**kwargs)
        except FileNotFoundError as exc:
            pytest.skip(f"DREAMS sample not available: {exc}")


def test_refuses_50_hz_excerpt3():
    # excerpt3 is recorded at 50 Hz: refused even after resampling to 100 Hz
    windows = _dreams(subject_ids=[3], sfreq=100)
    with pytest.raises(ValueError, match=r"excerpt3.*recorded at 50 Hz.*more than 80"):
        YASATeacher().predict_proba_windows(windows)
    windows = _dreams(subject_ids=[3], sfreq=None)
    with pytest.raises(ValueError, match=r"excerpt3.*at 50 Hz.*more than 80"):
        YASATeacher().predict_proba(windows, seq_len=10)


def test_refuses_short_recordings_and_bad_input():
    windows = _windows(STAGES[:8])  # 4 minutes
    with pytest.raises(ValueError, match="240 s .*min_duration=300"):
        FakeYASA(STAGES).predict_proba_windows(windows)
    assert FakeYASA(STAGES, min_duration=60).predict_proba_windows(windows).shape == (
        8,
        5,
    )
    with pytest.raises(ValueError, match="'EOG' is not in"):
        FakeYASA(STAGES, eog_name="EOG").predict_proba_windows(_windows(STAGES))
    with pytest.raises(TypeError, match="teacher_proba="):
        YASATeacher().predict_proba(np.zeros((2, 3, 1, 3000)), seq_len=3)


def test_missing_yasa_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "yasa", None)
    with pytest.raises(ImportError, match=r"pip install braindecode-sleepkd\[yasa\]"):
        YASATeacher().predict_proba_windows(_windows(STAGES))


# --------------------------------------------------------------- estimator
def test_estimator_with_precomputed_and_external_probabilities():
    windows = _concat(_windows(STAGES, subject=0), _windows(STAGES, subject=1))
    teacher = FakeYASA(STAGES)
    assert is_external_teacher(teacher)
    kwargs = dict(seq_len=7, max_epochs=1, batch_size=4, random_state=0, verbose=0)
    kwargs["strategy"] = "sleepkd"  # through the assistant
    proba = teacher.predict_proba(windows, seq_len=7)
    pre = SleepKDClassifier(None, TinySleepNet, TinySleepNet, **kwargs)
    pre.fit(windows, teacher_proba=proba)
    assert pre.stages_[0].startswith("teacher: external probabilities")
    ext = SleepKDClassifier(teacher, TinySleepNet, TinySleepNet, **kwargs)
    ext.fit(windows)
    assert ext.stages_[0].startswith("teacher: external probabilities")
    assert ext.predict(windows).shape == (4, 7)
    for name in ("assistant", "student"):
        np.testing.assert_allclose(
            pre.histories_[name][-1, "train_loss"],
            ext.histories_[name][-1, "train_loss"],
            rtol=1e-5,
        )


def test_end_to_end_with_yasa_on_a_dreams_excerpt():
    pytest.importorskip("yasa")
    windows = _dreams(subject_ids=[1], sfreq=100)
    teacher = YASATeacher()
    clf = SleepKDClassifier(
        teacher,
        TinySleepNet,
        TinySleepNet,
        seq_len=10,
        max_epochs=1,
        batch_size=8,
        random_state=0,
        verbose=0,
    ).fit(windows)
    assert clf.stages_[0].startswith("teacher: external probabilities")
    assert clf.predict(windows).shape == (6, 10)
    proba = teacher.predict_proba_windows(windows)  # from the cache
    assert teacher.scored_["dataset=DREAMS, subject=1, recording=excerpt1, night=1"][
        "cached"
    ]
    np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-5)
    y = np.asarray(windows.datasets[0].y)
    assert (proba.argmax(1) == y).mean() > 0.5  # YASA agrees with the expert
