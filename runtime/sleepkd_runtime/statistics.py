"""Sleep statistics of a hypnogram (YASA's where installed, same definitions)."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import numpy as np

from .constants import EPOCH_S, SLEEP_STAGES

KEYS = (
    ("TIB", "SPT", "TST", "SE", "SOL", "WASO")
    + tuple(f"{s}" for s in SLEEP_STAGES[1:])
    + tuple(f"%{s}" for s in SLEEP_STAGES[1:])
)


def _own(stages, epoch_min):
    stages = np.asarray(stages)
    asleep = np.flatnonzero(stages > 0)
    tib = len(stages) * epoch_min
    stats = {"TIB": tib}
    if len(asleep) == 0:
        stats.update(SPT=0.0, TST=0.0, SE=0.0, SOL=np.nan, WASO=0.0)
        spt = stages[:0]
    else:
        spt = stages[asleep[0] : asleep[-1] + 1]
        tst = float((spt > 0).sum() * epoch_min)
        stats.update(
            SPT=len(spt) * epoch_min,
            TST=tst,
            SE=100.0 * tst / tib,
            SOL=asleep[0] * epoch_min,
            WASO=float((spt == 0).sum() * epoch_min),
        )
    for k, name in enumerate(SLEEP_STAGES[1:], start=1):
        minutes = float((spt == k).sum() * epoch_min)
        stats[name] = minutes
        stats[f"%{name}"] = 100.0 * minutes / stats["TST"] if stats["TST"] else 0.0
    return stats


def sleep_statistics(stages, epoch_sec=EPOCH_S, backend="auto"):
    """Time in bed, sleep time, efficiency, latency, WASO and time per stage.

    Definitions (minutes unless noted; the same as YASA's
    ``yasa.sleep_statistics``, used when installed and ``backend="auto"``):

    - ``TIB`` time in bed: the whole hypnogram;
    - ``SOL`` sleep onset latency: from the start to the first non-wake epoch;
    - ``SPT`` sleep period time: from the first to the last non-wake epoch;
    - ``TST`` total sleep time: non-wake epochs within the SPT;
    - ``WASO`` wake after sleep onset: wake within the SPT (``SPT - TST``);
    - ``SE`` sleep efficiency, %: ``100 * TST / TIB``;
    - ``N1``, ``N2``, ``N3``, ``REM``: minutes per stage in the SPT; ``%N1`` ...
      the percentage of ``TST``.

    Parameters
    ----------
    stages : array-like of int
        One stage per epoch: 0=W, 1=N1, 2=N2, 3=N3, 4=REM.
    epoch_sec : float
        Epoch duration in seconds.
    backend : {"auto", "yasa", "own"}
        ``"auto"``: YASA where installed, else the definitions above.

    Returns
    -------
    stats : dict
        The keys above (``SOL`` is NaN when the night has no sleep).
    """
    stages = np.asarray(stages, dtype=np.int64).ravel()
    if stages.size == 0:
        raise ValueError("The hypnogram is empty.")
    if stages.min() < 0 or stages.max() > 4:
        raise ValueError("Stages must be 0 (W) .. 4 (REM).")
    epoch_min = epoch_sec / 60.0
    if backend not in ("auto", "yasa", "own"):
        raise ValueError(f"backend must be 'auto', 'yasa' or 'own', got {backend!r}.")
    if backend != "own":
        try:
            import yasa
        except ImportError:
            if backend == "yasa":
                raise
        else:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = yasa.sleep_statistics(stages, sf_hyp=1.0 / epoch_sec)
            return {k: float(out[k]) if k in out else np.nan for k in KEYS}
    return {k: float(v) for k, v in _own(stages, epoch_min).items()}
