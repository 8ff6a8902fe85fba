"""Staging outputs keep the recording's clock time (CSV column, EDF+ header)."""

import datetime

import mne
import numpy as np
import pandas as pd
import pytest
from helpers import make_data, tiny_clf
from sleepkd_runtime.cli import main as sleepkd_stage

from braindecode_sleepkd.cli import main as sleepkd

SFREQ, SEQ_LEN = 10.0, 6
START = datetime.datetime(2024, 3, 5, 22, 47, 13)


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    pytest.importorskip("onnxruntime")
    from braindecode_sleepkd.export import to_onnx

    X, y, _ = make_data(n_seq=16, seq_len=SEQ_LEN)
    clf = tiny_clf(
        teacher__pool=None, student__pool=None, student__width=4, seq_len=SEQ_LEN
    ).fit(X, y)
    return to_onnx(clf, tmp_path_factory.mktemp("model") / "student.onnx")


def _night(fname, start):
    """A 12-epoch EDF night on channel C3, starting at ``start`` (None: EDF+
    anonymised start date)."""
    from edfio import Edf, EdfSignal, Recording

    x = 40 * np.random.default_rng(5).standard_normal(int(12 * 30 * SFREQ))
    signal = EdfSignal(
        x, sampling_frequency=SFREQ, label="C3", physical_range=(-500.0, 500.0)
    )
    clock = {}
    if start is not None:
        clock = dict(
            recording=Recording(startdate=start.date()), starttime=start.time()
        )
    Edf([signal], **clock).write(fname)
    return str(fname)


@pytest.mark.parametrize("command", ["sleepkd stage", "sleepkd-stage"])
def test_csv_clock_and_edf_header_keep_the_start(student, tmp_path, command):
    night = _night(tmp_path / "night.edf", START)
    out = tmp_path / "out"
    argv = [night, "--model", str(student), "--channel", "C3", "--out", str(out)]
    if command == "sleepkd stage":
        assert sleepkd(["stage", *argv, "--no-plot", "--quiet"]) == 0
    else:
        assert sleepkd_stage([*argv, "--quiet"]) == 0
    table = pd.read_csv(out / "night_hypnogram.csv")
    assert list(table.columns[:4]) == ["onset", "clock", "stage", "label"]
    assert table["clock"][0] == "2024-03-05T22:47:13"
    assert table["clock"][11] == "2024-03-05T22:52:43"  # 11 x 30 s later
    clock = pd.to_datetime(table["clock"])
    np.testing.assert_allclose((clock - clock[0]).dt.total_seconds(), table["onset"])
    ann = mne.read_annotations(out / "night_stages.edf")
    assert len(ann) == 12 and list(ann.onset[:2]) == [0.0, 30.0]
    from edfio import read_edf

    assert read_edf(out / "night_stages.edf").startdatetime == START


def test_no_start_in_the_header_leaves_the_clock_empty(student, tmp_path):
    night = _night(tmp_path / "anon.edf", None)
    out = tmp_path / "out"
    argv = [night, "--model", str(student), "--channel", "C3", "--out", str(out)]
    assert sleepkd_stage([*argv, "--quiet"]) == 0
    table = pd.read_csv(out / "anon_hypnogram.csv", keep_default_na=False)
    assert (table["clock"] == "").all() and len(table) == 12
