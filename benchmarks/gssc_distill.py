"""Distil GSSC (a 16.6 M-parameter pretrained network) into a tiny student on DREAMS.

Leave-one-subject-out over the six DREAMS Spindles excerpts (one EEG channel,
loaded at 100 Hz, then band-passed 0.3-30 Hz and z-scored per recording with
``gssc_preprocess``, the same signal for every model). Rows, each scored on
the held-out excerpt:

* ``gssc_night``: GSSC alone, its GRU over the whole excerpt (no training);
* ``gssc_seq``: GSSC alone with the students' context (sequences of
  ``--seq-len`` epochs, as it teaches);
* ``yasa``: YASA alone on the raw signal (excerpts >= 100 Hz only);
* ``scratch``: the student trained on the labels only;
* ``kd_gssc``: the student with KD (soft KL + hard CE) from GSSC;
* ``sleepkd_gssc``: SleepKD, GSSC -> assistant -> student, every term
  (epoch features, sequence features, soft, hard; the paper's weights);
* ``sleepkd_gssc_authors``: the same chain with the ``"authors"`` recipe of
  the distillation-transfer work (soft 1, hard 0, 0.1 on raw feature MSE,
  pooled alignment).

Paired statistics are over held-out subjects (kappa averaged over seeds per
subject; :func:`braindecode_sleepkd.benchmark.stats.paired_comparison`).
GSSC's outputs are computed once per sequence and shared by every fold and
seed (``GSSCTeacher(memory=True)``). The data are tiny (6 excerpts of 30 min,
360 epochs, mostly N2, 5 REM epochs): every number is indicative only.

Run::

    nohup .venv/bin/python benchmarks/gssc_distill.py --seeds 0 1 2 \\
        --max-epochs 15 --out benchmarks/results > /tmp/gssc_distill.log &

Writes ``gssc_distill.json`` and ``gssc_distill.md`` in ``--out``.
"""

import argparse
import copy
import json
import os
import platform
import shlex
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from braindecode.datasets import BaseConcatDataset

from braindecode_sleepkd.datasets import load_sample, make_sequences, sequence_starts
from braindecode_sleepkd.estimator import SleepKDClassifier
from braindecode_sleepkd.metrics import (
    inference_speed,
    n_parameters,
    paired_comparison,
    scores,
)
from braindecode_sleepkd.teachers import GSSCTeacher, gssc_preprocess

CONDITIONS = ("scratch", "kd_gssc", "sleepkd_gssc", "sleepkd_gssc_authors")
NAMES = {
    "gssc_night": "GSSC alone, GRU over the whole excerpt",
    "gssc_seq": "GSSC alone, sequences of seq_len epochs",
    "yasa": "YASA alone (excerpts >= 100 Hz)",
    "scratch": "student alone",
    "kd_gssc": "student, KD from GSSC",
    "sleepkd_gssc": "student, SleepKD GSSC -> assistant -> student (paper weights)",
    "sleepkd_gssc_authors": "student, SleepKD chain, 'authors' recipe",
}
NIGHT_EPOCHS = 960  # an 8-h night


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--data", type=Path, default=None, help="data folder")
    parser.add_argument("--subjects", type=int, nargs="+", default=[1, 3, 4, 6, 7, 8])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--max-epochs", type=int, default=15)
    parser.add_argument("--seq-len", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--student-lstm-units", type=int, default=32)
    parser.add_argument(
        "--assistant-role",
        default="teacher",
        help="deepsleepnet preset size used as the assistant (457 k for 'teacher')",
    )
    parser.add_argument("--conditions", nargs="+", default=list(CONDITIONS))
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite the .md from the .json in --out without running",
    )
    return parser.parse_args(argv)


def _window_pred(proba, windows, seq_len):
    """Per-window stage: mean of the probabilities of the sequences holding it."""
    starts, _ = sequence_starts(windows, seq_len)
    total = np.zeros((len(windows), proba.shape[-1]))
    count = np.zeros(len(windows))
    for start, p in zip(starts, proba):
        total[start : start + seq_len] += p
        count[start : start + seq_len] += 1
    assert count.min() > 0
    return (total / count[:, None]).argmax(1)


def _make_clf(cond, teacher, seed, args):
    common = dict(
        seq_len=args.seq_len,
        max_epochs=args.max_epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        random_state=seed,
        verbose=0,
        student__lstm_units=args.student_lstm_units,
    )
    if cond == "scratch":
        return SleepKDClassifier(
            None, None, "deepsleepnet", strategy="scratch", **common
        )
    if cond == "kd_gssc":
        return SleepKDClassifier(
            teacher,
            None,
            "deepsleepnet",
            strategy="kd",
            teacher_pretrained=True,
            **common,
        )
    from braindecode_sleepkd.models import preset

    assistant = preset("deepsleepnet", args.assistant_role)
    recipe = "authors" if cond == "sleepkd_gssc_authors" else "paper"
    return SleepKDClassifier(
        teacher,
        assistant,
        "deepsleepnet",
        teacher_pretrained=True,
        recipe=recipe,
        **common,
    )


def _night_time(model, seq_len, n_epochs=NIGHT_EPOCHS):
    """Seconds to stage one night of ``n_epochs`` (batches of 8 sequences)."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n_epochs // seq_len, seq_len, 1, 3000, generator=gen)
    model.eval()
    with torch.no_grad():
        model(x[:1])
        t0 = time.perf_counter()
        for i in range(0, len(x), 8):
            model(x[i : i + 8])
    return time.perf_counter() - t0


def _cost(model, seq_len):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(1, seq_len, 1, 3000, generator=gen)
    speed = inference_speed({"m": model}, x, batch_sizes=(1, 8), n_repeats=3)["m"]
    return dict(
        n_params=n_parameters(model),
        cpu_epochs_per_s=speed[8]["best_epochs_per_s"],
        latency_ms_one_sequence=1000 * speed[1]["best_s"],
        seconds_per_8h_night=_night_time(model, seq_len),
    )


def _yasa_rows(subjects, data):
    try:
        from braindecode_sleepkd.teachers.yasa import YASATeacher
    except ImportError:  # pragma: no cover
        return {}, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw_windows = load_sample(data, sfreq=100.0, subject_ids=subjects)
    teacher, pred, t_total, n = YASATeacher(), {}, 0.0, 0
    for s, ds in zip(raw_windows.description["subject"], raw_windows.datasets):
        if float(ds.description["sfreq_native"]) <= 80:
            continue  # YASA refuses it (excerpt3, 50 Hz)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pred[int(s)] = teacher.score_recording(ds).argmax(1)
        t_total += time.perf_counter() - t0
        n += len(ds)
    return pred, dict(cpu_epochs_per_s=n / t_total, n_epochs=n)


def run(args):
    """Return the benchmark results as a JSON-ready dict."""
    torch.set_num_threads(args.threads)
    t_start, load_start = time.time(), os.getloadavg()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw_windows = load_sample(args.data, sfreq=100.0, subject_ids=args.subjects)
        windows = gssc_preprocess(raw_windows)
    desc = windows.description
    subjects = [int(s) for s in desc["subject"]]
    labels = {s: np.asarray(ds.y) for s, ds in zip(subjects, windows.datasets)}
    all_y = np.concatenate([labels[s] for s in subjects])

    teacher = GSSCTeacher()
    pred = {"gssc_night": {}, "gssc_seq": {}}
    t0 = time.perf_counter()
    for s, ds in zip(subjects, windows.datasets):
        one = BaseConcatDataset([ds])
        X, _, _ = make_sequences(one, seq_len=len(ds))
        with torch.no_grad():
            pred["gssc_night"][s] = teacher(torch.as_tensor(X))[0].argmax(-1).numpy()
        X, _, _ = make_sequences(one, seq_len=args.seq_len)
        with torch.no_grad():
            proba = teacher(torch.as_tensor(X)).exp().numpy()
        pred["gssc_seq"][s] = _window_pred(proba, one, args.seq_len)
    gssc_first_pass = time.perf_counter() - t0
    print(f"GSSC scored {len(all_y)} epochs twice in {gssc_first_pass:.1f} s")
    yasa_pred, yasa_cost = _yasa_rows(subjects, args.data)
    if yasa_pred:
        pred["yasa"] = yasa_pred

    runs, fit_seconds, models = [], {c: [] for c in args.conditions}, {}
    for seed in args.seeds:
        for i_test, s in enumerate(subjects):
            train = BaseConcatDataset(
                [ds for j, ds in enumerate(windows.datasets) if j != i_test]
            )
            test = BaseConcatDataset([windows.datasets[i_test]])
            for cond in args.conditions:
                clf = _make_clf(cond, teacher, seed, args)
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    clf.fit(train)
                fit_seconds[cond].append(time.perf_counter() - t0)
                p = _window_pred(clf.predict_proba(test), test, args.seq_len)
                m = scores(labels[s], p)
                runs.append(dict(method=cond, fold=s, seed=seed, pred=p.tolist(), **m))
                print(
                    f"seed {seed} excerpt{s} {cond:22s} kappa {m['kappa']:+.3f} "
                    f"acc {m['accuracy']:.3f} fit {fit_seconds[cond][-1]:.0f} s "
                    f"[{time.time() - t_start:.0f} s]",
                    flush=True,
                )
                models.setdefault("student", clf.module_)
                if cond.startswith("sleepkd"):
                    models.setdefault("assistant", clf.assistant_)
    for method, by_subject in pred.items():
        for s, p in by_subject.items():
            runs.append(
                dict(method=method, fold=s, seed=None, pred=np.asarray(p).tolist())
            )
            runs[-1].update(scores(labels[s], p))
    return _summarise(
        args,
        runs,
        labels,
        subjects,
        fit_seconds,
        models,
        teacher,
        yasa_cost,
        gssc_first_pass,
        t_start,
        load_start,
        all_y,
    )


def _summarise(
    args,
    runs,
    labels,
    subjects,
    fit_seconds,
    models,
    teacher,
    yasa_cost,
    gssc_first_pass,
    t_start,
    load_start,
    all_y,
):
    methods = list(dict.fromkeys(r["method"] for r in runs))
    per_subject = {}
    pooled = {}
    for m in methods:
        rows = [r for r in runs if r["method"] == m]
        subj = sorted({r["fold"] for r in rows})
        per_subject[m] = {
            s: float(np.mean([r["kappa"] for r in rows if r["fold"] == s]))
            for s in subj
        }
        seeds = sorted({r["seed"] for r in rows}, key=lambda v: (v is None, v))
        per_seed = []
        for seed in seeds:
            chosen = {r["fold"]: r for r in rows if r["seed"] == seed}
            y = np.concatenate([labels[s] for s in subj])
            p = np.concatenate([chosen[s]["pred"] for s in subj])
            per_seed.append(scores(y, p))
        pooled[m] = dict(
            kappa=float(np.mean([v["kappa"] for v in per_seed])),
            kappa_per_seed=[v["kappa"] for v in per_seed],
            accuracy=float(np.mean([v["accuracy"] for v in per_seed])),
            macro_f1=float(np.mean([v["macro_f1"] for v in per_seed])),
            subjects=subj,
        )

    def paired(a, b):
        common = [s for s in per_subject[a] if s in per_subject[b]]
        return paired_comparison(
            [per_subject[a][s] for s in common], [per_subject[b][s] for s in common]
        )

    comparisons = {}
    for a, b in (
        ("kd_gssc", "scratch"),
        ("sleepkd_gssc", "scratch"),
        ("sleepkd_gssc_authors", "scratch"),
        ("sleepkd_gssc", "kd_gssc"),
        ("sleepkd_gssc_authors", "kd_gssc"),
        ("gssc_seq", "scratch"),
    ):
        if a in per_subject and b in per_subject:
            comparisons[f"{a} - {b}"] = paired(a, b)
    goal = {}
    for cond in args.conditions:
        if cond == "scratch":
            continue
        goal[cond] = {
            ref: pooled[cond]["kappa"] / pooled[ref]["kappa"]
            for ref in ("gssc_night", "gssc_seq")
        }
    fast = copy.deepcopy(teacher)
    fast.memory = False
    cost = {"gssc": _cost(fast, args.seq_len)}
    cost["gssc"]["n_params_shipped"] = 10_727_301 + 5_917_189
    for role, model in models.items():
        cost[role] = _cost(model.cpu(), args.seq_len)
    return dict(
        command=" ".join(
            [".venv/bin/python", "benchmarks/gssc_distill.py"]
            + [shlex.quote(a) for a in sys.argv[1:]]
        ),
        config={k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        data=dict(
            subjects=subjects,
            n_epochs=int(len(all_y)),
            class_counts_W_N1_N2_N3_REM=np.bincount(all_y, minlength=5).tolist(),
        ),
        per_subject_kappa=per_subject,
        pooled=pooled,
        paired_kappa=comparisons,
        kappa_ratio_to_gssc=goal,
        fit_seconds={c: float(np.mean(v)) for c, v in fit_seconds.items()},
        cost=cost,
        yasa=yasa_cost,
        gssc_first_pass_seconds=gssc_first_pass,
        runs=[{k: v for k, v in r.items() if k != "confusion"} for r in runs],
        environment=dict(
            python=platform.python_version(),
            torch=torch.__version__,
            gssc=__import__("importlib.metadata").metadata.version("gssc"),
            torch_threads=torch.get_num_threads(),
            cpu_count=os.cpu_count(),
            load_average_start=list(load_start),
            load_average_end=list(os.getloadavg()),
            wall_seconds=float(time.time() - t_start),
        ),
    )


def _ci(p):
    return f"[{p['ci_low']:+.3f}, {p['ci_high']:+.3f}]"


def to_markdown(res):
    cfg, env = res["config"], res["environment"]
    subjects = res["data"]["subjects"]
    lines = [
        "# Distilling GSSC into a tiny student (DREAMS excerpts, LOSO)",
        "",
        "Command:",
        "",
        "```",
        res["command"],
        "```",
        "",
        f"Data: DREAMS Spindles excerpts {', '.join(map(str, subjects))}, one EEG "
        "channel loaded at 100 Hz, band-passed 0.3-30 Hz and z-scored per recording "
        f"(`gssc_preprocess`); {res['data']['n_epochs']} scored 30-s epochs (W, N1, "
        f"N2, N3, REM = {res['data']['class_counts_W_N1_N2_N3_REM']}). Tiny and "
        "heavily N2: indicative only.",
        "",
        f"Training: leave-one-subject-out, seeds {cfg['seeds']}, "
        f"max_epochs={cfg['max_epochs']} per stage, seq_len={cfg['seq_len']}, "
        f"batch_size={cfg['batch_size']}, lr={cfg['lr']}; student = deepsleepnet "
        f"student preset with lstm_units={cfg['student_lstm_units']}; assistant = "
        f"deepsleepnet '{cfg['assistant_role']}' preset. GSSC (gssc "
        f"{env['gssc']}) is frozen; its outputs are computed once per sequence. "
        f"Wall time {env['wall_seconds'] / 60:.1f} min, {env['torch_threads']} "
        f"torch thread(s) on a shared 2-core machine (load average "
        f"{env['load_average_start'][0]:.1f} at start, "
        f"{env['load_average_end'][0]:.1f} at end).",
        "",
        "## Cohen's kappa on the held-out excerpt (mean over seeds)",
        "",
        "| row | "
        + " | ".join(f"excerpt{s}" for s in subjects)
        + " | mean | pooled | pooled acc |",
        "|---|" + "---|" * (len(subjects) + 3),
    ]
    for m, ks in res["per_subject_kappa"].items():
        vals = [ks.get(str(s), ks.get(s)) for s in subjects]
        cells = " | ".join("-" if v is None else f"{v:.3f}" for v in vals)
        present = [v for v in vals if v is not None]
        lines.append(
            f"| {NAMES.get(m, m)} | {cells} | {np.mean(present):.3f} | "
            f"{res['pooled'][m]['kappa']:.3f} | {res['pooled'][m]['accuracy']:.3f} |"
        )
    lines += [
        "",
        "Pooled: the predictions on all held-out excerpts concatenated, per seed, "
        "then averaged over seeds (YASA: its five excerpts only).",
        "",
        "## Paired differences in kappa (per held-out subject, seeds averaged)",
        "",
        "| comparison | n | mean | 95% t interval | 95% bootstrap interval "
        "| Wilcoxon p | subjects > 0 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, p in res["paired_kappa"].items():
        lines.append(
            f"| {name} | {p['n']} | {p['mean_diff']:+.3f} | {_ci(p)} | "
            f"[{p['boot_low']:+.3f}, {p['boot_high']:+.3f}] | "
            f"{p['p_wilcoxon']:.3f} | {p['n_positive']}/{p['n']} |"
        )
    lines += [
        "",
        f"With {len(subjects)} subjects the smallest two-sided Wilcoxon p is "
        f"{2 / 2 ** len(subjects):.3f}.",
        "",
        "## Goal: a student of <= 100 k parameters at >= 90% of GSSC's kappa (pooled)",
        "",
    ]
    for cond, ratio in res["kappa_ratio_to_gssc"].items():
        lines.append(
            f"- {NAMES[cond]}: {ratio['gssc_night']:.2f} of GSSC with the whole "
            f"excerpt as context, {ratio['gssc_seq']:.2f} of GSSC with "
            f"seq_len-epoch context"
        )
    lines += [
        "",
        "## Size and CPU speed",
        "",
        "| model | parameters | epochs/s | ms per sequence | s per 8-h night |",
        "|---|---|---|---|---|",
    ]
    for role, c in res["cost"].items():
        extra = ""
        if role == "gssc":
            extra = f" (EEG path; {c['n_params_shipped']:,} shipped)"
        lines.append(
            f"| {role} | {c['n_params']:,}{extra} | {c['cpu_epochs_per_s']:.0f} | "
            f"{c['latency_ms_one_sequence']:.1f} | {c['seconds_per_8h_night']:.2f} |"
        )
    if res.get("yasa"):
        lines.append(
            f"\nYASA: {res['yasa']['cpu_epochs_per_s']:.0f} epochs/s (features + "
            "LightGBM, whole excerpts)."
        )
    lines += [
        "",
        "Speed (`braindecode_sleepkd.metrics.inference_speed`): torch "
        f"{env['torch_threads']} thread(s), batches of 8 sequences of "
        f"{cfg['seq_len']} epochs (latency: one sequence), fastest of 3 repeats, "
        "on a loaded machine; "
        "an 8-h night is 960 epochs of random input in batches of 8 sequences. "
        "Mean fit time per fold: "
        + ", ".join(f"{c} {t:.0f} s" for c, t in res["fit_seconds"].items())
        + ".",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    if args.render_only:
        res = json.loads((args.out / "gssc_distill.json").read_text())
        (args.out / "gssc_distill.md").write_text(to_markdown(res))
        return
    res = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "gssc_distill.json").write_text(json.dumps(res, indent=1) + "\n")
    (args.out / "gssc_distill.md").write_text(to_markdown(res))
    print(to_markdown(res))


if __name__ == "__main__":
    main()
