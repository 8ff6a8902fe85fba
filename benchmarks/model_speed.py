"""Size and CPU speed of the teacher / assistant / student presets.

Run on demand: ``.venv/bin/python benchmarks/model_speed.py --out
benchmarks/results`` (writes ``model_speed.md`` and ``.json``). A family's three
models are timed round-robin, so that other load slows them alike; ratios are
against the family's teacher.
"""

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import torch

from braindecode_sleepkd.benchmark.cli import command_line
from braindecode_sleepkd.benchmark.tables import load_warning
from braindecode_sleepkd.benchmark.writer import write_results
from braindecode_sleepkd.evaluation import compare_models
from braindecode_sleepkd.models import FAMILIES, ROLES, preset

INPUT = ("n_chans", "sfreq", "seq_len", "batch_sizes", "n_repeats")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--families", nargs="+", default=sorted(FAMILIES))
    parser.add_argument("--sfreq", type=float, default=100.0)
    parser.add_argument("--n-chans", type=int, default=1)
    parser.add_argument("--seq-len", type=int, default=20)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--n-repeats", type=int, default=15)
    parser.add_argument("--n-warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, nargs="+", help="default: all, 1")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def run(args):
    """Return the benchmark results as a JSON-ready dict."""
    default_threads = torch.get_num_threads()
    threads = args.threads or sorted({default_threads, 1}, reverse=True)
    torch.manual_seed(args.seed)
    n_times = int(round(30 * args.sfreq))
    x = torch.randn(1, args.seq_len, args.n_chans, n_times)
    load_before = os.getloadavg()[0]
    rows = []
    for n_threads in threads:
        torch.set_num_threads(n_threads)
        for family in args.families:
            models = {
                role: preset(family, role, n_chans=args.n_chans, sfreq=args.sfreq)
                for role in ROLES
            }
            res = compare_models(
                models,
                x,
                reference="teacher",
                n_repeats=args.n_repeats,
                batch_sizes=args.batch_sizes,
                n_warmup=args.n_warmup,
            )
            for role in ROLES:
                rows.append({"family": family, "role": role, **res[role]})
    torch.set_num_threads(default_threads)
    return {
        "command": command_line(sys.argv[0]),
        "torch": torch.__version__,
        "threads": threads,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "input": dict(n_times=n_times, **{k: vars(args)[k] for k in INPUT}),
        "rows": rows,
    }


def to_markdown(result):
    """Render the results as a Markdown page."""
    inp = result["input"]
    big = max(inp["batch_sizes"])
    lines = [
        "# Model size and CPU speed of the presets",
        "",
        f"Command: `{result['command']}`  ",
        f"torch {result['torch']}, thread counts {result['threads']}, "
        f"{result['platform']} ({result['processor']}), {result['date']}; "
        f"1-min load average {result['load_average_1min'][0]} before, "
        f"{result['load_average_1min'][1]} after (other processes share the CPU).  ",
        f"Input: sequences of {inp['seq_len']} epochs of {inp['n_chans']} channel(s) "
        f"x {inp['n_times']} samples ({inp['sfreq']:g} Hz); eval mode, "
        f"`torch.inference_mode`, median of {inp['n_repeats']} runs, the three "
        "models of a family timed round-robin. Ratios are against the teacher.",
    ]
    for n_threads in result["threads"]:
        lines += _table(result, n_threads, big)
    lines += [
        "",
        "Targets: student <= 30 % of the teacher's parameters, assistant in "
        f"between; student >= 4x the teacher's throughput at batch {big}. "
        "Times are medians; the last column compares the fastest of the runs, "
        "which other processes on a shared CPU disturb least.",
    ]
    lines += [*load_warning(result["load_average_1min"][0]), ""]
    return "\n".join(lines)


def _table(result, n_threads, big):
    lines = [
        "",
        f"## {n_threads} thread(s)",
        "",
        f"| family | role | params | ratio | size (MiB) | MMACs/seq "
        f"| latency b=1 (ms) | epochs/s b={big} | speed-up b=1 | speed-up b={big} "
        f"| speed-up b={big} (fastest runs) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        if r["n_threads"] != n_threads:
            continue
        lat = r["latency_s"]
        lines.append(
            f"| {r['family']} | {r['role']} | {r['n_params']:,} "
            f"| {r['param_ratio']:.3f} | {r['size_mib']:.2f} | {r['macs'] / 1e6:.1f} "
            f"| {lat * 1e3:.1f} | {r['throughput']:.1f} "
            f"| {r['speedup_latency']:.2f}x | {r['speedup_throughput']:.2f}x "
            f"| {r['speedup_throughput_best']:.2f}x |"
            if lat is not None
            else f"| {r['family']} | {r['role']} | {r['n_params']:,} | ... |"
        )
    return lines


def main(argv=None):
    """Run the benchmark and write the Markdown and JSON files."""
    args = parse_args(argv)
    result = run(args)
    md = to_markdown(result)
    write_results(args.out, "model_speed", result, md, indent=2)
    print(md)


if __name__ == "__main__":
    main()
