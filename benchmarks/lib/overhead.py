"""Cost of a distillation epoch relative to a plain student epoch.

A training epoch of the student alone and distilled (KD, SleepKD) from a frozen
teacher, cached once per stage or run live at every batch, on the same data,
configurations interleaved over repeats. Used by
``benchmarks/distill_overhead.py``.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import time

import numpy as np

from .tables import records_table

#: Configuration -> (strategy, teacher cached).
CONFIGS = {
    "student alone": ("scratch", True),
    "KD, cached teacher": ("kd", True),
    "KD, live teacher": ("kd", False),
    "SleepKD, cached teacher": ("sleepkd", True),
    "SleepKD, live teacher": ("sleepkd", False),
}
COLUMNS = [
    ("configuration", "config", ""),
    ("median s / epoch", "median_epoch_s", ".2f"),
    ("ratio vs student alone", "ratio_vs_student", ".2f"),
]


def epoch_seconds(family, n_seq, seq_len, epochs, repeats):
    """Median seconds per training epoch of every :data:`CONFIGS` entry.

    Parameters
    ----------
    family : str
        Preset family of the teacher (its ``teacher`` preset, frozen) and of
        the student.
    n_seq, seq_len : int
        Random sequences of ``seq_len`` 30-s epochs at 100 Hz.
    epochs : int
        Epochs per fit.
    repeats : int
        Fits per configuration, interleaved.

    Returns
    -------
    (list of dict, float)
        Rows ``config, median_epoch_s, ratio_vs_student`` and the median
        seconds a cached fit spends outside its epochs.
    """
    import torch

    from braindecode_sleepkd.estimator import SleepKDClassifier
    from braindecode_sleepkd.models import preset

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_seq, seq_len, 1, 3000)).astype(np.float32)
    y = rng.integers(0, 5, size=(n_seq, seq_len))
    torch.manual_seed(0)
    teacher = preset(family, "teacher")
    times, cache_build = {name: [] for name in CONFIGS}, []
    for _ in range(repeats):
        for name, (strategy, cache) in CONFIGS.items():
            start = time.perf_counter()
            clf = SleepKDClassifier(
                teacher, None, family, strategy=strategy, teacher_pretrained=True,
                cache_teacher=cache, recipe="paper",  # fixed inputs: the cache applies
                max_epochs=epochs, batch_size=32, random_state=0, verbose=0,
            )  # fmt: skip
            clf.fit(X, y)
            total = time.perf_counter() - start
            per_epoch = [float(d) for d in clf.history_[:, "dur"]]
            times[name] += per_epoch
            if cache and strategy != "scratch":
                cache_build.append(total - sum(per_epoch))
    median = {name: float(np.median(v)) for name, v in times.items()}
    base = median["student alone"]
    rows = [
        {"config": name, "median_epoch_s": s, "ratio_vs_student": s / base}
        for name, s in median.items()
    ]
    return rows, float(np.median(cache_build))


def report(result):
    """The Markdown lines of the ``distill_overhead.json`` results."""
    r = result
    return [
        "# Distillation overhead per training epoch",
        "",
        f"Command: `{r['command']}`",
        "",
        f"{r['family']} teacher (frozen) -> student, {r['n_seq']} sequences of "
        f"{r['seq_len']} x 30 s at 100 Hz, batch 32, torch {r['torch']}, "
        f"{r['threads']} threads; median over {r['epochs']} epochs x "
        f"{r['repeats']} repeats, configurations interleaved.",
        "",
        *records_table(r["rows"], COLUMNS, ["---", "---:", "---:"]),
        "",
        "Setup time outside the epochs (dry run, alignment sizing, building the "
        "teacher cache) in cached runs: median "
        f"{r['median_setup_s_cached_runs']:.1f} s per fit, paid once per stage.",
        "",
    ]
