"""From sequence outputs back to one stage per 30-s window."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import numpy as np
import torch
from sleepkd_runtime.sliding import combine

from ..datasets import sequence_starts


def window_proba(proba, windows, seq_len, seq_stride=None):
    """Per-window probabilities: the mean over the sequences holding the window
    (:func:`sleepkd_runtime.sliding.combine`, as in staging).

    Parameters
    ----------
    proba : np.ndarray, (n_seq, seq_len, n_classes)
        Outputs of the sequences of ``windows`` cut by
        :func:`~braindecode_sleepkd.datasets.sequence_starts` with the same
        ``seq_len`` and ``seq_stride`` (what ``predict_proba`` returns).
    windows : braindecode.datasets.BaseConcatDataset
        The windows the sequences were cut from.
    seq_len : int
        Windows per sequence.
    seq_stride : int | None
        Windows between sequence starts (default ``seq_len``).

    Returns
    -------
    np.ndarray, (n_windows, n_classes)
    """
    proba = np.asarray(proba)
    starts, _ = sequence_starts(windows, seq_len, seq_stride)
    if len(starts) != len(proba):
        raise ValueError(
            f"{len(proba)} sequence outputs for the {len(starts)} sequences of "
            f"seq_len={seq_len}, seq_stride={seq_stride} in these windows."
        )
    return combine(proba, starts, len(windows))[0]


def predict_stages(module, X, batch_size=32):
    """Stages ``(n_seq, seq_len)`` predicted by a torch sequence model.

    Parameters
    ----------
    module : torch.nn.Module
        Maps ``(batch, seq_len, n_chans, n_times)`` to logits
        ``(batch, seq_len, n_classes)``; set to eval mode.
    X : array-like, (n_seq, seq_len, n_chans, n_times)
    batch_size : int
        Sequences per forward pass.

    Returns
    -------
    np.ndarray of int64
    """
    module = module.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            xb = torch.as_tensor(np.asarray(X[i : i + batch_size], dtype=np.float32))
            out.append(module(xb).argmax(-1).numpy())
    return np.concatenate(out)
