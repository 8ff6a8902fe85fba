"""Guides of a distillation stage: frozen models, or their outputs stored per item.

A *guide* is a bigger model that a learner is distilled from. It is either a
live, frozen module (its ``forward_features`` runs under :func:`torch.no_grad`
on every batch) or a :class:`StoredOutputs`: outputs computed once per dataset
item (the guide cache) or given from outside (an external teacher's
probabilities), looked up by the items' indices. Stored outputs are buffers, so
they follow ``.to(device)`` of the stage that holds them.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import numpy as np
import torch
from torch import nn

from ..constants import FEATURE_LEVELS
from ..models.sequence import SleepFeatures

__all__ = ["StoredOutputs", "cache_size_gb", "guide_cache"]


class StoredOutputs(nn.Module):
    """A guide's outputs for every item of a dataset, indexed by item.

    Parameters
    ----------
    **levels : torch.Tensor
        Tensors of shape ``(n_items, ...)`` keyed by level (``"logits"``,
        ``"epoch_features"``, ``"sequence_features"``); missing levels are None
        in the outputs (an external teacher has only logits).
    """

    def __init__(self, **levels):
        super().__init__()
        unknown = set(levels) - set(FEATURE_LEVELS)
        if unknown:
            raise ValueError(
                f"Unknown output levels {sorted(unknown)}; valid: {FEATURE_LEVELS}."
            )
        self.levels = tuple(lv for lv in FEATURE_LEVELS if lv in levels)
        for level in self.levels:
            self.register_buffer(
                level, torch.as_tensor(levels[level]), persistent=False
            )

    def __len__(self):
        return len(getattr(self, self.levels[0]))

    def forward(self, index):
        """The stored outputs of the items ``index`` as :class:`SleepFeatures`."""
        if index is None:
            raise ValueError(
                "Stored guide outputs (the guide cache, or an external teacher's "
                "probabilities) need each batch's item indices: pass arrays, "
                "windows or a SliceDataset, not a custom torch Dataset."
            )
        idx = torch.as_tensor(index, device=self.buffer_device())
        return SleepFeatures(
            *(
                getattr(self, lv)[idx] if lv in self.levels else None
                for lv in FEATURE_LEVELS
            )
        )

    def buffer_device(self):
        """The device the stored outputs are on."""
        return getattr(self, self.levels[0]).device


def _as_batch(X, start, stop, device):
    xb = np.asarray(X[start:stop])
    return torch.as_tensor(xb, dtype=torch.float32).to(device)


def cache_size_gb(guide, x0, levels, n_items):
    """Memory (GB, float32) that ``levels`` of ``guide`` take for ``n_items`` items."""
    with torch.no_grad():
        first = guide.forward_features(x0)
    return sum(getattr(first, lv).numel() * 4 for lv in levels) * n_items / 1e9


def guide_cache(guide, X, levels, batch_size, device):
    """Run ``guide`` once over ``X`` and store the ``levels`` it is needed for.

    Parameters
    ----------
    guide : torch.nn.Module
        A frozen model with ``forward_features``.
    X : array-like
        Sequences ``(n_items, seq_len, n_chans, n_times)``.
    levels : tuple of str
        Output levels to keep.
    batch_size : int
        Items per forward pass.
    device : torch.device | str
        Where the guide runs (and the stored outputs stay).

    Returns
    -------
    StoredOutputs
    """
    parts = {lv: [] for lv in levels}
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            out = guide.forward_features(
                _as_batch(X, start, start + batch_size, device)
            )
            for lv in levels:
                parts[lv].append(getattr(out, lv))
    return StoredOutputs(**{lv: torch.cat(v) for lv, v in parts.items()})
