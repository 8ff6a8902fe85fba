"""Which recipe should be the default? The gap closed, read from both benchmarks.

Reads the summaries that ``gap_closure.py --report`` (simulated EEG) and
``gap_closure_dreams.py`` (real DREAMS from YASA) write, and tabulates for each
recipe the share of the teacher-vs-alone gap closed in every regime measured:
simulated with 0, 8 and 24 unscored nights (macro-F1 and kappa, narrow
student) and DREAMS from YASA (pooled kappa and macro-F1). The recipe with the
highest mean share over these regimes is the evidence's choice (the intervals
are in the two benchmarks' reports); :mod:`lib.recipe`.

Run::

    .venv/bin/python benchmarks/choose_recipe.py --out benchmarks/results
"""

import argparse
import json
from pathlib import Path

from lib.recipe import choose


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args(argv)
    sim = json.loads((args.out / "gap_closure.json").read_text())["summary"]
    dreams = json.loads((args.out / "gap_closure_dreams_summary.json").read_text())
    lines, best = choose(sim, dreams)
    (args.out / "recipe_choice.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return best


if __name__ == "__main__":
    main()
