"""The gap-closure benchmark: runs, resumes, and reports the share it claims."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).parents[1] / "benchmarks" / "gap_closure.py"


@pytest.fixture(scope="module")
def gap_closure():
    spec = importlib.util.spec_from_file_location("gap_closure", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TINY = [
    "--splits", "0",
    "--seeds", "0",
    "--unlabelled", "2",
    "--epochs", "1",
    "--teacher-epochs", "1",
    "--epochs-per-recording", "80",
    "--sfreq", "50",
    "--rows", "kd", "sleepkd_paper",
]  # fmt: skip


def test_run_resume_and_report(tmp_path, gap_closure, capsys):
    args = [*TINY, "--out", str(tmp_path), "--work", str(tmp_path / "work")]
    gap_closure.main(args)
    part = tmp_path / "gap_closure_narrow_split0.json"
    runs = json.loads(part.read_text())["split0"]["runs"]
    assert sorted(runs) == [
        "narrow|seed0|-|alone",
        "narrow|seed0|2|KD, cached (paper weights)",
        "narrow|seed0|2|SleepKD (paper weights)",
    ]
    assert (tmp_path / "work" / "teacher_split0_1ep.pt").exists()
    # a second call finds every run done: nothing is trained again
    capsys.readouterr()
    gap_closure.main(args)
    printed = capsys.readouterr().out
    assert "teacher" in printed and "narrow|seed0" not in printed

    gap_closure.main(["--report", "--out", str(tmp_path)])
    results = json.loads((tmp_path / "gap_closure.json").read_text())
    res = results["split0"]
    alone = res["runs"]["narrow|seed0|-|alone"]["kappa"]
    kd = res["runs"]["narrow|seed0|2|KD, cached (paper weights)"]["kappa"]
    teacher = res["teacher"]["kappa"]
    closed = results["summary"]["narrow"]["kappa"]["KD, cached (paper weights) | 2"]
    if teacher != alone:
        assert closed["gap_closed"] == pytest.approx((kd - alone) / (teacher - alone))
    else:
        assert np.isnan(closed["gap_closed"])
    md = (tmp_path / "gap_closure.md").read_text()
    assert "## Student: narrow" in md
    assert "| SleepKD (paper weights) | 2 |" in md


def test_refuses_more_unlabelled_nights_than_exist(tmp_path, gap_closure):
    args = [*TINY, "--out", str(tmp_path), "--work", str(tmp_path / "w")]
    args[args.index("--unlabelled") + 1] = "99"
    with pytest.raises(ValueError, match="asks for more nights than the"):
        gap_closure.main(args)


def test_refuses_unknown_rows(gap_closure, capsys):
    with pytest.raises(SystemExit):
        gap_closure.main(["--rows", "kd", "fitnets"])
    assert "unknown rows ['fitnets']" in capsys.readouterr().err
