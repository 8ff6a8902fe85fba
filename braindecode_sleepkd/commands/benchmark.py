"""``sleepkd benchmark``: every distillation method on the same subject-wise folds."""

import json
import shlex
import sys
from dataclasses import fields
from pathlib import Path

from . import HELP, CommandError

_INT_LIST = "comma-separated integers"


def add_parser(subparsers):
    """Register the ``benchmark`` sub-command."""
    from ..evaluation.data import DATASETS
    from ..evaluation.runner import METHODS
    from ..models import FAMILIES

    p = subparsers.add_parser(
        "benchmark",
        help=HELP["benchmark"],
        description=(
            "Train every method on the same subject-wise folds, seeds and epochs "
            "(early stopping on a held-out training subject) and write "
            "results.json, results.md and figures to --out. Options override the "
            "--config JSON file (keys as the long options, with underscores)."
        ),
    )
    p.add_argument("--config", help="JSON file of options")
    p.add_argument("--dataset", choices=DATASETS)
    p.add_argument("--family", choices=sorted(FAMILIES))
    p.add_argument("--folds", type=int, help="subject-wise folds (default 3)")
    p.add_argument("--seeds", type=int, help="training seeds per fold (default 1)")
    p.add_argument("--max-epochs", type=int, help="epochs per stage (default 20)")
    p.add_argument("--seq-len", type=int, help="epochs per sequence (default 10)")
    p.add_argument("--out", help="output folder")
    p.add_argument("--methods", help="comma-separated subset of: " + ",".join(METHODS))
    p.add_argument(
        "--ablations", action="store_true", default=None, help="add SleepKD ablations"
    )
    p.add_argument(
        "--budget-minutes", type=float, help="lower the epochs to fit this budget"
    )
    p.add_argument("--patience", type=int, help="early-stopping patience (default 5)")
    p.add_argument("--lr", type=float)
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--batch-size", type=int)
    p.add_argument(
        "--augment",
        action="store_true",
        default=None,
        help="time shift + amplitude scaling (turns the teacher cache off)",
    )
    p.add_argument("--n-recordings", type=int, help="use only the first recordings")
    p.add_argument(
        "--max-epochs-per-recording", type=int, help="simulated: epochs per night"
    )
    p.add_argument(
        "--sequences-per-recording",
        type=int,
        help="keep this many evenly spaced sequences per recording",
    )
    p.add_argument("--data-path", help="folder of the data files")
    p.add_argument(
        "--model-overrides",
        help='JSON {"role": {size arg: value}}, e.g. {"teacher": {"lstm_units": 32}}',
    )
    p.add_argument(
        "--scaling", help=f"{_INT_LIST}: time/memory sweep sizes (simulated data)"
    )
    p.add_argument(
        "--scaling-timeout",
        type=float,
        default=600.0,
        help="seconds allowed per scaling size (default 600)",
    )
    p.add_argument("--threads", type=int, help="torch threads")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=run)
    return p


def _config(args):
    from ..evaluation.runner import BenchmarkConfig

    values = {}
    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise CommandError(f"config file not found: {path}")
        try:
            values = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise CommandError(f"config file {path} is not valid JSON: {err}") from err
    names = {f.name for f in fields(BenchmarkConfig)}
    unknown = set(values) - names
    if unknown:
        raise CommandError(f"unknown keys in {args.config}: {sorted(unknown)}")
    for name in names:
        value = getattr(args, name, None)
        if value is not None:
            values[name] = value
    if isinstance(values.get("methods"), str):
        values["methods"] = [m.strip() for m in values["methods"].split(",") if m]
    if isinstance(values.get("scaling"), str):
        try:
            values["scaling"] = [int(v) for v in values["scaling"].split(",") if v]
        except ValueError as err:
            raise CommandError(f"--scaling needs {_INT_LIST}") from err
    if isinstance(values.get("model_overrides"), str):
        try:
            values["model_overrides"] = json.loads(values["model_overrides"])
        except json.JSONDecodeError as err:
            raise CommandError(f"--model-overrides is not valid JSON: {err}") from err
    cfg = BenchmarkConfig(**values)
    for name in ("folds", "seeds", "max_epochs", "seq_len", "batch_size"):
        if int(getattr(cfg, name)) < 1:
            raise CommandError(f"--{name.replace('_', '-')} must be >= 1")
    cfg.method_list()
    return cfg


def run(args):
    """Run the benchmark and write its report; returns 0."""
    from ..evaluation.report import write_report
    from ..evaluation.runner import run_benchmark
    from ..evaluation.scaling import scaling_sweep

    cfg = _config(args)
    command = "sleepkd " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    if not sys.argv[1:] or sys.argv[1] != "benchmark":
        command = "sleepkd benchmark " + _as_options(cfg)
    results = run_benchmark(cfg, verbose=not args.quiet)
    if cfg.scaling:
        log = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr))
        results["scaling"] = scaling_sweep(
            cfg.scaling,
            cfg.family,
            cfg.seq_len,
            cfg.batch_size,
            timeout=args.scaling_timeout,
            log=log,
        )
    md = write_report(results, cfg.out, command)
    print(
        f"wrote {md} and results.json, confusion.png, hypnogram.png, "
        f"fold_differences.png in {cfg.out}"
    )
    return 0


def _as_options(cfg):
    """The configuration as command-line options (when called from Python)."""
    from dataclasses import asdict

    parts = []
    for key, value in asdict(cfg).items():
        opt = "--" + key.replace("_", "-")
        if value in (None, False, [], {}):
            continue
        if value is True:
            parts.append(opt)
        elif isinstance(value, list):
            parts += [opt, ",".join(map(str, value))]
        elif isinstance(value, dict):
            parts += [opt, shlex.quote(json.dumps(value))]
        else:
            parts += [opt, shlex.quote(str(value))]
    return " ".join(parts)
