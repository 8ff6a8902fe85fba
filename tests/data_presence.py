"""Skip tests whose real data is absent, or fail them when CI requires the data.

A user's checkout without ``../shared/data`` skips the tests that read it. CI
sets ``SLEEPKD_REQUIRE_DATA=1`` (see ``.ci/run``): then a test that needs absent
data fails instead, so a broken data path cannot pass as a run with skips.

Two ways a test says it needs data:

- ``@pytest.mark.needs_data("dreams-spindles")`` (sub-folders of the data folder);
- any skip whose reason says the real data is absent (older ``skipif`` marks):
  with ``SLEEPKD_REQUIRE_DATA=1`` such a skip is reported as a failure.

This module is a pytest plugin: ``tests/conftest.py`` loads it with
``pytest_plugins`` (and so does the inner session of ``test_data_presence.py``).
"""

import os
import re

import pytest

REQUIRE_ENV = "SLEEPKD_REQUIRE_DATA"
MARKER = "needs_data"
#: A skip reason that means "the real data is not here".
DATA_SKIP_REASON = re.compile(
    r"(DREAMS|sample|Sleep-EDF|hypnogram|data)\b.*"
    r"\b(absent|not on this machine|not available|not found|missing)",
    re.IGNORECASE,
)


def data_required(environ=None):
    """True when ``SLEEPKD_REQUIRE_DATA`` is set to a true value (1, yes, true)."""
    value = (os.environ if environ is None else environ).get(REQUIRE_ENV, "")
    return value.strip().lower() in ("1", "yes", "true", "on")


#: Private override of the data folder, for the tests of these rules only.
ROOT_ENV = "_SLEEPKD_TESTS_DATA_ROOT"


def data_root():
    """The data folder the tests read: ``$SLEEPKD_DATA``, else ../shared/data.

    The same lookup as the package's ``data_path`` (and ``.ci/run``).
    """
    if os.environ.get(ROOT_ENV):
        from pathlib import Path

        return Path(os.environ[ROOT_ENV])
    from braindecode_sleepkd.datasets.paths import data_path

    return data_path(must_exist=False)


def missing_subdirs(subdirs, root=None):
    """The ``subdirs`` that are not folders under ``root``."""
    root = data_root() if root is None else root
    return [s for s in subdirs if not (root / s).is_dir()]


def pytest_configure(config):
    """Register the ``needs_data`` marker."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*subdirs): reads real data under the data folder; skipped when "
        f"absent, a failure when {REQUIRE_ENV}=1",
    )


def pytest_report_header(config):
    """One header line: where the data is looked for and whether it is required."""
    root = data_root()
    mode = "required" if data_required() else "optional (absent: tests skip)"
    return f"sleep data: {root} ({'present' if root.is_dir() else 'absent'}), {mode}"


def pytest_runtest_setup(item):
    """Skip (or, when required, fail) an item whose ``needs_data`` data is absent."""
    subdirs = [s for mark in item.iter_markers(MARKER) for s in mark.args]
    missing = missing_subdirs(subdirs)
    if not missing:
        return
    where = ", ".join(str(data_root() / s) for s in missing)
    if data_required():
        pytest.fail(f"{REQUIRE_ENV}=1 but the real data is absent: {where}")
    pytest.skip(f"real data absent: {where}")


def make_report(report):
    """With ``SLEEPKD_REQUIRE_DATA=1``, turn a data-absent skip into a failure."""
    if not (report.skipped and data_required()):
        return
    if hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
    if DATA_SKIP_REASON.search(str(reason)):
        report.outcome = "failed"
        report.longrepr = f"{REQUIRE_ENV}=1 but a test skipped for data: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Apply :func:`make_report` to every report."""
    outcome = yield
    make_report(outcome.get_result())
