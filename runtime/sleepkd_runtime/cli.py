"""``sleepkd-stage``: stage an EDF night with an ONNX student, without torch.

Writes ``<name>_hypnogram.csv`` (epoch onset, stage, probabilities),
``<name>_stages.edf`` (EDF+ annotations) and ``<name>_statistics.csv`` in
``--out``. ``sleepkd stage`` (the full package) takes the same options, plus
resampling, plots and pickled models.
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
        "--override",
        action="store_true",
        help="let --channel/--scaler/--sfreq replace the model's contract values",
    )
    return parser


def write_outputs(hyp, out, stem, backend="own"):
    """Write the hypnogram table, EDF+ annotations and statistics; return paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table = hyp.to_csv(out / f"{stem}_hypnogram.csv")
    try:
        ann = hyp.to_edf_annotations(out / f"{stem}_stages.edf")
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
        hyp = stage_edf(
            args.model,
            args.night,
            args.channel,
            seq_len=args.seq_len,
            stride=args.stride,
            scaling=args.scaler,
            override=args.override,
        )
        table, _, stats = write_outputs(hyp, args.out, Path(args.night).stem)
    except (ContractError, ValueError, FileNotFoundError, ImportError) as err:
        print(f"sleepkd-stage: error: {err}", file=sys.stderr)
        return 2
    print(summary(hyp, args.night, stats, table, time.perf_counter() - start))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
