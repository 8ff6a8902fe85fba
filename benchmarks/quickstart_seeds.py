"""The README quick start over random states: the student's held-out scores.

Runs the first ``python`` block of the README's "Quick start" section as
written, once per random state (``random_state=0`` replaced by each of
``--seeds``), on one CPU thread, and scores the student's predictions on the
held-out patient (accuracy, macro-F1) against always answering N2. Writes
``benchmarks/results/quickstart_seeds.md`` and ``.json``.

Run: ``nice python benchmarks/quickstart_seeds.py [--seeds 0 1 2 3 4 5]``
"""

import argparse
import json
import re
import time
from pathlib import Path

import numpy as np
import torch

from braindecode_sleepkd.metrics import macro_f1

ROOT = Path(__file__).resolve().parents[1]


def snippet():
    """The README's quick-start code."""
    section = (ROOT / "README.md").read_text().split("## Quick start", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def run(code, seed):
    """Scores of the snippet's student with ``random_state=seed``."""
    assert "random_state=0" in code
    ns = {}
    start = time.perf_counter()
    exec(
        compile(code.replace("random_state=0", f"random_state={seed}"), "qs", "exec"),
        ns,
    )
    seconds = time.perf_counter() - start
    y_test = ns["y"][ns["test"]]
    pred = ns["clf"].predict(ns["X"][ns["test"]])
    n2 = np.full_like(y_test, 2)
    return {
        "random_state": seed,
        "accuracy": float((pred == y_test).mean()),
        "macro_f1": float(macro_f1(y_test, pred)),
        "n2_accuracy": float((n2 == y_test).mean()),
        "n2_macro_f1": float(macro_f1(y_test, n2)),
        "stages": ns["clf"].stages_,
        "strategy": ns["clf"].strategy,
        "recipe": ns["clf"].recipe,
        "seconds": seconds,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(6)))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    code = snippet()
    rows = []
    for seed in args.seeds:
        rows.append(run(code, seed))
        keys = ("random_state", "accuracy", "macro_f1", "seconds")
        print(json.dumps({k: rows[-1][k] for k in keys}), flush=True)
    seeds = " ".join(map(str, args.seeds))
    command = f"python benchmarks/quickstart_seeds.py --seeds {seeds}"
    acc = [r["accuracy"] for r in rows]
    f1 = [r["macro_f1"] for r in rows]
    lines = [
        "# The README quick start over random states "
        "(`benchmarks/quickstart_seeds.py`)",
        "",
        f"`{command}`: the README's quick-start block as written (estimator "
        f"defaults: strategy `{rows[0]['strategy']}`, recipe `{rows[0]['recipe']}`; "
        f"stages {', '.join(s.split(':')[0] for s in rows[0]['stages'])}), "
        "one CPU thread, scored on the held-out patient "
        f"({rows[0]['n2_accuracy']:.2f} accuracy and {rows[0]['n2_macro_f1']:.2f} "
        "macro-F1 for always answering N2).",
        "",
        "| random state | accuracy | macro-F1 | fit (s, wall, shared machine) |",
        "|---|---|---|---|",
        *(
            f"| {r['random_state']} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} "
            f"| {r['seconds']:.1f} |"
            for r in rows
        ),
        "",
        f"Range: accuracy {min(acc):.2f}-{max(acc):.2f}, macro-F1 "
        f"{min(f1):.2f}-{max(f1):.2f} (mean {np.mean(acc):.3f} and {np.mean(f1):.3f}).",
    ]
    out = Path(__file__).parent / "results"
    (out / "quickstart_seeds.json").write_text(
        json.dumps({"command": command, "runs": rows}, indent=1)
    )
    (out / "quickstart_seeds.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
