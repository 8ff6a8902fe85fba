"""Mutation score of the modules where a silent bug loses data or gives wrong stages.

mutmut (``[tool.mutmut]`` in ``pyproject.toml``) imports the code it mutates
from the root of the folder it runs in, while this repository keeps the
runtime in ``runtime/sleepkd_runtime``. So this script lays out a workspace
(``build/mutation`` by default): both packages side by side, the tests and
``pyproject.toml``; runs ``mutmut run`` there on the mutants of the chosen
modules (each mutant is tested by the targeted tests that reach the mutated
function); and writes the score per module.

Run from the repository root (``make mutation``)::

    python benchmarks/mutation.py --modules sleepkd_runtime.sliding \
        --out benchmarks/results/mutation.json

The score is killed / (killed + survived + timeout-free others), equivalent
mutants listed in ``EQUIVALENT`` (with why) left out of the denominator.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Group -> its modules' files (as mutmut sees them in the workspace) and the
#: targeted tests (node ids or files, ``-k`` expressions allowed after them).
GROUPS = {
    "runtime": dict(
        files=[
            "sleepkd_runtime/sliding.py",
            "sleepkd_runtime/hypnogram.py",
            "sleepkd_runtime/statistics.py",
            "sleepkd_runtime/stage.py",
        ],
        tests=[
            "tests/test_oracles_outputs.py",
            "tests/test_oracles_runtime.py",
            "tests/test_staging.py",
        ],
    ),
    "cohort": dict(
        files=[
            "braindecode_sleepkd/cohort/store.py",
            "braindecode_sleepkd/cohort/scoring.py",
        ],
        # the parallel test leaves joblib workers that mutmut's wait() trips on
        tests=[
            "tests/test_oracles_cohort.py",
            "tests/test_cohort.py",
            "-k",
            "not parallel_scoring and not distill_cli and not yasa",
        ],
    ),
    "contract": dict(
        files=["sleepkd_runtime/contract.py", "sleepkd_runtime/edf.py"],
        tests=["tests/test_contract.py", "tests/test_oracles_runtime.py"],
    ),
    "guard": dict(
        files=["braindecode_sleepkd/guard.py"],
        tests=["tests/test_report.py"],
    ),
    "losses": dict(
        files=["braindecode_sleepkd/distill/losses/*"],
        tests=["tests/test_losses.py"],
    ),
}


IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")

_DTYPE = "dtype left to numpy: the values are the same for the inputs the callers give"
_ENC = "the CSV is ASCII (numbers, stage names): the same bytes in any encoding"
_UNIT = "prepare's default unit is uV and unit names are read case-insensitively"
_ASSUMED = (
    "only a model without contract reaches it, and then the rate is n_times / 30 "
    "(as read) and the contract's seq_len is not read again: same staging"
)
_RENAMED = (
    "a field of the hashed metadata renamed: every key changes but the same "
    "inputs still share a key and different ones do not (a one-off recompute)"
)
_CAST = "score_one casts the record to float32: only the cache file's dtype changes"
_CAST2 = "a single scorer's output is already float32 (cast when scored)"
_RESHAPE = "numpy infers the dimension given as any negative number, -2 as -1"
_SAME = "the same output, only slower or more memory (speed is measured in "
_SAME += "benchmarks, not unit tests)"
_BATCH = "sequences are scored independently: batching changes no float output"

#: Surviving mutants that behave exactly as the original, with why.
EQUIVALENT = {
    "sleepkd_runtime.sliding.x_combine__mutmut_3": _DTYPE + " (sums in float64)",
    "sleepkd_runtime.sliding.x_combine__mutmut_5": _DTYPE + " (sums in float64)",
    "sleepkd_runtime.sliding.x_sequence_starts__mutmut_33": _DTYPE + " (int64)",
    "sleepkd_runtime.sliding.x_sequence_starts__mutmut_35": _DTYPE + " (int64)",
    "sleepkd_runtime.statistics.x_sleep_statistics__mutmut_6": _DTYPE
    + " (whole-number stages)",
    "sleepkd_runtime.statistics.x_sleep_statistics__mutmut_8": _DTYPE
    + " (whole-number stages)",
    "sleepkd_runtime.statistics.x__own__mutmut_29": "a night without sleep: the "
    "one epoch kept is W, counted in no stage, as with none",
    "sleepkd_runtime.hypnogram.xǁHypnogramǁto_csv__mutmut_34": _ENC,
    "sleepkd_runtime.hypnogram.xǁHypnogramǁto_csv__mutmut_37": _ENC,
    "sleepkd_runtime.hypnogram.xǁHypnogramǁto_csv__mutmut_41": _ENC,
    "sleepkd_runtime.stage.x_stage_edf__mutmut_70": _UNIT,
    "sleepkd_runtime.stage.x_stage_edf__mutmut_72": _UNIT,
    "sleepkd_runtime.stage.x_stage_edf__mutmut_73": _UNIT,
    "sleepkd_runtime.stage.x_finish_contract__mutmut_7": _ASSUMED,
    "sleepkd_runtime.stage.x_finish_contract__mutmut_8": _ASSUMED,
    "sleepkd_runtime.stage.x_finish_contract__mutmut_12": _ASSUMED,
    "sleepkd_runtime.stage.x_finish_contract__mutmut_13": _ASSUMED,
    "sleepkd_runtime.stage.x_stage_edf__mutmut_45": _ASSUMED,
    "sleepkd_runtime.stage.x_stage_edf__mutmut_51": _ASSUMED,
    "sleepkd_runtime.stage.x_stage_epochs__mutmut_12": "a night of exactly "
    "seq_len epochs: L is set to n_epochs, which it already is",
    "sleepkd_runtime.stage.x_stage_epochs__mutmut_34": "L / 2 instead of L // 2: "
    "sequence_starts casts the stride to int, the same floor",
    "sleepkd_runtime.stage.x_stage_epochs__mutmut_55": _BATCH,
    "sleepkd_runtime.stage.x_stage_edf__mutmut_4": _BATCH,
    "sleepkd_runtime.stage.x_stage_edf__mutmut_11": _BATCH,
    "braindecode_sleepkd.cohort.scoring.x_cache_key__mutmut_8": _RENAMED,
    "braindecode_sleepkd.cohort.scoring.x_cache_key__mutmut_9": _RENAMED,
    "braindecode_sleepkd.cohort.scoring.x_cache_key__mutmut_10": _RENAMED,
    "braindecode_sleepkd.cohort.scoring.x__cached_score__mutmut_16": _CAST,
    "braindecode_sleepkd.cohort.scoring.x__cached_score__mutmut_18": _CAST,
    "braindecode_sleepkd.cohort.scoring.x_score_cohort__mutmut_15": _SAME
    + ": n_jobs ignored, scored serially",
    "braindecode_sleepkd.cohort.scoring.x_score_cohort__mutmut_17": _SAME
    + ": n_jobs ignored, scored serially",
    "braindecode_sleepkd.cohort.scoring.x_score_cohort__mutmut_18": _SAME
    + ": joblib's results as a list, not a generator",
    "braindecode_sleepkd.cohort.scoring.x_score_one__mutmut_62": _CAST2,
    "braindecode_sleepkd.cohort.scoring.x_score_one__mutmut_64": _CAST2,
    "braindecode_sleepkd.cohort.store.x_write_sequences__mutmut_50": "the first "
    "night is read again instead of reused: the same epochs (one read more)",
    "braindecode_sleepkd.cohort.store.x_write_sequences__mutmut_61": "the first "
    "night is let go by binding another value; nothing reads it after",
    "braindecode_sleepkd.cohort.store.x_write_sequences__mutmut_80": _RESHAPE,
    "braindecode_sleepkd.cohort.store.x_write_sequences__mutmut_98": _RESHAPE,
}


def workspace(path, group):
    """Both packages side by side, the tests and the configuration (the repository's
    ``[tool.mutmut]`` with the group's modules and tests), in ``path``."""
    path = Path(path)
    for name in ("braindecode_sleepkd", "sleepkd_runtime", "tests"):
        shutil.rmtree(path / name, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    for src, dst in [
        ("braindecode_sleepkd", "braindecode_sleepkd"),
        ("runtime/sleepkd_runtime", "sleepkd_runtime"),
        ("tests", "tests"),
    ]:
        shutil.copytree(ROOT / src, path / dst, ignore=IGNORE)
    write_config(path, group)
    return path


def write_config(path, group):
    """The repository's ``pyproject.toml`` with the group's modules and tests."""
    spec = GROUPS[group]
    extra = (
        f"only_mutate = {json.dumps(spec['files'])}\n"
        f"pytest_add_cli_args_test_selection = {json.dumps(spec['tests'])}\n"
    )
    text = (ROOT / "pyproject.toml").read_text()
    (path / "pyproject.toml").write_text(
        text.replace("[tool.mutmut]\n", "[tool.mutmut]\n" + extra, 1)
    )


def module_of(mutant):
    """``pkg.mod.x_func__mutmut_3`` (or ``pkg.mod.xǁClassǁmethod__mutmut_3``)
    -> ``pkg.mod``."""
    return mutant.split(".x", 1)[0]


def results(folder):
    """Mutant name -> status, from ``mutmut results --all true``."""
    out = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=folder, capture_output=True, text=True, check=True,
    )  # fmt: skip
    status = {}
    for line in out.stdout.splitlines():
        m = re.match(r"\s*([\w.]+__mutmut_\d+): (.+)$", line)
        if m:
            status[m.group(1)] = m.group(2).strip()
    return status


def scores(status, modules):
    """Per module: killed, survived, equivalent, other, score (%)."""
    table = {}
    for module in modules:
        mine = {k: v for k, v in status.items() if module_of(k) == module}
        killed = sum(v in ("killed", "timeout") for v in mine.values())
        survived = [k for k, v in mine.items() if v == "survived"]
        equivalent = [k for k in survived if k in EQUIVALENT]
        live = [k for k in survived if k not in EQUIVALENT]
        other = {k: v for k, v in mine.items()
                 if v not in ("killed", "timeout", "survived")}  # fmt: skip
        tested = killed + len(live)
        table[module] = dict(
            mutants=len(mine),
            killed=killed,
            timeout=sum(v == "timeout" for v in mine.values()),
            survived=live,
            equivalent=equivalent,
            other=other,
            score=round(100 * killed / tested, 1) if tested else None,
        )
    return table


def reclassify(report):
    """Split each module's surviving mutants again by ``EQUIVALENT``; rescore."""
    for row in report.values():
        alive = row["survived"] + row["equivalent"]
        row["equivalent"] = [k for k in alive if k in EQUIVALENT]
        row["survived"] = [k for k in alive if k not in EQUIVALENT]
        tested = row["killed"] + len(row["survived"])
        row["score"] = round(100 * row["killed"] / tested, 1) if tested else None
    return report


def _strict(row):
    """The score with timeouts counted neither killed nor tested (a timeout on a
    busy machine may be the machine, not the test)."""
    if "timeout" not in row:
        return "n/a"
    killed = row["killed"] - row["timeout"]
    tested = killed + len(row["survived"])
    return f"{100 * killed / tested:.1f}%" if tested else "n/a"


def markdown(report, bugs=None, note=""):
    """The scores (and the known bugs replayed) as a markdown page."""
    lines = [
        "# Mutation score",
        "",
        "Made by `make mutation` (`python benchmarks/mutation.py --out "
        "benchmarks/results/mutation.json`, mutmut 3.8.1; a group rerun after new "
        "tests with `--groups <group> --rerun-survived`). Score: killed / "
        "(killed + survived), equivalent mutants (listed below, with why) left "
        "out; a timeout counts as killed.",
        "",
        "| module | group | mutants | killed (of them timeouts) | survived "
        "| equivalent | score | score, timeouts left out |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for module, row in sorted(report.items()):
        lines.append(
            f"| `{module}` | {row['group']} | {row['mutants']} | {row['killed']} "
            f"({row.get('timeout', '?')}) | "
            f"{len(row['survived'])} | {len(row['equivalent'])} | {row['score']}% | "
            f"{_strict(row)} |"
        )
    lines += ["", "Targeted tests per group:", ""]
    for group in sorted({row["group"] for row in report.values()}):
        lines.append(f"- {group}: `{' '.join(GROUPS[group]['tests'])}`")
    run = {row["group"] for row in report.values()}
    missing = [g for g in GROUPS if g not in run]
    if missing:
        lines += ["", "Not run (no score): " + "; ".join(
            f"{g} ({', '.join(GROUPS[g]['files'])})" for g in missing
        ) + "."]  # fmt: skip
    if note:
        lines += ["", note]
    lines += ["", "## Equivalent mutants", ""]
    for name, why in sorted(EQUIVALENT.items()):
        lines.append(f"- `{name}`: {why}")
    lines += ["", "## Surviving mutants (not killed, not equivalent)", ""]
    for _module, row in sorted(report.items()):
        lines += [f"- `{name}`" for name in row["survived"]]
    if bugs:
        lines += ["", "## The five known bugs, put back one at a time", ""]
        lines += ["`python benchmarks/known_bugs.py` (results/known_bugs.json).", ""]
        for bug in bugs:
            lines.append(
                f"- **{bug['name']}** (`{bug['file']}`): `{bug['old']}` -> "
                f"`{bug['new']}`; {bug['outcome']}"
            )
            shown = set()  # one line per test function (not per parameter)
            for fail in bug["failures"]:
                base = fail["test"].split("[")[0]
                if fail["error"] == "AssertionError" and base not in shown:
                    shown.add(base)
                    lines.append(
                        f"  - fails `{fail['test']}`: AssertionError: "
                        f"{fail['message'][:160]}"
                    )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", nargs="+", default=list(GROUPS))
    parser.add_argument("--workspace", default=str(ROOT / "build" / "mutation"))
    parser.add_argument("--out", default=None, help="JSON of the scores (merged)")
    parser.add_argument("--max-children", type=int, default=1)
    parser.add_argument(
        "--rerun-survived",
        action="store_true",
        help="keep each group's workspace and mutants, copy the current tests and "
        "configuration in and run again only the mutants that survived (after "
        "new tests)",
    )
    parser.add_argument(
        "--rerun-timeouts",
        action="store_true",
        help="with --rerun-survived: the mutants that timed out too",
    )
    parser.add_argument("--note", default="", help="a paragraph for the page")
    parser.add_argument(
        "--no-run",
        action="store_true",
        help="run nothing: read the groups' results from their workspaces",
    )
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="run nothing: reclassify --out's mutants by EQUIVALENT, rewrite it "
        "and its markdown page",
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.groups) - set(GROUPS))
    if unknown:
        raise SystemExit(f"Unknown group(s) {unknown}; known: {list(GROUPS)}")
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.setdefault("SLEEPKD_DATA", str(ROOT.parent / "shared" / "data"))
    report = {}
    if args.out and Path(args.out).is_file():
        report = json.loads(Path(args.out).read_text())
    for group in [] if args.render_only else args.groups:
        folder = Path(args.workspace) / group
        cmd = [sys.executable, "-m", "mutmut", "run"]
        cmd += ["--max-children", str(args.max_children)]
        if args.no_run:
            cmd = None
        elif args.rerun_survived:
            again = ("survived", "timeout") if args.rerun_timeouts else ("survived",)
            survived = [k for k, v in results(folder).items() if v in again]
            write_config(folder, group)
            for tests in (folder / "tests", folder / "mutants" / "tests"):
                shutil.rmtree(tests, ignore_errors=True)
                shutil.copytree(ROOT / "tests", tests, ignore=IGNORE)
            (folder / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
            cmd += survived
        else:
            shutil.rmtree(folder, ignore_errors=True)
            workspace(folder, group)
        start = time.perf_counter()
        if cmd:
            print(f"[{group}] {' '.join(cmd[:6])} ({len(cmd) - 6} names)", flush=True)
            subprocess.run(cmd, cwd=folder, env=env, check=False)
        seconds = round(time.perf_counter() - start) if cmd else None
        status = results(folder)
        modules = sorted({module_of(k) for k in status})
        for module, row in scores(status, modules).items():
            row.update(group=group, tests=GROUPS[group]["tests"])
            if seconds is not None or "seconds" not in row:
                row["seconds"] = seconds  # wall time of the group's last run
            report[module] = row
            print(
                f"{module}: {row['score']}% (killed {row['killed']}, survived "
                f"{len(row['survived'])}, equivalent {len(row['equivalent'])}, "
                f"not tested {len(row['other'])})"
            )
    if args.out:
        reclassify(report)
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
        known = Path(args.out).with_name("known_bugs.json")
        bugs = json.loads(known.read_text()) if known.is_file() else None
        page = markdown(report, bugs, args.note)
        Path(args.out).with_suffix(".md").write_text(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
