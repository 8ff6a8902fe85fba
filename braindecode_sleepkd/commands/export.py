"""``sleepkd export``: write the fitted student as ONNX (or TorchScript).

The checkpoint is either a pickled fitted ``SleepKDClassifier`` (``.pkl``,
``.pickle`` or ``.joblib``: the usual skorch way, ``pickle.dump(clf, f)`` or
``joblib.dump(clf, path)``) or a student saved with
:func:`braindecode_sleepkd.export.save_student` (``.pt``). Both are pickles:
only export files you trust.
"""

from pathlib import Path

from . import HELP, CommandError

#: Output format by file extension of ``--out``.
FORMATS = {
    ".onnx": "onnx",
    ".pt": "torchscript",
    ".pth": "torchscript",
    ".ts": "torchscript",
}


def add_parser(subparsers):
    """Register the ``export`` sub-command."""
    parser = subparsers.add_parser(
        "export",
        help=HELP["export"],
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
    parser.add_argument(
        "--out",
        required=True,
        help="file to write: .onnx (ONNX) or .pt/.pth/.ts (TorchScript)",
    )
    parser.add_argument(
        "--format",
        choices=("onnx", "torchscript"),
        default=None,
        help="default: from the extension of --out; if given, it must agree with it",
    )
    parser.add_argument(
        "--seq-len",
        type=int,
        default=None,
        help="fix the number of epochs per sequence (default: dynamic)",
    )
    parser.add_argument(
        "--opset", type=int, default=None, help="ONNX opset (10-20, default 17)"
    )
    parser.add_argument(
        "--quantize",
        choices=("int8",),
        default=None,
        help="also write an int8 copy, <out>.int8.onnx (onnxruntime): static "
        "with --calibration, else dynamic (LSTM and MatMul only)",
    )
    parser.add_argument(
        "--calibration",
        default=None,
        help="calibration data for static int8: sequences prepared as for the "
        "model (.npy, shape (n_seq, seq_len, n_chans, n_times)) or an EDF night "
        "(read and prepared as the model's contract says)",
    )
    parser.add_argument(
        "--channel",
        action="append",
        default=None,
        help="channel(s) of a calibration EDF, when the contract names none",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace --out (and its int8 copy) if it exists",
    )
    parser.add_argument(
        "--no-check",
        action="store_true",
        help="skip onnx.checker and the onnxruntime/torch comparison",
    )
    parser.set_defaults(func=run)
    return parser


def _output_format(out, given):
    """The format written to ``out``: from its extension, checked against ``given``."""
    suffix = Path(out).suffix.lower()
    accepted = ", ".join(f"{ext} ({fmt})" for ext, fmt in FORMATS.items())
    if suffix not in FORMATS:
        what = f"unknown extension {suffix!r}" if suffix else "no file extension"
        raise CommandError(f"--out {out}: {what}; use one of {accepted}.")
    fmt = FORMATS[suffix]
    if given is not None and given != fmt:
        raise CommandError(
            f"--format {given} does not match --out {out} ({suffix} is {fmt}); "
            f"accepted extensions: {accepted}."
        )
    return fmt


def _check_args(args, ex):
    """Check the arguments before loading anything; return the output format."""
    fmt = _output_format(args.out, args.format)
    if args.opset is not None:
        if fmt != "onnx":
            raise CommandError(
                f"--opset applies to ONNX only, not to {fmt} ({args.out})."
            )
        ex.check_opset(args.opset)
    if args.seq_len is not None and args.seq_len < 1:
        raise CommandError(f"--seq-len must be >= 1, got {args.seq_len}.")
    if args.quantize and fmt != "onnx":
        raise CommandError(f"--quantize applies to ONNX only, not to {fmt}.")
    if args.calibration and not args.quantize:
        raise CommandError("--calibration needs --quantize int8.")
    if args.calibration:
        cal = Path(args.calibration)
        if cal.suffix.lower() not in (".npy", ".edf"):
            raise CommandError(f"--calibration {cal}: expected a .npy or .edf file.")
        if not cal.is_file():
            raise CommandError(f"--calibration file not found: {cal}")
    out = Path(args.out)
    targets = [out] + ([out.with_suffix(".int8.onnx")] if args.quantize else [])
    existing = [p for p in targets if p.exists()]
    if existing and not args.force:
        from sleepkd_runtime.cli import already_exist

        raise CommandError(already_exist(existing))
    return fmt


def _calibration(args, onnx_path):
    """Calibration sequences from ``--calibration`` (None without it)."""
    import numpy as np

    if not args.calibration:
        return None
    cal = Path(args.calibration)
    if cal.suffix.lower() == ".npy":
        return np.load(cal)
    from sleepkd_runtime.edf import read_edf_epochs
    from sleepkd_runtime.model import OnnxStudent
    from sleepkd_runtime.stage import (
        finish_contract,
        sequence_length,
        staging_contract,
    )

    student = OnnxStudent(onnx_path)
    contract, channels = staging_contract(student.contract, channels=args.channel)
    X, _, sfreq = read_edf_epochs(cal, channels)
    contract = finish_contract(contract, X, sfreq)
    L = sequence_length(args.seq_len, student.fixed_seq_len, contract)
    n = len(X) // L
    if n == 0:
        raise CommandError(f"--calibration {cal} is shorter than one sequence ({L}).")
    return contract.prepare(X[: n * L]).reshape(n, L, *X.shape[1:])


def run(args):
    """Load the checkpoint, export the student and report the check."""
    from sklearn.exceptions import NotFittedError

    from .. import export as ex

    fmt = _check_args(args, ex)
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
    if args.quantize:
        int8 = Path(path).with_suffix(".int8.onnx")
        try:
            info = ex.quantize_onnx(path, int8, _calibration(args, path))
        except (ex.ExportError, ImportError) as err:
            raise CommandError(str(err)) from err
        left = ", ".join(info["float_ops"]) or "none"
        print(
            f"wrote {int8} (int8, {info['mode']}: {info['float_bytes'] / 1e3:.0f} kB "
            f"-> {info['int8_bytes'] / 1e3:.0f} kB; quantised "
            f"{', '.join(info['quantized_ops'])}; left in float: {left})"
        )
    return 0
