"""Fuzz the label-file and EDF readers (hypothesis, about a minute in all).

Whatever the bytes, a reader returns a valid result or raises one of its
documented errors, ``ValueError`` or ``FileNotFoundError``, whose message names
the file. Anything else (IndexError, KeyError, UnicodeDecodeError raised as is,
ZeroDivisionError, MemoryError, a hang) is a finding.
"""

import functools
import io
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from edfio import Edf, EdfAnnotation, EdfSignal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from braindecode_sleepkd.datasets import (
    read_dreams_hypnogram,
    read_dreams_signal,
    read_isruc_labels,
    read_sleep_edf_hypnogram,
)
from braindecode_sleepkd.datasets._edf import read_edf_channel
from braindecode_sleepkd.datasets.dreams import DREAMS_RK_TO_AASM

FUZZ = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
DOCUMENTED = (ValueError, FileNotFoundError)

# lines that look like label files: valid codes, near misses, junk, blanks
_token = st.one_of(
    st.sampled_from(["5", "4", "3", "2", "1", "0", "-1", "-2", "-3"]),
    st.sampled_from(["", " ", "\t", "6", "-4", "2.0", "1e3", "W", "N1", "nan", "²"]),
    st.sampled_from(["[Hypnogram]", "[C3-A1]", "0x5", " 5 ", "+3", "٣"]),
    st.text(max_size=6),
)
_newline = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def _text_file(draw, header=None):
    lines = draw(st.lists(_token, max_size=40))
    if header is not None and draw(st.booleans()):
        lines = [header, *lines]
    text = draw(_newline).join(lines) + draw(st.sampled_from(["", "\n", "\n\n"]))
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 9)) == 0:  # sometimes not text at all
        data = draw(st.binary(max_size=64))
    return data


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def _call(reader, fname, *args, **kwargs):
    """Run a reader; a documented error must name the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return reader(fname, *args, **kwargs)
    except DOCUMENTED as exc:
        assert type(exc) in DOCUMENTED, f"{type(exc).__name__}: {exc}"
        assert fname.name in str(exc), f"message does not name the file: {exc}"
        return None


#: (reader, file name, header line, the values it may return) per label file
LABEL_FILES = {
    "dreams-hypnogram": (
        read_dreams_hypnogram,
        "Hypnogram_excerpt1.txt",
        "[Hypnogram]",
        set(DREAMS_RK_TO_AASM),
    ),
    "isruc-labels": (read_isruc_labels, "1_1.txt", None, {0, 1, 2, 3, 4}),
}


@FUZZ
@pytest.mark.parametrize("kind", sorted(LABEL_FILES))
@given(data=st.data())
def test_fuzz_label_file(kind, data, folder):
    reader, name, header, values = LABEL_FILES[kind]
    fname = folder / name
    fname.write_bytes(data.draw(_text_file(header=header), label="file"))
    labels = _call(reader, fname)
    if labels is not None:
        assert labels.dtype == np.int64 and len(labels) > 0
        assert set(labels.tolist()) <= values


@settings(max_examples=100, deadline=None)
@given(data=_text_file(header="[C3-A1]"))
def test_fuzz_dreams_signal(data, folder):
    fname = folder / "excerpt1.txt"
    fname.write_bytes(data)
    out = _call(read_dreams_signal, fname)
    if out is not None:
        channel, samples = out
        assert channel and samples.ndim == 1 and len(samples) > 0
        assert np.isfinite(samples).all()


# ---------------------------------------------------------------- EDF files
@functools.cache
def _edf_bytes(kind):
    """A small valid signal EDF or EDF+ hypnogram, as bytes (built once)."""
    if kind == "signal":
        t = np.arange(600) / 10.0
        signals = [
            EdfSignal(
                40 * np.sin(2 * np.pi * t),
                sampling_frequency=10.0,
                label="C3-A1",
                physical_dimension="uV",
                physical_range=(-500.0, 500.0),
            ),
            EdfSignal(np.zeros_like(t), sampling_frequency=10.0, label="EOG"),
        ]
        annotations = []
    else:
        signals = [EdfSignal(np.zeros(210), sampling_frequency=1, label="Marker")]
        annotations = [
            EdfAnnotation(0, 60, "Sleep stage W"),
            EdfAnnotation(60, 30, "Sleep stage 1"),
            EdfAnnotation(90, 30, "Movement time"),
            EdfAnnotation(120, 60, "Sleep stage 2"),
            EdfAnnotation(180, 30, "Sleep stage ?"),
        ]
    buffer = io.BytesIO()
    Edf(signals, annotations=annotations).write(buffer)
    return buffer.getvalue()


@st.composite
def _mutated(draw, kind):
    """Truncated, byte-flipped (header or anywhere), or header-field edits."""
    data = bytearray(_edf_bytes(kind))
    how = draw(st.sampled_from(["truncate", "flip_header", "flip_any", "field"]))
    if how == "truncate":
        return bytes(data[: draw(st.integers(0, len(data) - 1))])
    if how == "field":  # a header number replaced by junk or an extreme value
        field = draw(st.sampled_from([(184, 8), (236, 8), (244, 8), (252, 4)]))
        value = draw(st.sampled_from([b"", b"-1", b"0", b"99999999", b"1e9", b"x"]))
        start, width = field
        data[start : start + width] = value.ljust(width)[:width]
        return bytes(data)
    limit = 256 * 3 if how == "flip_header" else len(data)
    for pos, byte in draw(
        st.lists(st.tuples(st.integers(0, limit - 1), st.integers(0, 255)), max_size=8)
    ):
        data[pos] = byte
    return bytes(data)


@FUZZ
@given(data=st.data())
def test_fuzz_edf_signal_reader(data, folder):
    fname = folder / "fuzz.edf"
    fname.write_bytes(data.draw(_mutated("signal")))
    out = _call(read_edf_channel, fname, "C3-A1")
    if out is not None:
        samples, sfreq = out
        assert samples.ndim == 1 and sfreq > 0


@FUZZ
@given(data=st.data())
def test_fuzz_sleep_edf_hypnogram_reader(data, folder):
    fname = folder / "fuzz-Hypnogram.edf"
    fname.write_bytes(data.draw(_mutated("hypnogram")))
    crop = data.draw(st.sampled_from([None, 30.0]))
    out = _call(read_sleep_edf_hypnogram, fname, crop_wake_mins=crop)
    if out is not None:
        labels, report = out
        assert labels.ndim == 1 and set(labels.tolist()) <= {-1, 0, 1, 2, 3, 4}
        assert report["n_movement"] + report["n_unknown"] == (labels < 0).sum()
