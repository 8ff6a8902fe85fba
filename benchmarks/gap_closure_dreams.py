"""Gap closure from YASA on the real DREAMS excerpts, leave-one-subject-out.

The teacher is YASA's pretrained stager (features + LightGBM, not
differentiable: its probabilities are cached). Rows that need a live teacher on
every view (consistent views) learn through a deep assistant: a deepsleepnet
teacher-sized network first distilled from YASA on the training excerpts, then
run live on each view for the student. Rows, each scored on the held-out
excerpt (DREAMS excerpts 1, 4, 6, 7, 8: the ones at >= 100 Hz that YASA takes):

* student alone (labels only), the same epoch budget as every student stage;
* KD from YASA, cached (paper weights);
* KD with consistent views (through the deep assistant);
* SleepKD YASA -> deep assistant -> student (paper weights; authors' code;
  consistent views on the assistant -> student link);
* DIST with consistent views (through the deep assistant).

Reported: kappa and macro-F1 (pooled over the held-out excerpts and per
subject), the share of the YASA-vs-alone gap closed, paired intervals over the
five held-out subjects (seeds averaged) against "alone" and SleepKD against KD,
the student stage's epoch cost per item relative to the student alone, and
agreement with YASA. The data are tiny (about 300 scored epochs, mostly N2):
indicative only. Resumable: every finished (seed, subject, row) is saved.

Run::

    .venv/bin/python benchmarks/gap_closure_dreams.py --seeds 0 1 2 \\
        --out benchmarks/results
"""

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from braindecode.datasets import BaseConcatDataset

from braindecode_sleepkd import SleepKDClassifier, preset
from braindecode_sleepkd.datasets import load_sample, sequence_starts
from braindecode_sleepkd.metrics import kappa, macro_f1, paired_comparison
from braindecode_sleepkd.teachers.yasa import YASATeacher

ROWS = {
    "KD from YASA, cached (paper weights)": dict(
        guide="yasa", strategy="kd", recipe="paper"
    ),
    "KD, consistent views (deep assistant)": dict(
        guide="deep", strategy="kd", recipe="function_matching"
    ),
    "SleepKD via deep assistant (paper weights)": dict(
        guide="chain", strategy="sleepkd", recipe="paper"
    ),
    "SleepKD via deep assistant (authors' code)": dict(
        guide="chain", strategy="sleepkd", recipe="authors"
    ),
    "SleepKD via deep assistant, consistent views": dict(
        guide="chain", strategy="sleepkd", recipe="function_matching"
    ),
    "DIST, consistent views (deep assistant)": dict(
        guide="deep", strategy="dist", recipe="function_matching"
    ),
}
PAIRS = [
    (
        "SleepKD via deep assistant (paper weights)",
        "KD from YASA, cached (paper weights)",
    ),
    (
        "SleepKD via deep assistant (authors' code)",
        "KD from YASA, cached (paper weights)",
    ),
    (
        "SleepKD via deep assistant, consistent views",
        "KD, consistent views (deep assistant)",
    ),
]


def _window_proba(clf, windows, seq_len):
    """Per-window probabilities: mean over the sequences that hold the window."""
    proba = clf.predict_proba(windows)
    starts, _ = sequence_starts(windows, seq_len, None)
    total = np.zeros((len(windows), proba.shape[-1]))
    count = np.zeros(len(windows))
    for start, p in zip(starts, proba):
        total[start : start + seq_len] += p
        count[start : start + seq_len] += 1
    return total / count[:, None]


def _student_cost(clf):
    """Mean epoch time of the student stage per training item."""
    hist = clf.histories_["student"]
    return float(np.mean([row["dur"] for row in hist]))


def _fit(row, yasa, deep, train, seed, args):
    common = dict(
        seq_len=args.seq_len,
        max_epochs=args.max_epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        lr_schedule=args.lr_schedule,
        random_state=seed,
        verbose=0,
        student__lstm_units=args.student_lstm_units,
    )
    signal = dict(n_chans=1, n_times=3000, sfreq=100.0)
    if row == "alone":
        clf = SleepKDClassifier(
            None, None, "deepsleepnet", strategy="scratch", **common
        )
    else:
        params = dict(ROWS[row])
        guide = params.pop("guide")
        if guide == "yasa":
            clf = SleepKDClassifier(yasa, None, "deepsleepnet", **params, **common)
        elif guide == "deep":
            clf = SleepKDClassifier(
                deep, None, "deepsleepnet", teacher_pretrained=True, **params, **common
            )
        else:
            assistant = preset("deepsleepnet", "teacher", **signal)
            clf = SleepKDClassifier(yasa, assistant, "deepsleepnet", **params, **common)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return clf.fit(train)


def _deep_assistant(yasa, train, seed, args):
    """A deep network distilled from YASA (KD, paper weights), live-able on views."""
    signal = dict(n_chans=1, n_times=3000, sfreq=100.0)
    clf = SleepKDClassifier(
        yasa,
        None,
        preset("deepsleepnet", "teacher", **signal),
        strategy="kd",
        recipe="paper",
        seq_len=args.seq_len,
        max_epochs=args.max_epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        lr_schedule=args.lr_schedule,
        random_state=seed,
        verbose=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(train)
    return clf.module_.eval()


def run(args, results, path):
    if args.threads:
        torch.set_num_threads(args.threads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        windows = load_sample(args.data, sfreq=100.0, subject_ids=args.subjects)
    subjects = [int(s) for s in windows.description["subject"]]
    labels = {s: np.asarray(ds.y) for s, ds in zip(subjects, windows.datasets)}
    yasa = YASATeacher()
    yasa_pred = {
        s: yasa.score_recording(ds).argmax(1)
        for s, ds in zip(subjects, windows.datasets)
    }
    results["labels"] = {s: labels[s].tolist() for s in subjects}
    results["yasa"] = {s: yasa_pred[s].tolist() for s in subjects}
    runs = results.setdefault("runs", {})
    rows = ["alone", *ROWS]
    for seed in args.seeds:
        for i_test, s in enumerate(subjects):
            train = BaseConcatDataset(
                [ds for j, ds in enumerate(windows.datasets) if j != i_test]
            )
            test = BaseConcatDataset([windows.datasets[i_test]])
            deep = None
            for row in rows:
                key = f"seed{seed}|{s}|{row}"
                if key in runs:
                    continue
                t0 = time.time()
                if ROWS.get(row, {}).get("guide") == "deep" and deep is None:
                    deep = _deep_assistant(yasa, train, seed, args)
                clf = _fit(row, yasa, deep, train, seed, args)
                pred = _window_proba(clf, test, args.seq_len).argmax(1)
                last = clf.histories_["student"][-1]
                runs[key] = {
                    "pred": pred.tolist(),
                    "kappa": kappa(labels[s], pred),
                    "macro_f1": macro_f1(labels[s], pred),
                    "agreement": float((pred == yasa_pred[s]).mean()),
                    "train_agreement": last.get("train_agreement"),
                    "epoch_seconds": _student_cost(clf),
                    "seconds": time.time() - t0,
                }
                path.write_text(json.dumps(results))
                r = runs[key]
                print(
                    f"{key}: kappa {r['kappa']:+.3f} F1 {r['macro_f1']:.3f} "
                    f"agree {r['agreement']:.2f} ({r['seconds']:.0f} s)",
                    flush=True,
                )


def _per_subject(results, row, metric, seeds, subjects):
    """Seed-mean score of ``row`` per held-out subject."""
    return np.array(
        [
            np.mean([results["runs"][f"seed{sd}|{s}|{row}"][metric] for sd in seeds])
            for s in subjects
        ]
    )


def _pooled(results, row, metric, seeds, subjects):
    """Seed-mean score of ``row`` on the held-out excerpts' predictions pooled."""
    fn = {"kappa": kappa, "macro_f1": macro_f1}[metric]
    y = np.concatenate([results["labels"][s] for s in subjects])
    if row == "yasa":
        return fn(y, np.concatenate([results["yasa"][s] for s in subjects]))
    return float(
        np.mean(
            [
                fn(
                    y,
                    np.concatenate(
                        [
                            results["runs"][f"seed{sd}|{s}|{row}"]["pred"]
                            for s in subjects
                        ]
                    ),
                )
                for sd in seeds
            ]
        )
    )


def report(results, out, name):
    runs = results["runs"]
    seeds = sorted({k.split("|")[0][4:] for k in runs}, key=int)
    subjects = list(results["labels"])
    complete = [
        sd
        for sd in seeds
        if all(f"seed{sd}|{s}|{r}" in runs for s in subjects for r in ["alone", *ROWS])
    ]
    seeds = complete
    yasa_ps = {
        m: np.array(
            [
                {"kappa": kappa, "macro_f1": macro_f1}[m](
                    results["labels"][s], results["yasa"][s]
                )
                for s in subjects
            ]
        )
        for m in ("kappa", "macro_f1")
    }
    cost_alone = np.mean(
        [runs[f"seed{sd}|{s}|alone"]["epoch_seconds"] for sd in seeds for s in subjects]
    )
    md = [
        "# Gap closure from YASA on the real DREAMS excerpts (LOSO)",
        "",
        "Commands:",
        "",
        *[f"    {c}" for c in results["meta"]["commands"]],
        "",
        results["meta"]["setting"],
        "",
        f"Complete seeds: {seeds}; held-out excerpts {subjects} "
        f"({sum(len(v) for v in results['labels'].values())} scored epochs). "
        "`gap closed` = (row - alone) / (YASA - alone) on the pooled predictions "
        "(per-subject means in brackets); intervals: paired Student-t over the "
        f"{len(subjects)} held-out subjects (seeds averaged per subject). `cost` = "
        "the student stage's epoch time over the student alone's.",
    ]
    summary = {}
    for metric in ("kappa", "macro_f1"):
        alone_pool = _pooled(results, "alone", metric, seeds, subjects)
        yasa_pool = _pooled(results, "yasa", metric, seeds, subjects)
        alone_ps = _per_subject(results, "alone", metric, seeds, subjects)
        md += [
            "",
            f"## {metric}: YASA {yasa_pool:.3f}, student alone {alone_pool:.3f} "
            f"(pooled; per-subject means {yasa_ps[metric].mean():.3f} vs "
            f"{alone_ps.mean():.3f})",
            "",
            "| row | pooled | gap closed (per-subject) | vs alone, paired 95% CI "
            "| agreement with YASA on test / guide on train | cost vs alone |",
            "|---|---:|---:|---|---|---:|",
        ]
        for row in ROWS:
            pool = _pooled(results, row, metric, seeds, subjects)
            ps = _per_subject(results, row, metric, seeds, subjects)
            closed = (pool - alone_pool) / (yasa_pool - alone_pool)
            closed_ps = (ps.mean() - alone_ps.mean()) / (
                yasa_ps[metric].mean() - alone_ps.mean()
            )
            cmp = paired_comparison(ps, alone_ps)
            agree = np.mean(
                [
                    runs[f"seed{sd}|{s}|{row}"]["agreement"]
                    for sd in seeds
                    for s in subjects
                ]
            )
            tr = np.mean(
                [
                    runs[f"seed{sd}|{s}|{row}"]["train_agreement"] or np.nan
                    for sd in seeds
                    for s in subjects
                ]
            )
            cost = (
                np.mean(
                    [
                        runs[f"seed{sd}|{s}|{row}"]["epoch_seconds"]
                        for sd in seeds
                        for s in subjects
                    ]
                )
                / cost_alone
            )
            summary.setdefault(metric, {})[row] = dict(
                pooled=pool,
                gap_closed=closed,
                gap_closed_per_subject=closed_ps,
                vs_alone=cmp,
            )
            md.append(
                f"| {row} | {pool:.3f} | {closed:.2f} ({closed_ps:.2f}) "
                f"| {cmp['mean_diff']:+.3f} "
                f"[{cmp['ci_low']:+.3f}, {cmp['ci_high']:+.3f}] "
                f"| {agree:.2f} / {tr:.2f} | {cost:.1f}x |"
            )
        md += ["", f"SleepKD against KD ({metric}, paired over subjects):", ""]
        for a, b in PAIRS:
            cmp = paired_comparison(
                _per_subject(results, a, metric, seeds, subjects),
                _per_subject(results, b, metric, seeds, subjects),
            )
            md.append(
                f"- {a} - {b}: {cmp['mean_diff']:+.3f} [{cmp['ci_low']:+.3f}, "
                f"{cmp['ci_high']:+.3f}] "
                f"({cmp['n_positive']} of {cmp['n']} subjects > 0)"
            )
    md.append("")
    (out / f"{name}.md").write_text("\n".join(md))
    (out / f"{name}_summary.json").write_text(json.dumps(summary, indent=1))
    print("\n".join(md))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--data", type=Path, default=None, help="data folder")
    parser.add_argument("--subjects", type=int, nargs="+", default=[1, 4, 6, 7, 8])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--max-epochs", type=int, default=30, help="per stage")
    parser.add_argument("--seq-len", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--lr-schedule", default="cosine")
    parser.add_argument("--student-lstm-units", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--report", action="store_true", help="only write the report")
    parser.add_argument("--name", default="gap_closure_dreams")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{args.name}.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    if args.report:
        return report(results, args.out, args.name)
    command = "python " + " ".join([sys.argv[0], *(argv or sys.argv[1:])])
    meta = results.setdefault("meta", {"commands": []})
    if command not in meta["commands"]:
        meta["commands"].append(command)
    meta["setting"] = (
        "DREAMS Spindles excerpts (real EEG, expert hypnograms), one channel at "
        f"100 Hz, 30-s AASM epochs; sequences of {args.seq_len}; student: "
        f"deepsleepnet student preset with {args.student_lstm_units} LSTM units; deep "
        f"assistant: deepsleepnet teacher preset; {args.max_epochs} epochs per stage "
        f"for every row, batch {args.batch_size}, lr {args.lr}, schedule "
        f"{args.lr_schedule}; {args.threads} CPU thread(s)."
    )
    run(args, results, path)
    report(results, args.out, args.name)


if __name__ == "__main__":
    main()
