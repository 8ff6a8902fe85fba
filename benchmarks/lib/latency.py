"""CPU latency of the student presets: onnxruntime against torch, same input.

Each student preset is exported with :func:`~braindecode_sleepkd.export.to_onnx`
(checked against torch); torch (``torch.inference_mode``) and onnxruntime (CPU)
then run the same input in alternation on the same number of threads
(:func:`~.cost.torch_vs_onnx`). Used by ``benchmarks/onnx_latency.py``.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import os
import platform
import tempfile
from pathlib import Path

import numpy as np
import torch

from .cost import onnx_session, torch_vs_onnx
from .tables import load_warning, records_table

COLUMNS = ["model", ("params", "params", ","), "threads", "batch"]
COLUMNS += [
    ("torch (ms)", "torch_ms", ".2f"),
    ("onnxruntime (ms)", "onnxruntime_ms", ".2f"),
    ("ratio", "ratio_torch_over_onnx", ".2f"),
    ("max abs diff", "max_abs_diff", ".1e"),
]


def latency_rows(families, batch_sizes, seq_len, sfreq, repeats, threads, seed=0):
    """Median ms per call of torch and onnxruntime, per family, threads and batch.

    Parameters
    ----------
    families : sequence of str
        Preset families (their student).
    batch_sizes : sequence of int
        Sequences per call.
    seq_len : int
        Epochs per sequence.
    sfreq : float
        Sampling rate of the presets.
    repeats : int
        Timed calls at batch 1 (a third at larger batches, at least 5).
    threads : sequence of int
        Thread counts, the same for both runtimes.
    seed : int
        Seeds torch and the input.

    Returns
    -------
    list of dict
        ``model, params, threads, batch, seq_len, torch_ms, onnxruntime_ms,
        ratio_torch_over_onnx, max_abs_diff, repeats``.
    """
    from braindecode_sleepkd.export import check_onnx, to_onnx
    from braindecode_sleepkd.metrics import n_parameters
    from braindecode_sleepkd.models import preset

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in families:
            model = preset(name, "student", sfreq=sfreq).eval()
            path = to_onnx(model, Path(tmp) / f"{name}.onnx")
            n_params = n_parameters(model)
            for n_threads, batch in ((t, b) for t in threads for b in batch_sizes):
                torch.set_num_threads(n_threads)
                session = onnx_session(path, n_threads)
                shape = (batch, seq_len, model.n_chans, model.n_times)
                x = rng.standard_normal(shape).astype(np.float32)
                diff = check_onnx(path, x, model)
                n = max(5, repeats if batch == 1 else repeats // 3)
                t_torch, t_onnx = torch_vs_onnx(model, session, x, n)
                rows.append(
                    dict(
                        model=f"{name} student",
                        params=n_params,
                        threads=n_threads,
                        batch=batch,
                        seq_len=seq_len,
                        torch_ms=1e3 * t_torch,
                        onnxruntime_ms=1e3 * t_onnx,
                        ratio_torch_over_onnx=t_torch / t_onnx,
                        max_abs_diff=diff,
                        repeats=n,
                    )
                )
                print(
                    f"{name:13s} threads {n_threads} batch {batch:3d}: torch "
                    f"{1e3 * t_torch:9.2f} ms, onnxruntime {1e3 * t_onnx:9.2f} ms, "
                    f"ratio {t_torch / t_onnx:5.2f}, max|diff| {diff:.1e}"
                )
    return rows


def environment(threads, sfreq, seed, command):
    """Versions, machine, thread counts and the 1-min load average now."""
    import onnxruntime as ort

    return {
        "torch": torch.__version__,
        "onnxruntime": ort.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor() or "unknown",
        "cpu_count": os.cpu_count(),
        "threads": list(threads),
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "sfreq": sfreq,
        "seed": seed,
        "command": command,
    }


def report(results):
    """The Markdown lines of ``{"environment": ..., "results": rows}`` (ends in "")."""
    env, rows = results["environment"], results["results"]
    seq_len = rows[0]["seq_len"] if rows else "?"
    return [
        "# Student latency on CPU: onnxruntime vs torch",
        "",
        f"Command: `{env['command'].strip()}`",
        "",
        f"torch {env['torch']}, onnxruntime {env['onnxruntime']}, Python "
        f"{env['python']}, {env['machine']}, {env['cpu_count']} CPUs, the same number "
        f"of threads for both; input (batch, seq_len, n_chans, n_times) = (batch, "
        f"{seq_len}, 1, {int(30 * env['sfreq'])}), sfreq {env['sfreq']:g} Hz. "
        f"1-min load average at the end: {env['load_average_1min'] or 0:.1f}.",
        "",
        "Median time per call (torch and onnxruntime alternate on the same input);"
        " ratio = torch / onnxruntime (> 1: onnxruntime is faster).",
        "",
        *records_table(rows, COLUMNS, ["---"] + ["---:"] * 7),
        *load_warning(env["load_average_1min"], env["cpu_count"] or 1),
        "",
    ]
