"""``.ci/run`` finds the data only through ``$SLEEPKD_DATA`` or ``../shared/data``.

Each case runs a copy of the script in a throw-away checkout whose Makefile's
``test`` target only prints a marker, so no real test session starts.
"""

import os
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "run"
MARKER = "fake make test ran"


def _checkout(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".ci").mkdir(parents=True)
    shutil.copy(SCRIPT, repo / ".ci" / "run")
    (repo / "Makefile").write_text(f"test:\n\t@echo {MARKER}\n")
    return repo


def _run(repo, data=None):
    env = {k: v for k, v in os.environ.items() if k != "SLEEPKD_DATA"}
    if data is not None:
        env["SLEEPKD_DATA"] = str(data)
    return subprocess.run(
        ["bash", str(repo / ".ci" / "run")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_no_data_fails_with_one_clear_line(tmp_path):
    # no ../shared/data beside the copy, no variable: whatever folders this
    # machine has, the script must not go looking for them
    result = _run(_checkout(tmp_path))
    assert result.returncode == 2
    assert MARKER not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "no sleep data" in lines[0]
    assert str(tmp_path / "shared" / "data") in lines[0]
    assert "SLEEPKD_DATA" in lines[0]


def test_variable_naming_a_missing_folder_fails(tmp_path):
    missing = tmp_path / "nowhere"
    result = _run(_checkout(tmp_path), data=missing)
    assert result.returncode == 2
    assert MARKER not in result.stdout
    assert f"SLEEPKD_DATA={missing} is not a folder" in result.stderr


def test_variable_naming_a_folder_runs_make_test(tmp_path):
    data = tmp_path / "elsewhere"
    data.mkdir()
    result = _run(_checkout(tmp_path), data=data)
    assert result.returncode == 0, result.stderr
    assert MARKER in result.stdout


def test_shared_data_beside_the_checkout_runs_make_test(tmp_path):
    repo = _checkout(tmp_path)
    (tmp_path / "shared" / "data").mkdir(parents=True)
    result = _run(repo)
    assert result.returncode == 0, result.stderr
    assert MARKER in result.stdout
    assert "CI finished in" in result.stdout
