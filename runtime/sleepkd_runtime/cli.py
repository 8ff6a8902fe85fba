"""``sleepkd-stage``: stage an EDF night with an ONNX student, without torch.

Writes ``<name>_hypnogram.csv`` (epoch onset in seconds and as ISO 8601 clock
time, stage, probabilities), ``<name>_stages.edf`` (EDF+ annotations, starting
at the recording's date and time) and ``<name>_statistics.csv`` in ``--out``.
``sleepkd stage`` (the full package) takes the same options, plus resampling,
plots and pickled models. Usage errors (missing files, an unknown model
extension, outputs that exist) are found before staging.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import argparse
import sys
import time
from pathlib import Path

from .contract import SCALINGS


def add_arguments(parser):
    """The options shared by ``sleepkd-stage`` and ``sleepkd stage``."""
    parser.add_argument("night", help="the recording, an EDF file")
    parser.add_argument("--model", required=True, help="the student, an .onnx file")
    parser.add_argument("--out", required=True, help="folder to write into")
    parser.add_argument(
        "--channel",
        action="append",
        default=None,
        help="channel name as in the EDF file (repeat for several); default: "
        "the channels named in the model's contract",
    )
    parser.add_argument("--seq-len", type=int, default=None)
    parser.add_argument(
        "--stride", type=int, default=None, help="default: seq_len // 2"
    )
    parser.add_argument(
        "--scaler",
        choices=SCALINGS,
        default=None,
        help="per-epoch scaling; default: the model's contract (an older model "
        "without one: none)",
    )
    parser.add_argument(
        "--sfreq",
        type=float,
        default=None,
        help="the model's training rate, for a model without a contract",
    )
    parser.add_argument(
        "--override",
        action="store_true",
        help="let --channel/--scaler/--sfreq replace the model's contract values",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace outputs that exist in --out"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="print nothing (errors aside)"
    )
    return parser


class UsageError(ValueError):
    """A command line that cannot work, found before staging (exit code 2)."""


#: The files written for a night ``<stem>`` in ``--out``.
OUTPUTS = ("{stem}_hypnogram.csv", "{stem}_stages.edf", "{stem}_statistics.csv")


def check_usage(args, suffixes=(".onnx",), outputs=OUTPUTS):
    """Refuse a command line that cannot work, before any staging.

    Parameters
    ----------
    args : argparse.Namespace
        ``night``, ``model``, ``out`` and ``force``.
    suffixes : tuple of str
        The model file extensions the command reads.
    outputs : tuple of str
        The files written in ``--out`` (``{stem}``: the night's name).

    Raises
    ------
    UsageError
        A missing night or model, a model extension not in ``suffixes``,
        ``--out`` an existing file, or outputs that exist without ``--force``.
    """
    night, model, out = Path(args.night), Path(args.model), Path(args.out)
    if not night.is_file():
        raise UsageError(f"EDF file not found: {night}")
    if model.suffix.lower() not in suffixes:
        raise UsageError(
            f"--model {model}: unknown model extension {model.suffix or '(none)'!r}; "
            f"expected {', '.join(suffixes)}."
        )
    if not model.is_file():
        raise UsageError(f"model file not found: {model}")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is an existing file; expected a folder.")
    existing = [
        out / name.format(stem=night.stem)
        for name in outputs
        if (out / name.format(stem=night.stem)).exists()
    ]
    if existing and not args.force:
        raise UsageError(already_exist(existing, "or another --out"))


def already_exist(paths, alternative=""):
    """One line: ``paths`` exist, ``--force`` replaces them (or ``alternative``)."""
    verb = "already exists" if len(paths) == 1 else "already exist"
    other = f", {alternative}" if alternative else ""
    return f"{', '.join(str(p) for p in paths)} {verb}; pass --force to replace{other}."


def write_outputs(hyp, out, stem, backend="own"):
    """Write the hypnogram table, EDF+ annotations and statistics; return paths.

    The CSV's ``clock`` column and the EDF+ header keep ``hyp.start`` (the
    recording's clock time), for both ``sleepkd stage`` and ``sleepkd-stage``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table = hyp.to_csv(out / f"{stem}_hypnogram.csv")
    edf = out / f"{stem}_stages.edf"
    edf.unlink(missing_ok=True)  # replaced (check_usage refused it without --force)
    try:
        ann = hyp.to_edf_annotations(edf)
    except ImportError:  # pragma: no cover - edfio is a dependency
        ann = None
    stats = hyp.statistics(backend=backend)
    lines = ["statistic,value"] + [f"{k},{v!r}" for k, v in stats.items()]
    (out / f"{stem}_statistics.csv").write_text("\n".join(lines) + "\n")
    return table, ann, stats


def summary(hyp, night, stats, table, seconds=None):
    """One line: epochs staged, TST, SE and the files written."""
    took = f" in {seconds:.2f} s" if seconds is not None else ""
    return (
        f"staged {len(hyp)} epochs of {Path(night).name}{took}: TST "
        f"{stats['TST']:.1f} min, SE {stats['SE']:.1f} %; wrote {table}"
    )


def main(argv=None):
    """Run ``sleepkd-stage``; returns the exit code (2 on a user error)."""
    parser = argparse.ArgumentParser(
        prog="sleepkd-stage",
        description="Stage every 30-s epoch of an EDF night with an exported "
        "student (.onnx), as the preprocessing contract in the file says.",
    )
    args = add_arguments(parser).parse_args(argv)
    from .contract import ContractError
    from .stage import stage_edf

    start = time.perf_counter()
    try:
        check_usage(args)
        hyp = stage_edf(
            args.model,
            args.night,
            args.channel,
            seq_len=args.seq_len,
            stride=args.stride,
            scaling=args.scaler,
            sfreq=args.sfreq,
            override=args.override,
        )
        table, _, stats = write_outputs(hyp, args.out, Path(args.night).stem)
    except (ContractError, ValueError, FileNotFoundError, ImportError) as err:
        print(f"sleepkd-stage: error: {err}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(summary(hyp, args.night, stats, table, time.perf_counter() - start))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
