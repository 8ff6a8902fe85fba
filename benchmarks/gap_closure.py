"""How much of the teacher-vs-student gap does distillation close? (SIMULATED EEG)

Simulated sleep EEG (real Sleep-EDF hypnograms, 20 subjects). Per subject-wise
split: test subjects, 4 labelled subjects and 0, 8 or 24 unlabelled nights of the
others; a teacher trained once per split, a narrow student alone and by each
recipe (same epochs per stage, several seeds). Report
(``lib.gap``). Each run is saved at once::

    .venv/bin/python benchmarks/gap_closure.py --splits 0 --out benchmarks/results
    .venv/bin/python benchmarks/gap_closure.py --splits 1 --out benchmarks/results
    .venv/bin/python benchmarks/gap_closure.py --report --out benchmarks/results
"""

import argparse
import json
import sys
from pathlib import Path

from lib import cli, gap
from lib.rows import fit_rows

from braindecode_sleepkd import preset
from braindecode_sleepkd.evaluation import data as bdata
from braindecode_sleepkd.evaluation.windows import predict_stages
from braindecode_sleepkd.evaluation.writer import read_results, write_results
from braindecode_sleepkd.metrics import kappa, macro_f1

SEQ_LEN = 10
STUDENTS = {  # student: (student preset kwargs, assistant preset role)
    "narrow": (dict(lstm_units=8, dropout=0.0), "student"),
    "preset": ({}, "assistant"),
}
KD, KDV = "KD, cached (paper weights)", "KD, consistent views"
ROW_ALIASES = {
    "kd": (KD, "kd", "paper"),
    "kd_views": (KDV, "kd", "function_matching"),
    "sleepkd_paper": ("SleepKD (paper weights)", "sleepkd", "paper"),
    "sleepkd_authors": ("SleepKD (authors' code)", "sleepkd", "authors"),
    "sleepkd_views": ("SleepKD, consistent views", "sleepkd", "function_matching"),
    "dist_views": ("DIST, consistent views", "dist", "function_matching"),
}
ROWS = {name: dict(strategy=s, recipe=r) for name, s, r in ROW_ALIASES.values()}
PAIRS = list(zip(list(ROWS)[2:5], [KD, KD, KDV]))


def _level(n_unlabelled):
    return "-" if n_unlabelled is None else n_unlabelled


def fit_row(args, d, unit, name):
    """Fit row ``name`` on ``unit = (seed, unlabelled nights)`` of split data ``d``."""
    (seed, n_unl), (student_kw, role) = unit, STUDENTS[args.student]
    params = dict({"strategy": "scratch"} if n_unl is None else ROWS[name])
    params.update({f"student__{k}": v for k, v in student_kw.items()}, **d["common"])
    assistant = preset("deepsleepnet", role, n_chans=1, sfreq=args.sfreq)
    return gap.fit_record(d, n_unl or 0, assistant, seed, args.epochs, **params)


def run(args, results, path):
    X, y, subjects, recordings = bdata.simulated_sequences(
        39, args.epochs_per_recording, SEQ_LEN, args.sfreq
    )
    common = dict(batch_size=16, lr=1e-3, verbose=0, seq_len=SEQ_LEN)
    common["lr_schedule"] = args.lr_schedule
    rows = [ROW_ALIASES[r][0] if r in ROW_ALIASES else r for r in args.rows]
    for split in args.splits:
        d = gap.labelled_split(
            X, y, subjects, recordings, split, args.test_subjects, max(args.unlabelled)
        )
        d.update(X=X, recordings=recordings, common=common, seq_len=SEQ_LEN)
        key, res = f"split{split}", results.setdefault(f"split{split}", {"runs": {}})
        weights = Path(args.work) / f"teacher_split{split}_{args.teacher_epochs}ep.pt"
        module = preset("deepsleepnet", "teacher", n_chans=1, sfreq=args.sfreq)
        d["teacher"] = gap.scratch_teacher(
            weights, module, d["Xl"], d["yl"], split, args.teacher_epochs, **common
        )
        d["t_pred"] = predict_stages(d["teacher"], d["Xte"], batch_size=64)
        res["teacher"] = dict(
            macro_f1=macro_f1(d["yte"], d["t_pred"]), kappa=kappa(d["yte"], d["t_pred"])
        )
        res["sizes"] = d["sizes"]
        print(f"{key} teacher {res['teacher']}", flush=True)
        fit_rows(
            [(seed, n) for seed in args.seeds for n in [None, *args.unlabelled]],
            lambda unit, rows=rows: ["alone"] if unit[1] is None else rows,
            lambda unit, name, d=d: fit_row(args, d, unit, name),
            key=lambda u, name: f"{args.student}|seed{u[0]}|{_level(u[1])}|{name}",
            runs=res["runs"],
            save=lambda runs: path.write_text(json.dumps(results, indent=1)),
            log=lambda k, r, key=key: print(f"{key} {k}: {gap.run_line(r)}"),
            quiet=False,
        )


def report(args, results, out):
    title = "Gap closure on SIMULATED sleep EEG"
    md, results["summary"] = gap.units_report(results, title, STUDENTS, ROWS, PAIRS)
    write_results(out, args.name, results, md, indent=1)
    print(md)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--student", choices=list(STUDENTS), default="narrow")
    add("--splits", type=int, nargs="+", default=[0, 1])
    add("--seeds", type=int, nargs="+", default=[0, 1, 2])
    add("--unlabelled", type=int, nargs="+", default=[0, 8, 24])
    add("--rows", nargs="+", default=list(ROW_ALIASES), help=f"{list(ROW_ALIASES)}")
    add("--test-subjects", type=int, default=2)
    add("--epochs", type=int, default=20, help="epochs per stage")
    add("--teacher-epochs", type=int, default=40)
    add("--epochs-per-recording", type=int, default=240)
    add("--sfreq", type=float, default=100.0)
    add("--lr-schedule", default="cosine")
    add("--threads", type=int, default=1)
    add("--report", action="store_true", help="only write the report")
    add("--out", default="benchmarks/results")
    add("--work", default="benchmarks/work", help="teacher weights")
    add("--name", default="gap_closure")
    args = parser.parse_args(argv)
    bad = [r for r in args.rows if r not in ROW_ALIASES and r not in ROWS]
    if bad:
        parser.error(f"unknown rows {bad}; valid: {list(ROW_ALIASES)}")
    cli.set_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.report:
        parts = sorted(out.glob(f"{args.name}_*split*.json"))
        return report(args, gap.merge_parts(parts), out)
    part = f"{args.name}_{args.student}_split" + "-".join(map(str, args.splits))
    path, results = out / f"{part}.json", read_results(out, part)
    meta = cli.add_command(results, cli.command_line(sys.argv[0], argv=argv))
    student_kw, role = STUDENTS[args.student]
    meta.setdefault("settings", {})[args.student] = gap.setting(
        args, student_kw, role, SEQ_LEN
    )
    run(args, results, path)


if __name__ == "__main__":
    main()
