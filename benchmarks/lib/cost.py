"""Size and CPU speed of a trained sequence model: parameters, epochs/s, a night."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import time

import torch

from braindecode_sleepkd.metrics import inference_speed, n_parameters

NIGHT_EPOCHS = 960  # an 8-h night of 30-s epochs


def night_seconds(model, seq_len, n_epochs=NIGHT_EPOCHS, n_times=3000, batch=8):
    """Seconds to stage one night of ``n_epochs`` random epochs (one channel).

    Parameters
    ----------
    model : torch.nn.Module
        Sequence model ``(batch, seq_len, 1, n_times) -> logits``.
    seq_len, n_epochs, n_times, batch : int
        Sequence length, epochs of the night, samples per epoch, sequences
        per forward pass (one warm-up pass is not counted).
    """
    x = torch.randn(
        n_epochs // seq_len,
        seq_len,
        1,
        n_times,
        generator=torch.Generator().manual_seed(0),
    )
    model.eval()
    with torch.no_grad():
        model(x[:1])
        t0 = time.perf_counter()
        for i in range(0, len(x), batch):
            model(x[i : i + batch])
    return time.perf_counter() - t0


def model_cost(model, seq_len, n_times=3000, n_repeats=3):
    """Parameters, best CPU throughput, one-sequence latency and a night's seconds.

    Parameters
    ----------
    model : torch.nn.Module
        Sequence model on one channel.
    seq_len, n_times : int
        Sequence length and samples per epoch of the input.
    n_repeats : int
        Timed repeats (the fastest counts).

    Returns
    -------
    dict
        ``n_params``, ``cpu_epochs_per_s`` (batches of 8 sequences),
        ``latency_ms_one_sequence`` and ``seconds_per_8h_night``.
    """
    model = model.cpu()
    x = torch.randn(1, seq_len, 1, n_times, generator=torch.Generator().manual_seed(1))
    speed = inference_speed({"m": model}, x, batch_sizes=(1, 8), n_repeats=n_repeats)
    speed = speed["m"]
    return dict(
        n_params=n_parameters(model),
        cpu_epochs_per_s=speed[8]["best_epochs_per_s"],
        latency_ms_one_sequence=1000 * speed[1]["best_s"],
        seconds_per_8h_night=night_seconds(model, seq_len, n_times=n_times),
    )


def throughput(model, seq_len, n_times=3000, n_seq=8, n_repeats=5):
    """Median CPU epochs per second at a batch of ``n_seq`` sequences."""
    x = torch.randn(1, seq_len, 1, n_times, generator=torch.Generator().manual_seed(0))
    speed = inference_speed({"s": model.cpu()}, x, (n_seq,), n_repeats=n_repeats)
    return speed["s"][n_seq]["epochs_per_s"]


def onnx_session(path, threads):
    """An onnxruntime CPU session of the model at ``path`` on ``threads`` threads."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def child_result(code, *args):
    """Run ``code`` in a fresh Python process; the fields of its ``RESULT`` line.

    Parameters
    ----------
    code : str
        Python source; it prints ``RESULT <field> <field> ...`` (the last such
        line counts), e.g. seconds and its peak memory.
    *args : str
        Command-line arguments of the child (``sys.argv[1:]``).

    Returns
    -------
    list of str
    """
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [ln for ln in out.splitlines() if ln.startswith("RESULT")]
    if not lines:
        raise RuntimeError(f"the child printed no RESULT line:\n{out[-2000:]}")
    return lines[-1].split()[1:]


def torch_vs_onnx(model, session, x, n_repeats, n_warmup=3):
    """Median seconds per call of ``model`` and of its onnxruntime ``session``.

    The two run the same input ``x`` (a float32 array) in alternation
    (:func:`~braindecode_sleepkd.metrics.time_calls`), so that both see the
    same machine load; torch in ``torch.inference_mode``.

    Returns
    -------
    (float, float)
        Torch's and onnxruntime's median seconds.
    """
    import numpy as np

    from braindecode_sleepkd.metrics import time_calls

    xt = torch.from_numpy(x)

    def run_torch():
        with torch.inference_mode():
            model(xt)

    def run_onnx():
        session.run(["logits"], {"x": x})

    calls = {"torch": run_torch, "onnx": run_onnx}
    t = time_calls(calls, n_repeats=n_repeats, n_warmup=n_warmup)
    return float(np.median(t["torch"])), float(np.median(t["onnx"]))
