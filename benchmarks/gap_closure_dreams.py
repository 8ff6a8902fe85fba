"""Gap closure from YASA on the real DREAMS excerpts, leave-one-subject-out.

YASA (its probabilities cached) teaches a student directly, or through a deep
assistant first distilled from YASA for the rows that need a live guide on every
view. Report (``lib.gap_subjects``): kappa, macro-F1,
share of the gap closed, paired intervals, agreement, cost. About 300 scored
epochs, mostly N2: indicative only. Resumable.

Run::

    .venv/bin/python benchmarks/gap_closure_dreams.py --seeds 0 1 2 \\
        --out benchmarks/results
"""

import json
import sys

import numpy as np
from lib import cli, gap_subjects, loso
from lib.rows import fit_rows

from braindecode_sleepkd import SleepKDClassifier, preset
from braindecode_sleepkd.evaluation.splits import leave_one_subject_out
from braindecode_sleepkd.evaluation.windows import window_proba
from braindecode_sleepkd.evaluation.writer import write_results
from braindecode_sleepkd.metrics import kappa, macro_f1
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
SIGNAL = dict(n_chans=1, n_times=3000, sfreq=100.0)


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
    title = "Gap closure from YASA on the real DREAMS excerpts (LOSO)"
    md, summary = gap_subjects.subjects_report(results, title, ROWS, PAIRS)
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
    meta["setting"] = gap_subjects.setting(args)
    cli.set_threads(args.threads)
    run(args, results, path)
    report(results, args.out, args.name)


if __name__ == "__main__":
    main()
