"""The files ``sleepkd-stage`` writes, read back, equal the staged hypnogram
(one that changes stage and holds every stage)."""

import csv
import sys
from datetime import datetime, timezone

import mne
import numpy as np
import pytest
from sleepkd_runtime.cli import write_outputs
from sleepkd_runtime.hypnogram import Hypnogram
from varied_nights import every_stage_hypnogram

from braindecode_sleepkd.cohort import read_hypnogram

N_EPOCHS = 47
#: The EDF+ / MNE descriptions, written out here as the oracle.
DESCRIPTIONS = ["Sleep stage W", "Sleep stage N1", "Sleep stage N2",
                "Sleep stage N3", "Sleep stage R"]  # fmt: skip
NAMES = ["W", "N1", "N2", "N3", "REM"]


@pytest.fixture
def written(tmp_path_factory):  # per test: mutmut maps each test to what it runs
    labels = every_stage_hypnogram(N_EPOCHS, seed=4)
    rng = np.random.default_rng(4)
    proba = rng.dirichlet(np.ones(5), N_EPOCHS) * 0.5
    proba[np.arange(N_EPOCHS), labels] += 0.5  # the labelled stage is the largest
    hyp = Hypnogram(proba, 30.0 * np.arange(N_EPOCHS), np.ones(N_EPOCHS, int))
    out = tmp_path_factory.mktemp("out")
    pytest.importorskip("edfio")
    write_outputs(hyp, out, "night")
    return hyp, labels, proba, out


def test_fixture_changes_stage_and_holds_every_stage(written):
    _, labels, _, _ = written
    assert set(labels) == set(range(5))
    assert (np.diff(labels) != 0).sum() >= N_EPOCHS // 4


def test_edf_annotations_read_back_equal_the_hypnogram(written):
    hyp, labels, _, out = written
    np.testing.assert_array_equal(hyp.stages, labels)
    ann = mne.read_annotations(out / "night_stages.edf")
    assert len(ann) == N_EPOCHS
    np.testing.assert_allclose(ann.onset, 30.0 * np.arange(N_EPOCHS))
    np.testing.assert_allclose(ann.duration, 30.0)
    assert list(ann.description) == [DESCRIPTIONS[k] for k in labels]


def test_csv_read_back_equals_the_hypnogram(written):
    _, labels, proba, out = written
    with open(out / "night_hypnogram.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == N_EPOCHS
    assert [float(r["onset"]) for r in rows] == list(30.0 * np.arange(N_EPOCHS))
    assert [r["stage"] for r in rows] == [NAMES[k] for k in labels]
    assert [int(r["label"]) for r in rows] == list(labels)
    got = np.array([[float(r[f"p_{n}"]) for n in NAMES] for r in rows])
    np.testing.assert_array_equal(got, proba)
    # the cohort reads the same file back as a hypnogram
    np.testing.assert_array_equal(read_hypnogram(out / "night_hypnogram.csv"), labels)


def test_statistics_file_matches_the_stages_counted_by_hand(written):
    _, labels, _, out = written
    rows = (out / "night_statistics.csv").read_text().splitlines()[1:]
    stats = {k: float(v) for k, v in (r.split(",") for r in rows)}
    asleep = np.flatnonzero(labels > 0)
    period = labels[asleep[0] : asleep[-1] + 1]
    assert stats["TIB"] == N_EPOCHS / 2
    assert stats["SOL"] == asleep[0] / 2
    assert stats["SPT"] == len(period) / 2
    assert stats["TST"] == (period > 0).sum() / 2
    assert stats["WASO"] == (period == 0).sum() / 2
    assert stats["SE"] == pytest.approx(100 * (period > 0).sum() / N_EPOCHS)
    for k, name in enumerate(NAMES[1:], start=1):
        assert stats[name] == (period == k).sum() / 2, name
        assert stats[f"%{name}"] == pytest.approx(
            100 * (period == k).sum() / (period > 0).sum()
        ), name


@pytest.mark.parametrize("n_wake", [1, 6])
def test_statistics_of_a_night_without_sleep(n_wake):
    from sleepkd_runtime.statistics import sleep_statistics

    stats = sleep_statistics([0] * n_wake, backend="own")
    expected = dict(TIB=n_wake / 2, SPT=0.0, TST=0.0, SE=0.0, SOL=np.nan, WASO=0.0)
    expected.update({name: 0.0 for name in NAMES[1:]})
    expected.update({f"%{name}": 0.0 for name in NAMES[1:]})
    assert set(stats) == set(expected)
    for key, value in expected.items():
        assert stats[key] == pytest.approx(value, nan_ok=True), key


def test_dataframe_and_annotations_equal_the_hypnogram(written):
    hyp, labels, proba, _ = written
    table = hyp.to_dataframe()
    assert list(table.columns) == ["onset", "clock", "stage", "label"] + [
        f"p_{n}" for n in NAMES
    ]
    np.testing.assert_array_equal(table[[f"p_{n}" for n in NAMES]], proba)
    assert list(table["stage"]) == [NAMES[k] for k in labels]
    start = datetime(2024, 1, 2, 22, 30, tzinfo=timezone.utc)
    ann = hyp.to_annotations(orig_time=start)
    assert ann.orig_time == start
    assert list(ann.description) == [DESCRIPTIONS[k] for k in labels]


class _FakeYasa:
    """Stands for yasa: records its calls, gives some of the keys."""

    def __init__(self):
        self.calls = 0

    def sleep_statistics(self, stages, sf_hyp):
        self.calls += 1
        return {"TIB": 123.0, "TST": 45.0}


def test_statistics_backend_is_obeyed(monkeypatch):
    from sleepkd_runtime.statistics import KEYS, sleep_statistics

    stages = [0, 1, 2, 2, 0]
    fake = _FakeYasa()
    monkeypatch.setitem(sys.modules, "yasa", fake)
    own = sleep_statistics(stages, backend="own")
    assert fake.calls == 0 and own["TIB"] == 2.5
    hyp = Hypnogram(np.eye(5)[stages], 30.0 * np.arange(5))
    assert hyp.statistics(backend="own") == own and fake.calls == 0
    assert hyp.statistics() == sleep_statistics(stages) and fake.calls == 2
    fake.calls = 0
    auto = sleep_statistics(stages)  # yasa's numbers where installed
    assert fake.calls == 1 and list(auto) == list(KEYS)
    assert auto["TIB"] == 123.0 and auto["TST"] == 45.0
    assert all(np.isnan(auto[k]) for k in KEYS if k not in ("TIB", "TST"))
    monkeypatch.setitem(sys.modules, "yasa", None)  # not installed
    with pytest.raises(ImportError):
        sleep_statistics(stages, backend="yasa")
    assert sleep_statistics(stages) == own


def test_statistics_refuse_bad_hypnograms_with_their_messages():
    from sleepkd_runtime.statistics import sleep_statistics

    with pytest.raises(ValueError, match=r"^The hypnogram is empty\.$"):
        sleep_statistics([])
    for bad in ([0, 5], [-1, 2]):
        with pytest.raises(
            ValueError, match=r"^Stages must be 0 \(W\) \.\. 4 \(REM\)\.$"
        ):
            sleep_statistics(bad, backend="own")
    with pytest.raises(ValueError, match="backend must be 'auto', 'yasa' or 'own'"):
        sleep_statistics([0, 1], backend="mne")


def test_hypnogram_holds_float64_whatever_it_is_given():
    proba = np.eye(5, dtype=np.float32)[[0, 2, 4]]
    hyp = Hypnogram(proba, np.array([0, 30, 60]))
    assert hyp.proba.dtype == np.float64 and hyp.onsets.dtype == np.float64
    np.testing.assert_array_equal(hyp.stages, [0, 2, 4])
    assert list(hyp.stage_names) == ["W", "N2", "REM"]
