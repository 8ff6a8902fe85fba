"""``sleepkd stage``: stage a night recorded as EDF with an exported student.

Writes ``<name>_hypnogram.csv`` (epoch onset, stage, probabilities),
``<name>_stages.edf`` (EDF+ annotations; ``<name>_stages.txt`` when edfio is
missing), ``<name>_statistics.csv`` and ``<name>_hypnogram.png`` in ``--out``.
Runs offline. ``.pkl``/``.pt`` models are pickles: only use files you trust.
"""

from pathlib import Path

from . import CommandError


def add_parser(subparsers):
    """Register the ``stage`` sub-command."""
    parser = subparsers.add_parser(
        "stage",
        help="stage a night (EDF) into a hypnogram, statistics and a plot",
        description=(
            "Stage every 30-s epoch of an EDF recording with an exported student "
            "(.onnx, needs onnxruntime) or a pickled fitted model (.pkl/.pt)."
        ),
    )
    parser.add_argument("night", help="the recording, an EDF file")
    parser.add_argument("--model", required=True, help="student.onnx or model.pkl")
    parser.add_argument(
        "--channel",
        required=True,
        action="append",
        help="channel name as in the EDF file (repeat for several channels)",
    )
    parser.add_argument("--out", required=True, help="folder to write into")
    parser.add_argument("--seq-len", type=int, default=None)
    parser.add_argument(
        "--stride", type=int, default=None, help="default: seq_len // 2"
    )
    parser.add_argument(
        "--sfreq", type=float, default=None, help="training rate if unknown"
    )
    parser.add_argument(
        "--resample", action="store_true", help="resample to the model's rate"
    )
    parser.add_argument(
        "--scaler",
        choices=("robust", "standard", "none"),
        default="robust",
        help="per-epoch scaling used in training (default: robust)",
    )
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)
    return parser


def run(args):
    """Stage the night and write the table, annotations, statistics and plot."""
    import pandas as pd

    from ..staging import plot_hypnogram, stage_night

    night = Path(args.night)
    if not night.is_file():
        raise CommandError(f"EDF file not found: {night}")
    if not Path(args.model).is_file():
        raise CommandError(f"model file not found: {args.model}")
    try:
        hyp = stage_night(
            args.model,
            night,
            args.channel if len(args.channel) > 1 else args.channel[0],
            seq_len=args.seq_len,
            stride=args.stride,
            scaler=None if args.scaler == "none" else args.scaler,
            sfreq=args.sfreq,
            resample=args.resample,
            progress=not args.quiet,
        )
    except (ImportError, TypeError) as err:
        raise CommandError(str(err)) from err
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = night.stem
    hyp.to_dataframe().to_csv(out / f"{stem}_hypnogram.csv", index=False)
    try:
        ann = hyp.to_edf_annotations(out / f"{stem}_stages.edf")
    except ImportError:
        ann = out / f"{stem}_stages.txt"
        hyp.to_annotations().save(ann, overwrite=True)
    stats = hyp.statistics()
    pd.Series(stats, name="value").to_csv(
        out / f"{stem}_statistics.csv", index_label="statistic"
    )
    if not args.no_plot:
        import matplotlib

        matplotlib.use("Agg")
        fig = plot_hypnogram(hyp, title=night.name)
        fig.savefig(out / f"{stem}_hypnogram.png", dpi=100)
    print(
        f"staged {len(hyp)} epochs of {night.name}: TST {stats['TST']:.1f} min, "
        f"SE {stats['SE']:.1f} %; wrote {out}/{stem}_hypnogram.csv, {ann.name}"
    )
    return 0
