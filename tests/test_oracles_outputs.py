"""The files ``sleepkd-stage`` writes, read back, equal the staged hypnogram
(one that changes stage and holds every stage)."""

import csv

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


@pytest.fixture(scope="module")
def written(tmp_path_factory):
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
