"""Fit these rows under this teacher on these units: the loop every benchmark runs."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import time
import warnings


def fit_rows(units, rows, fit, *, key, runs=None, save=None, log=print, quiet=True):
    """Fit and score every row on every unit, skipping those already in ``runs``.

    Parameters
    ----------
    units : iterable
        The units (e.g. :class:`~.splits.Unit` of a leave-one-subject-out run,
        or ``(split, seed)`` pairs), in training order.
    rows : sequence | callable
        Row names, or ``rows(unit)`` giving the rows of a unit.
    fit : callable
        ``fit(unit, row) -> dict``: trains the row on the unit and returns its
        record (scores, predictions, ...). ``"seconds"`` (wall time of the
        call) is added last.
    key : callable
        ``key(unit, row) -> str``: the record's name in ``runs``.
    runs : dict | None
        Finished records by key (a resumed run passes what it saved).
    save : callable | None
        ``save(runs)`` after every record, so a killed run can resume.
    log : callable | None
        ``log(name, record)`` after every record.
    quiet : bool
        Silence warnings raised while fitting.

    Returns
    -------
    dict
        ``runs`` with the new records.
    """
    runs = {} if runs is None else runs
    for unit in units:
        for row in rows(unit) if callable(rows) else rows:
            name = key(unit, row)
            if name in runs:
                continue
            t0 = time.time()
            with warnings.catch_warnings():
                if quiet:
                    warnings.simplefilter("ignore")
                record = dict(fit(unit, row))
            record["seconds"] = time.time() - t0
            runs[name] = record
            if save is not None:
                save(runs)
            if log is not None:
                log(name, record)
    return runs
