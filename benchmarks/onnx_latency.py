"""CPU latency of the student: onnxruntime vs torch, batch 1 and 64.

Run from the repository root::

    python benchmarks/onnx_latency.py                 # both families
    python benchmarks/onnx_latency.py --families salient --repeats 20

Writes ``benchmarks/results/onnx_latency.md`` and ``.json``. Each student preset
is exported with :func:`braindecode_sleepkd.export.to_onnx` (checked against
torch); torch (``torch.inference_mode``) and onnxruntime (CPU) then run the same
input in alternation on the same number of threads; the table gives the median
time per call and the ratio torch / onnxruntime (> 1: ONNX is faster).
"""

import argparse
import os
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from braindecode_sleepkd.benchmark import tables
from braindecode_sleepkd.benchmark.cost import onnx_session, torch_vs_onnx
from braindecode_sleepkd.benchmark.writer import write_results
from braindecode_sleepkd.export import check_onnx, to_onnx
from braindecode_sleepkd.metrics import n_parameters
from braindecode_sleepkd.models import preset

RESULTS = Path(__file__).resolve().parent / "results"
COLUMNS = ["model", ("params", "params", ","), "threads", "batch"]
COLUMNS += [
    ("torch (ms)", "torch_ms", ".2f"),
    ("onnxruntime (ms)", "onnxruntime_ms", ".2f"),
]
COLUMNS += [("ratio", "ratio_torch_over_onnx", ".2f")]
COLUMNS += [("max abs diff", "max_abs_diff", ".1e")]


def main(argv=None):
    """Run the benchmark and write the results; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="+", default=["deepsleepnet", "salient"])
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[1, 64])
    parser.add_argument("--seq-len", type=int, default=20)
    parser.add_argument("--sfreq", type=float, default=100.0)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", nargs="+", type=int, help="default: 1, all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(RESULTS / "onnx_latency"))
    args = parser.parse_args(argv)

    import onnxruntime as ort

    n_cpus = os.cpu_count() or 1
    thread_counts = args.threads or sorted({1, n_cpus})
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.families:
            model = preset(name, "student", sfreq=args.sfreq).eval()
            path = to_onnx(model, Path(tmp) / f"{name}.onnx")
            n_params = n_parameters(model)
            for threads, batch in (
                (t, b) for t in thread_counts for b in args.batch_sizes
            ):
                torch.set_num_threads(threads)
                session = onnx_session(path, threads)
                shape = (batch, args.seq_len, model.n_chans, model.n_times)
                x = rng.standard_normal(shape).astype(np.float32)
                diff = check_onnx(path, x, model)
                repeats = max(5, args.repeats if batch == 1 else args.repeats // 3)
                t_torch, t_onnx = torch_vs_onnx(model, session, x, repeats)
                rows.append(
                    dict(
                        model=f"{name} student",
                        params=n_params,
                        threads=threads,
                        batch=batch,
                        seq_len=args.seq_len,
                        torch_ms=1e3 * t_torch,
                        onnxruntime_ms=1e3 * t_onnx,
                        ratio_torch_over_onnx=t_torch / t_onnx,
                        max_abs_diff=diff,
                        repeats=repeats,
                    )
                )
                print(
                    f"{name:13s} threads {threads} batch {batch:3d}: torch "
                    f"{1e3 * t_torch:9.2f} ms, onnxruntime {1e3 * t_onnx:9.2f} ms, "
                    f"ratio {t_torch / t_onnx:5.2f}, max|diff| {diff:.1e}"
                )

    env = {
        "torch": torch.__version__,
        "onnxruntime": ort.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor() or "unknown",
        "cpu_count": os.cpu_count(),
        "threads": thread_counts,
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "sfreq": args.sfreq,
        "seed": args.seed,
        "command": "python benchmarks/onnx_latency.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    lines = [
        "# Student latency on CPU: onnxruntime vs torch",
        "",
        f"Command: `{env['command'].strip()}`",
        "",
        f"torch {env['torch']}, onnxruntime {env['onnxruntime']}, Python "
        f"{env['python']}, {env['machine']}, {env['cpu_count']} CPUs, the same number "
        f"of threads for both; input (batch, seq_len, n_chans, n_times) = (batch, "
        f"{args.seq_len}, 1, {int(30 * args.sfreq)}), sfreq {args.sfreq:g} Hz. "
        f"1-min load average at the end: {env['load_average_1min'] or 0:.1f}.",
        "",
        "Median time per call (torch and onnxruntime alternate on the same input);"
        " ratio = torch / onnxruntime (> 1: onnxruntime is faster).",
        "",
        *tables.records_table(rows, COLUMNS, ["---"] + ["---:"] * 7),
        *tables.load_warning(env["load_average_1min"], n_cpus),
    ]
    out = Path(args.out)
    write_results(out.parent, out.name, {"environment": env, "results": rows}, lines)
    print(f"wrote {out.with_suffix('.md')} and {out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
