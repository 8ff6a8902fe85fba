"""How training time and peak memory grow with the number of epochs (simulated data)."""

import json
import math
import subprocess
import sys


def _peak_rss_kb(resource):
    """Peak resident memory of this process in kB.

    ``VmHWM`` of ``/proc/self/status`` where available: ``ru_maxrss`` keeps the
    high-water mark of the forked parent across ``exec`` on Linux, so a child
    started by a large benchmark process would report the parent's peak.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _point(n_epochs, family, seq_len, batch_size, seed):
    """Simulate ``n_epochs`` epochs and run one epoch of each SleepKD stage."""
    import resource
    import time

    import numpy as np

    from ..datasets import simulate_sleep_eeg
    from ..estimator import SleepKDClassifier
    from . import data as bdata

    n_rec = min(40, max(2, math.ceil(n_epochs / 900)))
    per_rec = math.ceil(n_epochs / n_rec)
    windows = simulate_sleep_eeg(
        n_recordings=n_rec, max_epochs_per_recording=per_rec, seed=seed
    )
    X, y, _, recordings, _ = bdata.sequences(windows, seq_len)
    X = bdata.robust_scale_per_recording(X, recordings)
    t0 = time.perf_counter()
    SleepKDClassifier(
        family,
        family,
        family,
        max_epochs=1,
        batch_size=batch_size,
        seq_len=seq_len,
        random_state=seed,
        recipe="paper",
        verbose=0,
    ).fit(X, y)
    seconds = time.perf_counter() - t0
    peak_kb = _peak_rss_kb(resource)
    return {
        "n_epochs": int(np.prod(y.shape)),
        "n_recordings": n_rec,
        "seconds": seconds,
        "peak_rss_mb": peak_kb / 1024,
    }


def scaling_sweep(
    sizes,
    family="deepsleepnet",
    seq_len=10,
    batch_size=16,
    seed=0,
    timeout=None,
    log=print,
):
    """Time and peak resident memory of SleepKD training against data size.

    Each size runs in its own Python process (so the peak memory is that
    size's), simulating the data, then training teacher, assistant and student
    for one epoch each (guides' outputs cached).

    Parameters
    ----------
    sizes : list of int
        Numbers of 30-s epochs (e.g. 1000 to 40000).
    family : str
        Model family.
    seq_len, batch_size, seed : int
        As in the benchmark.
    timeout : float | None
        Seconds allowed per size; a size that runs out is reported as such.
    log : callable
        Progress messages.

    Returns
    -------
    list of dict
        ``n_epochs``, ``n_recordings``, ``seconds`` and ``peak_rss_mb`` per
        size (the whole process, data included).
    """
    points = []
    for n in sizes:
        code = (
            "import json; from braindecode_sleepkd.evaluation.scaling import _point; "
            f"print(json.dumps(_point({int(n)}, {family!r}, {int(seq_len)}, "
            f"{int(batch_size)}, {int(seed)})))"
        )
        log(f"[scaling] {n} epochs ...")
        try:
            proc = subprocess.run(
                [sys.executable, "-c", code],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=True,
            )
        except subprocess.TimeoutExpired:
            log(f"[scaling] {n} epochs: over {timeout} s, stopped")
            points.append(
                {
                    "n_epochs": int(n),
                    "seconds": float("nan"),
                    "peak_rss_mb": float("nan"),
                    "timed_out": True,
                }
            )
            break
        point = json.loads(proc.stdout.strip().splitlines()[-1])
        log(f"[scaling] {point}")
        points.append(point)
    return points
