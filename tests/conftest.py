"""Shared fixtures, and the data-presence rules (see ``data_presence.py``)."""

import numpy as np
import pytest
import slow_tests

pytest_plugins = ["pytester", "data_presence"]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    by_node_id = any("::" in str(arg) for arg in config.args)
    slow_tests.mark_slow(items, check_stale=not by_node_id)


def _write_edf(fname, signals, sfreq, physical_range=(-500.0, 500.0), unit="uV"):
    """Write ``{label: samples in uV}`` as an EDF file with edfio."""
    from edfio import Edf, EdfSignal

    edf = Edf(
        [
            EdfSignal(
                np.asarray(x, dtype=float),
                sampling_frequency=sfreq,
                label=label,
                physical_dimension=unit,
                physical_range=physical_range,
            )
            for label, x in signals.items()
        ]
    )
    edf.write(fname)
    return fname


@pytest.fixture(scope="module")
def data(request):
    """``X, y, groups`` of ``helpers.make_data(**DATA)``, once per test module.

    A module sets its sizes in a module-level dict ``DATA`` (e.g.
    ``DATA = dict(n_seq=16, seq_len=6)``); without one, ``make_data()``'s.
    """
    from helpers import make_data

    return make_data(**getattr(request.module, "DATA", {}))


@pytest.fixture(scope="session")
def write_edf():
    """Function ``write_edf(fname, {label: samples}, sfreq)`` for small EDF files."""
    return _write_edf
