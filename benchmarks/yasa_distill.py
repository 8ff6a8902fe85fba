"""Distil YASA's pretrained sleep stager into a small student on the DREAMS excerpts.

Leave-one-subject-out over the DREAMS excerpts at >= 100 Hz, one EEG channel at
100 Hz. Rows: ``yasa`` alone, ``scratch`` (labels only), ``kd_yasa`` (KD from
YASA), ``sleepkd_chain`` (YASA -> assistant -> student); paired kappa over held-out
subjects and the share of the YASA-vs-scratch gap closed
(:mod:`lib.external`).

Run::

    .venv/bin/python benchmarks/yasa_distill.py --seeds 0 1 --max-epochs 6 \\
        --out benchmarks/results  # writes yasa_distill.md and .json there
"""

import functools
import os
import time

import numpy as np
import torch
from lib import cli, loso
from lib import external as ext
from lib.cost import throughput

from braindecode_sleepkd.estimator import SleepKDClassifier
from braindecode_sleepkd.evaluation.stats import compare_pairs, gap_closed
from braindecode_sleepkd.metrics import n_parameters
from braindecode_sleepkd.teachers.yasa import YASATeacher

ROWS, PAIRS = list(ext.YASA_NAMES), ext.YASA_PAIRS


def parse_args(argv=None):
    parser = cli.loso_parser(__doc__, [1, 4, 6, 7, 8], [0, 1], 6)
    parser.add_argument("--seq-stride", type=int, default=None)
    parser.add_argument("--assistant", default="deepsleepnet", help="assistant family")
    parser.add_argument("--n-boot", type=int, default=10000)
    return parser.parse_args(argv)


def make(row, unit, teacher, args):
    kw = cli.estimator_params(args, unit.seed)
    kw.update(seq_stride=args.seq_stride, recipe="paper")
    if row == "scratch":
        return SleepKDClassifier(None, None, "deepsleepnet", strategy="scratch", **kw)
    if row == "kd_yasa":
        return SleepKDClassifier(teacher, None, "deepsleepnet", strategy="kd", **kw)
    return SleepKDClassifier(
        teacher, args.assistant, "deepsleepnet", strategy="sleepkd", **kw
    )


def run(args):
    """Return the benchmark results as a JSON-ready dict."""
    t_start, load_start = time.time(), os.getloadavg()
    windows, labels = loso.load(args.data, args.subjects)
    teacher = YASATeacher()
    yasa, yasa_s, n_scored = loso.score_alone(teacher.score_recording, windows)
    print(f"YASA scored {n_scored} epochs in {yasa_s:.1f} s", flush=True)
    fit = functools.partial(make, teacher=teacher, args=args)
    runs, fit_s, models = loso.fit_loso(windows, args, ROWS[1:], fit)
    runs = loso.alone_runs({"yasa": yasa}, labels) + runs
    kappa = loso.subject_means(runs)
    pooled = loso.pooled(runs, labels)
    mean = {r: np.mean(list(kappa[r].values())) for r in ROWS}
    student = models["sleepkd_chain"].student_

    def gap(c):
        p = {r: pooled[r]["kappa"] for r in ("scratch", "yasa", c)}
        return dict(
            per_subject_mean=gap_closed(mean[c], mean["scratch"], mean["yasa"]),
            pooled=gap_closed(p[c], p["scratch"], p["yasa"]),
        )

    return dict(
        command=cli.command_line("benchmarks/yasa_distill.py", ".venv/bin/python"),
        config=cli.config(args),
        data=dict(recordings=loso.recordings(windows), **loso.class_counts(labels)),
        per_subject_kappa=kappa,
        per_subject=loso.per_subject(runs),
        pooled={r: {k: p[k] for k in p if k != "subjects"} for r, p in pooled.items()},
        paired_kappa=compare_pairs(kappa, PAIRS, True, n_boot=args.n_boot),
        gap_closed={c: gap(c) for c in ("kd_yasa", "sleepkd_chain")},
        fit_seconds={c: float(np.mean(v)) for c, v in fit_s.items()},
        student=dict(
            n_params=n_parameters(student),
            lstm_units=args.student_lstm_units,
            cpu_epochs_per_s=throughput(student, args.seq_len),
            torch_threads=torch.get_num_threads(),
            yasa_cpu_epochs_per_s=float(n_scored / yasa_s),
        ),
        environment=cli.environment(load_start, t_start, "yasa"),
    )


if __name__ == "__main__":
    cli.main(parse_args(), "yasa_distill", run, ext.yasa_report, indent=2)
