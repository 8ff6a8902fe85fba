"""CPU latency of the student: onnxruntime vs torch, batch 1 and 64.

Run from the repository root::

    python benchmarks/onnx_latency.py                 # both families
    python benchmarks/onnx_latency.py --families salient --repeats 20

Writes ``benchmarks/results/onnx_latency.md`` and ``.json``. Each student preset
is exported with :func:`braindecode_sleepkd.export.to_onnx` (checked against
torch); torch (``torch.inference_mode``) and onnxruntime (CPU) then run the same
input in alternation on the same number of threads; the table gives the median
time per call and the ratio torch / onnxruntime (> 1: ONNX is faster);
:mod:`lib.latency`.
"""

import argparse
import os
import sys
from pathlib import Path

from lib import latency

from braindecode_sleepkd.evaluation.writer import write_results

RESULTS = Path(__file__).resolve().parent / "results"


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
    threads = args.threads or sorted({1, os.cpu_count() or 1})
    rows = latency.latency_rows(
        args.families, args.batch_sizes, args.seq_len, args.sfreq, args.repeats,
        threads, args.seed,
    )  # fmt: skip
    command = "python benchmarks/onnx_latency.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    env = latency.environment(threads, args.sfreq, args.seed, command)
    res = {"environment": env, "results": rows}
    out = Path(args.out)
    write_results(out.parent, out.name, res, latency.report(res))
    print(f"wrote {out.with_suffix('.md')} and {out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
