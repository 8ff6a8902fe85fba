"""Cost of a distillation epoch relative to a plain student epoch.

Times a training epoch of the student alone and distilled (KD, SleepKD) from a
frozen teacher, cached once per stage or run live at every batch, on the same
data, interleaved over repeats. Writes ``distill_overhead.md`` and ``.json``::

    .venv/bin/python benchmarks/distill_overhead.py --out benchmarks/results
"""

import argparse
import platform
import sys
import time

import numpy as np
import torch

from braindecode_sleepkd import SleepKDClassifier, preset
from braindecode_sleepkd.benchmark.tables import records_table
from braindecode_sleepkd.benchmark.writer import write_results

COLUMNS = [
    ("configuration", "config", ""),
    ("median s / epoch", "median_epoch_s", ".2f"),
    ("ratio vs student alone", "ratio_vs_student", ".2f"),
]


def _epoch_seconds(clf, X, y):
    clf.fit(X, y)
    return [float(d) for d in clf.history_[:, "dur"]]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="deepsleepnet")
    parser.add_argument("--n-seq", type=int, default=192)
    parser.add_argument("--seq-len", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.n_seq, args.seq_len, 1, 3000)).astype(np.float32)
    y = rng.integers(0, 5, size=(args.n_seq, args.seq_len))
    torch.manual_seed(0)
    teacher = preset(args.family, "teacher")

    def make(strategy, cache):
        return SleepKDClassifier(
            teacher,
            None,
            args.family,
            strategy=strategy,
            teacher_pretrained=True,
            cache_teacher=cache,
            recipe="paper",  # fixed inputs: the cache applies
            max_epochs=args.epochs,
            batch_size=32,
            random_state=0,
            verbose=0,
        )

    configs = {
        "student alone": ("scratch", True),
        "KD, cached teacher": ("kd", True),
        "KD, live teacher": ("kd", False),
        "SleepKD, cached teacher": ("sleepkd", True),
        "SleepKD, live teacher": ("sleepkd", False),
    }
    times = {name: [] for name in configs}
    cache_build = []
    for _ in range(args.repeats):
        for name, (strategy, cache) in configs.items():
            start = time.perf_counter()
            per_epoch = _epoch_seconds(make(strategy, cache), X, y)
            total = time.perf_counter() - start
            times[name] += per_epoch
            if cache and strategy != "scratch":
                cache_build.append(total - sum(per_epoch))
    median = {name: float(np.median(v)) for name, v in times.items()}
    base = median["student alone"]
    rows = [
        {"config": name, "median_epoch_s": s, "ratio_vs_student": s / base}
        for name, s in median.items()
    ]
    command = "python " + " ".join([sys.argv[0], *(argv or sys.argv[1:])])
    result = {
        "command": command,
        **{k: vars(args)[k] for k in ("family", "n_seq", "seq_len", "epochs")},
        "repeats": args.repeats,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "machine": platform.processor() or platform.machine(),
        "rows": rows,
        "median_setup_s_cached_runs": float(np.median(cache_build)),
    }
    lines = [
        "# Distillation overhead per training epoch",
        "",
        f"Command: `{command}`",
        "",
        f"{args.family} teacher (frozen) -> student, {args.n_seq} sequences of "
        f"{args.seq_len} x 30 s at 100 Hz, batch 32, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads; median over {args.epochs} epochs x "
        f"{args.repeats} repeats, configurations interleaved.",
        "",
        *records_table(rows, COLUMNS, ["---", "---:", "---:"]),
        "",
        "Setup time outside the epochs (dry run, alignment sizing, building the "
        "teacher cache) in cached runs: median "
        f"{result['median_setup_s_cached_runs']:.1f} s per fit, paid once per stage.",
        "",
    ]
    write_results(args.out, "distill_overhead", result, lines, indent=2)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
