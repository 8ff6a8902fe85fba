"""Usage errors: one line, exit code 2, before any expensive work; a light --help."""

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sleepkd_runtime.cli import main as sleepkd_stage

from braindecode_sleepkd.cli import main
from braindecode_sleepkd.cohort import write_night_edf

ROOT = Path(__file__).resolve().parents[1]


def _one_line(capsys, *expected):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    for text in expected:
        assert text in err, err
    return err


def test_distill_out_an_existing_file(tmp_path, capsys):
    (tmp_path / "out").write_text("")
    argv = ["distill", str(tmp_path / "none"), "--channel", "C3"]
    assert main(argv + ["--out", str(tmp_path / "out")]) == 2
    _one_line(capsys, "is an existing file; expected a folder")


def test_distill_other_rates_refused_before_scoring_with_no_resample(tmp_path, capsys):
    nights = tmp_path / "nights"
    write_night_edf(nights / "a.edf", np.ones((4, 1500)), 50.0, "C3")
    write_night_edf(nights / "b.edf", np.ones((4, 1500)), 50.0, "C3")
    write_night_edf(nights / "c.edf", np.ones((4, 3000)), 100.0, "C3")
    argv = ["distill", str(nights), "--channel", "C3", "--out", str(tmp_path / "o")]
    assert main(argv + ["--no-resample", "--teacher", "nope.onnx"]) == 2
    _one_line(capsys, "other rate than the cohort's 50 Hz: c (100 Hz)")
    assert not (tmp_path / "o").exists()  # nothing scored, nothing written


@pytest.mark.parametrize("command", ["sleepkd stage", "sleepkd-stage"])
def test_stage_unknown_model_extension_and_existing_outputs(tmp_path, capsys, command):
    night = tmp_path / "n.edf"
    write_night_edf(night, np.ones((4, 1500)), 50.0, "C3")
    model = tmp_path / "model.h5"
    model.write_bytes(b"not a model")

    def run(*extra):
        argv = [str(night), "--model", *extra, "--out", str(tmp_path / "out")]
        if command == "sleepkd stage":
            return main(["stage", *argv, "--no-plot"])
        return sleepkd_stage(argv)

    assert run(str(model)) == 2
    _one_line(capsys, "unknown model extension '.h5'", ".onnx")
    # outputs that exist are refused before the (here unreadable) model is read
    onnx = model.with_suffix(".onnx")
    onnx.write_bytes(b"not a model")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "n_stages.edf").write_bytes(b"")
    assert run(str(onnx)) == 2
    _one_line(capsys, "n_stages.edf already exists", "--force")
    (tmp_path / "out2").write_text("")
    argv = [str(night), "--model", str(onnx), "--out", str(tmp_path / "out2")]
    assert sleepkd_stage(argv) == 2
    _one_line(capsys, "--out", "is an existing file")


def test_stage_runtime_takes_the_sfreq_its_help_names(capsys):
    with pytest.raises(SystemExit):
        sleepkd_stage(["--help"])
    text = capsys.readouterr().out
    assert "--sfreq" in text and "--force" in text and "--quiet" in text


def test_export_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "student.onnx"
    out.write_bytes(b"precious")
    bad = tmp_path / "broken.pkl"
    bad.write_bytes(b"not a pickle")
    argv = ["export", "--checkpoint", str(bad), "--out", str(out)]
    assert main(argv) == 2
    _one_line(capsys, "student.onnx already exists", "--force")
    assert out.read_bytes() == b"precious"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(argv + ["--force"]) == 2  # goes on: the checkpoint is read
    _one_line(capsys, "cannot load checkpoint")


def test_help_imports_no_subcommand_dependency():
    code = (
        "import sys\n"
        "from braindecode_sleepkd.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'braindecode.models', 'mne', 'skorch',"
        " 'braindecode_sleepkd.evaluation', 'braindecode_sleepkd.commands.benchmark')"
        " if m in sys.modules]\n"
        "print(heavy)\n"
    )
    env = {"PYTHONPATH": f"{ROOT}:{ROOT / 'runtime'}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert "distill" in out.stdout and "stage a night" in out.stdout
