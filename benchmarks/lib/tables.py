"""Markdown tables of benchmark results: any table, scores per subject, paired rows."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import os

import numpy as np


def table(header, rows, align=None):
    """A Markdown table as a list of lines.

    Parameters
    ----------
    header : sequence of str
        Column titles.
    rows : iterable of sequence
        Cells (converted with ``str``), as many per row as ``header``.
    align : sequence of str | None
        Separator cell per column (e.g. ``"---:"``); default ``"---"``.

    Returns
    -------
    list of str
    """
    header = list(header)
    align = list(align or ["---"] * len(header))
    if len(align) != len(header):
        raise ValueError(f"{len(align)} alignments for {len(header)} columns.")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    for row in rows:
        row = [str(c) for c in row]
        if len(row) != len(header):
            raise ValueError(f"a row of {len(row)} cells under {len(header)} columns.")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def interval(low, high, scale=1.0, digits=3):
    """``[+low, +high]`` with signs, scaled."""
    return f"[{low * scale:+.{digits}f}, {high * scale:+.{digits}f}]"


def subject_table(per_subject, pooled, subjects, names, accuracy=False):
    """Kappa per held-out subject (seed means), their mean, and the pooled kappa.

    Parameters
    ----------
    per_subject : dict
        ``{row: {subject: kappa}}`` (subjects as int or str); a missing subject
        is shown as ``-``.
    pooled : dict
        ``{row: {"kappa": ..., "accuracy": ...}}``.
    subjects : sequence
        Column order.
    names : dict
        Row labels (default: the row's key).
    accuracy : bool
        Add a column of pooled accuracy.

    Returns
    -------
    list of str
    """
    header = ["row", *(f"excerpt{s}" for s in subjects), "mean", "pooled"]
    rows = []
    for row, ks in per_subject.items():
        vals = [ks.get(str(s), ks.get(s)) for s in subjects]
        present = [v for v in vals if v is not None]
        cells = ["-" if v is None else f"{v:.3f}" for v in vals]
        cells += [f"{np.mean(present):.3f}", f"{pooled[row]['kappa']:.3f}"]
        if accuracy:
            cells.append(f"{pooled[row]['accuracy']:.3f}")
        rows.append([names.get(row, row), *cells])
    if accuracy:
        header.append("pooled acc")
    return table(header, rows)


def paired_table(paired):
    """One line per comparison: n, mean, t and bootstrap intervals, Wilcoxon p.

    Parameters
    ----------
    paired : dict
        ``{"a - b": paired_comparison}``
        (:func:`~braindecode_sleepkd.metrics.paired_comparison`).

    Returns
    -------
    list of str
    """
    header = ["comparison", "n", "mean", "95% t interval", "95% bootstrap interval"]
    header += ["Wilcoxon p", "subjects > 0"]
    rows = [
        [
            name,
            p["n"],
            f"{p['mean_diff']:+.3f}",
            interval(p["ci_low"], p["ci_high"]),
            interval(p["boot_low"], p["boot_high"]),
            f"{p['p_wilcoxon']:.3f}",
            f"{p['n_positive']}/{p['n']}",
        ]
        for name, p in paired.items()
    ]
    return table(header, rows)


def header(title, command):
    """The opening lines of a report: title and the command in a code block."""
    return [f"# {title}", "", "Command:", "", "```", command, "```", ""]


def header_lines(title, commands, setting=None, intro="Commands:"):
    """Opening lines of a report made by several commands (indented code)."""
    lines = [f"# {title}", "", intro, "", *[f"    {c}" for c in commands], ""]
    return lines + ([setting, ""] if setting is not None else [])


def pair_line(name, cmp, units="subjects", scale=1.0, digits=3, suffix=""):
    """``- name: +diff [low, high]<suffix> (k of n <units>)`` of a comparison."""
    diff = f"{cmp['mean_diff'] * scale:+.{digits}f}"
    ci = interval(cmp["ci_low"], cmp["ci_high"], scale, digits)
    return f"- {name}: {diff} {ci}{suffix} ({cmp['n_positive']} of {cmp['n']} {units})"


def loso_kappa(res, subjects, names, rows, accuracy):
    """Kappa per held-out subject, pooled, and the paired differences (sections).

    Parameters
    ----------
    res : dict
        ``per_subject_kappa``, ``pooled`` and ``paired_kappa`` of a
        leave-one-subject-out run.
    subjects : sequence
        Table columns.
    names : dict
        Row labels.
    rows : sequence of str
        Rows in table order.
    accuracy : bool
        Pooled accuracy as a column (else a sentence under the table).

    Returns
    -------
    list of str
    """
    per_subject = {r: res["per_subject_kappa"][r] for r in rows}
    pooled = (
        "Pooled: the predictions on all held-out excerpts concatenated, per seed, "
        "then averaged over seeds."
    )
    if not accuracy:
        acc = ", ".join(f"{r} {res['pooled'][r]['accuracy']:.3f}" for r in rows)
        pooled += f" Pooled accuracy: {acc}."
    n = len(subjects)
    return [
        "## Cohen's kappa on the held-out excerpt (mean over seeds)",
        "",
        *subject_table(per_subject, res["pooled"], subjects, names, accuracy),
        "",
        pooled,
        "",
        "## Paired differences in kappa (per held-out subject, seeds averaged)",
        "",
        *paired_table(res["paired_kappa"]),
        "",
        f"With {n} subjects the smallest two-sided Wilcoxon p is {2 / 2**n:.4g}.",
        "",
    ]


def loso_training(cfg, env):
    """The training sentence of a leave-one-subject-out report."""
    return (
        f"Training: leave-one-subject-out, seeds {cfg['seeds']}, "
        f"max_epochs={cfg['max_epochs']} per stage, seq_len={cfg['seq_len']}, "
        f"batch_size={cfg['batch_size']}, lr={cfg['lr']}; student = deepsleepnet "
        f"student preset with lstm_units={cfg['student_lstm_units']}. Wall time "
        f"{env['wall_seconds'] / 60:.1f} min, {cfg['threads'] or 'default'} torch "
        f"thread(s) (load average {env['load_average_start'][0]:.1f} at start, "
        f"{env['load_average_end'][0]:.1f} at end)."
    )


def dreams_data(subjects, data, how="one EEG channel loaded at 100 Hz"):
    """The data sentence of a report on DREAMS excerpts."""
    return (
        f"Data: DREAMS Spindles excerpts {', '.join(map(str, subjects))}, {how}; "
        f"{data['n_epochs']} scored 30-s epochs (W, N1, N2, N3, REM = "
        f"{data['class_counts_W_N1_N2_N3_REM']}). Tiny and heavily N2: indicative "
        "only."
    )


def cost_table(cost):
    """One line per model of :func:`~.cost.model_cost` results (``{model: cost}``)."""
    rows = []
    for model, c in cost.items():
        name = model
        if "n_params_shipped" in c:
            name += f" (EEG path; {c['n_params_shipped']:,} shipped)"
        rows.append(
            [
                name,
                f"{c['n_params']:,}",
                f"{c['cpu_epochs_per_s']:.0f}",
                f"{c['latency_ms_one_sequence']:.1f}",
                f"{c['seconds_per_8h_night']:.2f}",
            ]
        )
    header = ["model", "parameters", "epochs/s", "ms per sequence", "s per 8-h night"]
    return table(header, rows)


def loso_report(res, title, names, how, training, accuracy=False):
    """Opening of a leave-one-subject-out report: command, data, kappa sections.

    Parameters
    ----------
    res : dict
        Results with ``command``, ``config``, ``environment``, ``data``,
        ``per_subject_kappa``, ``pooled`` and ``paired_kappa``.
    title : str
        Report title.
    names : dict
        Row labels.
    how : str
        How the signal was prepared (data sentence).
    training : str
        Appended to the training sentence.
    accuracy : bool
        Pooled accuracy as a column.

    Returns
    -------
    list of str
    """
    rows = list(res["per_subject_kappa"])
    subjects = sorted({int(s) for r in rows for s in res["per_subject_kappa"][r]})
    return [
        *header(title, res["command"]),
        dreams_data(subjects, res["data"], how),
        "",
        loso_training(res["config"], res["environment"]) + " " + training,
        "",
        *loso_kappa(res, subjects, names, rows, accuracy),
    ]


def load_warning(load, n_cpus=None):
    """A warning paragraph when the 1-min load average exceeded the CPUs (else [])."""
    n_cpus = n_cpus or os.cpu_count() or 1
    if load is None or load <= n_cpus:
        return []
    return [
        "",
        f"**Warning:** the machine was overloaded (1-min load average {load:.1f} on "
        f"{n_cpus} CPUs, from other jobs). Multi-threaded torch suffers most from it "
        "(its OpenMP workers wait for each other when a core is taken away), so rows "
        "with more than one thread mostly measure contention; the 1-thread rows are "
        "the comparable ones. Rerun on an idle machine for multi-thread numbers.",
    ]


def records_table(records, columns, align=None):
    """A Markdown table of dict records, one column per ``(title, key, format)``.

    Parameters
    ----------
    records : iterable of dict
        One row each.
    columns : sequence of (str, str, str) or str
        Column title, record key and format spec (e.g. ``","`` or ``".2f"``);
        a bare key is its own title, formatted with ``str``.
    align : sequence of str | None
        As in :func:`table`.

    Returns
    -------
    list of str
    """
    columns = [(c, c, "") if isinstance(c, str) else c for c in columns]
    rows = [[format(r[key], spec) for _, key, spec in columns] for r in records]
    return table([title for title, _, _ in columns], rows, align)
