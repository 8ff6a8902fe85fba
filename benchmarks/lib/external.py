"""Rows and reports of distilling a pretrained external scorer (YASA, GSSC), LOSO.

The leave-one-subject-out runs themselves are :mod:`.loso`; here are the rows
each command fits, the comparisons it reports and its Markdown report, built
from its ``results.json`` alone (``--render-only``). Used by
``benchmarks/yasa_distill.py`` and ``benchmarks/gssc_distill.py``.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from . import tables

#: YASA: row -> label; the rows after ``yasa`` are fitted.
YASA_NAMES = {
    "yasa": "YASA alone (pretrained, no training)",
    "scratch": "student from scratch",
    "kd_yasa": "student, KD from YASA",
    "sleepkd_chain": "SleepKD chain YASA -> assistant -> student",
}
YASA_PAIRS = [(r, "scratch") for r in ("kd_yasa", "sleepkd_chain", "yasa")]
YASA_PAIRS += [("sleepkd_chain", "kd_yasa")]
YASA_REPORT = """## Gap closed (goal: >= 0.5): (row - scratch) / (YASA - scratch), kappa

{gaps}

## Size and CPU speed

Student: {n_params:,} parameters, {cpu_epochs_per_s:.0f} epochs/s on CPU
({torch_threads} torch threads, batches of 8). YASA: {yasa_cpu_epochs_per_s:.1f}
epochs/s (features + LightGBM, numba compilation included). Mean fit time per
fold: {fits}.

## Limits

Five usable subjects (the Wilcoxon p cannot go below 0.0625), few epochs and seeds.
A fuller run: >= 5 seeds, 30-50 epochs with early stopping, lstm_units=64, seq_len
20 (about 4-5 h here). YASA, like the students, sees the excerpts at 100 Hz.
"""

#: GSSC: row -> label; the first two are GSSC alone, the rest from ``scratch``
#: on are fitted.
GSSC_NAMES = {
    "gssc_night": "GSSC alone, GRU over the whole excerpt",
    "gssc_seq": "GSSC alone, sequences of seq_len epochs",
    "yasa": "YASA alone (excerpts >= 100 Hz)",
    "scratch": "student alone",
    "kd_gssc": "student, KD from GSSC",
    "sleepkd_gssc": "student, SleepKD GSSC -> assistant -> student (paper weights)",
    "sleepkd_gssc_authors": "student, SleepKD chain, 'authors' recipe",
}
GSSC_CONDITIONS, GSSC_ALONE = list(GSSC_NAMES)[3:], list(GSSC_NAMES)[:2]
GSSC_PAIRS = [(c, "scratch") for c in GSSC_CONDITIONS[1:]] + [("gssc_seq", "scratch")]
GSSC_PAIRS[3:3] = [("sleepkd_gssc", "kd_gssc"), ("sleepkd_gssc_authors", "kd_gssc")]
GSSC_HOW = (
    "one EEG channel at 100 Hz, band-passed 0.3-30 Hz and z-scored (`gssc_preprocess`)"
)
GSSC_GOAL = "## Goal: a student of <= 100 k parameters at >= 90% of GSSC's kappa"
GSSC_GOAL += " (pooled)"
GSSC_REPORT = (
    GSSC_GOAL
    + """

{ratios}

## Size and CPU speed

{cost}

{yasa}Speed (`lib.cost`): batches of 8 sequences of
{seq_len} epochs (latency: one sequence), fastest of 3 repeats, loaded machine; an
8-h night is 960 epochs of random input. Mean fit time per fold: {fits}.
"""
)


def _fits(res):
    return ", ".join(f"{c} {t:.0f} s" for c, t in res["fit_seconds"].items())


def yasa_report(res):
    """The Markdown report of ``yasa_distill.json``."""
    cfg, st, env = res["config"], res["student"], res["environment"]
    subjects = sorted(res["per_subject_kappa"]["yasa"], key=int)
    title = "Distilling YASA into a small student (DREAMS excerpts, LOSO)"
    gaps = "\n".join(
        f"- {YASA_NAMES[c]}: {g['per_subject_mean']:.2f} (per-subject means), "
        f"{g['pooled']:.2f} (pooled)"
        for c, g in res["gap_closed"].items()
    )
    training = tables.loso_training(cfg, env) + f" Student: {st['n_params']:,} "
    training += f"parameters; assistant: {cfg['assistant']} assistant preset."
    return "\n".join(
        [
            *tables.header(title, res["command"]),
            tables.dreams_data(subjects, res["data"], "one EEG channel at 100 Hz"),
            "",
            training,
            "",
            *tables.loso_kappa(res, subjects, YASA_NAMES, list(YASA_NAMES), False),
            YASA_REPORT.format(gaps=gaps, fits=_fits(res), **st),
        ]
    )


def gssc_report(res):
    """The Markdown report of ``gssc_distill.json``."""
    cfg, env = res["config"], res["environment"]
    title = "Distilling GSSC into a tiny student (DREAMS excerpts, LOSO)"
    training = f"Assistant: deepsleepnet '{cfg['assistant_role']}' preset; GSSC "
    training += f"(gssc {env['gssc']}) is frozen, its outputs computed once."
    ratios = "\n".join(
        f"- {GSSC_NAMES[c]}: {r['gssc_night']:.2f} of GSSC with the whole excerpt as "
        f"context, {r['gssc_seq']:.2f} with seq_len-epoch context"
        for c, r in res["kappa_ratio_to_gssc"].items()
    )
    yasa = res.get("yasa")
    report = GSSC_REPORT.format(
        ratios=ratios,
        cost="\n".join(tables.cost_table(res["cost"])),
        yasa=f"YASA: {yasa['cpu_epochs_per_s']:.0f} epochs/s. " if yasa else "",
        seq_len=cfg["seq_len"],
        fits=_fits(res),
    )
    md = tables.loso_report(res, title, GSSC_NAMES, GSSC_HOW, training, accuracy=True)
    return "\n".join([*md, report])
