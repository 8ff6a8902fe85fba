"""The pre-registered evaluation matrix (issue 26): every row in every regime.

Regimes, rows, training rule, metrics and the maximin decision rule are
pre-registered in ``benchmarks/README.md`` ("Evaluation matrix") and defined
as data in :mod:`lib.matrix`. Resumable: every
finished run is saved in ``<out>/<name>.json`` at once and a rerun skips it;
the teachers' weights are kept in ``--work``. ``--report`` only re-renders
``<name>.md`` (per-regime tables, worst-case column, decision) from the JSON.

Run (in one process, or in parts side by side, then united)::

    nice python benchmarks/matrix.py --out benchmarks/results --work benchmarks/work
    python benchmarks/matrix.py --report --out benchmarks/results
    # or: --regimes ... --name matrix_sim / matrix_dreams, then
    python benchmarks/matrix.py --report --merge matrix_sim matrix_dreams
"""

import argparse
import json
import sys
import time
from dataclasses import asdict
from importlib.util import find_spec
from pathlib import Path

from lib import cli
from lib import matrix as mx

from braindecode_sleepkd.evaluation.writer import read_results, write_results

#: A tiny configuration: seconds per fit, to test the command, not to measure
#: (100 Hz: YASA, the teacher of ``d_yasa_sim_24``, needs more than 80 Hz).
QUICK = dict(
    seeds=(0,), splits=(0,), epochs_per_recording=80, sfreq=100.0, max_epochs=1,
    teacher_epochs=1, patience=1,
)  # fmt: skip
NEEDS = {"yasa": "yasa", "gssc": "gssc"}
SPAN = ("seeds", "splits", "data")  # what a resumed run may change


def available(regimes):
    """The regimes whose pretrained teacher is installed (others are reported)."""
    keep = []
    for name in regimes:
        need = NEEDS.get(mx.REGIMES[name].teacher)
        if need and find_spec(need) is None:
            print(f"{name}: skipped, {need} is not installed", flush=True)
            continue
        keep.append(name)
    return keep


def report(args, results):
    """Write ``<name>.md`` and the summary and decision into ``<name>.json``."""
    regimes = args.regimes or results.get("meta", {}).get("regimes", list(mx.REGIMES))
    rows = results.get("meta", {}).get("rows", list(mx.ROWS))
    lines, results["summary"] = mx.report_lines(results.get("runs", {}), regimes, rows)
    meta = results.get("meta", {})
    head = [
        "# Evaluation matrix (pre-registered in `benchmarks/README.md`, issue 26)",
        "",
        "Commands:",
        "",
        *[f"    {c}" for c in meta.get("commands", [])],
        "",
        f"Configuration: `{json.dumps(meta.get('config', {}))}`. Kappa is primary; "
        "units are (split or held-out subject, seed); `- alone` is the mean paired "
        "difference with a Student-t 95% interval over the units.",
    ]
    md = "\n".join([*head, *lines, ""])
    write_results(args.out, args.name, results, md, indent=1)
    print(md)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add(
        "--regimes",
        nargs="+",
        default=None,
        help=f"{list(mx.REGIMES)} (default: all; with --report: those run)",
    )
    add("--rows", nargs="+", default=list(mx.ROWS), help=f"{list(mx.ROWS)}")
    add("--seeds", type=int, nargs="+", default=None, help="default 0 1 2 3 4")
    add("--splits", type=int, nargs="+", default=None, help="default 0 1")
    add("--data", default=None, help="folder of the DREAMS excerpts")
    add("--threads", type=int, default=1, help="torch threads")
    add("--quick", action="store_true", help="a tiny configuration (a test)")
    add("--report", action="store_true", help="only re-render from the JSON")
    add("--out", type=Path, default=Path("benchmarks/results"))
    add("--work", type=Path, default=Path("benchmarks/work"), help="teachers")
    add("--name", default="matrix")
    add("--merge", nargs="+", metavar="NAME", help="with --report: unite these parts")
    args = parser.parse_args(argv)
    try:
        mx.check_names(args.regimes or [], mx.REGIMES, "regimes")
        mx.check_names(args.rows, mx.ROWS, "rows")
    except ValueError as err:
        parser.error(str(err))
    if args.merge:
        if not args.report:
            parser.error("--merge goes with --report")
        parts = [read_results(args.out, n) for n in args.merge]
        missing = [n for n, p in zip(args.merge, parts) if not p]
        if missing:
            parser.error(f"no results for {missing} in {args.out}")
        return report(args, mx.merge(parts))
    results = read_results(args.out, args.name)
    if args.report:
        if not results:
            parser.error(f"no {args.out / args.name}.json to report from")
        return report(args, results)
    args.regimes = args.regimes or list(mx.REGIMES)  # a fitting run: all by default
    cfg = mx.Config(**(QUICK if args.quick else {}), data=args.data)
    cfg.seeds = tuple(args.seeds) if args.seeds else cfg.seeds
    cfg.splits = tuple(args.splits) if args.splits else cfg.splits
    meta = cli.add_command(results, cli.command_line(sys.argv[0], argv=argv))
    sizes = {k: v for k, v in asdict(cfg).items() if k not in SPAN}
    if meta.setdefault("config", sizes) != sizes:  # seeds and splits may grow
        parser.error(
            f"{args.out / args.name}.json was run with {meta['config']}; this "
            f"command asks for {sizes}: use another --name or --out"
        )
    for key in ("regimes", "rows"):
        given = list(getattr(args, key))
        meta[key] = list(dict.fromkeys([*meta.get(key, []), *given]))
    cli.set_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    path, runs = args.out / f"{args.name}.json", results.setdefault("runs", {})
    t0 = time.time()

    def log(key, rec):
        print(f"{key}: kappa {rec['kappa']:+.3f} ({rec['seconds']:.0f} s) "
              f"[{time.time() - t0:.0f} s]", flush=True)  # fmt: skip

    for name in available(args.regimes):
        mx.fit_regime(
            name, cfg, args.rows, runs, args.work, log=log,
            save=lambda runs: path.write_text(json.dumps(results, indent=1)),
        )  # fmt: skip
    return report(args, results)


if __name__ == "__main__":
    main()
