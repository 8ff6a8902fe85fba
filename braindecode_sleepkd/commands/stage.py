"""``sleepkd stage``: stage a night recorded as EDF with an exported student.

Writes ``<name>_hypnogram.csv`` (epoch onset, stage, probabilities),
``<name>_stages.edf`` (EDF+ annotations), ``<name>_statistics.csv`` and
``<name>_hypnogram.png`` in ``--out``. The recording is prepared as the model's
preprocessing contract says (rate, channels, unit, per-epoch scaling). An ONNX
student is staged by the torch-free runtime (``sleepkd_runtime``, the same code
as ``sleepkd-stage`` on a device) unless ``--resample`` is asked for. Runs
offline. ``.pkl``/``.pt`` models are pickles: only use files you trust.
"""

import time
from pathlib import Path

from . import CommandError


def add_parser(subparsers):
    """Register the ``stage`` sub-command."""
    from sleepkd_runtime.cli import add_arguments

    parser = subparsers.add_parser(
        "stage",
        help="stage a night (EDF) into a hypnogram, statistics and a plot",
        description=(
            "Stage every 30-s epoch of an EDF recording with an exported student "
            "(.onnx, needs onnxruntime) or a pickled fitted model (.pkl/.pt), "
            "prepared as the model's preprocessing contract says."
        ),
    )
    add_arguments(parser)
    parser.add_argument(
        "--sfreq",
        type=float,
        default=None,
        help="training rate, for a model without a contract",
    )
    parser.add_argument(
        "--resample", action="store_true", help="resample to the model's rate"
    )
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--quiet", action="store_true", help="kept for compatibility")
    parser.set_defaults(func=run)
    return parser


def _stage(args, night):
    options = dict(seq_len=args.seq_len, stride=args.stride, override=args.override)
    if Path(args.model).suffix == ".onnx" and not args.resample:
        from sleepkd_runtime.stage import stage_edf

        return stage_edf(
            args.model,
            night,
            args.channel,
            scaling=args.scaler,
            sfreq=args.sfreq,
            **options,
        )
    from ..staging import stage_night

    return stage_night(
        args.model,
        night,
        args.channel,
        scaler=args.scaler or "contract",
        sfreq=args.sfreq,
        resample=args.resample,
        **options,
    )


def run(args):
    """Stage the night and write the table, annotations, statistics and plot."""
    from sleepkd_runtime.cli import summary, write_outputs

    night = Path(args.night)
    if not night.is_file():
        raise CommandError(f"EDF file not found: {night}")
    if not Path(args.model).is_file():
        raise CommandError(f"model file not found: {args.model}")
    start = time.perf_counter()
    try:
        hyp = _stage(args, night)
    except (ImportError, TypeError) as err:
        raise CommandError(str(err)) from err
    seconds = time.perf_counter() - start
    table, _, stats = write_outputs(hyp, args.out, night.stem)
    if not args.no_plot:
        import matplotlib

        from ..staging import plot_hypnogram

        matplotlib.use("Agg")
        fig = plot_hypnogram(hyp, title=night.name)
        fig.savefig(Path(args.out) / f"{night.stem}_hypnogram.png", dpi=100)
    print(summary(hyp, night, stats, table, seconds))
    return 0
