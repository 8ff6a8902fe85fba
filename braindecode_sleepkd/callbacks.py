"""The skorch callbacks of one distillation stage."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import numpy as np
from skorch.callbacks import (
    Callback,
    EarlyStopping,
    EpochTimer,
    LRScheduler,
    PassthroughScoring,
    ProgressBar,
)
from torch.optim.lr_scheduler import CosineAnnealingLR, OneCycleLR

from .distill.diagnostics import StageMonitor
from .printlog import PrintLog

__all__ = ["LR_SCHEDULES", "BestEpoch", "SaveEpoch", "stage_callbacks"]

LR_SCHEDULES = (None, "cosine", "onecycle")
"""Learning-rate schedules of a stage (over its epoch budget)."""


class SaveEpoch(Callback):
    """Checkpoint the running stage after every epoch (after all scores)."""

    def on_epoch_end(self, net, **kwargs):
        net.save_stage_(finished=False)


class BestEpoch(EarlyStopping):
    """Keep the weights of the epoch with the best validation kappa; restore them.

    skorch's :class:`~skorch.callbacks.EarlyStopping` with ``load_best=True``
    on ``valid_kappa`` (higher is better, any strict gain counts) and a
    patience that never stops training: every stage runs its whole budget,
    then its learner gets back the weights of its best epoch. Each epoch
    records ``valid_kappa_best`` (True where the kappa improved, as skorch's
    scorers do), and the selected epoch is ``best_epoch_``. An epoch without
    a finite ``valid_kappa`` (no scored validation epoch, one class only)
    never counts as best.

    Parameters
    ----------
    monitor : str, default="valid_kappa"
        The history key to maximise.
    """

    def __init__(self, monitor="valid_kappa"):
        super().__init__(
            monitor=monitor,
            patience=2**62,
            threshold=0.0,
            threshold_mode="abs",
            lower_is_better=False,
            load_best=True,
            sink=print,
        )

    def on_epoch_end(self, net, **kwargs):
        score = net.history[-1].get(self.monitor, np.nan)
        improved = bool(np.isfinite(score) and self._is_score_improved(score))
        if improved:
            self.dynamic_threshold_ = score
            self.best_epoch_ = net.history[-1, "epoch"]
            self.best_model_weights_ = {
                k: v.detach().clone() for k, v in net.module_.state_dict().items()
            }
        net.history.record(f"{self.monitor}_best", improved)

    @property
    def best_score_(self):
        """The best ``monitor`` value so far (-inf before any)."""
        return self.dynamic_threshold_


def lr_scheduler(schedule, budget, lr, n_batches):
    """skorch's ``LRScheduler`` for ``schedule`` over ``budget`` epochs (or None).

    ``"cosine"`` anneals from ``lr`` to 0 at the end of the stage, one step per
    epoch; ``"onecycle"`` warms up then anneals, one step per batch.
    """
    if schedule is None:
        return None
    if schedule == "cosine":
        return LRScheduler(CosineAnnealingLR, T_max=max(1, budget))
    if schedule == "onecycle":
        return LRScheduler(
            OneCycleLR,
            max_lr=lr,
            total_steps=max(1, budget) * n_batches + 1,
            step_every="batch",
        )
    raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {schedule!r}.")


def stage_callbacks(term_names, n_classes, verbose, scheduler=None, best=False):
    """Default callbacks of a stage: timer, losses per term, diagnostics, saving.

    Parameters
    ----------
    term_names : tuple of str
        The stage's loss terms; each gets ``train_loss_<term>`` and
        ``valid_loss_<term>`` (the weighted terms, whose sum is the loss).
    n_classes : int
        Number of classes (for kappa).
    verbose : int
        2 adds a progress bar.
    scheduler : skorch.callbacks.LRScheduler | None
        The stage's learning-rate schedule.
    best : bool, default=False
        Add :class:`BestEpoch` (the stage validates: select and restore the
        epoch of best validation kappa).

    Returns
    -------
    list of (str, Callback)
    """
    callbacks = [
        ("epoch_timer", EpochTimer()),
        ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
        ("valid_loss", PassthroughScoring(name="valid_loss")),
    ]
    for prefix in ("train", "valid"):
        callbacks += [
            (name, PassthroughScoring(name, None, prefix == "train"))
            for name in (f"{prefix}_loss_{t}" for t in term_names)
        ]
    callbacks.append(("monitor", StageMonitor(n_classes)))
    if best:
        callbacks.append(("best_epoch", BestEpoch()))
    if scheduler is not None:
        callbacks.append(("lr_scheduler", scheduler))
    callbacks += [("save_epoch", SaveEpoch()), ("print_log", PrintLog())]
    if verbose >= 2:
        callbacks.insert(1, ("progress_bar", ProgressBar()))
    return callbacks
