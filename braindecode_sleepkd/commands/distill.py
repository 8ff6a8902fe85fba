"""``sleepkd distill``: a folder of EDF nights and a pretrained scorer -> a student.

Writes ``student.onnx``, ``estimator.pkl``, ``model_card.md`` and
``model_card.json`` in ``--out``; the teacher's outputs are cached in
``--out/cache`` so that a rerun (or a crashed one) reuses them.
"""

import shlex
import signal
import sys
import warnings
from contextlib import contextmanager

from . import HELP, CommandError

#: Options that ``distill_cohort`` takes under the same name.
_SAME_NAMES = (
    "nights_dir",
    "out",
    "teacher",
    "channel",
    "pattern",
    "strategy",
    "max_epochs",
    "min_steps",
    "patience",
    "hard_weight",
    "seq_len",
    "batch_size",
    "max_nights",
    "n_jobs",
    "strict",
)


def add_parser(subparsers):
    """Register the ``distill`` sub-command."""
    parser = subparsers.add_parser(
        "distill",
        help=HELP["distill"],
        description=(
            "Score every EDF night of NIGHTS_DIR with a pretrained teacher "
            "(cached in OUT/cache), train a small student on them (every epoch "
            "gets the teacher's outputs, the scored epochs also their labels; "
            "scored nights validate), and write student.onnx, the fitted "
            "estimator and a model card. Ctrl-C (or SIGTERM) stops it, keeping "
            "what is done: the same command resumes."
        ),
    )
    parser.add_argument("nights_dir", help="folder of EDF nights")
    parser.add_argument(
        "--teacher",
        default="yasa",
        help="yasa, gssc, ensemble (YASA + GSSC) or a path to an .onnx network",
    )
    parser.add_argument("--channel", required=True, help="EEG channel, e.g. C4-M1")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--pattern", default="*.edf", help="glob of the nights")
    parser.add_argument(
        "--scored",
        default="{stem}.hypnogram.txt",
        help="hypnogram file name of a scored night ({stem}: the EDF's name)",
    )
    parser.add_argument(
        "--student", default="deepsleepnet", choices=("deepsleepnet", "salient")
    )
    parser.add_argument(
        "--lstm-units", type=int, default=None, help="narrower student LSTM"
    )
    parser.add_argument("--strategy", default="dist")
    parser.add_argument(
        "--hard-weight",
        type=float,
        default=1.0,
        help="weight of the cross-entropy with the labels of scored training "
        "epochs (default 1; 0: learn from the teacher only)",
    )
    parser.add_argument(
        "--max-epochs",
        type=int,
        default=20,
        help="passes over the training sequences (raised to reach --min-steps)",
    )
    parser.add_argument(
        "--min-steps",
        type=int,
        default=300,
        help="least number of optimiser steps, whatever the cohort's size "
        "(default 300)",
    )
    parser.add_argument(
        "--patience",
        type=int,
        default=100,
        help="stop after this many optimiser steps (whole passes) without a "
        "better validation kappa (labels of scored validation nights, else the "
        "teacher's stages); the best pass is restored (default 100)",
    )
    parser.add_argument("--seq-len", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-nights", type=int, default=None)
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="teacher scoring workers; default: 2 for gssc and ensemble, 1 "
        "otherwise (measured on 2 cores: YASA in 2 jobs 0.75x, GSSC 1.77x)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="refuse unusable nights, do not skip"
    )
    parser.add_argument(
        "--no-resample",
        action="store_true",
        help="refuse nights at another rate than the cohort's (default: "
        "resample them with MNE, listed in the card)",
    )
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--no-resume",
        action="store_true",
        help="train afresh; by default a rerun reuses OUT/checkpoints (an "
        "interrupted training continues, a finished one is loaded)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="score the nights on a dask.distributed cluster (e.g. "
        "tcp://host:8786; its workers need this package, the teacher and the "
        "nights and OUT on a shared filesystem); the training runs here",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bar, no model card printed"
    )
    parser.set_defaults(func=run)
    return parser


@contextmanager
def _interruptible():
    """Ctrl-C and SIGTERM raise KeyboardInterrupt (even where SIGINT was ignored)."""

    def stop(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with warnings.catch_warnings():  # the one line of run() says it instead
            warnings.filterwarnings("ignore", message="fit interrupted")
            yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _backend(args):
    """joblib's dask backend on the cluster at ``--scheduler`` (else nothing).

    With a scheduler and no ``--n-jobs``, every worker of the cluster scores.
    """
    if args.scheduler is None:
        yield
        return
    import joblib
    from dask.distributed import Client

    if args.n_jobs is None:
        args.n_jobs = -1
    with Client(args.scheduler) as client, joblib.parallel_backend("dask"):
        print(
            f"sleepkd distill: scoring on {client.scheduler_info()['address']} "
            f"({len(client.scheduler_info()['workers'])} workers)",
            file=sys.stderr,
        )
        yield


def run(args):
    """Distil and print the model card; 130 with a resume hint on Ctrl-C/SIGTERM."""
    kwargs = {} if args.lstm_units is None else {"lstm_units": args.lstm_units}
    command = "sleepkd " + shlex.join(getattr(args, "argv", sys.argv[1:]))
    try:
        with _interruptible():
            from ..cohort import NightError, distill_cohort

            try:
                with _backend(args):
                    card = distill_cohort(
                        **{name: getattr(args, name) for name in _SAME_NAMES},
                        hypnogram=args.scored,
                        family=args.student,
                        student_kwargs=kwargs,
                        resample=not args.no_resample,
                        baseline=not args.no_baseline,
                        resume=not args.no_resume,
                        random_state=args.seed,
                        progress=not args.quiet,
                        command=command,
                    )
            except (NightError, ImportError) as err:
                raise CommandError(str(err)) from err
    except KeyboardInterrupt:
        print(
            f"sleepkd distill: interrupted; the teacher's cache and checkpoints "
            f"are kept in {args.out}: run the same command again to resume.",
            file=sys.stderr,
        )
        return 130
    if not args.quiet:
        print(card.to_markdown())
    for warning in card.validation.get("warnings", []):
        print(f"sleepkd distill: warning: {warning}", file=sys.stderr)
    return 0
