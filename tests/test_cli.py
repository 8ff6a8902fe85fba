"""The ``sleepkd`` command line: demo on the real sample, clear errors."""

import os
import subprocess
import sys
from pathlib import Path

from braindecode_sleepkd import cli

SLEEPKD = str(Path(sys.executable).parent / "sleepkd")


def test_demo_runs_on_the_sample_and_prints_real_scores():
    out = subprocess.run(
        [SLEEPKD, "demo", "--max-epochs", "1", "--seq-len", "5", "--stride", "5"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    assert "teacher: trained for 1 epochs" in out.stdout
    assert "student: trained for 1 epochs" in out.stdout
    table = [line.split() for line in out.stdout.splitlines()]
    rows = {}
    for r in table:  # first occurrence: the score table (the cost table follows)
        if r and r[0] in ("teacher", "student"):
            rows.setdefault(r[0], r)
    assert 0.0 <= float(rows["student"][1]) <= 1.0
    assert "457,157" in out.stdout  # deepsleepnet teacher parameters


def test_bad_option_value_exits_2_without_traceback(capsys):
    code = cli.main(["demo", "--test-subject", "99", "--max-epochs", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--test-subject 99 is not in the sample" in err
    assert "Traceback" not in err


def test_unknown_option_is_rejected():
    out = subprocess.run([SLEEPKD, "demo", "--nope"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "unrecognized arguments: --nope" in out.stderr
    assert "Traceback" not in out.stderr


def test_help_prints_no_warning():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    for argv in (["--help"], ["export", "--help"]):
        out = subprocess.run(
            [SLEEPKD, *argv], capture_output=True, text=True, env=env, timeout=120
        )
        assert out.returncode == 0
        assert out.stdout.startswith("usage: sleepkd")
        assert out.stderr == "", out.stderr
