"""Which recipe should be the default? The gap closed, read from both benchmarks.

Reads the summaries that ``gap_closure.py --report`` (simulated EEG) and
``gap_closure_dreams.py`` (real DREAMS from YASA) write, and tabulates for each
recipe the share of the teacher-vs-alone gap closed in every regime measured:
simulated with 0, 8 and 24 unscored nights (macro-F1 and kappa, narrow
student) and DREAMS from YASA (pooled kappa and macro-F1). The recipe with the
highest mean share over these regimes is the evidence's choice (the intervals
are in the two benchmarks' reports).

Run::

    .venv/bin/python benchmarks/choose_recipe.py --out benchmarks/results
"""

import argparse
import json
from pathlib import Path

import numpy as np

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
    """Gap closed per regime, by column name."""
    out = {}
    for level in (0, 8, 24):
        for metric in ("macro_f1", "kappa"):
            row = sim[student][metric].get(f"{sim_row} | {level}")
            out[f"sim {level} nights {metric}"] = row and row["gap_closed"]
    for metric in ("kappa", "macro_f1"):
        out[f"DREAMS {metric}"] = dreams[metric][dreams_row]["gap_closed"]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args(argv)
    sim = json.loads((args.out / "gap_closure.json").read_text())["summary"]
    dreams = json.loads((args.out / "gap_closure_dreams_summary.json").read_text())
    table = {
        f"SleepKD, recipe={name!r}": shares(sim, dreams, *rows)
        for name, rows in RECIPE_ROWS.items()
    }
    table.update(
        {name: shares(sim, dreams, name, dr) for name, dr in CONTEXT_ROWS.items()}
    )
    cols = list(next(iter(table.values())))
    means = {k: float(np.nanmean([np.nan if v is None else v for v in row.values()]))
             for k, row in table.items()}  # fmt: skip
    lines = [
        "# Choosing the default recipe: share of the gap closed",
        "",
        "Command: `python benchmarks/choose_recipe.py --out benchmarks/results` "
        "(reads `gap_closure.json` and `gap_closure_dreams_summary.json`; their "
        "commands are in `gap_closure.md` and `gap_closure_dreams.md`).",
        "",
        "| row | " + " | ".join(cols) + " | mean |",
        "|---|" + "---:|" * (len(cols) + 1),
    ]
    for name, row in table.items():
        cells = ["-" if v is None else f"{v:.2f}" for v in row.values()]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {means[name]:.2f} |")
    recipes = [k for k in table if k.startswith("SleepKD")]
    best = max(recipes, key=means.get)
    lines += ["", f"Highest mean share among the SleepKD recipes: {best}.", ""]
    (args.out / "recipe_choice.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return best


if __name__ == "__main__":
    main()
