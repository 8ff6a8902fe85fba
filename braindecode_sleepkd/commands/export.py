"""``sleepkd export``: write the fitted student as ONNX (or TorchScript).

The checkpoint is either a pickled fitted ``SleepKDClassifier`` (``.pkl``,
``.pickle`` or ``.joblib``: the usual skorch way, ``pickle.dump(clf, f)`` or
``joblib.dump(clf, path)``) or a student saved with
:func:`braindecode_sleepkd.export.save_student` (``.pt``). Both are pickles:
only export files you trust.
"""

from pathlib import Path

from . import CommandError


def add_parser(subparsers):
    """Register the ``export`` sub-command."""
    parser = subparsers.add_parser(
        "export",
        help="export the fitted student to ONNX (or TorchScript) and check it",
        description=(
            "Export the student of a fitted SleepKDClassifier to ONNX (dynamic "
            "batch axis; dynamic sequence axis unless --seq-len is given), validate "
            "it with onnx.checker and compare onnxruntime's logits with torch's. "
            "Needs: pip install braindecode-sleepkd[export]."
        ),
    )
    parser.add_argument(
        "--checkpoint",
        required=True,
        help="a pickled fitted SleepKDClassifier (.pkl/.pickle/.joblib) or a "
        "student saved with braindecode_sleepkd.export.save_student (.pt)",
    )
    parser.add_argument("--out", required=True, help="file to write, e.g. student.onnx")
    parser.add_argument(
        "--format",
        choices=("onnx", "torchscript"),
        default=None,
        help="default: from --out (.onnx -> onnx, else torchscript)",
    )
    parser.add_argument(
        "--seq-len",
        type=int,
        default=None,
        help="fix the number of epochs per sequence (default: dynamic)",
    )
    parser.add_argument("--opset", type=int, default=None, help="ONNX opset")
    parser.add_argument(
        "--no-check",
        action="store_true",
        help="skip onnx.checker and the onnxruntime/torch comparison",
    )
    parser.set_defaults(func=run)
    return parser


def run(args):
    """Load the checkpoint, export the student and report the check."""
    from sklearn.exceptions import NotFittedError

    from .. import export as ex

    fmt = args.format or ("onnx" if Path(args.out).suffix == ".onnx" else "torchscript")
    try:
        obj = ex.load_checkpoint(args.checkpoint)
    except FileNotFoundError as err:
        raise CommandError(str(err)) from err
    except Exception as err:
        raise CommandError(
            f"cannot load checkpoint {args.checkpoint}: {type(err).__name__}: {err}"
        ) from err
    try:
        if fmt == "onnx":
            kwargs = {} if args.opset is None else {"opset": args.opset}
            path = ex.to_onnx(
                obj, args.out, seq_len=args.seq_len, check=not args.no_check, **kwargs
            )
        else:
            path = ex.to_torchscript(
                obj, args.out, seq_len=args.seq_len, check=not args.no_check
            )
    except (ex.ExportError, ImportError, TypeError, NotFittedError) as err:
        raise CommandError(str(err)) from err
    axes = "dynamic" if args.seq_len is None else f"fixed at {args.seq_len}"
    checked = "" if args.no_check else ", checked against torch"
    print(f"wrote {path} ({fmt}; batch axis dynamic, sequence axis {axes}{checked})")
    return 0
