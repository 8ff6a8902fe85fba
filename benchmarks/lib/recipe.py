"""Which recipe should be the default: the gap closed, read from both gap benchmarks.

For each recipe (and a few other strategies, for context) the share of the
teacher-vs-alone gap closed in every regime measured: simulated EEG with 0, 8
and 24 unscored nights (macro-F1 and kappa, from the ``summary`` of
``gap_closure.json``) and DREAMS from YASA (pooled kappa and macro-F1, from
``gap_closure_dreams_summary.json``). Used by ``benchmarks/choose_recipe.py``.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import numpy as np

from .tables import table

#: recipe -> (simulated row name, DREAMS row name), SleepKD strategy throughout
RECIPE_ROWS = {
    "paper": ("SleepKD (paper weights)", "SleepKD via deep assistant (paper weights)"),
    "authors": (
        "SleepKD (authors' code)",
        "SleepKD via deep assistant (authors' code)",
    ),
    "function_matching": (
        "SleepKD, consistent views",
        "SleepKD via deep assistant, consistent views",
    ),
}
#: other strategies, for context
CONTEXT_ROWS = {
    "KD, cached (paper weights)": "KD from YASA, cached (paper weights)",
    "KD, consistent views": "KD, consistent views (deep assistant)",
    "DIST, consistent views": "DIST, consistent views (deep assistant)",
}


def shares(sim, dreams, sim_row, dreams_row, student="narrow"):
    """Gap closed per regime, by column name (None where not measured)."""
    out = {}
    for level in (0, 8, 24):
        for metric in ("macro_f1", "kappa"):
            row = sim[student][metric].get(f"{sim_row} | {level}")
            out[f"sim {level} nights {metric}"] = row and row["gap_closed"]
    for metric in ("kappa", "macro_f1"):
        out[f"DREAMS {metric}"] = dreams[metric][dreams_row]["gap_closed"]
    return out


def share_table(sim, dreams):
    """``{row: {column: share}}`` of every recipe and context row."""
    out = {
        f"SleepKD, recipe={name!r}": shares(sim, dreams, *rows)
        for name, rows in RECIPE_ROWS.items()
    }
    out.update(
        {name: shares(sim, dreams, name, dr) for name, dr in CONTEXT_ROWS.items()}
    )
    return out


def choose(sim, dreams):
    """The report lines and the SleepKD recipe row of the highest mean share.

    Parameters
    ----------
    sim : dict
        The ``summary`` of ``gap_closure.json``.
    dreams : dict
        ``gap_closure_dreams_summary.json``.

    Returns
    -------
    (list of str, str)
    """
    shares_ = share_table(sim, dreams)
    cols = list(next(iter(shares_.values())))
    means = {k: float(np.nanmean([np.nan if v is None else v for v in row.values()]))
             for k, row in shares_.items()}  # fmt: skip
    rows = [
        [name, *("-" if v is None else f"{v:.2f}" for v in row.values()),
         f"{means[name]:.2f}"]
        for name, row in shares_.items()
    ]  # fmt: skip
    recipes = [k for k in shares_ if k.startswith("SleepKD")]
    best = max(recipes, key=means.get)
    lines = [
        "# Choosing the default recipe: share of the gap closed",
        "",
        "Command: `python benchmarks/choose_recipe.py --out benchmarks/results` "
        "(reads `gap_closure.json` and `gap_closure_dreams_summary.json`; their "
        "commands are in `gap_closure.md` and `gap_closure_dreams.md`).",
        "",
        *table(["row", *cols, "mean"], rows, ["---"] + ["---:"] * (len(cols) + 1)),
        "",
        f"Highest mean share among the SleepKD recipes: {best}.",
        "",
    ]
    return lines, best
