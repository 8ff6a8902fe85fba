"""Gap closure over held-out subjects: rows against a teacher scored alone (LOSO).

The report of ``benchmarks/gap_closure_dreams.py``: runs keyed
``seed<s>|<subject>|<row>`` (the student alone is ``alone``) with ``pred``,
``kappa``, ``macro_f1``, ``agreement``, ``train_agreement`` and
``epoch_seconds``; the teacher's own stages under ``results[teacher]``. Per
metric: the pooled score of every row, the share of the teacher-vs-alone gap
closed (pooled, and per-subject means), the paired interval against the
student alone over subjects (seeds averaged), agreement and cost, then the
SleepKD-vs-KD pairs. Only seeds complete for every subject and row count.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import numpy as np

from braindecode_sleepkd.evaluation.stats import gap_closed
from braindecode_sleepkd.metrics import kappa, macro_f1, paired_comparison

from .tables import header_lines, interval, pair_line

METRICS = {"kappa": kappa, "macro_f1": macro_f1}


def subjects_report(results, title, rows, pairs, teacher="yasa", label="YASA"):
    """Markdown report and summary of a leave-one-subject-out gap closure run.

    Parameters
    ----------
    results : dict
        ``meta`` (``commands``, ``setting``), ``labels`` and ``results[teacher]``
        (``{subject: stages}``) and ``runs`` (see the module).
    title : str
        Report title.
    rows : sequence of str
        Distillation rows in table order.
    pairs : sequence of (str, str)
        SleepKD-vs-KD comparisons.
    teacher, label : str
        Key of the teacher's stages in ``results`` and its name in the report.

    Returns
    -------
    markdown : str
    summary : dict
        ``{metric: {row: {pooled, gap_closed, gap_closed_per_subject,
        vs_alone}}}``.
    """
    runs, subjects = results["runs"], list(results["labels"])
    labels, yasa = results["labels"], results[teacher]
    seeds = sorted({k.split("|")[0][4:] for k in runs}, key=int)
    every = ["alone", *rows]
    seeds = [
        sd
        for sd in seeds
        if all(f"seed{sd}|{s}|{r}" in runs for s in subjects for r in every)
    ]

    def get(row, field):  # [[seed 0: subject ...], [seed 1: ...]]
        return [[runs[f"seed{sd}|{s}|{row}"][field] for s in subjects] for sd in seeds]

    def per_subject(row, metric):
        return np.array([np.mean(v) for v in zip(*get(row, metric))])

    def pooled(row, metric):
        y, fn = np.concatenate([labels[s] for s in subjects]), METRICS[metric]
        if row == teacher:
            return fn(y, np.concatenate([yasa[s] for s in subjects]))
        return float(np.mean([fn(y, np.concatenate(p)) for p in get(row, "pred")]))

    def mean(row, field):
        values = [v for by_seed in get(row, field) for v in by_seed]
        return np.mean([np.nan if v is None else v for v in values])

    meta = results["meta"]
    md = header_lines(title, meta["commands"], meta["setting"])
    md += [
        f"Complete seeds: {seeds}; held-out excerpts {[int(s) for s in subjects]} "
        f"({sum(len(v) for v in labels.values())} scored epochs). `gap closed` = "
        f"(row - alone) / ({label} - alone) on the pooled predictions (per-subject "
        "means in brackets); intervals: paired Student-t over the "
        f"{len(subjects)} held-out subjects (seeds averaged per subject). `cost` = "
        "the student stage's epoch time over the student alone's.",
    ]
    summary = {}
    for metric, fn in METRICS.items():
        alone_pool, yasa_pool = pooled("alone", metric), pooled(teacher, metric)
        alone_ps = per_subject("alone", metric)
        yasa_ps = np.array([fn(labels[s], yasa[s]) for s in subjects])
        md += [
            "",
            f"## {metric}: {label} {yasa_pool:.3f}, student alone {alone_pool:.3f} "
            f"(pooled; per-subject means {yasa_ps.mean():.3f} vs "
            f"{alone_ps.mean():.3f})",
            "",
            f"| row | pooled | gap closed (per-subject) | vs alone, paired 95% CI "
            f"| agreement with {label} on test / guide on train | cost vs alone |",
            "|---|---:|---:|---|---|---:|",
        ]
        for row in rows:
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
                f"{interval(cmp['ci_low'], cmp['ci_high'])} | "
                f"{mean(row, 'agreement'):.2f} / {mean(row, 'train_agreement'):.2f} "
                f"| {cost:.1f}x |"
            )
        md += ["", f"SleepKD against KD ({metric}, paired over subjects):", ""]
        for a, b in pairs:
            cmp = paired_comparison(per_subject(a, metric), per_subject(b, metric))
            md.append(pair_line(f"{a} - {b}", cmp, "subjects > 0"))
    return "\n".join([*md, ""]), summary


def setting(args):
    """The setting sentence of ``gap_closure_dreams.py`` (``meta["setting"]``).

    Parameters
    ----------
    args : argparse.Namespace
        ``seq_len, student_lstm_units, max_epochs, batch_size, lr,
        lr_schedule, threads`` of the command.
    """
    return (
        "DREAMS Spindles excerpts (real EEG, expert hypnograms), one channel at "
        f"100 Hz, 30-s AASM epochs; sequences of {args.seq_len}; student: "
        f"deepsleepnet student preset with {args.student_lstm_units} LSTM units; deep "
        f"assistant: deepsleepnet teacher preset; {args.max_epochs} epochs per stage "
        f"for every row, batch {args.batch_size}, lr {args.lr}, schedule "
        f"{args.lr_schedule}; {args.threads} CPU thread(s)."
    )
