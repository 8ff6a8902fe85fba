"""The data-presence rules: absent data skips, unless SLEEPKD_REQUIRE_DATA=1 (CI).

Each case runs a small inner test session (pytest's ``pytester``) with the same
plugin as ``tests/conftest.py`` (``data_presence``) and a data folder that
exists or not.
"""

from pathlib import Path

import data_presence
import pytest

HOOKS = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
pytest_plugins = ["data_presence"]
"""

INNER_TESTS = """
import pytest

@pytest.mark.needs_data("dreams-spindles")
def test_marked():
    assert True

@pytest.mark.skipif(True, reason="real DREAMS excerpts absent: /x")
def test_old_style_skip():
    assert True

@pytest.mark.skipif(True, reason="needs a GPU")
def test_other_skip():
    assert True

def test_plain():
    assert True
"""


def _run(pytester, root, monkeypatch, require):
    if require is None:
        monkeypatch.delenv(data_presence.REQUIRE_ENV, raising=False)
    else:
        monkeypatch.setenv(data_presence.REQUIRE_ENV, require)
    # the folder is set through the environment (restored by monkeypatch): the
    # inner session shares this process's data_presence module
    monkeypatch.setenv(data_presence.ROOT_ENV, str(root))
    pytester.makeconftest(HOOKS)
    pytester.makepyfile(test_inner=INNER_TESTS)
    return pytester.runpytest_inprocess(
        "-ra", "-p", "no:randomly", "-p", "no:cacheprovider"
    )


def test_absent_data_skips_without_the_variable(pytester, tmp_path, monkeypatch):
    result = _run(pytester, tmp_path / "no-data", monkeypatch, None)
    result.assert_outcomes(passed=1, skipped=3)
    result.stdout.fnmatch_lines(["*real data absent: *no-data*dreams-spindles*"])


@pytest.mark.parametrize("value", ["1", "true"])
def test_absent_data_fails_when_required(pytester, tmp_path, monkeypatch, value):
    result = _run(pytester, tmp_path / "no-data", monkeypatch, value)
    # the marked test and the old-style data skip fail (in setup: reported as
    # errors, the run fails); a GPU skip stays a skip
    result.assert_outcomes(passed=1, errors=2, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*SLEEPKD_REQUIRE_DATA=1 but the real data is absent*",
            "*SLEEPKD_REQUIRE_DATA=1 but a test skipped for data*",
        ]
    )
    assert result.ret != 0


def test_present_data_runs_when_required(pytester, tmp_path, monkeypatch):
    (tmp_path / "dreams-spindles").mkdir()
    result = _run(pytester, tmp_path, monkeypatch, "1")
    # the old-style skip is unconditional here, so it still fails: in CI no
    # test may skip for data
    result.assert_outcomes(passed=2, errors=1, skipped=1)


def test_present_data_runs_without_the_variable(pytester, tmp_path, monkeypatch):
    (tmp_path / "dreams-spindles").mkdir()
    result = _run(pytester, tmp_path, monkeypatch, "0")
    result.assert_outcomes(passed=2, skipped=2)


def test_required_flag_values():
    assert data_presence.data_required({"SLEEPKD_REQUIRE_DATA": "1"})
    assert data_presence.data_required({"SLEEPKD_REQUIRE_DATA": " TRUE "})
    assert not data_presence.data_required({"SLEEPKD_REQUIRE_DATA": "0"})
    assert not data_presence.data_required({"SLEEPKD_REQUIRE_DATA": ""})
    assert not data_presence.data_required({})
