"""What every benchmark command shares: options, configuration, environment, main."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import argparse
import json
import os
import platform
import shlex
import sys
import time
from importlib.metadata import version
from pathlib import Path

import torch

from braindecode_sleepkd.evaluation.writer import write_results


def loso_parser(doc, subjects, seeds, max_epochs, threads=None, render_only=True):
    """Options of a leave-one-subject-out distillation command on DREAMS.

    Parameters
    ----------
    doc : str
        The script's docstring (its first line describes the command).
    subjects, seeds : list of int
        Default excerpts and seeds.
    max_epochs : int
        Default epochs per training stage.
    threads : int | None
        Default torch threads.
    render_only : bool
        Add ``--render-only``.

    Returns
    -------
    argparse.ArgumentParser
        With ``--out --data --subjects --seeds --max-epochs --seq-len
        --batch-size --lr --student-lstm-units --threads`` and ``--render-only``.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--data", type=Path, default=None, help="data folder")
    parser.add_argument("--subjects", type=int, nargs="+", default=subjects)
    parser.add_argument("--seeds", type=int, nargs="+", default=seeds)
    parser.add_argument("--max-epochs", type=int, default=max_epochs)
    parser.add_argument("--seq-len", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument(
        "--student-lstm-units",
        type=int,
        default=32,
        help="LSTM units of the deepsleepnet student preset (preset: 64)",
    )
    parser.add_argument("--threads", type=int, default=threads, help="torch threads")
    if render_only:
        parser.add_argument(
            "--render-only",
            action="store_true",
            help="rewrite the .md from the .json in --out without running",
        )
    return parser


def quick_parser(doc, out):
    """Options of a command with a quick mode: ``--quick --out --render-only``.

    Parameters
    ----------
    doc : str
        The script's docstring (its first line describes the command).
    out : Path
        Default results folder.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run")
    parser.add_argument("--out", type=Path, default=out)
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite the .md from the .json in --out without running",
    )
    return parser


def render(out, name, report):
    """Rewrite ``<out>/<name>.md`` from ``<out>/<name>.json`` with ``report``."""
    res = json.loads((Path(out) / f"{name}.json").read_text())
    return (Path(out) / f"{name}.md").write_text(report(res))


def command_line(script, prefix="python", argv=None):
    """The command that ran ``script``: ``prefix``, the script, its arguments quoted.

    Parameters
    ----------
    script : str
        Path of the script as written in results (``benchmarks/x.py``).
    prefix : str
        The interpreter as written in results.
    argv : list of str | None
        Arguments (default ``sys.argv[1:]``).
    """
    args = sys.argv[1:] if argv is None else argv
    return " ".join([prefix, script, *(shlex.quote(str(a)) for a in args)])


def add_command(results, command):
    """Record ``command`` once in ``results["meta"]["commands"]``; return the meta."""
    meta = results.setdefault("meta", {"commands": []})
    if command not in meta["commands"]:
        meta["commands"].append(command)
    return meta


def set_threads(n):
    """``torch.set_num_threads(n)`` unless ``n`` is None or 0."""
    if n:
        torch.set_num_threads(int(n))


def config(args):
    """The parsed options as a JSON-ready dict (paths as strings)."""
    return {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}


def estimator_params(args, seed):
    """``SleepKDClassifier`` settings shared by every row of a LOSO command."""
    return dict(
        seq_len=args.seq_len,
        max_epochs=args.max_epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        random_state=seed,
        verbose=0,
        student__lstm_units=args.student_lstm_units,
        baseline=None,  # one row per fit: no student alone inside it
    )


def environment(load_start, t_start, *packages, **extra):
    """Python and package versions, CPUs, load average at start and end, wall time.

    Parameters
    ----------
    load_start : tuple of float
        ``os.getloadavg()`` at the start.
    t_start : float
        ``time.time()`` at the start.
    *packages : str
        Distributions whose version is recorded after torch's.
    **extra
        More entries, after the versions.
    """
    return dict(
        python=platform.python_version(),
        torch=torch.__version__,
        **{name: version(name) for name in packages},
        **extra,
        cpu_count=os.cpu_count(),
        load_average_start=list(load_start),
        load_average_end=list(os.getloadavg()),
        wall_seconds=float(time.time() - t_start),
    )


def main(args, name, run, to_markdown, indent=1):
    """Run (or, with ``--render-only``, re-render) and write ``<name>.json/.md``.

    ``args.threads`` (when set) is given to ``torch.set_num_threads`` first.
    """
    if args.render_only:
        res = json.loads((args.out / f"{name}.json").read_text())
        (args.out / f"{name}.md").write_text(to_markdown(res))
        return res
    set_threads(args.threads)
    res = run(args)
    write_results(args.out, name, res, to_markdown(res), indent=indent)
    print(to_markdown(res))
    return res
