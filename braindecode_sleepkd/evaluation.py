"""Sleep-staging scores and model cost reports (size, MACs, CPU latency).

Costs are measured in eval mode under :func:`torch.inference_mode` on the
current device (CPU); timings use ``time.perf_counter`` and report medians.
"""

import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from sklearn import metrics
from torch import nn

STAGES = ("W", "N1", "N2", "N3", "REM")


# --------------------------------------------------------------------------
# classification scores
# --------------------------------------------------------------------------
def sleep_scores(y_true, y_pred, n_classes=5, class_names=None):
    """Accuracy, macro-F1, Cohen's kappa, per-class F1 and confusion matrix.

    Parameters
    ----------
    y_true, y_pred : array-like of int
        Stage labels of any shape, e.g. ``(n_seq, seq_len)``; flattened.
    n_classes : int, default=5
        Number of stages (labels ``0 .. n_classes - 1``).
    class_names : sequence of str | None, default=None
        Names of the classes; ``("W", "N1", "N2", "N3", "REM")`` for 5 classes,
        else ``"0", "1", ...``.

    Returns
    -------
    dict
        ``accuracy``; ``macro_f1`` (over the classes present in ``y_true`` or
        ``y_pred``, scikit-learn's default); ``macro_f1_all`` (over all
        ``n_classes``, absent classes scoring 0); ``kappa`` (Cohen's);
        ``per_class_f1`` (``{name: f1}`` over all classes); ``confusion_matrix``
        (``n_classes x n_classes`` array, rows = true stage); ``n_samples``.
    """
    y_true = np.asarray(y_true).ravel()
    y_pred = np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred hold {y_true.size} and {y_pred.size} labels."
        )
    if class_names is None:
        class_names = (
            STAGES if n_classes == 5 else tuple(str(i) for i in range(n_classes))
        )
    if len(class_names) != n_classes:
        raise ValueError(f"Expected {n_classes} class names, got {len(class_names)}.")
    labels = np.arange(n_classes)
    per_class = metrics.f1_score(
        y_true, y_pred, labels=labels, average=None, zero_division=0
    )
    return {
        "accuracy": float(metrics.accuracy_score(y_true, y_pred)),
        "macro_f1": float(
            metrics.f1_score(y_true, y_pred, average="macro", zero_division=0)
        ),
        "macro_f1_all": float(per_class.mean()),
        "kappa": float(metrics.cohen_kappa_score(y_true, y_pred)),
        "per_class_f1": {
            name: float(f) for name, f in zip(class_names, per_class, strict=True)
        },
        "confusion_matrix": metrics.confusion_matrix(y_true, y_pred, labels=labels),
        "n_samples": int(y_true.size),
    }


# --------------------------------------------------------------------------
# model cost
# --------------------------------------------------------------------------
def count_params(model, trainable_only=False):
    """Number of parameters (all, or only those with ``requires_grad``)."""
    return sum(
        p.numel() for p in model.parameters() if p.requires_grad or not trainable_only
    )


def model_size_mb(model):
    """Size in MB (10**6 bytes) of the parameters and buffers stored as float32."""
    n = sum(p.numel() for p in model.parameters())
    n += sum(b.numel() for b in model.buffers() if b.is_floating_point())
    return n * 4 / 1e6


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


def _batch(x, batch_size):
    return x[:1].expand(batch_size, *x.shape[1:]).contiguous()


def _time_once(model, xb):
    start = time.perf_counter()
    model(xb)
    return time.perf_counter() - start


def _timings(models, x, batch_sizes, n_repeats, n_warmup):
    """``{name: {batch_size: (median, min) seconds}}``, models interleaved.

    Models are timed round-robin so that a busy machine slows all of them alike.
    """
    times = {name: {b: [] for b in batch_sizes} for name in models}
    flags = {
        name: [(m, m.training) for m in mod.modules()] for name, mod in models.items()
    }
    try:
        for model in models.values():
            model.eval()
        with torch.inference_mode():
            for b in batch_sizes:
                xb = _batch(x, b)
                for model in models.values():
                    for _ in range(n_warmup):
                        model(xb)
                for _ in range(n_repeats):
                    for name, model in models.items():
                        times[name][b].append(_time_once(model, xb))
    finally:
        for pairs in flags.values():
            for m, was_training in pairs:
                m.training = was_training
    return {
        name: {b: (float(np.median(t)), float(np.min(t))) for b, t in per_b.items()}
        for name, per_b in times.items()
    }


@dataclass
class ModelReport:
    """Cost of one model on inputs of one shape.

    Attributes
    ----------
    n_params : int
        Number of parameters.
    size_mb : float
        float32 size of parameters and buffers in MB (10**6 bytes).
    macs : int | None
        Multiply-accumulates per sequence (see :func:`count_macs`).
    seq_len : int
        Epochs per sequence of the timed input.
    latency_s : float | None
        Median seconds to process one sequence at batch size 1.
    throughput : float | None
        Sequences per second at the largest batch size timed.
    batch_seconds : dict
        Median seconds per batch, ``{batch_size: seconds}``.
    best_batch_seconds : dict
        Fastest run per batch, ``{batch_size: seconds}``: less sensitive than the
        median to other processes sharing the CPU.
    n_threads : int
        ``torch.get_num_threads()`` during the measurement.
    """

    n_params: int
    size_mb: float
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


def _report(model, x, timing, batch_sizes, macs):
    seconds = {b: t[0] for b, t in timing.items()}
    latency = seconds.get(1) if 1 in batch_sizes else None
    big = max(batch_sizes) if batch_sizes else None
    return ModelReport(
        n_params=count_params(model),
        size_mb=model_size_mb(model),
        macs=count_macs(model, x[:1]) if macs else None,
        seq_len=int(x.shape[1]),
        latency_s=latency,
        throughput=(big / seconds[big]) if big else None,
        batch_seconds=seconds,
        best_batch_seconds={b: t[1] for b, t in timing.items()},
        n_threads=torch.get_num_threads(),
    )


def model_report(model, x, n_repeats=10, batch_sizes=(1, 64), n_warmup=2, macs=True):
    """Parameters, size, MACs, CPU latency and throughput of ``model``.

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
    seconds = _timings({"m": model}, x, tuple(batch_sizes), n_repeats, n_warmup)["m"]
    return _report(model, x, seconds, tuple(batch_sizes), macs)


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
    seconds = _timings(models, x, batch_sizes, n_repeats, n_warmup)
    reports = {
        n: _report(m, x, seconds[n], batch_sizes, True) for n, m in models.items()
    }
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
