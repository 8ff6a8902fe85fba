"""Gap closure from YASA on the real DREAMS excerpts, leave-one-subject-out.

YASA (features + LightGBM, not differentiable: its probabilities are cached)
teaches a student directly, or through a deep assistant (a deepsleepnet
teacher-sized network first distilled from YASA on the training excerpts) for
the rows that need a live guide on every view (consistent views). Reported:
kappa and macro-F1 (pooled and per subject), the share of the YASA-vs-alone gap
closed, paired intervals over the held-out subjects (seeds averaged), agreement
with YASA and the student stage's epoch cost relative to the student alone.
About 300 scored epochs, mostly N2: indicative only. Resumable.

Run::

    .venv/bin/python benchmarks/gap_closure_dreams.py --seeds 0 1 2 \\
        --out benchmarks/results
"""

import json
import sys

import numpy as np

from braindecode_sleepkd import SleepKDClassifier, preset
from braindecode_sleepkd.benchmark import cli, loso, tables
from braindecode_sleepkd.benchmark.rows import fit_rows
from braindecode_sleepkd.benchmark.splits import leave_one_subject_out
from braindecode_sleepkd.benchmark.stats import gap_closed
from braindecode_sleepkd.benchmark.windows import window_proba
from braindecode_sleepkd.benchmark.writer import write_results
from braindecode_sleepkd.metrics import kappa, macro_f1, paired_comparison
from braindecode_sleepkd.teachers.yasa import YASATeacher

KD, KDV = (
    "KD from YASA, cached (paper weights)",
    "KD, consistent views (deep assistant)",
)
SKD = "SleepKD via deep assistant"
ROWS = {  # row: (guide, strategy, recipe); guide "deep" / "chain": the deep assistant
    KD: ("yasa", "kd", "paper"),
    KDV: ("deep", "kd", "function_matching"),
    f"{SKD} (paper weights)": ("chain", "sleepkd", "paper"),
    f"{SKD} (authors' code)": ("chain", "sleepkd", "authors"),
    f"{SKD}, consistent views": ("chain", "sleepkd", "function_matching"),
    "DIST, consistent views (deep assistant)": ("deep", "dist", "function_matching"),
}
PAIRS = list(zip(list(ROWS)[2:5], [KD, KD, KDV]))
METRICS = {"kappa": kappa, "macro_f1": macro_f1}
SIGNAL = dict(n_chans=1, n_times=3000, sfreq=100.0)
HEAD = "| row | pooled | gap closed (per-subject) | vs alone, paired 95% CI "
HEAD += "| agreement with YASA on test / guide on train | cost vs alone |"


def make(unit, row, yasa, args, deep):
    kw = dict(cli.estimator_params(args, unit.seed), lr_schedule=args.lr_schedule)
    if row == "alone":
        return SleepKDClassifier(None, None, "deepsleepnet", strategy="scratch", **kw)
    guide, strategy, recipe = ROWS[row]
    kw.update(strategy=strategy, recipe=recipe)
    if guide == "yasa":
        return SleepKDClassifier(yasa, None, "deepsleepnet", **kw)
    if guide == "chain":
        assistant = preset("deepsleepnet", "teacher", **SIGNAL)
        return SleepKDClassifier(yasa, assistant, "deepsleepnet", **kw)
    if (unit.seed, unit.subject) not in deep:  # distil it (KD, paper weights)
        deep.clear()
        kd = dict(kw, strategy="kd", recipe="paper")
        del kd["student__lstm_units"]
        teacher = preset("deepsleepnet", "teacher", **SIGNAL)
        clf = SleepKDClassifier(yasa, None, teacher, **kd).fit(unit.train)
        deep[unit.seed, unit.subject] = clf.module_.eval()
    guide = deep[unit.seed, unit.subject]
    return SleepKDClassifier(guide, None, "deepsleepnet", teacher_pretrained=True, **kw)


def run(args, results, path):
    windows, labels = loso.load(args.data, args.subjects)
    yasa = YASATeacher()
    yasa_pred, _, _ = loso.score_alone(yasa.score_recording, windows)
    results["labels"] = {s: labels[s].tolist() for s in labels}
    results["yasa"] = {s: yasa_pred[s].tolist() for s in labels}
    deep = {}

    def fit(unit, row):
        clf = make(unit, row, yasa, args, deep).fit(unit.train)
        proba = clf.predict_proba(unit.test)
        pred = window_proba(proba, unit.test, args.seq_len).argmax(1)
        hist, y = clf.histories_["student"], labels[unit.subject]
        return {
            "pred": pred.tolist(),
            "kappa": kappa(y, pred),
            "macro_f1": macro_f1(y, pred),
            "agreement": float((pred == yasa_pred[unit.subject]).mean()),
            "train_agreement": hist[-1].get("train_agreement"),
            "epoch_seconds": float(np.mean([row["dur"] for row in hist])),
        }

    def log(key, r):
        print(
            f"{key}: kappa {r['kappa']:+.3f} F1 {r['macro_f1']:.3f} agree "
            f"{r['agreement']:.2f} ({r['seconds']:.0f} s)",
            flush=True,
        )

    fit_rows(
        leave_one_subject_out(windows, args.seeds),
        ["alone", *ROWS],
        fit,
        key=lambda unit, row: f"seed{unit.seed}|{unit.subject}|{row}",
        runs=results.setdefault("runs", {}),
        save=lambda runs: path.write_text(json.dumps(results)),
        log=log,
    )


def report(results, out, name):
    runs, subjects = results["runs"], list(results["labels"])
    labels, yasa = results["labels"], results["yasa"]
    seeds = sorted({k.split("|")[0][4:] for k in runs}, key=int)
    rows = ["alone", *ROWS]
    seeds = [
        sd
        for sd in seeds
        if all(f"seed{sd}|{s}|{r}" in runs for s in subjects for r in rows)
    ]

    def get(row, field):  # [[seed 0: subject ...], [seed 1: ...]]
        return [[runs[f"seed{sd}|{s}|{row}"][field] for s in subjects] for sd in seeds]

    def per_subject(row, metric):
        return np.array([np.mean(v) for v in zip(*get(row, metric))])

    def pooled(row, metric):
        y, fn = np.concatenate([labels[s] for s in subjects]), METRICS[metric]
        if row == "yasa":
            return fn(y, np.concatenate([yasa[s] for s in subjects]))
        return float(np.mean([fn(y, np.concatenate(p)) for p in get(row, "pred")]))

    def mean(row, field):
        values = [v for by_seed in get(row, field) for v in by_seed]
        return np.mean([np.nan if v is None else v for v in values])

    md = tables.header_lines(
        "Gap closure from YASA on the real DREAMS excerpts (LOSO)",
        results["meta"]["commands"],
        results["meta"]["setting"],
    )
    md += [
        f"Complete seeds: {seeds}; held-out excerpts {[int(s) for s in subjects]} "
        f"({sum(len(v) for v in labels.values())} scored epochs). `gap closed` = "
        "(row - alone) / (YASA - alone) on the pooled predictions (per-subject "
        "means in brackets); intervals: paired Student-t over the "
        f"{len(subjects)} held-out subjects (seeds averaged per subject). `cost` = "
        "the student stage's epoch time over the student alone's.",
    ]
    summary = {}
    for metric, fn in METRICS.items():
        alone_pool, yasa_pool = pooled("alone", metric), pooled("yasa", metric)
        alone_ps = per_subject("alone", metric)
        yasa_ps = np.array([fn(labels[s], yasa[s]) for s in subjects])
        md += [
            "",
            f"## {metric}: YASA {yasa_pool:.3f}, student alone {alone_pool:.3f} "
            f"(pooled; per-subject means {yasa_ps.mean():.3f} vs "
            f"{alone_ps.mean():.3f})",
            "",
            HEAD,
            "|---|---:|---:|---|---|---:|",
        ]
        for row in ROWS:
            pool, ps = pooled(row, metric), per_subject(row, metric)
            cmp = paired_comparison(ps, alone_ps)
            summary.setdefault(metric, {})[row] = res = dict(
                pooled=pool,
                gap_closed=gap_closed(pool, alone_pool, yasa_pool),
                gap_closed_per_subject=gap_closed(
                    ps.mean(), alone_ps.mean(), yasa_ps.mean()
                ),
                vs_alone=cmp,
            )
            cost = mean(row, "epoch_seconds") / mean("alone", "epoch_seconds")
            md.append(
                f"| {row} | {pool:.3f} | {res['gap_closed']:.2f} "
                f"({res['gap_closed_per_subject']:.2f}) | {cmp['mean_diff']:+.3f} "
                f"{tables.interval(cmp['ci_low'], cmp['ci_high'])} | "
                f"{mean(row, 'agreement'):.2f} / {mean(row, 'train_agreement'):.2f} "
                f"| {cost:.1f}x |"
            )
        md += ["", f"SleepKD against KD ({metric}, paired over subjects):", ""]
        for a, b in PAIRS:
            cmp = paired_comparison(per_subject(a, metric), per_subject(b, metric))
            md.append(tables.pair_line(f"{a} - {b}", cmp, "subjects > 0"))
    md = "\n".join([*md, ""])
    write_results(out, name, summary, md, json_name=f"{name}_summary")
    print(md)


def main(argv=None):
    parser = cli.loso_parser(__doc__, [1, 4, 6, 7, 8], [0, 1, 2], 30, 1, False)
    parser.add_argument("--lr-schedule", default="cosine")
    parser.add_argument("--report", action="store_true", help="only write the report")
    parser.add_argument("--name", default="gap_closure_dreams")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{args.name}.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    if args.report:
        return report(results, args.out, args.name)
    meta = cli.add_command(results, cli.command_line(sys.argv[0], argv=argv))
    meta["setting"] = (
        "DREAMS Spindles excerpts (real EEG, expert hypnograms), one channel at "
        f"100 Hz, 30-s AASM epochs; sequences of {args.seq_len}; student: "
        f"deepsleepnet student preset with {args.student_lstm_units} LSTM units; deep "
        f"assistant: deepsleepnet teacher preset; {args.max_epochs} epochs per stage "
        f"for every row, batch {args.batch_size}, lr {args.lr}, schedule "
        f"{args.lr_schedule}; {args.threads} CPU thread(s)."
    )
    cli.set_threads(args.threads)
    run(args, results, path)
    report(results, args.out, args.name)


if __name__ == "__main__":
    main()
