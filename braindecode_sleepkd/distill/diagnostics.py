"""What a distillation stage learns: agreement with the guide, kappa, gradient shares.

Recorded in the stage's skorch history at every epoch, so a user sees when a
loss term is negligible (its share of the gradient on the learner is near 0)
or when the learner only memorises its guide (high agreement on the training
data, low on held-out data).
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import numpy as np
import torch
from sklearn.metrics import cohen_kappa_score, f1_score
from skorch.callbacks import Callback

from ..constants import N_STAGES, UNLABELLED
from ..metrics import kappa

__all__ = [
    "StageMonitor",
    "gradient_shares",
    "hard_targets",
    "kappa_n",
    "macro_f1_n",
    "record_gradient_shares",
]


def hard_targets(y):
    """Integer labels ``(n_epochs,)`` of labels or probability targets; -1: unscored."""
    y = torch.as_tensor(y)
    if y.ndim == 3:
        labels = y.argmax(-1)
        labels[y.sum(-1) <= 0] = UNLABELLED
        return labels.reshape(-1)
    return y.reshape(-1).long()


def gradient_shares(terms, params):
    """Each term's share of the gradient norm on ``params`` (shares sum to 1).

    Parameters
    ----------
    terms : dict of str to torch.Tensor
        The weighted loss terms of one batch (with their graphs).
    params : list of torch.nn.Parameter
        The learner's parameters.

    Returns
    -------
    dict of str to float
        ``||d term / d params|| / sum over terms``; 0 for every term when no
        term has a gradient.
    """
    norms = {}
    for name, value in terms.items():
        if not value.requires_grad:
            norms[name] = 0.0
            continue
        grads = torch.autograd.grad(value, params, retain_graph=True, allow_unused=True)
        sq = sum(float((g.detach() ** 2).sum()) for g in grads if g is not None)
        norms[name] = sq**0.5
    total = sum(norms.values())
    return {k: (v / total if total else 0.0) for k, v in norms.items()}


def record_gradient_shares(history, terms, params):
    """Record :func:`gradient_shares` as ``grad_share_<term>`` in ``history``."""
    for name, share in gradient_shares(terms, params).items():
        history.record(f"grad_share_{name}", share)


class StageMonitor(Callback):
    """Per-epoch accuracy, kappa, macro-F1 and agreement with the guide.

    Reads the ``y_pred`` (the learner's logits), ``targets`` and
    ``guide_logits`` of every batch step and records, for ``prefix`` in
    ``train`` and ``valid``: ``<prefix>_acc``, ``<prefix>_kappa`` and
    ``<prefix>_macro_f1`` on the scored epochs (labels -1 left out), and
    ``<prefix>_agreement``, the share of all epochs (scored or not) where the
    learner's stage is its first guide's.
    """

    def __init__(self, n_classes):
        self.n_classes = n_classes

    def on_epoch_begin(self, net, **kwargs):
        self.batches_ = {"train": [], "valid": []}

    def on_batch_end(self, net, batch=None, training=None, **step):
        if "targets" not in step:
            return
        pred = step["y_pred"].detach().argmax(-1).reshape(-1).cpu()
        guide = step.get("guide_logits")
        guide = None if guide is None else guide.detach().argmax(-1).reshape(-1).cpu()
        target = hard_targets(step["targets"].detach().cpu())
        self.batches_["train" if training else "valid"].append((pred, target, guide))

    def on_epoch_end(self, net, **kwargs):
        for prefix, batches in self.batches_.items():
            if not batches:
                continue
            pred, target = (torch.cat([b[i] for b in batches]).numpy() for i in (0, 1))
            scored = target != UNLABELLED
            if scored.any():
                net.history.record(
                    f"{prefix}_acc", float((pred[scored] == target[scored]).mean())
                )
                net.history.record(
                    f"{prefix}_kappa",
                    _kappa(target[scored], pred[scored], self.n_classes),
                )
                net.history.record(
                    f"{prefix}_macro_f1",
                    macro_f1_n(target[scored], pred[scored], self.n_classes),
                )
            if batches[0][2] is not None:
                guide = torch.cat([b[2] for b in batches]).numpy()
                net.history.record(f"{prefix}_agreement", float((pred == guide).mean()))


def macro_f1_n(y_true, y_pred, n_classes):
    """Macro-F1 over ``0 .. n_classes - 1``; a class absent from both is left out.

    For five classes this is :func:`~braindecode_sleepkd.metrics.macro_f1`.
    """
    return float(
        f1_score(
            y_true,
            y_pred,
            labels=np.arange(n_classes),
            average="macro",
            zero_division=np.nan,
        )
    )


def kappa_n(y_true, y_pred, n_classes):
    """Cohen's kappa over ``0 .. n_classes - 1`` (NaN when undefined)."""
    return _kappa(y_true, y_pred, n_classes)


def _kappa(y_true, y_pred, n_classes):
    if n_classes == N_STAGES:
        return kappa(y_true, y_pred)
    if len(np.unique(np.concatenate([y_true, y_pred]))) < 2:
        return float("nan")  # one class only: kappa is undefined
    return float(cohen_kappa_score(y_true, y_pred, labels=np.arange(n_classes)))
