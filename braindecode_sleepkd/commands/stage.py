"""``sleepkd stage``: stage a night recorded as EDF with an exported student.

Writes ``<name>_hypnogram.csv`` (epoch onset in seconds and as ISO 8601 clock
time, stage, probabilities), ``<name>_stages.edf`` (EDF+ annotations starting
at the recording's date and time), ``<name>_statistics.csv`` and
``<name>_hypnogram.png`` in ``--out``; outputs that exist are refused before
staging unless ``--force``. The recording is prepared as the model's
preprocessing contract says (rate, channels, unit, per-epoch scaling). An ONNX
student is staged by the torch-free runtime (``sleepkd_runtime``, the same code
as ``sleepkd-stage`` on a device) unless ``--resample`` is asked for. Runs
offline. ``.pkl``/``.pt`` models are pickles: only use files you trust.
"""

import time
from pathlib import Path

from . import HELP, CommandError

#: Model files ``sleepkd stage`` reads: ONNX, pickled estimators, saved students.
MODEL_SUFFIXES = (".onnx", ".pkl", ".pickle", ".joblib", ".pt", ".pth")


def add_parser(subparsers):
    """Register the ``stage`` sub-command."""
    from sleepkd_runtime.cli import add_arguments

    parser = subparsers.add_parser(
        "stage",
        help=HELP["stage"],
        description=(
            "Stage every 30-s epoch of an EDF recording with an exported student "
            "(.onnx, needs onnxruntime) or a pickled fitted model (.pkl/.pt), "
            "prepared as the model's preprocessing contract says."
        ),
    )
    add_arguments(parser)
    parser.add_argument(
        "--resample", action="store_true", help="resample to the model's rate"
    )
    parser.add_argument("--no-plot", action="store_true")
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
    from sleepkd_runtime.cli import OUTPUTS, check_usage, summary, write_outputs

    night = Path(args.night)
    plot = () if args.no_plot else ("{stem}_hypnogram.png",)
    check_usage(args, MODEL_SUFFIXES, OUTPUTS + plot)
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
    if not args.quiet:
        print(summary(hyp, night, stats, table, seconds))
    return 0
