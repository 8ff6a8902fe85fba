"""The package installs, imports, reports its version and exposes its CLI."""

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

import braindecode_sleepkd
from braindecode_sleepkd import cli


def test_version_matches_metadata():
    assert braindecode_sleepkd.__version__ == importlib.metadata.version(
        "braindecode-sleepkd"
    )


def test_braindecode_imports_in_project_env():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import braindecode, torch; print(braindecode.__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip()[0].isdigit()


def test_torchaudio_parts_used_by_braindecode_work():
    import torch
    from torchaudio.functional import fftconvolve
    from torchaudio.transforms import Resample

    x = torch.randn(2, 1, 200)
    assert fftconvolve(x, x).shape == (2, 1, 399)
    assert Resample(200, 100)(x).shape == (2, 1, 100)


def test_cli_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in ("demo", "benchmark", "export"):
        assert name in out


def test_console_script_installed():
    exe = str(Path(sys.executable).parent / "sleepkd")
    out = subprocess.run([exe, "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "benchmark" in out.stdout


def test_import_prints_nothing():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", "import braindecode_sleepkd"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0
    assert out.stdout == "" and out.stderr == "", out.stderr
