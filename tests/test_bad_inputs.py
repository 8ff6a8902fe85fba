"""Bad inputs across loaders, models, estimator and CLI: one table, clear errors.

Every row names a bad input, what it must raise (or warn, or exit with) and the
key words of the message: what was wrong and what was expected. Rows build their
own small files under ``tmp_path``; the real data are only read, never copied
into the repository. A second part checks that every loader reports what it
drops (warning and counts in the dataset description).
"""

import contextlib
import io
import re
import warnings
from types import SimpleNamespace

import mne
import numpy as np
import pytest
import torch
from braindecode.datasets import BaseConcatDataset
from edfio import Edf, EdfAnnotation, EdfSignal
from helpers import TinySleepNet, make_data, tiny_clf
from sklearn.exceptions import NotFittedError

from braindecode_sleepkd import cli
from braindecode_sleepkd.datasets import (
    DREAMS,
    ISRUC,
    SleepEDF,
    load_sample,
    make_sequences,
    read_dreams_hypnogram,
    read_dreams_signal,
    read_isruc_labels,
    read_sleep_edf_hypnogram,
    simulate_sleep_eeg,
)
from braindecode_sleepkd.datasets._windows import (
    annotate_epochs,
    make_windows,
    raw_dataset,
)
from braindecode_sleepkd.estimator import SleepKDClassifier
from braindecode_sleepkd.models import preset
from braindecode_sleepkd.models.sequence import check_signal

CODES = [5] * 6 + [2] * 6 + [3] * 6 + [4] * 6  # 4 epochs: W, N2, N1, REM


# ------------------------------------------------------------------ builders
def _text(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def _dreams(folder, n=1, sfreq=50.0, codes=CODES, n_codes_signal=None, extra=0):
    """excerpt<n>.txt + Hypnogram_excerpt<n>.txt (signal long enough for codes)."""
    n_codes_signal = len(codes) if n_codes_signal is None else n_codes_signal
    t = np.arange(int(n_codes_signal * 5 * sfreq) + extra) / sfreq
    data = 20 * np.sin(2 * np.pi * 2 * t)
    _text(folder / f"excerpt{n}.txt", "[C3-A1]\n" + "\n".join(f"{v:.2f}" for v in data))
    _text(
        folder / f"Hypnogram_excerpt{n}.txt",
        "[Hypnogram]\n" + "\n".join(map(str, codes)) + "\n",
    )
    return folder


def _isruc(root, write_edf, s=1, n_epochs=4, n_labels=4, sfreq=50.0):
    base = root / str(s)
    base.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(n_epochs * 30 * sfreq)) / sfreq
    sig = {"C4-A1": 40 * np.sin(2 * np.pi * 3 * t), "F3-A2": np.zeros_like(t)}
    write_edf(base / f"{s}.edf", sig, sfreq)
    labels = np.array([0, 1, 2, 3, 5])[np.arange(n_labels) % 5]
    _text(base / f"{s}_1.txt", "\n".join(map(str, labels)) + "\n")
    return root


def _night(folder):
    """SC4001EC-Hypnogram.edf: 1 h of wake, 10 min of N2, 1 h of wake."""
    folder.mkdir(parents=True, exist_ok=True)
    annots = [(0, 3600, "Sleep stage W"), (3600, 600, "Sleep stage 2")]
    annots.append((4200, 3600, "Sleep stage W"))
    _hypnogram_edf(folder / "SC4001EC-Hypnogram.edf", annots)
    return folder


def _cut_signal_half(folder, n):
    """Keep the channel line and the first half of the samples of excerpt<n>.txt."""
    f = folder / f"excerpt{n}.txt"
    lines = f.read_text().splitlines()
    f.write_text("\n".join(lines[: 1 + (len(lines) - 1) // 2]) + "\n")
    return folder


def _isruc_two_scorers(t, n_1, n_2):
    """Subject 1 with 4 epochs of signal and scorer files of n_1 and n_2 labels."""
    root = _isruc(t.tmp, t.write_edf, n_epochs=4, n_labels=n_1)
    _text(root / "1" / "1_2.txt", "\n".join(["0"] * n_2) + "\n")
    return root


def _hypnogram_edf(fname, annotations):
    """EDF+ hypnogram with ``[(onset, duration, description)]``."""
    end = max(o + d for o, d, _ in annotations) if annotations else 30
    edf = Edf(
        [EdfSignal(np.zeros(int(end)), sampling_frequency=1, label="Event marker")],
        annotations=[EdfAnnotation(o, d, text) for o, d, text in annotations],
    )
    edf.write(fname)
    return fname


SLEEP_EDF_ANNOTS = [
    (0, 60, "Sleep stage W"),
    (60, 30, "Sleep stage 1"),
    (90, 30, "Movement time"),
    (120, 60, "Sleep stage 2"),
    (180, 30, "Sleep stage ?"),
    (210, 30, "Sleep stage W"),
]


def _sleep_edf(folder, write_edf, sfreq=10.0):
    """SC4001E0-PSG.edf + SC4001EC-Hypnogram.edf (240 s, 1 movement, 1 unknown)."""
    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(240 * sfreq)) / sfreq
    signals = {
        "EEG Fpz-Cz": 50 * np.sin(2 * np.pi * t),
        "EEG Pz-Oz": 30 * np.sin(2 * np.pi * 2 * t),
        "EOG horizontal": np.zeros_like(t),
    }
    write_edf(folder / "SC4001E0-PSG.edf", signals, sfreq)
    _hypnogram_edf(folder / "SC4001EC-Hypnogram.edf", SLEEP_EDF_ANNOTS)
    return folder


def _windows(n_epochs=(4, 3), sfreq=10.0):
    """Synthetic labelled windows, one recording per entry of ``n_epochs``."""
    datasets = []
    for i, n in enumerate(n_epochs):
        raw = mne.io.RawArray(
            np.random.default_rng(i).standard_normal((1, int(n * 30 * sfreq))),
            mne.create_info(1, sfreq, "eeg"),
            verbose="error",
        )
        annotate_epochs(raw, np.arange(n) % 5)
        datasets.append(raw_dataset(raw, dict(subject=i, recording=1)))
    return make_windows(datasets)


def _clf(**kw):
    return tiny_clf(**{"assistant": TinySleepNet, "batch_size": 8, **kw})


def _truncate(path, fraction):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def _refit_smaller_budget(t):
    _clf(checkpoint_dir=t.tmp / "ckpt", max_epochs=2).fit(t.X, t.y)
    _clf(checkpoint_dir=t.tmp / "ckpt", max_epochs=1).fit(t.X, t.y)


def _model():
    return TinySleepNet()


# ---------------------------------------------------------------- the table
# (id, kind, call(t), expected, message fragments (regexes, all must match))
# kind "raises": call raises `expected`; "warns": call warns `expected`;
# "exit": call returns argv for `sleepkd`, which must exit 2, no traceback.
CASES = [
    # --- label files -------------------------------------------------------
    (
        "dreams-hypnogram-unknown-code",
        "raises",
        lambda t: read_dreams_hypnogram(_text(t.tmp / "h.txt", "[Hypnogram]\n5\n7\n")),
        ValueError,
        ["unknown hypnogram values", "expected one of", r"line 3: '7'"],
    ),
    (
        "dreams-hypnogram-blank-line",
        "raises",
        lambda t: read_dreams_hypnogram(_text(t.tmp / "h.txt", "[Hypnogram]\n5\n\n5")),
        ValueError,
        [r"blank lines between hypnogram codes \(lines 3\)", "one value per line"],
    ),
    (
        "dreams-hypnogram-no-header",
        "raises",
        lambda t: read_dreams_hypnogram(_text(t.tmp / "h.txt", "5\n5\n")),
        ValueError,
        [r"first line should be \[Hypnogram\]"],
    ),
    (
        "dreams-hypnogram-zero-length",
        "raises",
        lambda t: read_dreams_hypnogram(_text(t.tmp / "h.txt", "[Hypnogram]\n")),
        ValueError,
        ["no hypnogram codes", "empty recording"],
    ),
    (
        "dreams-hypnogram-binary",
        "raises",
        lambda t: read_dreams_hypnogram(_text(t.tmp / "h.txt", b"\xff\xfe\x00\x01")),
        ValueError,
        [r"h\.txt: not a text hypnogram file", "one value per line"],
    ),
    (
        "dreams-hypnogram-missing-file",
        "raises",
        lambda t: read_dreams_hypnogram(t.tmp / "nope.txt"),
        FileNotFoundError,
        [r"hypnogram file not found: .*nope\.txt"],
    ),
    (
        "isruc-labels-unknown-code",
        "raises",
        lambda t: read_isruc_labels(_text(t.tmp / "1_1.txt", "0\n4\n2\nW\n")),
        ValueError,
        [
            "unknown sleep stage values",
            r"expected one of \[0, 1, 2, 3, 5\]",
            r"line 2: '4'; line 4: 'W'",
        ],
    ),
    (
        "isruc-labels-float",
        "raises",
        lambda t: read_isruc_labels(_text(t.tmp / "1_1.txt", "0\n2.5\n")),
        ValueError,
        ["unknown sleep stage values", r"line 2: '2\.5'"],
    ),
    (
        "isruc-labels-blank-line",
        "raises",
        lambda t: read_isruc_labels(_text(t.tmp / "1_1.txt", "0\n\n\n2\n\n")),
        ValueError,
        [r"2 blank lines between labels \(lines 2, 3\)", "trailing blank lines"],
    ),
    (
        "isruc-labels-zero-length",
        "raises",
        lambda t: read_isruc_labels(_text(t.tmp / "1_1.txt", "\n\n")),
        ValueError,
        ["no labels in the file", "empty recording"],
    ),
    (
        "sleep-edf-hypnogram-unknown-description",
        "raises",
        lambda t: read_sleep_edf_hypnogram(
            _hypnogram_edf(
                t.tmp / "x-Hypnogram.edf",
                [(0, 30, "Sleep stage W"), (30, 30, "Sleep stage X")],
            )
        ),
        ValueError,
        [r"unknown annotation descriptions \['Sleep stage X'\]"],
    ),
    (
        "sleep-edf-hypnogram-no-annotations",
        "raises",
        lambda t: read_sleep_edf_hypnogram(
            t.write_edf(t.tmp / "x-Hypnogram.edf", {"A": np.zeros(60)}, 1),
            crop_wake_mins=None,
        ),
        ValueError,
        ["no annotations", "expected an EDF\\+ hypnogram"],
    ),
    (
        "sleep-edf-hypnogram-truncated",
        "raises",
        lambda t: read_sleep_edf_hypnogram(
            _truncate(_hypnogram_edf(t.tmp / "x-Hypnogram.edf", SLEEP_EDF_ANNOTS), 0.7)
        ),
        ValueError,
        ["is truncated", r"header announces \d+ data records", r"file has \d+ bytes"],
    ),
    # --- signal files ------------------------------------------------------
    (
        "dreams-signal-nan-inf-blank",
        "raises",
        lambda t: read_dreams_signal(
            _text(t.tmp / "s.txt", "[C3-A1]\n1.0\nnan\n2\n\ninf\n3\n")
        ),
        ValueError,
        [r"3 samples are blank, NaN or inf \(lines 3, 5, 6\)", "finite number"],
    ),
    (
        "dreams-signal-zero-length",
        "raises",
        lambda t: read_dreams_signal(_text(t.tmp / "s.txt", "[C3-A1]\n\n")),
        ValueError,
        ["no samples after the channel line"],
    ),
    (
        "dreams-signal-two-columns",
        "raises",
        lambda t: read_dreams_signal(_text(t.tmp / "s.txt", "[C3-A1]\n1,2\n3,4\n")),
        ValueError,
        ["2 values per line", "expected one sample per line"],
    ),
    (
        "dreams-signal-non-numeric",
        "raises",
        lambda t: read_dreams_signal(_text(t.tmp / "s.txt", "[C3-A1]\n1\nabc\n")),
        ValueError,
        ["non-numeric sample values", "one number per line"],
    ),
    (
        "edf-truncated",
        "raises",
        lambda t: ISRUC(1, _truncate_isruc(t, 0.8)),
        ValueError,
        [r"1\.edf is truncated", r"announces \d+ data records"],
    ),
    (
        "edf-corrupt-header",
        "raises",
        lambda t: ISRUC(1, _corrupt_isruc(t)),
        ValueError,
        ["Cannot read .*1\\.edf as EDF", "corrupt or truncated"],
    ),
    (
        "edf-negative-record-duration",
        "raises",
        lambda t: ISRUC(1, _edit_isruc_header(t, 244, b"-1      ")),
        ValueError,
        ["sampling rate of -\\d+ Hz", "expected a positive rate", "corrupt"],
    ),
    # --- loaders -----------------------------------------------------------
    (
        "dreams-fewer-codes-than-signal",
        "raises",
        lambda t: DREAMS(_dreams(t.tmp, codes=CODES[:-1], n_codes_signal=24), 1),
        ValueError,
        ["cannot infer a sampling rate", "signal and hypnogram do not match"],
    ),
    (
        "dreams-more-codes-than-signal",
        "raises",
        lambda t: DREAMS(_dreams(t.tmp, codes=CODES + [5], n_codes_signal=24), 1),
        ValueError,
        ["cannot infer a sampling rate", "do not match"],
    ),
    (
        "dreams-missing-data-folder",
        "raises",
        lambda t: DREAMS(path=t.tmp / "nowhere"),
        FileNotFoundError,
        ["Data folder not found", "nowhere", "SLEEPKD_DATA"],
    ),
    (
        "dreams-missing-excerpt",
        "raises",
        lambda t: DREAMS(_dreams(t.tmp), subject_ids=[1, 9]),
        FileNotFoundError,
        [r"Missing DREAMS files: .*excerpt9\.txt", "Hypnogram_excerpt9"],
    ),
    (
        "dreams-missing-channel",
        "raises",
        lambda t: DREAMS(_dreams(t.tmp), 1, sfreq=50.0, channel="Fz-A1"),
        ValueError,
        ["Channel 'Fz-A1' not in", r"available: \['C3-A1'\]"],
    ),
    (
        "dreams-mixed-sampling-rates",
        "raises",
        lambda t: DREAMS(
            _dreams(_dreams(t.tmp, 1, 50.0), 2, 100.0),
            [1, 2],
            sfreq=None,
            native_sfreq=None,  # not the Spindles excerpts' rates
        ),
        ValueError,
        [
            "different sampling rates",
            "excerpt1: 50 Hz",
            "excerpt2: 100 Hz",
            "pass sfreq=",
        ],
    ),
    (
        "dreams-all-epochs-unscored",
        "raises",
        lambda t: DREAMS(
            _dreams(t.tmp, codes=[-2] * 24), 1, sfreq=50.0, native_sfreq=None
        ),
        ValueError,
        ["No labelled epoch left in 1 recordings", "excerpt1", "zero-length"],
    ),
    (
        "dreams-unknown-format",
        "raises",
        lambda t: DREAMS(_dreams(t.tmp), 1, format="mat"),
        ValueError,
        ["format must be 'txt' or 'edf'", "'mat'"],
    ),
    (
        "dreams-text-cut-to-half",
        "raises",
        lambda t: DREAMS(_cut_signal_half(_dreams(t.tmp, 1, 100.0), 1), 1),
        ValueError,
        ["imply 50 Hz", "excerpt1 is documented at 100 Hz", "truncated"],
    ),
    (
        "dreams-sfreq-zero",
        "raises",
        lambda t: DREAMS(t.tmp / "nowhere", sfreq=0),
        ValueError,
        ["sfreq must be a positive number of Hz", "got 0"],
    ),
    (
        "dreams-sfreq-negative",
        "raises",
        lambda t: DREAMS(t.tmp / "nowhere", sfreq=-5),
        ValueError,
        ["sfreq must be a positive number of Hz", "got -5"],
    ),
    (
        "isruc-missing-folder",
        "raises",
        lambda t: ISRUC(1, t.tmp / "nowhere"),
        FileNotFoundError,
        ["ISRUC folder not found", "Download subgroup 3"],
    ),
    (
        "isruc-missing-channel",
        "raises",
        lambda t: ISRUC(1, _isruc(t.tmp, t.write_edf), channel="O2-A1"),
        ValueError,
        ["Channel 'O2-A1' not in", r"available: \['C4-A1', 'F3-A2'\]"],
    ),
    (
        "isruc-zero-length-labels",
        "raises",
        lambda t: ISRUC(1, _isruc(t.tmp, t.write_edf, n_labels=0)),
        ValueError,
        ["no labels in the file", "empty recording"],
    ),
    (
        "isruc-fewer-labels-than-signal",
        "warns",
        lambda t: ISRUC(1, _isruc(t.tmp, t.write_edf, n_epochs=4, n_labels=3)),
        UserWarning,
        ["ISRUC: epochs dropped", r"subject 1 session 1: 1 \(length mismatch\)"],
    ),
    (
        "isruc-more-labels-than-signal",
        "warns",
        lambda t: ISRUC(1, _isruc(t.tmp, t.write_edf, n_epochs=3, n_labels=5)),
        UserWarning,
        [r"2 \(length mismatch\) \+ 0 \(last epochs\)"],
    ),
    (
        "isruc-both-scorers-differ-in-length",
        "warns",
        lambda t: ISRUC(1, _isruc_two_scorers(t, 4, 3), scorer="both"),
        UserWarning,
        [
            "subject 1 session 1: the scorers' files differ in length",
            r"1_1\.txt 4, 1_2\.txt 3 labels\), 1 labels of the longer one unused",
        ],
    ),
    (
        "isruc-unknown-subgroup",
        "raises",
        lambda t: ISRUC(1, t.tmp, subgroup=4),
        ValueError,
        ["subgroup must be 1, 2 or 3", "got 4"],
    ),
    (
        "sleep-edf-not-in-corpus",
        "raises",
        lambda t: SleepEDF(subject_ids=39, recording_ids=1, path=t.tmp),
        ValueError,
        [r"Not in the Sleep Cassette corpus .*\(39, 1\)"],
    ),
    (
        "sleep-edf-missing-files",
        "raises",
        lambda t: SleepEDF(subject_ids=0, recording_ids=1, path=t.tmp),
        FileNotFoundError,
        ["2 Sleep-EDF files missing", "SC4001E0-PSG.edf", "Download them"],
    ),
    (
        "sleep-edf-missing-channel",
        "raises",
        lambda t: SleepEDF(0, 1, path=_sleep_edf(t.tmp, t.write_edf), channel="C3"),
        ValueError,
        ["Channel 'C3' not in", "available:"],
    ),
    (
        "load-sample-missing",
        "raises",
        lambda t: load_sample(path=t.tmp / "nowhere"),
        FileNotFoundError,
        ["sample was not found; looked in", "nowhere", "SLEEPKD_DATA"],
    ),
    (
        "simulate-crop-keeps-only-wake",
        "raises",
        lambda t: simulate_sleep_eeg(
            n_recordings=1, max_epochs_per_recording=60, hypnogram_dir=_night(t.tmp)
        ),
        ValueError,
        ["keeps only wake", "max_epochs_per_recording >= 61", "crop_wake_mins"],
    ),
    # --- sequences ---------------------------------------------------------
    (
        "seq-len-zero",
        "raises",
        lambda t: make_sequences(t.windows, 0),
        ValueError,
        ["seq_len must be a whole number >= 1, got 0"],
    ),
    (
        "seq-len-fraction",
        "raises",
        lambda t: make_sequences(t.windows, 2, stride=1.5),
        ValueError,
        ["stride must be a whole number >= 1, got 1.5"],
    ),
    (
        "seq-len-longer-than-recording",
        "raises",
        lambda t: make_sequences(t.windows, 4),
        ValueError,
        ["seq_len=4 is longer than subject=1", "3 consecutive windows", "on_short"],
    ),
    (
        "seq-ndarray-instead-of-windows",
        "raises",
        lambda t: make_sequences(np.zeros((8, 1, 300), dtype=np.float32), 2),
        TypeError,
        [
            "make_sequences expects a braindecode BaseConcatDataset of windows",
            r"got ndarray of shape \(8, 1, 300\)",
        ],
    ),
    (
        "seq-mixed-sampling-rates",
        "raises",
        lambda t: make_sequences(
            BaseConcatDataset(t.windows.datasets + _windows((3,), 20.0).datasets), 2
        ),
        ValueError,
        [r"different sampling rates \[10\.0, 20\.0\]", "resample"],
    ),
    # --- models ------------------------------------------------------------
    (
        "preset-unknown-family",
        "raises",
        lambda t: preset("resnet", "student"),
        ValueError,
        ["Unknown model family 'resnet'", r"valid families are \['deepsleepnet'"],
    ),
    (
        "preset-unknown-role",
        "raises",
        lambda t: preset("salient", "professor"),
        ValueError,
        ["Unknown role 'professor'", "valid roles are"],
    ),
    (
        "preset-bad-sfreq",
        "raises",
        lambda t: preset("salient", "student", sfreq=-100),
        ValueError,
        ["sfreq must be a positive number, got -100"],
    ),
    (
        "model-wrong-ndim",
        "raises",
        lambda t: _model()(torch.zeros(2, 1, 300)),
        ValueError,
        ["4 dimensions", r"got 3 dimensions with shape \(2, 1, 300\)"],
    ),
    (
        "model-wrong-n-chans",
        "raises",
        lambda t: _model()(torch.zeros(2, 3, 2, 300)),
        ValueError,
        ["Expected n_chans=1 channels", "got 2"],
    ),
    (
        "model-wrong-n-times",
        "raises",
        lambda t: check_signal(torch.zeros(1, 1, 1, 299), 1, 300),
        ValueError,
        ["Expected n_times=300 samples per epoch", "got 299"],
    ),
    (
        "model-nan-input",
        "raises",
        lambda t: _model()(torch.full((1, 2, 1, 300), float("nan"))),
        ValueError,
        ["600 non-finite values", "clean or interpolate"],
    ),
    (
        "model-empty-sequence",
        "raises",
        lambda t: _model()(torch.zeros(1, 0, 1, 300)),
        ValueError,
        ["at least one epoch", r"\(1, 0, 1, 300\)"],
    ),
    (
        "model-integer-signal",
        "raises",
        lambda t: _model()(torch.zeros(1, 2, 1, 300, dtype=torch.int64)),
        ValueError,
        ["floating-point signal", "torch.int64"],
    ),
    # --- estimator ---------------------------------------------------------
    (
        "fit-empty-arrays",
        "raises",
        lambda t: _clf().fit(t.X[:0], t.y[:0]),
        ValueError,
        ["X is empty", "at least one sequence"],
    ),
    (
        "fit-wrong-ndim",
        "raises",
        lambda t: _clf().fit(t.X[:, 0], t.y),
        ValueError,
        ["must have 4 dimensions", "got 3", "make_sequences"],
    ),
    (
        "fit-nan-signal",
        "raises",
        lambda t: _clf().fit(np.where(t.X > 1.5, np.nan, t.X), t.y),
        ValueError,
        [r"\d+ non-finite values \(NaN or inf\)", "clean or interpolate"],
    ),
    (
        "fit-inf-signal",
        "raises",
        lambda t: _clf().fit(np.where(t.X > 1.5, -np.inf, t.X), t.y),
        ValueError,
        ["non-finite values"],
    ),
    (
        "fit-labels-out-of-range",
        "raises",
        lambda t: _clf().fit(t.X, np.where(t.y == 0, -2, t.y)),
        ValueError,
        [
            r"Labels outside 0\.\.4 \(or -1 for an unscored epoch\): \[-2\]",
            "Map or drop",
        ],
    ),
    (
        "fit-float-labels",
        "raises",
        lambda t: _clf().fit(t.X, t.y + 0.5),
        ValueError,
        ["Float labels must be whole numbers 0..n_classes-1"],
    ),
    (
        "fit-string-labels",
        "raises",
        lambda t: _clf().fit(t.X, np.array(["W", "N1", "N2"])[t.y % 3]),
        ValueError,
        ["Labels must be integers 0..4", "map stage names to integers"],
    ),
    (
        "fit-X-y-length-mismatch",
        "raises",
        lambda t: _clf().fit(t.X, t.y[:-2]),
        ValueError,
        ["different lengths: 8 sequences in X, 6 in y"],
    ),
    (
        "fit-X-y-seq-len-mismatch",
        "raises",
        lambda t: _clf().fit(t.X, t.y[:, :2]),
        ValueError,
        ["different sequence lengths: seq_len=3", "2 labels per sequence"],
    ),
    (
        "fit-ragged-X",
        "raises",
        lambda t: _clf().fit([t.X[0], t.X[1][:2]], t.y[:2]),
        ValueError,
        ["X must be one array of shape", "different shapes"],
    ),
    (
        "fit-no-labels",
        "raises",
        lambda t: _clf().fit(t.X),
        ValueError,
        ["y is required", r"\(n_seq, seq_len\)"],
    ),
    (
        "fit-student-n-chans-mismatch",
        "raises",
        lambda t: _clf(student__n_chans=2).fit(t.X, t.y),
        ValueError,
        ["student expects n_chans=2", "have n_chans=1", "must share"],
    ),
    (
        "fit-assistant-n-times-mismatch",
        "raises",
        lambda t: _clf(assistant__n_times=200).fit(t.X, t.y),
        ValueError,
        ["assistant expects n_times=200", "have n_times=300"],
    ),
    (
        "fit-teacher-n-classes-mismatch",
        "raises",
        lambda t: _clf(teacher__n_classes=4).fit(t.X, t.y),
        ValueError,
        ["teacher expects n_classes=4", "n_classes=5"],
    ),
    (
        "fit-unknown-strategy",
        "raises",
        lambda t: _clf(strategy="magic").fit(t.X, t.y),
        ValueError,
        ["magic", "valid strategies are: dgkd, dist, dkd"],
    ),
    (
        "fit-unknown-preset-family",
        "raises",
        lambda t: SleepKDClassifier("vgg", "vgg", "vgg", verbose=0).fit(t.X, t.y),
        ValueError,
        ["Unknown model family 'vgg'", "valid families"],
    ),
    (
        "fit-unknown-ablation",
        "raises",
        lambda t: _clf(ablation="no_teacher").fit(t.X, t.y),
        ValueError,
        ["Unknown ablation 'no_teacher'", "valid ablations are"],
    ),
    (
        "fit-negative-loss-weight",
        "raises",
        lambda t: _clf(gamma_soft=-1.0).fit(t.X, t.y),
        ValueError,
        ["gamma_soft must be a number >= 0", "got -1"],
    ),
    (
        "fit-nan-loss-weight",
        "raises",
        lambda t: _clf(beta_seq=float("nan")).fit(t.X, t.y),
        ValueError,
        ["beta_seq must be a number >= 0", "nan"],
    ),
    (
        "fit-zero-temperature",
        "raises",
        lambda t: _clf(temperature=0).fit(t.X, t.y),
        ValueError,
        ["temperature must be > 0, got 0"],
    ),
    (
        "fit-windows-seq-len-longer-than-recording",
        "raises",
        lambda t: _clf(seq_len=5).fit(t.windows),
        ValueError,
        ["seq_len=5 is longer than", "4 consecutive windows"],
    ),
    (
        "predict-before-fit",
        "raises",
        lambda t: _clf().predict(t.X),
        NotFittedError,
        ["not fitted yet", "Call 'fit'"],
    ),
    (
        "resume-with-smaller-budget",
        "raises",
        _refit_smaller_budget,
        ValueError,
        ["finished after a budget of 2 epochs", "more than the 1 asked"],
    ),
    # --- command line -----------------------------------------------------
    (
        "cli-demo-zero-epochs",
        "exit",
        lambda t: ["demo", "--max-epochs", "0"],
        2,
        ["sleepkd demo: error: --max-epochs and --seq-len must be >= 1"],
    ),
    (
        "cli-demo-missing-data-folder",
        "exit",
        lambda t: ["demo", "--data", str(t.tmp / "nowhere")],
        2,
        ["sample was not found; looked in", "nowhere"],
    ),
    (
        "cli-demo-not-an-int",
        "exit",
        lambda t: ["demo", "--seq-len", "ten"],
        2,
        ["argument --seq-len: invalid int value: 'ten'"],
    ),
    (
        "cli-unknown-option",
        "exit",
        lambda t: ["demo", "--nope"],
        2,
        ["unrecognized arguments: --nope"],
    ),
    (
        "cli-benchmark-missing-config",
        "exit",
        lambda t: ["benchmark", "--config", str(t.tmp / "none.json")],
        2,
        ["sleepkd benchmark: error: config file not found", "none.json"],
    ),
    (
        "cli-benchmark-invalid-json",
        "exit",
        lambda t: ["benchmark", "--config", str(_text(t.tmp / "c.json", "{oops"))],
        2,
        ["is not valid JSON"],
    ),
    (
        "cli-benchmark-bad-dataset",
        "exit",
        lambda t: ["benchmark", "--dataset", "mnist"],
        2,
        ["argument --dataset: invalid choice: 'mnist'", "choose from"],
    ),
    (
        "cli-export-missing-checkpoint",
        "exit",
        lambda t: ["export", "--checkpoint", str(t.tmp / "no.pkl"), "--out", "s.onnx"],
        2,
        ["sleepkd export: error:", r"no\.pkl does not exist"],
    ),
    (
        "cli-export-corrupt-checkpoint",
        "exit",
        lambda t: [
            "export",
            "--checkpoint",
            str(_text(t.tmp / "bad.pkl", b"not a pickle")),
            "--out",
            str(t.tmp / "s.onnx"),
        ],
        2,
        ["cannot load checkpoint", r"bad\.pkl"],
    ),
    # (the export rows name a missing checkpoint: the arguments are checked first)
    (
        "cli-export-opset-too-old",
        "exit",
        lambda t: [
            "export",
            "--checkpoint",
            "no.pkl",
            "--out",
            "s.onnx",
            "--opset",
            "5",
        ],
        2,
        ["ONNX opset 5 is not supported", "supported opsets are 10 to 20"],
    ),
    (
        "cli-export-opset-too-new",
        "exit",
        lambda t: [
            "export",
            "--checkpoint",
            "no.pkl",
            "--out",
            "s.onnx",
            "--opset",
            "99",
        ],
        2,
        ["ONNX opset 99 is not supported", "supported opsets are 10 to 20"],
    ),
    (
        "cli-export-unknown-extension",
        "exit",
        lambda t: ["export", "--checkpoint", "no.pkl", "--out", "a.txt"],
        2,
        [r"--out a\.txt: unknown extension '\.txt'", r"\.onnx \(onnx\)", r"\.pt "],
    ),
    (
        "cli-export-format-contradicts-extension",
        "exit",
        lambda t: [
            "export",
            "--checkpoint",
            "no.pkl",
            "--out",
            "s.pt",
            "--format",
            "onnx",
        ],
        2,
        [r"--format onnx does not match --out s\.pt \(\.pt is torchscript\)"],
    ),
    (
        "cli-export-opset-for-torchscript",
        "exit",
        lambda t: [
            "export",
            "--checkpoint",
            "no.pkl",
            "--out",
            "s.pt",
            "--opset",
            "17",
        ],
        2,
        ["--opset applies to ONNX only"],
    ),
    (
        "export-opset-out-of-range",
        "raises",
        lambda t: _export_onnx(t, opset=9),
        ValueError,
        ["ONNX opset 9 is not supported", "supported opsets are 10 to 20"],
    ),
    (
        "export-opset-not-an-int",
        "raises",
        lambda t: _export_onnx(t, opset="17"),
        ValueError,
        ["opset must be an int", "got '17'"],
    ),
]


def _export_onnx(t, **kwargs):
    from braindecode_sleepkd.export import to_onnx

    to_onnx(_model(), t.tmp / "s.onnx", n_chans=1, n_times=300, **kwargs)


def _truncate_isruc(t, fraction):
    root = _isruc(t.tmp, t.write_edf)
    _truncate(root / "1" / "1.edf", fraction)
    return root


def _edit_isruc_header(t, start, value):
    root = _isruc(t.tmp, t.write_edf)
    edf = root / "1" / "1.edf"
    data = bytearray(edf.read_bytes())
    data[start : start + len(value)] = value
    edf.write_bytes(bytes(data))
    return root


def _corrupt_isruc(t):
    root = _isruc(t.tmp, t.write_edf)
    edf = root / "1" / "1.edf"
    data = bytearray(edf.read_bytes())
    data[184:256] = b"x" * 72  # header size, record count and duration, signals
    edf.write_bytes(bytes(data))
    return root


@pytest.fixture(scope="module")
def shared():
    X, y, _ = make_data(n_seq=8, seq_len=3)
    return SimpleNamespace(X=X, y=y, windows=_windows((4, 3)))


@pytest.fixture
def t(shared, tmp_path, write_edf):
    return SimpleNamespace(**vars(shared), tmp=tmp_path, write_edf=write_edf)


def _check_message(text, fragments):
    for frag in fragments:
        assert re.search(frag, text), f"{frag!r} not in message:\n{text}"


def test_table_lists_enough_distinct_cases():
    ids = [case[0] for case in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 30


@pytest.mark.parametrize(
    "kind, call, expected, fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input(kind, call, expected, fragments, t):
    if kind == "raises":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(expected) as info:
                call(t)
        _check_message(str(info.value), fragments)
    elif kind == "warns":
        with pytest.warns(expected) as record:
            call(t)
        _check_message(" | ".join(str(w.message) for w in record), fragments)
    else:
        argv = call(t)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = cli.main(argv)
            except SystemExit as exc:  # argparse errors
                code = exc.code
        assert code == expected
        assert "Traceback" not in err.getvalue()
        _check_message(err.getvalue(), fragments)


# ------------------------------------------------- nothing dropped silently
def test_dreams_reports_ambiguous_and_trimmed(tmp_path):
    codes = [5] * 6 + [2, 2, 3, 3, -1, 4] + [2] * 6 + [4] * 6  # epoch 1 ambiguous
    _dreams(tmp_path, codes=codes, extra=20)  # 0.4 s of signal after the last epoch
    with pytest.warns(UserWarning) as record:
        ds = DREAMS(tmp_path, 1, sfreq=None, ambiguous="drop", native_sfreq=None)
    text = " | ".join(str(w.message) for w in record)
    assert "excerpt1: 1 epochs dropped (1 ambiguous at positions [1])" in text
    assert "20 samples after the last scored epoch unused" in text
    desc = ds.description.iloc[0]
    assert desc["n_epochs_scored"] == 4 and desc["n_windows"] == 3
    assert desc["n_dropped"] == 1 and desc["n_ambiguous"] == 1
    assert desc["n_trimmed_samples"] == 20
    assert desc["n_windows"] + desc["n_dropped"] == desc["n_epochs_scored"]


def test_isruc_reports_mismatch_and_last_epochs(tmp_path, write_edf):
    _isruc(tmp_path, write_edf, n_epochs=6, n_labels=4)
    with pytest.warns(UserWarning, match=r"2 \(length mismatch\) \+ 1 \(last"):
        ds = ISRUC(1, tmp_path, drop_last_epochs=1)
    desc = ds.description.iloc[0]
    assert desc["n_dropped_mismatch"] == 2 and desc["n_dropped_last"] == 1
    assert desc["n_dropped"] == 3 and desc["n_windows"] == 3
    assert desc["n_windows"] + desc["n_dropped"] == desc["n_signal_epochs"]


def test_sleep_edf_reports_movement_and_unknown(tmp_path, write_edf):
    _sleep_edf(tmp_path, write_edf)
    with pytest.warns(UserWarning, match="subject 0 night 1: 1 movement, 1 unknown"):
        ds = SleepEDF(0, 1, path=tmp_path, crop_wake_mins=0)
    desc = ds.description.iloc[0]
    assert (desc["n_movement"], desc["n_unknown"], desc["n_dropped"]) == (1, 1, 2)
    assert desc["n_windows"] == 6  # 8 epochs of 30 s, 2 left out and counted
    assert np.bincount(ds.get_metadata()["target"], minlength=5).tolist() == [
        3,
        1,
        2,
        0,
        0,
    ]


def test_sequences_report_skipped_windows():
    windows = _windows((4, 2, 5))
    with pytest.warns(UserWarning, match="1 recordings or runs shorter than seq_len"):
        X, _, groups = make_sequences(windows, 3, on_short="skip")
    assert 1 not in set(groups.tolist())
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        make_sequences(windows, 2)  # nothing skipped: no warning
    assert not [w for w in record if "seq_len" in str(w.message)]


# ------------------------------------------- found by the reliability pass
def test_score_refuses_labels_out_of_range():

    from braindecode_sleepkd import SleepKDClassifier

    X, y, _ = make_data(n_seq=8)
    clf = SleepKDClassifier(
        TinySleepNet, None, TinySleepNet, max_epochs=1, verbose=0, random_state=0
    ).fit(X, y)
    with pytest.raises(ValueError, match=r"Labels outside 0\.\.4 .*: \[7\]"):
        clf.score(X, np.full_like(y, 7))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sfreq": float("nan")}, "sfreq must be a positive number"),
        ({"n_chans": 0}, "n_chans must be a whole number >= 1"),
    ],
)
def test_preset_refuses_bad_signal_args(kwargs, match):
    from braindecode_sleepkd import preset

    with pytest.raises(ValueError, match=match):
        preset("salient", "student", **kwargs)


def test_estimator_refuses_fewer_than_two_classes():

    from braindecode_sleepkd import SleepKDClassifier

    X, y, _ = make_data(n_seq=4)
    clf = SleepKDClassifier(TinySleepNet, None, TinySleepNet, n_classes=0)
    with pytest.raises(ValueError, match="n_classes must be a whole number >= 2"):
        clf.fit(X, y)


def test_export_of_corrupt_pickle_says_what_is_expected(tmp_path):
    from braindecode_sleepkd.export import load_checkpoint

    path = tmp_path / "broken.pkl"
    path.write_bytes(b"\x80\x04\x95 not a pickle at all")
    with pytest.raises(ValueError, match="Expected a fitted SleepKDClassifier"):
        load_checkpoint(path)
