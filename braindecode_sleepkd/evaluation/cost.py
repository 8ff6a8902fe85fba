"""Cost reports of models: parameters, size, multiply-accumulates, CPU speed.

Built on :mod:`braindecode_sleepkd.metrics` (size in MiB, timing with
:func:`~braindecode_sleepkd.metrics.inference_speed`): costs are measured in eval
mode under :func:`torch.inference_mode` on the current device (CPU).
"""

from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from ..metrics import inference_speed, n_parameters, size_mib


# --------------------------------------------------------------------------
# multiply-accumulates
# --------------------------------------------------------------------------
def _rnn_macs(module, inp, out):
    x = inp[0]
    if module.batch_first:
        batch, steps = x.shape[:2]
    else:
        steps, batch = x.shape[:2]
    gates = {nn.LSTM: 4, nn.GRU: 3, nn.RNN: 1}.get(type(module), 4)
    dirs = 2 if module.bidirectional else 1
    hidden = module.hidden_size
    total = 0
    d_in = module.input_size
    for _ in range(module.num_layers):
        total += dirs * gates * hidden * (d_in + hidden)
        d_in = hidden * dirs
    return total * batch * steps


def _macs_hook(counter):
    def hook(module, inp, out):
        if isinstance(module, nn.modules.conv._ConvNd):
            k = int(np.prod(module.kernel_size))
            counter[0] += out.numel() * (module.in_channels // module.groups) * k
        elif isinstance(module, nn.Linear):
            counter[0] += out.numel() * module.in_features
        elif isinstance(module, nn.RNNBase):
            counter[0] += _rnn_macs(module, inp, out)

    return hook


def count_macs(model, x):
    """Multiply-accumulates of one forward pass, per item of the batch ``x``.

    Counts convolutions, linear layers and LSTM/GRU/RNN layers through forward
    hooks (the hooks are removed afterwards). Element-wise operations, pooling,
    normalisation and the attention products of transformer layers are not
    counted, so this is a lower bound dominated by the layers that matter.
    """
    counter = [0]
    hook = _macs_hook(counter)
    handles = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if isinstance(m, nn.modules.conv._ConvNd | nn.Linear | nn.RNNBase)
    ]
    flags = [(m, m.training) for m in model.modules()]
    try:
        model.eval()
        with torch.inference_mode():
            model(x)
    finally:
        for h in handles:
            h.remove()
        for m, was_training in flags:
            m.training = was_training
    return counter[0] // x.shape[0]


@dataclass
class ModelReport:
    """Cost of one model on inputs of one shape.

    Attributes
    ----------
    n_params : int
        Number of parameters.
    size_mib : float
        Size of parameters and buffers in MiB (2**20 bytes), see
        :func:`~braindecode_sleepkd.metrics.size_mib`.
    macs : int | None
        Multiply-accumulates per sequence (see :func:`count_macs`).
    seq_len : int
        Epochs per sequence of the timed input.
    latency_s : float | None
        Median seconds to process one sequence at batch size 1.
    throughput : float | None
        30-s epochs per second at the largest batch size timed (median).
    batch_seconds : dict
        Median seconds per batch, ``{batch_size: seconds}``.
    best_batch_seconds : dict
        Fastest run per batch, ``{batch_size: seconds}``: less sensitive than the
        median to other processes sharing the CPU.
    n_threads : int
        ``torch.get_num_threads()`` during the measurement.
    """

    n_params: int
    size_mib: float
    macs: int | None
    seq_len: int
    latency_s: float | None
    throughput: float | None
    batch_seconds: dict = field(default_factory=dict)
    best_batch_seconds: dict = field(default_factory=dict)
    n_threads: int = 1

    def as_dict(self):
        """Return the report as a plain (JSON-ready) dict."""
        out = asdict(self)
        for key in ("batch_seconds", "best_batch_seconds"):
            out[key] = {str(k): v for k, v in getattr(self, key).items()}
        return out


def _speed(models, x, batch_sizes, n_repeats, n_warmup):
    if not batch_sizes:
        return {name: {} for name in models}
    return inference_speed(models, x, batch_sizes, n_repeats, n_warmup)


def _report(model, x, speed, batch_sizes, macs):
    seconds = {b: s["median_s"] for b, s in speed.items()}
    big = max(batch_sizes) if batch_sizes else None
    return ModelReport(
        n_params=n_parameters(model),
        size_mib=size_mib(model),
        macs=count_macs(model, x[:1]) if macs else None,
        seq_len=int(x.shape[1]),
        latency_s=seconds.get(1),
        throughput=speed[big]["epochs_per_s"] if big else None,
        batch_seconds=seconds,
        best_batch_seconds={b: s["best_s"] for b, s in speed.items()},
        n_threads=torch.get_num_threads(),
    )


def model_report(model, x, n_repeats=10, batch_sizes=(1, 64), n_warmup=2, macs=True):
    """Parameters, size (MiB), MACs, CPU latency and throughput of ``model``.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(batch, seq_len, n_chans, n_times)`` to logits. Its train/eval
        flags are restored afterwards.
    x : torch.Tensor
        Example input; its first sequence is repeated to each batch size.
    n_repeats : int, default=10
        Timed forward passes per batch size (the median is reported).
    batch_sizes : tuple of int, default=(1, 64)
        Batch sizes to time; ``()`` skips timing.
    n_warmup : int, default=2
        Untimed passes before timing each batch size.
    macs : bool, default=True
        Count multiply-accumulates (one extra forward pass).

    Returns
    -------
    ModelReport
        Use ``.as_dict()`` for a plain dict.
    """
    batch_sizes = tuple(batch_sizes)
    speed = _speed({"m": model}, x, batch_sizes, n_repeats, n_warmup)["m"]
    return _report(model, x, speed, batch_sizes, macs)


def compare_models(
    models, x, reference=None, n_repeats=10, batch_sizes=(1, 64), n_warmup=2
):
    """Cost reports of several models plus ratios against a reference.

    Timing is interleaved (round-robin over the models) so that load from other
    processes affects every model alike.

    Parameters
    ----------
    models : dict of str to torch.nn.Module
        Models to compare, e.g. ``{"teacher": t, "student": s}``.
    x : torch.Tensor
        Example input ``(batch, seq_len, n_chans, n_times)``.
    reference : str | None, default=None
        Name of the reference model; the first one when None.
    n_repeats, batch_sizes, n_warmup
        See :func:`model_report`.

    Returns
    -------
    dict of str to dict
        ``{name: {**report.as_dict(), "param_ratio", "compression",
        "speedup_latency", "speedup_throughput", "speedup_throughput_best"}}``;
        ``compression`` is the
        reference's parameter count over the model's, ``param_ratio`` its
        inverse, and the speed-ups are ratios of batch-1 latency and of
        throughput at the largest batch size.
    """
    if not models:
        raise ValueError("models is empty.")
    reference = next(iter(models)) if reference is None else reference
    if reference not in models:
        raise ValueError(f"reference {reference!r} is not one of {list(models)}.")
    batch_sizes = tuple(batch_sizes)
    speed = _speed(models, x, batch_sizes, n_repeats, n_warmup)
    reports = {n: _report(m, x, speed[n], batch_sizes, True) for n, m in models.items()}
    ref = reports[reference]
    out = {}
    for name, rep in reports.items():
        row = rep.as_dict()
        row["param_ratio"] = rep.n_params / ref.n_params
        row["compression"] = ref.n_params / rep.n_params
        row["speedup_latency"] = (
            ref.latency_s / rep.latency_s if rep.latency_s is not None else None
        )
        row["speedup_throughput"] = (
            rep.throughput / ref.throughput if rep.throughput is not None else None
        )
        if batch_sizes:
            big = max(batch_sizes)
            row["speedup_throughput_best"] = (
                ref.best_batch_seconds[big] / rep.best_batch_seconds[big]
            )
        out[name] = row
    return out
