"""Distil GSSC (a 16.6 M-parameter pretrained network) into a tiny student on DREAMS.

Leave-one-subject-out over the six DREAMS excerpts (``gssc_preprocess``). Rows:
GSSC and YASA alone, the student alone, KD from GSSC, SleepKD GSSC -> assistant
-> student (paper weights, ``"authors"`` recipe); GSSC's outputs cached
(:mod:`lib.external`). Run::

    nohup .venv/bin/python benchmarks/gssc_distill.py --seeds 0 1 2 \\
        --max-epochs 15 --out benchmarks/results > /tmp/gssc_distill.log &
"""

import copy
import functools
import os
import time

import numpy as np
import torch
from lib import cli, loso
from lib import external as ext
from lib.cost import model_cost

from braindecode_sleepkd.estimator import SleepKDClassifier
from braindecode_sleepkd.evaluation.stats import compare_pairs
from braindecode_sleepkd.models import preset
from braindecode_sleepkd.teachers import GSSCTeacher, gssc_preprocess

CONDITIONS, PAIRS = ext.GSSC_CONDITIONS, ext.GSSC_PAIRS
SCORES = ("kappa", "accuracy", "macro_f1")


def parse_args(argv=None):
    parser = cli.loso_parser(__doc__, [1, 3, 4, 6, 7, 8], [0, 1, 2], 15, threads=1)
    parser.add_argument(
        "--assistant-role",
        default="teacher",
        help="deepsleepnet preset size used as the assistant (457 k for 'teacher')",
    )
    parser.add_argument("--conditions", nargs="+", default=CONDITIONS)
    return parser.parse_args(argv)


def make(cond, unit, teacher, args):
    kw = cli.estimator_params(args, unit.seed)
    if cond == "scratch":
        return SleepKDClassifier(None, None, "deepsleepnet", strategy="scratch", **kw)
    kw["teacher_pretrained"] = True
    if cond == "kd_gssc":
        return SleepKDClassifier(teacher, None, "deepsleepnet", strategy="kd", **kw)
    assistant = preset("deepsleepnet", args.assistant_role)
    recipe = "authors" if cond == "sleepkd_gssc_authors" else "paper"
    return SleepKDClassifier(
        teacher, assistant, "deepsleepnet", strategy="sleepkd", recipe=recipe, **kw
    )


def run(args):
    """Return the benchmark results as a JSON-ready dict."""
    t_start, load_start = time.time(), os.getloadavg()
    windows = gssc_preprocess(loso.load(args.data, args.subjects)[0])
    labels, teacher, t0 = loso.labels_of(windows), GSSCTeacher(), time.perf_counter()
    alone = loso.teacher_alone(teacher, windows, args.seq_len)
    alone = {"gssc_night": alone["night"], "gssc_seq": alone["seq"]}
    first_pass = time.perf_counter() - t0
    print(f"GSSC scored {sum(map(len, labels.values()))} epochs twice", flush=True)
    alone["yasa"], yasa_cost = loso.yasa_alone(args.data, args.subjects)
    fit = functools.partial(make, teacher=teacher, args=args)
    runs, fit_s, models = loso.fit_loso(windows, args, args.conditions, fit)
    runs += loso.alone_runs({k: v for k, v in alone.items() if v}, labels)
    kappa = loso.subject_means(runs)
    pooled = loso.pooled(runs, labels, SCORES, "kappa_per_seed")
    fast = copy.deepcopy(teacher)
    fast.memory = False
    cost = {"gssc": dict(model_cost(fast, args.seq_len), n_params_shipped=16_644_490)}
    cost["student"] = model_cost(models[args.conditions[0]].module_, args.seq_len)
    chain = [models[c] for c in args.conditions if c.startswith("sleepkd")]
    if chain:
        cost["assistant"] = model_cost(chain[0].assistant_, args.seq_len)
    ratio = {
        c: {ref: pooled[c]["kappa"] / pooled[ref]["kappa"] for ref in ext.GSSC_ALONE}
        for c in args.conditions
        if c != "scratch"
    }
    return dict(
        command=cli.command_line("benchmarks/gssc_distill.py", ".venv/bin/python"),
        config=cli.config(args),
        data=dict(subjects=list(labels), **loso.class_counts(labels)),
        per_subject_kappa=kappa,
        pooled=pooled,
        paired_kappa=compare_pairs(kappa, PAIRS),
        kappa_ratio_to_gssc=ratio,
        fit_seconds={c: float(np.mean(v)) for c, v in fit_s.items()},
        cost=cost,
        yasa=yasa_cost,
        gssc_first_pass_seconds=first_pass,
        runs=runs,
        environment=cli.environment(
            load_start, t_start, "gssc", torch_threads=torch.get_num_threads()
        ),
    )


if __name__ == "__main__":
    cli.main(parse_args(), "gssc_distill", run, ext.gssc_report)
