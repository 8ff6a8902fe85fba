"""Gap closure over (split, seed) units: the share of the teacher-vs-alone gap.

The report of ``benchmarks/gap_closure.py``: runs keyed
``<student>|seed<s>|<unlabelled nights>|<row>`` per split, the student alone at
level ``-``; every row's mean score, gap closed
(:func:`~.stats.gap_closed`), paired interval against the student alone,
agreement, cost and the feature terms' share of the gradient, then SleepKD
against KD.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import json
from pathlib import Path

import numpy as np
import torch

from braindecode_sleepkd.evaluation.splits import held_out_split
from braindecode_sleepkd.evaluation.stats import gap_closed
from braindecode_sleepkd.metrics import kappa, macro_f1, n_parameters, paired_comparison

from .tables import header_lines, pair_line

INTRO = (
    "`gap closed` = mean(row - alone) / mean(teacher - alone) over the units; "
    "the interval is a paired Student-t interval of the row - alone "
    "difference over the same units. `cost per item` = the student stage's "
    "mean epoch time per training sequence over the student alone's (guides "
    "that run live on every view cost the most). Agreement: the student's "
    "test predictions against the teacher's, and (after the `/`) the last "
    "epoch's training agreement with its own guide."
)


def labelled_split(X, y, subjects, recordings, seed, n_test, n_unlabelled):
    """Test, labelled and unlabelled data of one seeded subject-wise split.

    Parameters
    ----------
    X, y, subjects, recordings : np.ndarray
        Sequences, labels, and the subject and recording of every sequence.
    seed : int
        The split (seed of :func:`~.splits.held_out_split`, 4 labelled subjects).
    n_test : int
        Test subjects.
    n_unlabelled : int
        Most unlabelled nights asked for (checked against what is left).

    Returns
    -------
    dict
        ``Xl, yl, Xte, yte``, ``gl`` (the subject of every labelled
        sequence), ``unl_recs`` (recordings of the other subjects) and
        ``sizes`` (epochs and subjects of the split, for the results).
    """
    test_s, lab_s, unl_s = held_out_split(subjects, seed, n_test)
    test, lab = np.isin(subjects, test_s), np.isin(subjects, lab_s)
    unl_recs = list(np.unique(recordings[np.isin(subjects, unl_s)]))
    if n_unlabelled > len(unl_recs):
        raise ValueError(
            f"--unlabelled {n_unlabelled} asks for more nights than the "
            f"{len(unl_recs)} of the subjects outside this split's test and "
            "labelled sets."
        )
    sizes = dict(
        labelled_epochs=int(y[lab].size),
        test_epochs=int(y[test].size),
        test_subjects=test_s.tolist(),
        labelled_subjects=lab_s.tolist(),
    )
    return dict(
        Xl=X[lab],
        yl=y[lab],
        gl=subjects[lab],
        Xte=X[test],
        yte=y[test],
        unl_recs=unl_recs,
        sizes=sizes,
    )


def units_report(results, title, students, rows, pairs):
    """The Markdown report and summary of :func:`units_table` for every student.

    Parameters
    ----------
    results : dict
        Merged results (:func:`merge_parts`) with ``meta`` (``commands``,
        ``settings`` per student).
    title : str
        Report title.
    students : sequence of str
        Students in report order (those without runs are left out).
    rows, pairs : see :func:`units_table`.

    Returns
    -------
    markdown : str
    summary : dict
        ``{student: units_table summary}``.
    """
    meta, summary = results.get("meta", {}), {}
    intro = "Commands (each writes its own part file; the report unites them):"
    md = header_lines(title, meta.get("commands", []), INTRO, intro)[:-1]
    keys = {
        k.split("|")[0]
        for s, r in results.items()
        if s[:5] == "split"
        for k in r["runs"]
    }
    for student in [s for s in students if s in keys]:
        lines, summary[student] = units_table(results, student, rows, pairs)
        setting = meta.get("settings", {}).get(student, "")
        md += ["", f"## Student: {student}", "", setting, *lines]
    return "\n".join([*md, ""]), summary


def scratch_teacher(path, module, X, y, seed, epochs, groups=None, **params):
    """A teacher trained from scratch once and kept at ``path`` for later runs.

    Parameters
    ----------
    path : str | Path
        Weights file; loaded when it exists.
    module : torch.nn.Module
        The (untrained) teacher.
    X, y : np.ndarray
        Labelled training sequences.
    seed : int
        ``torch.manual_seed`` and ``random_state`` of the fit.
    epochs : int
        Training epochs.
    groups : np.ndarray | None
        Subject of every sequence (``fit(groups=)``: validation by subject).
    **params
        More ``SleepKDClassifier`` settings.
    """
    from braindecode_sleepkd.estimator import SleepKDClassifier

    def fit():
        torch.manual_seed(seed)
        kw = dict(max_epochs=epochs, random_state=seed, **params)
        clf = SleepKDClassifier(None, None, module, strategy="scratch", **kw)
        return clf.fit(X, y, groups=groups).module_

    return cached_module(path, module, fit)


def run_line(record):
    """One log line of a run record: kappa, macro-F1, agreement, seconds."""
    return (
        f"kappa {record['kappa']:+.3f} F1 {record['macro_f1']:.3f} agree "
        f"{record['agreement']:.2f} ({record['seconds']:.0f} s)"
    )


def fit_record(d, n_unlabelled, assistant, seed, epochs, **params):
    """Distil ``d["teacher"]`` on a labelled split plus unlabelled nights; score it.

    Parameters
    ----------
    d : dict
        :func:`labelled_split` data with ``X``, ``recordings``, the pretrained
        ``teacher`` and its test stages ``t_pred``. Optional: ``gl`` (passed
        as ``fit(groups=)``), and for an external teacher (``teacher`` None)
        its probabilities ``P`` of every sequence of ``X`` and ``pl`` of the
        labelled ones (``fit(teacher_proba=)``).
    n_unlabelled : int
        Unlabelled nights added (the first of ``d["unl_recs"]``).
    assistant : torch.nn.Module
        The assistant.
    seed, epochs : int
        ``random_state`` and ``max_epochs`` of every stage.
    **params
        More ``SleepKDClassifier`` settings (strategy, recipe, student__...).

    Returns
    -------
    dict
        ``macro_f1, kappa, agreement`` (with the teacher on the test set),
        ``train_agreement, cost_per_item`` (the student stage's mean epoch time
        per training sequence), ``n_unlabelled_epochs, grad_share,
        student_params`` and ``epochs`` (the student stage ran, early stopping
        included).
    """
    from braindecode_sleepkd.estimator import SleepKDClassifier

    unl = np.isin(d["recordings"], d["unl_recs"][:n_unlabelled])
    Xu = d["X"][unl] if n_unlabelled else None
    proba = d.get("pl")
    if proba is not None and Xu is not None:
        proba = np.concatenate([proba, d["P"][unl]])
    clf = SleepKDClassifier(
        d["teacher"],
        assistant,
        "deepsleepnet",
        teacher_pretrained=d["teacher"] is not None,
        max_epochs=epochs,
        random_state=seed,
        **{"baseline": None, **params},  # the student alone is its own line
    ).fit(d["Xl"], d["yl"], groups=d.get("gl"), teacher_proba=proba, unlabelled=Xu)
    pred, stats = clf.predict(d["Xte"]), stage_stats(clf)
    n_items = len(d["Xl"]) + (0 if Xu is None else len(Xu))
    return dict(
        macro_f1=macro_f1(d["yte"], pred),
        kappa=kappa(d["yte"], pred),
        agreement=float((pred == d["t_pred"]).mean()),
        train_agreement=stats["train_agreement"],
        cost_per_item=stats["epoch_seconds"] / n_items,
        n_unlabelled_epochs=0 if Xu is None else int(Xu.shape[0] * d["seq_len"]),
        grad_share=stats["grad_share"],
        student_params=n_parameters(clf.module_),
        epochs=len(clf.histories_["student"]),
    )


def stage_stats(clf, stage="student"):
    """Of a fitted stage: last training agreement, mean epoch seconds, grad shares."""
    hist = clf.histories_[stage]
    last = hist[-1]
    return dict(
        train_agreement=last.get("train_agreement"),
        epoch_seconds=float(np.mean([row["dur"] for row in hist])),
        grad_share={
            k[len("grad_share_") :]: v
            for k, v in last.items()
            if k.startswith("grad_share_")
        },
    )


def cached_module(path, module, fit):
    """``module`` with the weights saved at ``path``, or ``fit()``'s, then saved.

    Parameters
    ----------
    path : str | Path
        Weights file (``state_dict``).
    module : torch.nn.Module
        The architecture to load into.
    fit : callable
        ``fit() -> trained module`` when there is no file yet.

    Returns
    -------
    torch.nn.Module
        In eval mode.
    """
    path = Path(path)
    if path.exists():
        module.load_state_dict(torch.load(path, weights_only=True))
        return module.eval()
    trained = fit()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(trained.state_dict(), path)
    return trained.eval()


def feature_share(runs_of, units, level, name):
    """Mean share of the gradient norm of the epoch + sequence terms ('-': none)."""
    shares = []
    for split, seed in units:
        run = runs_of[split].get(f"{seed}|{level}|{name}")
        share = {} if run is None else run.get("grad_share") or {}
        if "epoch" in share or "seq" in share:
            shares.append(share.get("epoch", 0.0) + share.get("seq", 0.0))
    return f"{np.mean(shares):.2f}" if shares else "-"


def units_table(results, student, rows, pairs):
    """Gap closed per row and unlabelled level over the (split, seed) units.

    Parameters
    ----------
    results : dict
        ``{"split<k>": {"teacher": scores, "runs": {"<student>|seed<s>|<level>|<row>":
        record}}}``; level ``-`` is the student alone.
    student : str
        Which student's runs.
    rows : sequence of str
        Distillation rows in table order.
    pairs : sequence of (str, str)
        ``(SleepKD row, KD row)`` comparisons.

    Returns
    -------
    lines : list of str
        Markdown: per metric a heading, the table and the pair lines.
    summary : dict
        ``{metric: {"<row> | <level>": {score, gap_closed, vs_alone}}}``.
    """
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
            for name in rows:
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
                    f"| {feature_share(runs_of, units, level, name)} |"
                )
        lines += ["", f"SleepKD against KD ({metric}, paired over units):", ""]
        for level in levels:
            for a, b in pairs:
                va = np.array([get(s, sd, level, a, metric) for s, sd in units])
                vb = np.array([get(s, sd, level, b, metric) for s, sd in units])
                if np.isnan(va).all() or np.isnan(vb).all():
                    continue
                name = f"{level} unlabelled nights, {a} - {b}"
                cmp = paired_comparison(va, vb)
                lines.append(pair_line(name, cmp, "units positive", 100, 1, " points"))
    return lines, summary


def merge_parts(parts):
    """One results dict from the per-process part files (runs united per split).

    Parameters
    ----------
    parts : sequence of Path
        JSON files with ``meta`` (``commands``, ``settings``) and ``split<k>``
        entries.
    """
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


def setting(args, student_kw, role, seq_len):
    """The setting sentence of a ``gap_closure.py`` part (``meta["settings"]``).

    Parameters
    ----------
    args : argparse.Namespace
        ``sfreq, epochs_per_recording, test_subjects, teacher_epochs, epochs,
        lr_schedule, seeds, threads`` of the command.
    student_kw : dict
        Student preset parameters (empty: the preset).
    role : str
        Preset role of the deepsleepnet assistant.
    seq_len : int
        Epochs per sequence.
    """
    with_kw = f" with {student_kw}" if student_kw else ""
    return (
        f"Simulated EEG at {args.sfreq:g} Hz, {args.epochs_per_recording} epochs per "
        f"night, sequences of {seq_len} epochs; per split {args.test_subjects} test "
        "subjects (2 nights each), 4 labelled subjects (8 nights), unlabelled nights "
        "from the other subjects. Teacher: deepsleepnet teacher preset, "
        f"{args.teacher_epochs} epochs on the labelled nights. Assistant: "
        f"deepsleepnet {role} preset. Student: deepsleepnet student preset{with_kw}. "
        f"{args.epochs} epochs per stage for every row (the student alone too), "
        f"learning rate schedule {args.lr_schedule}; seeds {args.seeds}; "
        f"{args.threads} CPU thread(s) per process."
    )
