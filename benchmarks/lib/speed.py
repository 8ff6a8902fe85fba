"""Size and CPU speed of the teacher / assistant / student presets, per family.

A family's three presets are timed round-robin
(:func:`~braindecode_sleepkd.evaluation.compare_models`), so that other load
slows them alike; ratios are against the family's teacher. Used by
``benchmarks/model_speed.py``.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import os
import platform
import time

import torch

from .tables import load_warning, table

#: Options recorded under ``input``.
INPUT = ("n_chans", "sfreq", "seq_len", "batch_sizes", "n_repeats")


def preset_rows(args):
    """One row per thread count x family x role (``compare_models`` fields).

    Parameters
    ----------
    args : argparse.Namespace
        ``families, sfreq, n_chans, seq_len, batch_sizes, n_repeats,
        n_warmup, threads`` (None: all and 1) and ``seed``.

    Returns
    -------
    (list of int, list of dict, float)
        The thread counts, the rows (``family``, ``role`` and the fields of
        :func:`~braindecode_sleepkd.evaluation.compare_models`) and the 1-min
        load average before the timing.
    """
    from braindecode_sleepkd.evaluation import compare_models
    from braindecode_sleepkd.models import ROLES, preset

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
    return threads, rows, load_before


def results(args, command):
    """The JSON-ready results of the preset timing (:func:`preset_rows`)."""
    threads, rows, load_before = preset_rows(args)
    n_times = int(round(30 * args.sfreq))
    return {
        "command": command,
        "torch": torch.__version__,
        "threads": threads,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "input": dict(n_times=n_times, **{k: vars(args)[k] for k in INPUT}),
        "rows": rows,
    }


def report(result):
    """The Markdown page of :func:`results`: one table per thread count."""
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
        rows = [r for r in result["rows"] if r["n_threads"] == n_threads]
        lines += ["", f"## {n_threads} thread(s)", "", *speed_table(rows, big)]
    lines += [
        "",
        "Targets: student <= 30 % of the teacher's parameters, assistant in "
        f"between; student >= 4x the teacher's throughput at batch {big}. "
        "Times are medians; the last column compares the fastest of the runs, "
        "which other processes on a shared CPU disturb least.",
    ]
    lines += [*load_warning(result["load_average_1min"][0]), ""]
    return "\n".join(lines)


def speed_table(rows, big):
    """The table of preset rows; ``big`` is the largest batch size timed."""
    header = ["family", "role", "params", "ratio", "size (MiB)", "MMACs/seq"]
    header += ["latency b=1 (ms)", f"epochs/s b={big}", "speed-up b=1"]
    header += [f"speed-up b={big}", f"speed-up b={big} (fastest runs)"]
    lines = table(header, [], ["---"] * 2 + ["---:"] * 9)
    for r in rows:
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
