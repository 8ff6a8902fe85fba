"""The epoch table is plain text off a terminal and with NO_COLOR."""

import contextlib
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import TinySleepNet, make_data

from braindecode_sleepkd.estimator import SleepKDClassifier
from braindecode_sleepkd.printlog import PrintLog, strip_ansi, use_color

ESC = "\x1b["


class _Terminal(io.StringIO):
    """A captured stream that says it is a terminal."""

    def isatty(self):
        super().isatty()  # raises ValueError once closed, as a real stream does
        return True


def _fit_log(stream):
    X, y, _ = make_data(n_seq=8, seq_len=3)
    clf = SleepKDClassifier(
        TinySleepNet, None, TinySleepNet, max_epochs=3, random_state=0, verbose=1
    )
    with contextlib.redirect_stdout(stream):
        clf.fit(X, y)
    return stream.getvalue()


@pytest.fixture
def colour_allowed(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)


def test_captured_stream_gets_plain_table(colour_allowed):
    log = _fit_log(io.StringIO())
    assert "train_loss" in log and "stage student" in log  # the table is there
    assert "\x1b" not in log


def test_terminal_gets_colour_unless_no_color(colour_allowed, monkeypatch):
    log = _fit_log(_Terminal())
    assert ESC in log  # best values highlighted, as skorch does
    assert strip_ansi(log) != log and "\x1b" not in strip_ansi(log)
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b" not in _fit_log(_Terminal())


def test_use_color_rules(colour_allowed, monkeypatch):
    assert use_color(_Terminal()) is True
    assert use_color(io.StringIO()) is False
    assert use_color(object()) is False  # no isatty
    closed = _Terminal()
    closed.close()
    assert use_color(closed) is False
    monkeypatch.setenv("NO_COLOR", "")  # empty means unset (no-color.org)
    assert use_color(_Terminal()) is True
    monkeypatch.setenv("NO_COLOR", "yes")
    assert use_color(_Terminal()) is False


def test_custom_sink_gets_plain_text_even_on_a_terminal(colour_allowed):
    row = {"epoch": 1, "train_loss": 0.5, "train_loss_best": True}
    lines = []
    with contextlib.redirect_stdout(_Terminal()):
        assert ESC in PrintLog().format_row(row, "train_loss", "\x1b[35m")
        cell = PrintLog(sink=lines.append).format_row(row, "train_loss", "\x1b[35m")
    assert cell == "0.5000"


def test_log_redirected_to_a_file_has_no_escape_codes(tmp_path):
    script = tmp_path / "fit.py"
    script.write_text(
        textwrap.dedent(
            """
            from helpers import TinySleepNet, make_data
            from braindecode_sleepkd import SleepKDClassifier
            X, y, _ = make_data(n_seq=8, seq_len=3)
            SleepKDClassifier(TinySleepNet, None, TinySleepNet, max_epochs=2,
                              random_state=0, verbose=1).fit(X, y)
            """
        )
    )
    log = tmp_path / "log.txt"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent))
    env.pop("NO_COLOR", None)
    with open(log, "w") as out:
        proc = subprocess.run(
            [sys.executable, str(script)], stdout=out, stderr=out, env=env, timeout=300
        )
    assert proc.returncode == 0, log.read_text()
    text = log.read_text()
    assert "train_loss" in text
    assert "\x1b" not in text
