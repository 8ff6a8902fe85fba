"""Scores of predicted stages and cost (size, speed) of a model."""

import time

import numpy as np
import torch
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    f1_score,
)

from ..datasets import SLEEP_STAGES

N_CLASSES = len(SLEEP_STAGES)
SCORE_KEYS = ("accuracy", "f1_macro", "f1_macro_5", "kappa")


def scores(y_true, y_pred):
    """Accuracy, macro-F1 (present classes and all five), kappa, per-class F1.

    Parameters
    ----------
    y_true, y_pred : array-like
        Stages of the same epochs (any shape; flattened).

    Returns
    -------
    dict
        ``accuracy``, ``f1_macro`` (over the classes present in ``y_true``),
        ``f1_macro_5`` (over all five stages; a stage absent from the
        test labels scores 0), ``kappa``, ``f1_per_class`` (dict by
        stage, NaN for a stage absent from both) and ``confusion`` (5 x 5).
    """
    yt = np.asarray(y_true).ravel()
    yp = np.asarray(y_pred).ravel()
    present = np.unique(yt)
    labels = np.arange(N_CLASSES)
    per_class = f1_score(yt, yp, labels=labels, average=None, zero_division=0)
    absent = ~np.isin(labels, np.union1d(yt, yp))
    per_class = np.where(absent, np.nan, per_class)
    kappa = cohen_kappa_score(yt, yp) if len(np.union1d(yt, yp)) > 1 else 0.0
    return {
        "accuracy": float(accuracy_score(yt, yp)),
        "f1_macro": float(
            f1_score(yt, yp, labels=present, average="macro", zero_division=0)
        ),
        "f1_macro_5": float(
            f1_score(yt, yp, labels=labels, average="macro", zero_division=0)
        ),
        "kappa": float(np.nan_to_num(kappa)),
        "f1_per_class": {s: float(v) for s, v in zip(SLEEP_STAGES, per_class)},
        "confusion": confusion_matrix(yt, yp, labels=labels).tolist(),
    }


def n_parameters(module):
    """Number of parameters of a torch module."""
    return int(sum(p.numel() for p in module.parameters()))


def size_mb(module):
    """Size of parameters and buffers in MiB (float32 as stored)."""
    n_bytes = sum(p.numel() * p.element_size() for p in module.parameters())
    n_bytes += sum(b.numel() * b.element_size() for b in module.buffers())
    return n_bytes / 2**20


def _best_time(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.min(times))  # the least disturbed run (as timeit advises)


def torch_speed(module, x_batch, repeats=3):
    """CPU throughput (epochs/s, on ``x_batch``) and latency (ms, one sequence).

    Parameters
    ----------
    module : torch.nn.Module
        Model mapping ``(batch, seq_len, n_chans, n_times)`` to logits.
    x_batch : np.ndarray
        A batch of sequences; its first sequence times the latency.
    repeats : int
        Timed repeats (the fastest is kept: on a shared machine the others
        measure the load, not the model).
    """
    module = module.eval()
    xb = torch.as_tensor(np.asarray(x_batch, dtype=np.float32))
    with torch.no_grad():
        t_batch = _best_time(lambda: module(xb), repeats)
        t_one = _best_time(lambda: module(xb[:1]), repeats + 2)
    n_epochs = xb.shape[0] * xb.shape[1]
    return {"throughput": n_epochs / t_batch, "latency_ms": 1000 * t_one}


def sklearn_speed(estimator, x_batch, repeats=3):
    """Throughput and latency of a fitted scikit-learn style ``predict``."""
    xb = np.asarray(x_batch, dtype=np.float32)
    t_batch = _best_time(lambda: estimator.predict(xb), repeats)
    t_one = _best_time(lambda: estimator.predict(xb[:1]), repeats + 2)
    n_epochs = xb.shape[0] * xb.shape[1]
    return {"throughput": n_epochs / t_batch, "latency_ms": 1000 * t_one}


def predict_module(module, X, batch_size=32):
    """Stages ``(n_seq, seq_len)`` predicted by a torch sequence model."""
    module = module.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            xb = torch.as_tensor(np.asarray(X[i : i + batch_size], dtype=np.float32))
            out.append(module(xb).argmax(-1).numpy())
    return np.concatenate(out)
