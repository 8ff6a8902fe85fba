"""``sleepkd distill``: a folder of EDF nights and a pretrained scorer -> a student.

Writes ``student.onnx``, ``estimator.pkl``, ``model_card.md`` and
``model_card.json`` in ``--out``; the teacher's outputs are cached in
``--out/cache`` so that a rerun (or a crashed one) reuses them.
"""

import shlex
import sys

from . import CommandError

#: Options that ``distill_cohort`` takes under the same name.
_SAME_NAMES = (
    "nights_dir",
    "out",
    "teacher",
    "channel",
    "pattern",
    "strategy",
    "max_epochs",
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
        help="distil a pretrained scorer over a folder of EDF nights",
        description=(
            "Score every EDF night of NIGHTS_DIR with a pretrained teacher (in "
            "parallel, cached), train a small student on them (scored nights give "
            "labels and validation, unscored nights the distillation terms), and "
            "write student.onnx, the fitted estimator and a model card."
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
    parser.add_argument("--max-epochs", type=int, default=20, help="training budget")
    parser.add_argument("--seq-len", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-nights", type=int, default=None)
    parser.add_argument("--n-jobs", type=int, default=None, help="teacher workers")
    parser.add_argument(
        "--strict", action="store_true", help="refuse unusable nights, do not skip"
    )
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--no-resume",
        action="store_true",
        help="train afresh; by default a rerun reuses OUT/checkpoints (an "
        "interrupted training continues, a finished one is loaded)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)
    return parser


def run(args):
    """Distil and print the model card."""
    from ..cohort import NightError, distill_cohort

    kwargs = {} if args.lstm_units is None else {"lstm_units": args.lstm_units}
    try:
        card = distill_cohort(
            **{name: getattr(args, name) for name in _SAME_NAMES},
            hypnogram=args.scored,
            family=args.student,
            student_kwargs=kwargs,
            baseline=not args.no_baseline,
            resume=not args.no_resume,
            random_state=args.seed,
            progress=not args.quiet,
            command="sleepkd " + shlex.join(getattr(args, "argv", sys.argv[1:])),
        )
    except (NightError, ImportError) as err:
        raise CommandError(str(err)) from err
    print(card.to_markdown())
    return 0
