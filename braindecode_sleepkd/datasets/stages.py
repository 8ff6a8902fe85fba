"""Sleep stage labels shared by every loader (AASM, 5 classes)."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from sleepkd_runtime.constants import AASM_EVENT_NAMES  # noqa: F401 (re-exported)

from ..constants import SLEEP_STAGES  # noqa: F401 (re-exported)

# AASM_EVENT_NAMES: the annotation descriptions written on the signals before
# windowing, by label (shared with the runtime's EDF+ annotations).

#: Mapping of the annotation descriptions above to labels 0..4.
AASM_EVENT_MAPPING = {name: i for i, name in enumerate(AASM_EVENT_NAMES)}

#: Sleep-EDF (EDF+ R&K annotation) descriptions to AASM labels: S3 + S4 -> N3.
#: ``Sleep stage ?`` (unknown) and ``Movement time`` are not mapped: they are
#: dropped and counted.
SLEEP_EDF_MAPPING = {
    "Sleep stage W": 0,
    "Sleep stage 1": 1,
    "Sleep stage 2": 2,
    "Sleep stage 3": 3,
    "Sleep stage 4": 3,
    "Sleep stage R": 4,
}


def stage_counts(y):
    """Count labels per AASM stage.

    Parameters
    ----------
    y : array-like of int
        Labels in 0..4.

    Returns
    -------
    counts : dict
        ``{stage name: count}`` in the order of :data:`SLEEP_STAGES`.
    """
    import numpy as np

    counts = np.bincount(np.asarray(y, dtype=np.int64).ravel(), minlength=5)
    return {name: int(c) for name, c in zip(SLEEP_STAGES, counts[:5])}
