"""Shared fixtures."""

import numpy as np
import pytest


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


@pytest.fixture(scope="session")
def write_edf():
    """Function ``write_edf(fname, {label: samples}, sfreq)`` for small EDF files."""
    return _write_edf
