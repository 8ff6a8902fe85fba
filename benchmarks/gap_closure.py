"""How much of the teacher-vs-student gap does distillation close? (SIMULATED EEG)

Simulated sleep EEG (``simulate_sleep_eeg``: real Sleep-EDF hypnograms, simulated
signals, 20 subjects). For every subject-wise split: one held-out subject is the
test set, four subjects (8 nights) are labelled, and 0, 8 or 24 nights of other
subjects are added *without labels* (labels -1). A big teacher (deepsleepnet
teacher preset) is trained once per split on the labelled nights; a narrow
student (deepsleepnet student preset, 8 LSTM units) is trained alone on the
labels and by each distillation recipe, with several seeds, the same epoch
budget per stage for every row. Reported: test macro-F1 and kappa, the share of
the teacher-vs-alone gap each row closes, paired intervals against "alone" and
SleepKD against KD, agreement with the teacher, and the student stage's cost
per training sequence relative to the student alone.

Each finished (split, seed, unlabelled, row) is saved at once in the JSON, so a
killed run resumes where it stopped. Usage::

    .venv/bin/python benchmarks/gap_closure.py --splits 0 --out benchmarks/results
    .venv/bin/python benchmarks/gap_closure.py --splits 1 --out benchmarks/results
    .venv/bin/python benchmarks/gap_closure.py --report --out benchmarks/results
"""

import argparse
import functools
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from braindecode_sleepkd import SleepKDClassifier, preset, simulate_sleep_eeg
from braindecode_sleepkd.benchmark import data as bdata
from braindecode_sleepkd.benchmark import tables
from braindecode_sleepkd.benchmark.rows import fit_rows
from braindecode_sleepkd.benchmark.splits import held_out_split
from braindecode_sleepkd.benchmark.stats import gap_closed
from braindecode_sleepkd.benchmark.windows import predict_stages
from braindecode_sleepkd.metrics import kappa, macro_f1, paired_comparison

SEQ_LEN = 10
# student name -> (student preset kwargs, assistant preset role)
STUDENTS = {
    "narrow": (dict(lstm_units=8, dropout=0.0), "student"),
    "preset": ({}, "assistant"),
}
ROWS = {
    "KD, cached (paper weights)": dict(strategy="kd", recipe="paper"),
    "KD, consistent views": dict(strategy="kd", recipe="function_matching"),
    "SleepKD (paper weights)": dict(strategy="sleepkd", recipe="paper"),
    "SleepKD (authors' code)": dict(strategy="sleepkd", recipe="authors"),
    "SleepKD, consistent views": dict(strategy="sleepkd", recipe="function_matching"),
    "DIST, consistent views": dict(strategy="dist", recipe="function_matching"),
}
ROW_ALIASES = {
    "kd": "KD, cached (paper weights)",
    "kd_views": "KD, consistent views",
    "sleepkd_paper": "SleepKD (paper weights)",
    "sleepkd_authors": "SleepKD (authors' code)",
    "sleepkd_views": "SleepKD, consistent views",
    "dist_views": "DIST, consistent views",
}
PAIRS = [
    ("SleepKD (paper weights)", "KD, cached (paper weights)"),
    ("SleepKD (authors' code)", "KD, cached (paper weights)"),
    ("SleepKD, consistent views", "KD, consistent views"),
]


def _data(args):
    windows = simulate_sleep_eeg(
        n_recordings=39,
        max_epochs_per_recording=args.epochs_per_recording,
        sfreq=args.sfreq,
        seed=0,
    )
    X, y, subjects, recordings, _ = bdata.sequences(windows, SEQ_LEN)
    X = bdata.robust_scale_per_recording(X, recordings)
    return X, y, subjects, recordings


def _scores(y, pred, teacher_pred=None):
    out = {"macro_f1": macro_f1(y, pred), "kappa": kappa(y, pred)}
    if teacher_pred is not None:
        out["agreement"] = float((pred == teacher_pred).mean())
    return out


def _student_cost(clf, n_items):
    hist = clf.histories_["student"]
    return float(np.mean([row["dur"] for row in hist])) / n_items


def _teacher(args, split, Xl, yl, signal, common):
    """The split's teacher, trained once and kept in ``--work`` for the other runs."""
    path = Path(args.work) / f"teacher_split{split}_{args.teacher_epochs}ep.pt"
    module = preset("deepsleepnet", "teacher", **signal)
    if path.exists():
        module.load_state_dict(torch.load(path, weights_only=True))
        return module.eval()
    torch.manual_seed(split)
    tfit = SleepKDClassifier(
        None,
        None,
        module,
        strategy="scratch",
        max_epochs=args.teacher_epochs,
        random_state=split,
        **common,
    ).fit(Xl, yl)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(tfit.module_.state_dict(), path)
    return tfit.module_.eval()


def run(args, results, path):
    X, y, subjects, recordings = _data(args)
    common = dict(
        batch_size=16,
        lr=1e-3,
        verbose=0,
        seq_len=SEQ_LEN,
        lr_schedule=args.lr_schedule,
    )
    signal = dict(n_chans=1, n_times=X.shape[-1], sfreq=args.sfreq)
    student_kw, assistant_role = STUDENTS[args.student]
    rows = {ROW_ALIASES.get(r, r): ROWS[ROW_ALIASES.get(r, r)] for r in args.rows}
    for split in args.splits:
        test_s, lab_s, unl_s = held_out_split(subjects, split, args.test_subjects)
        test, lab = np.isin(subjects, test_s), np.isin(subjects, lab_s)
        unl_recs = [r for r in np.unique(recordings[np.isin(subjects, unl_s)])]
        if max(args.unlabelled) > len(unl_recs):
            raise ValueError(
                f"--unlabelled {max(args.unlabelled)} asks for more nights than the "
                f"{len(unl_recs)} of the subjects outside this split's test and "
                "labelled sets."
            )
        key = f"split{split}"
        res = results.setdefault(key, {"runs": {}})
        Xl, yl, Xte, yte = X[lab], y[lab], X[test], y[test]
        t0 = time.time()
        teacher = _teacher(args, split, Xl, yl, signal, common)
        t_pred = predict_stages(teacher, Xte, batch_size=64)
        res["teacher"] = _scores(yte, t_pred)
        res["sizes"] = {
            "labelled_epochs": int(yl.size),
            "test_epochs": int(yte.size),
            "test_subjects": test_s.tolist(),
            "labelled_subjects": lab_s.tolist(),
        }
        print(f"{key} teacher {res['teacher']} ({time.time() - t0:.0f} s)", flush=True)

        ctx = dict(teacher=teacher, Xl=Xl, yl=yl, Xte=Xte, yte=yte, t_pred=t_pred)
        ctx.update(X=X, recordings=recordings, unl_recs=unl_recs, rows=rows)
        ctx.update(signal=signal, common=common)

        def log(run_key, r, key=key):
            print(
                f"{key} {run_key}: F1 {r['macro_f1']:.3f} kappa {r['kappa']:.3f} "
                f"agree {r['agreement']:.2f} ({r['seconds']:.0f} s)",
                flush=True,
            )

        fit_rows(
            [(seed, n) for seed in args.seeds for n in [None, *args.unlabelled]],
            lambda unit: ["alone"] if unit[1] is None else list(rows),
            functools.partial(_fit, args, ctx),
            key=lambda u, name: f"{args.student}|seed{u[0]}|{_level(u[1])}|{name}",
            runs=res["runs"],
            save=lambda runs: path.write_text(json.dumps(results, indent=1)),
            log=log,
            quiet=False,
        )


def _fit(args, c, unit, name):
    """Fit row ``name`` on ``unit = (seed, unlabelled nights)``; its record."""
    seed, n_unl = unit
    student_kw, assistant_role = STUDENTS[args.student]
    Xu = c["X"][np.isin(c["recordings"], c["unl_recs"][: n_unl or 0])]
    Xu = Xu if n_unl else None
    params = {"strategy": "scratch"} if n_unl is None else c["rows"][name]
    clf = SleepKDClassifier(
        c["teacher"],
        preset("deepsleepnet", assistant_role, **c["signal"]),
        "deepsleepnet",
        teacher_pretrained=True,
        max_epochs=args.epochs,
        random_state=seed,
        **{f"student__{k}": v for k, v in student_kw.items()},
        **params,
        **c["common"],
    ).fit(c["Xl"], c["yl"], unlabelled=Xu)
    last = clf.histories_["student"][-1]
    n_items = len(c["Xl"]) + (0 if Xu is None else len(Xu))
    return {
        **_scores(c["yte"], clf.predict(c["Xte"]), c["t_pred"]),
        "train_agreement": last.get("train_agreement"),
        "cost_per_item": _student_cost(clf, n_items),
        "n_unlabelled_epochs": 0 if Xu is None else int(Xu.shape[0] * SEQ_LEN),
        "grad_share": {
            k[len("grad_share_") :]: v
            for k, v in last.items()
            if k.startswith("grad_share_")
        },
        "student_params": int(sum(p.numel() for p in clf.module_.parameters())),
    }


def _level(n_unlabelled):
    """The unlabelled level of a run key: ``-`` for the student alone."""
    return "-" if n_unlabelled is None else n_unlabelled


def _feature_share(runs_of, units, level, name):
    """Mean share of the gradient norm of the epoch + sequence terms ('-': none)."""
    shares = []
    for split, seed in units:
        run = runs_of[split].get(f"{seed}|{level}|{name}")
        share = {} if run is None else run.get("grad_share") or {}
        if "epoch" in share or "seq" in share:
            shares.append(share.get("epoch", 0.0) + share.get("seq", 0.0))
    return f"{np.mean(shares):.2f}" if shares else "-"


def _table(results, student):
    """Markdown rows of one student: gap closed per row and unlabelled level."""
    lines = []
    units = []  # (split, seed)
    runs_of = {
        split: {
            k.split("|", 1)[1]: v
            for k, v in res["runs"].items()
            if k.split("|")[0] == student
        }
        for split, res in results.items()
        if split.startswith("split")
    }
    for split, runs in runs_of.items():
        seeds = sorted({k.split("|")[0] for k in runs if k.endswith("|-|alone")})
        units += [(split, s) for s in seeds]
    levels = sorted(
        {
            int(k.split("|")[1])
            for runs in runs_of.values()
            for k in runs
            if k.split("|")[1] != "-"
        }
    )

    def get(split, seed, level, name, metric):
        run = runs_of[split].get(f"{seed}|{level}|{name}")
        return np.nan if run is None or run.get(metric) is None else run[metric]

    summary = {}
    for metric in ("macro_f1", "kappa"):
        teacher = np.array([results[s]["teacher"][metric] for s, _ in units])
        alone = np.array([get(s, sd, "-", "alone", metric) for s, sd in units])
        gap = teacher - alone
        lines += [
            "",
            f"### {metric}: teacher {100 * np.nanmean(teacher):.1f}, student alone "
            f"{100 * np.nanmean(alone):.1f} (gap {100 * np.nanmean(gap):.1f} points, "
            f"{len(units)} split x seed units; per split: "
            + ", ".join(
                f"{s} {100 * t:.1f} vs {100 * a:.1f}"
                for (s, _), t, a in list(zip(units, teacher, alone))
            )
            + ")",
            "",
            "| row | unlabelled nights | score | gap closed "
            "| vs alone (paired 95% CI, points) "
            "| agreement: teacher on test / guide on train | cost per item vs alone "
            "| grad share of feature terms |",
            "|---|---:|---:|---:|---|---|---:|---:|",
        ]
        cost_alone = np.array(
            [get(s, sd, "-", "alone", "cost_per_item") for s, sd in units]
        )
        for level in levels:
            for name in ROWS:
                vals = np.array([get(s, sd, level, name, metric) for s, sd in units])
                if np.isnan(vals).all():
                    continue
                cmp = paired_comparison(vals, alone)
                closed = gap_closed(vals, alone, teacher)
                agree = np.nanmean(
                    [get(s, sd, level, name, "agreement") for s, sd in units]
                )
                tr = [get(s, sd, level, name, "train_agreement") for s, sd in units]
                tr = np.nanmean([np.nan if v is None else v for v in tr])
                cost = np.nanmean(
                    np.array(
                        [get(s, sd, level, name, "cost_per_item") for s, sd in units]
                    )
                    / cost_alone
                )
                summary.setdefault(metric, {})[f"{name} | {level}"] = {
                    "score": float(np.nanmean(vals)),
                    "gap_closed": float(closed),
                    "vs_alone": cmp,
                }
                lines.append(
                    f"| {name} | {level} | {100 * np.nanmean(vals):.1f} "
                    f"| {closed:.2f} | {100 * cmp['mean_diff']:+.1f} "
                    f"[{100 * cmp['ci_low']:+.1f}, {100 * cmp['ci_high']:+.1f}] "
                    f"| {agree:.2f} / {tr:.2f} | {cost:.1f}x "
                    f"| {_feature_share(runs_of, units, level, name)} |"
                )
        lines += ["", f"SleepKD against KD ({metric}, paired over units):", ""]
        for level in levels:
            for a, b in PAIRS:
                va = np.array([get(s, sd, level, a, metric) for s, sd in units])
                vb = np.array([get(s, sd, level, b, metric) for s, sd in units])
                if np.isnan(va).all() or np.isnan(vb).all():
                    continue
                name = f"{level} unlabelled nights, {a} - {b}"
                cmp = paired_comparison(va, vb)
                lines.append(
                    tables.pair_line(name, cmp, "units positive", 100, 1, " points")
                )
    return lines, summary


def _merge(parts):
    """One results dict from the per-process files (runs united per split)."""
    results = {"meta": {"commands": [], "settings": {}}}
    for part in parts:
        data = json.loads(part.read_text())
        meta = data.get("meta", {})
        for c in meta.get("commands", []):
            if c not in results["meta"]["commands"]:
                results["meta"]["commands"].append(c)
        results["meta"]["settings"].update(meta.get("settings", {}))
        for split, res in data.items():
            if split.startswith("split"):
                merged = results.setdefault(split, {"runs": {}})
                merged["runs"].update(res["runs"])
                merged.update({k: v for k, v in res.items() if k != "runs"})
    return results


def report(args, results, out):
    meta = results.get("meta", {})
    students = sorted(
        {
            k.split("|")[0]
            for split, res in results.items()
            if split.startswith("split")
            for k in res["runs"]
        },
        key=list(STUDENTS).index,
    )
    md = [
        "# Gap closure on SIMULATED sleep EEG",
        "",
        "Commands (each writes its own part file; the report unites them):",
        "",
        *[f"    {c}" for c in meta.get("commands", [])],
        "",
        "`gap closed` = mean(row - alone) / mean(teacher - alone) over the units; "
        "the interval is a paired Student-t interval of the row - alone "
        "difference over the same units. `cost per item` = the student stage's "
        "mean epoch time per training sequence over the student alone's (guides "
        "that run live on every view cost the most). Agreement: the student's "
        "test predictions against the teacher's, and (after the `/`) the last "
        "epoch's training agreement with its own guide.",
    ]
    summary = {}
    for student in students:
        lines, summary[student] = _table(results, student)
        md += [
            "",
            f"## Student: {student}",
            "",
            meta.get("settings", {}).get(student, ""),
            *lines,
        ]
    md.append("")
    (out / f"{args.name}.md").write_text("\n".join(md))
    results["summary"] = summary
    (out / f"{args.name}.json").write_text(json.dumps(results, indent=1))
    print("\n".join(md))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--student", choices=list(STUDENTS), default="narrow")
    parser.add_argument("--splits", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--unlabelled", type=int, nargs="+", default=[0, 8, 24])
    parser.add_argument(
        "--rows",
        nargs="+",
        default=list(ROW_ALIASES),
        help=f"distillation rows (the student alone always runs): {list(ROW_ALIASES)}",
    )
    parser.add_argument("--test-subjects", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=20, help="epochs per stage")
    parser.add_argument("--teacher-epochs", type=int, default=40)
    parser.add_argument("--epochs-per-recording", type=int, default=240)
    parser.add_argument("--sfreq", type=float, default=100.0)
    parser.add_argument("--lr-schedule", default="cosine")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--report", action="store_true", help="only write the report")
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--work", default="benchmarks/work", help="teacher weights")
    parser.add_argument("--name", default="gap_closure")
    args = parser.parse_args(argv)
    bad = [r for r in args.rows if ROW_ALIASES.get(r, r) not in ROWS]
    if bad:
        parser.error(f"unknown rows {bad}; valid: {list(ROW_ALIASES)}")
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.report:
        parts = sorted(out.glob(f"{args.name}_*split*.json"))
        return report(args, _merge(parts), out)
    splits = "-".join(map(str, args.splits))
    path = out / f"{args.name}_{args.student}_split{splits}.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    command = "python " + " ".join([sys.argv[0], *(argv or sys.argv[1:])])
    meta = results.setdefault("meta", {"commands": []})
    if command not in meta["commands"]:
        meta["commands"].append(command)
    student_kw, assistant_role = STUDENTS[args.student]
    meta.setdefault("settings", {})[args.student] = (
        f"Simulated EEG at {args.sfreq:g} Hz, {args.epochs_per_recording} epochs per "
        f"night, sequences of {SEQ_LEN} epochs; per split {args.test_subjects} test "
        "subjects (2 nights each), 4 labelled subjects (8 nights), unlabelled nights "
        "from the other subjects. Teacher: deepsleepnet teacher preset, "
        f"{args.teacher_epochs} epochs on the labelled nights. Assistant: "
        f"deepsleepnet {assistant_role} preset. Student: deepsleepnet student "
        f"preset{' with ' + str(student_kw) if student_kw else ''}. {args.epochs} "
        "epochs per stage for every row (the student alone too), learning rate "
        f"schedule {args.lr_schedule}; seeds {args.seeds}; {args.threads} CPU "
        "thread(s) per process."
    )
    run(args, results, path)


if __name__ == "__main__":
    main()
