"""The tests marked ``slow`` (over ~20 s), so ``pytest -m "not slow"`` is a quick loop.

Measured with ``SLEEPKD_REQUIRE_DATA=1 .venv/bin/python -m pytest -n 2 -q
--durations=60`` on the 2-core development machine (seconds of the call, other
jobs running). ``tests/conftest.py`` adds the marker at collection and fails the
run if an entry names a test that no longer exists in a collected file, so the
list cannot go stale silently. A new test over ~20 s: add it here (or decorate
it with ``@pytest.mark.slow``).
"""

import pytest

#: node id (``file::test``, without parameters: all its cases) -> seconds measured
SLOW = {
    "tests/test_cli.py::test_demo_runs_on_the_sample_and_prints_real_scores": 154,
    "tests/test_estimator.py::test_other_configuration_or_data_gets_its_own_folder": 57,
    "tests/test_distributed.py::test_gridsearch_and_cross_validate_on_dask_equal_sequential": 40,  # noqa: E501
    "tests/test_docs.py::test_docs_build_without_warnings": 37,
    "tests/test_benchmark.py::test_benchmark_sample_end_to_end": 35,
    "tests/test_cli.py::test_unknown_option_is_rejected": 34,
    "tests/test_kill_resume.py::test_sigkill_during_student_stage_then_resume": 33,
    "tests/test_estimator.py::test_resume_skips_finished_stages": 32,
    "tests/test_accelerate.py::test_fits_on_cpu_like_the_plain_estimator": 29,
    "tests/test_estimator.py::test_cache_and_live_guides_agree": 24,
    # every gallery example (9-21 s each, ~150 s together)
    "tests/test_examples.py::test_example_runs": 21,
}
#: single parametrized cases (``file::test[id]``) -> seconds measured
SLOW_CASES = {
    "tests/test_estimator.py::test_every_strategy_fits_and_predicts[dist]": 27,
    "tests/test_estimator.py::test_every_strategy_fits_and_predicts[fitnets]": 22,
}


def mark_slow(items, check_stale=True):
    """Add the ``slow`` marker to the listed tests; raise on a stale entry.

    Run first among the collection hooks (before ``-k``/``-m`` deselect), and
    with ``check_stale=False`` when single tests were asked for by node id.
    """
    seen_files, seen = set(), set()
    for item in items:
        nodeid = item.nodeid
        base = nodeid.split("[", 1)[0]
        seen_files.add(base.split("::", 1)[0])
        seen.update((base, nodeid))
        if base in SLOW or nodeid in SLOW_CASES:
            item.add_marker(pytest.mark.slow)
    stale = check_stale and [
        name
        for name in (*SLOW, *SLOW_CASES)
        if name.split("::", 1)[0] in seen_files and name not in seen
    ]
    if stale:
        raise pytest.UsageError(
            "tests/slow_tests.py lists tests that do not exist (renamed?): "
            + ", ".join(stale)
        )
