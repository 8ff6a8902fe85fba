"""Cost of the baseline guard: fit time with and without ``baseline="student"``.

The DREAMS sample (sequences of 10 epochs, subject 1 held out as in the quick
start), deepsleepnet presets for the three roles, batch 8, validation on 20 %
of the training subjects (``groups=``) in both runs; the two configurations
are fitted alternately and the fastest fit of each counts. Used by
``benchmarks/guard_cost.py``.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import time
import warnings

from .tables import table


def fit_times(X, y, groups, repeats, epochs):
    """Seconds of every fit without (``None``) and with the guard (``"student"``).

    Parameters
    ----------
    X, y, groups : ndarray
        Training sequences, stages and subjects.
    repeats : int
        Fits per configuration, alternating.
    epochs : int
        Epochs per stage.

    Returns
    -------
    (dict, DistillationReport)
        ``{None: [s, ...], "student": [s, ...]}`` and the report of the last
        guarded fit.
    """
    from braindecode_sleepkd.estimator import SleepKDClassifier

    times, report = {None: [], "student": []}, None
    for _ in range(repeats):
        for baseline in times:
            clf = SleepKDClassifier(
                "deepsleepnet", "deepsleepnet", "deepsleepnet", max_epochs=epochs,
                batch_size=8, random_state=0, verbose=0, baseline=baseline,
            )  # fmt: skip
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clf.fit(X, y, groups=groups)
            times[baseline].append(time.perf_counter() - start)
            report = clf.report_ or report
    return times, report


def report_text(times, report, command, n_train, epochs):
    """The Markdown report of :func:`fit_times` (``n_train`` training sequences)."""
    best = {k: min(v) for k, v in times.items()}
    ratio = best["student"] / best[None]
    rows = [
        [k, f"{best[k]:.2f}", ", ".join(f"{t:.2f}" for t in times[k])] for k in times
    ]
    return "\n".join([
        "# Cost of the baseline guard (`benchmarks/guard_cost.py`)", "",
        f"`{command}`: DREAMS sample, {n_train} training sequences of 10 epochs, "
        f"deepsleepnet presets, {epochs} epochs per stage, batch 8, one CPU thread, "
        "fastest of the repeats.", "",
        *table(["baseline", "fit time (s)", "all fits (s)"], rows), "",
        f"The guard multiplies the fit time by {ratio:.2f} "
        f"(+{best['student'] - best[None]:.2f} s; the student alone's stage took "
        f"{report.baseline_seconds:.2f} s in the last guarded fit).", "",
        "Report of the last guarded fit (validation subjects):", "",
        "```", str(report), "```", "",
    ])  # fmt: skip
