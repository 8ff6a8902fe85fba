"""How much of the teacher-vs-student gap does distillation close? (SIMULATED EEG)

Simulated sleep EEG (``simulate_sleep_eeg``: real Sleep-EDF hypnograms, 20
subjects). Per subject-wise split: held-out test subjects, four labelled
subjects (8 nights), and 0, 8 or 24 nights of other subjects added without
labels. A big teacher is trained once per split on the labelled nights; a
narrow student is trained alone and by each recipe, with several seeds and the
same epoch budget per stage. Reported (``braindecode_sleepkd.benchmark.gap``):
macro-F1 and kappa, the share of the gap closed, paired intervals, agreement,
cost per item. Every finished run is saved at once (a killed run resumes)::

    .venv/bin/python benchmarks/gap_closure.py --splits 0 --out benchmarks/results
    .venv/bin/python benchmarks/gap_closure.py --splits 1 --out benchmarks/results
    .venv/bin/python benchmarks/gap_closure.py --report --out benchmarks/results
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from braindecode_sleepkd import SleepKDClassifier, preset, simulate_sleep_eeg
from braindecode_sleepkd.benchmark import cli, gap, tables
from braindecode_sleepkd.benchmark import data as bdata
from braindecode_sleepkd.benchmark.rows import fit_rows
from braindecode_sleepkd.benchmark.splits import held_out_split
from braindecode_sleepkd.benchmark.windows import predict_stages
from braindecode_sleepkd.benchmark.writer import write_results
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
INTRO = """`gap closed` = mean(row - alone) / mean(teacher - alone) over the units; \
the interval is a paired Student-t interval of the row - alone difference over the \
same units. `cost per item` = the student stage's mean epoch time per training \
sequence over the student alone's (guides that run live on every view cost the \
most). Agreement: the student's test predictions against the teacher's, and (after \
the `/`) the last epoch's training agreement with its own guide."""


def _level(n_unlabelled):
    return "-" if n_unlabelled is None else n_unlabelled


def fit_row(args, d, unit, name):
    """Fit row ``name`` on ``unit = (seed, unlabelled nights)`` of split data ``d``."""
    (seed, n_unl), (student_kw, role) = unit, STUDENTS[args.student]
    Xu = (
        d["X"][np.isin(d["recordings"], d["unl_recs"][: n_unl or 0])] if n_unl else None
    )
    clf = SleepKDClassifier(
        d["teacher"],
        preset("deepsleepnet", role, **d["signal"]),
        "deepsleepnet",
        teacher_pretrained=True,
        max_epochs=args.epochs,
        random_state=seed,
        **{f"student__{k}": v for k, v in student_kw.items()},
        **({"strategy": "scratch"} if n_unl is None else ROWS[name]),
        **d["common"],
    ).fit(d["Xl"], d["yl"], unlabelled=Xu)
    pred, stats = clf.predict(d["Xte"]), gap.stage_stats(clf)
    n_items = len(d["Xl"]) + (0 if Xu is None else len(Xu))
    return dict(
        macro_f1=macro_f1(d["yte"], pred),
        kappa=kappa(d["yte"], pred),
        agreement=float((pred == d["t_pred"]).mean()),
        train_agreement=stats["train_agreement"],
        cost_per_item=stats["epoch_seconds"] / n_items,
        n_unlabelled_epochs=0 if Xu is None else int(Xu.shape[0] * SEQ_LEN),
        grad_share=stats["grad_share"],
        student_params=int(sum(p.numel() for p in clf.module_.parameters())),
    )


def run(args, results, path):
    windows = simulate_sleep_eeg(
        n_recordings=39,
        max_epochs_per_recording=args.epochs_per_recording,
        sfreq=args.sfreq,
        seed=0,
    )
    X, y, subjects, recordings, _ = bdata.sequences(windows, SEQ_LEN)
    X = bdata.robust_scale_per_recording(X, recordings)
    common = dict(batch_size=16, lr=1e-3, verbose=0, seq_len=SEQ_LEN)
    common["lr_schedule"] = args.lr_schedule
    signal = dict(n_chans=1, n_times=X.shape[-1], sfreq=args.sfreq)
    rows = [ROW_ALIASES[r][0] if r in ROW_ALIASES else r for r in args.rows]
    for split in args.splits:
        test_s, lab_s, unl_s = held_out_split(subjects, split, args.test_subjects)
        test, lab = np.isin(subjects, test_s), np.isin(subjects, lab_s)
        unl_recs = list(np.unique(recordings[np.isin(subjects, unl_s)]))
        if max(args.unlabelled) > len(unl_recs):
            raise ValueError(
                f"--unlabelled {max(args.unlabelled)} asks for more nights than the "
                f"{len(unl_recs)} of the subjects outside this split's test and "
                "labelled sets."
            )
        key, res = f"split{split}", results.setdefault(f"split{split}", {"runs": {}})
        d = dict(X=X, recordings=recordings, unl_recs=unl_recs, common=common)
        d.update(Xl=X[lab], yl=y[lab], Xte=X[test], yte=y[test], signal=signal)
        module = preset("deepsleepnet", "teacher", **signal)

        def fit_teacher(module=module, split=split, d=d):
            torch.manual_seed(split)
            kw = dict(max_epochs=args.teacher_epochs, random_state=split, **common)
            clf = SleepKDClassifier(None, None, module, strategy="scratch", **kw)
            return clf.fit(d["Xl"], d["yl"]).module_

        weights = Path(args.work) / f"teacher_split{split}_{args.teacher_epochs}ep.pt"
        d["teacher"] = gap.cached_module(weights, module, fit_teacher)
        d["t_pred"] = predict_stages(d["teacher"], d["Xte"], batch_size=64)
        res["teacher"] = dict(
            macro_f1=macro_f1(d["yte"], d["t_pred"]), kappa=kappa(d["yte"], d["t_pred"])
        )
        res["sizes"] = dict(
            labelled_epochs=int(d["yl"].size),
            test_epochs=int(d["yte"].size),
            test_subjects=test_s.tolist(),
            labelled_subjects=lab_s.tolist(),
        )
        print(f"{key} teacher {res['teacher']}", flush=True)
        fit_rows(
            [(seed, n) for seed in args.seeds for n in [None, *args.unlabelled]],
            lambda unit, rows=rows: ["alone"] if unit[1] is None else rows,
            lambda unit, name, d=d: fit_row(args, d, unit, name),
            key=lambda u, name: f"{args.student}|seed{u[0]}|{_level(u[1])}|{name}",
            runs=res["runs"],
            save=lambda runs: path.write_text(json.dumps(results, indent=1)),
            log=lambda k, r, key=key: print(
                f"{key} {k}: F1 {r['macro_f1']:.3f} kappa {r['kappa']:.3f} agree "
                f"{r['agreement']:.2f} ({r['seconds']:.0f} s)",
                flush=True,
            ),
            quiet=False,
        )


def report(args, results, out):
    meta, summary = results.get("meta", {}), {}
    parts = [
        k for split, res in results.items() if split[:5] == "split" for k in res["runs"]
    ]
    md = tables.header_lines(
        "Gap closure on SIMULATED sleep EEG",
        meta.get("commands", []),
        INTRO,
        "Commands (each writes its own part file; the report unites them):",
    )[:-1]
    for student in sorted({k.split("|")[0] for k in parts}, key=list(STUDENTS).index):
        lines, summary[student] = gap.units_table(results, student, ROWS, PAIRS)
        setting = meta.get("settings", {}).get(student, "")
        md += ["", f"## Student: {student}", "", setting, *lines]
    results["summary"] = summary
    write_results(out, args.name, results, "\n".join([*md, ""]), indent=1)
    print("\n".join(md))


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
    path = (
        out / f"{args.name}_{args.student}_split{'-'.join(map(str, args.splits))}.json"
    )
    results = json.loads(path.read_text()) if path.exists() else {}
    meta = cli.add_command(results, cli.command_line(sys.argv[0], argv=argv))
    student_kw, role = STUDENTS[args.student]
    with_kw = f" with {student_kw}" if student_kw else ""
    meta.setdefault("settings", {})[args.student] = (
        f"Simulated EEG at {args.sfreq:g} Hz, {args.epochs_per_recording} epochs per "
        f"night, sequences of {SEQ_LEN} epochs; per split {args.test_subjects} test "
        "subjects (2 nights each), 4 labelled subjects (8 nights), unlabelled nights "
        "from the other subjects. Teacher: deepsleepnet teacher preset, "
        f"{args.teacher_epochs} epochs on the labelled nights. Assistant: "
        f"deepsleepnet {role} preset. Student: deepsleepnet student preset{with_kw}. "
        f"{args.epochs} epochs per stage for every row (the student alone too), "
        f"learning rate schedule {args.lr_schedule}; seeds {args.seeds}; "
        f"{args.threads} CPU thread(s) per process."
    )
    run(args, results, path)


if __name__ == "__main__":
    main()
