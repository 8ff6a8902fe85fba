"""The skorch callbacks of one distillation stage."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from skorch.callbacks import (
    Callback,
    EpochTimer,
    LRScheduler,
    PassthroughScoring,
    ProgressBar,
)
from torch.optim.lr_scheduler import CosineAnnealingLR, OneCycleLR

from .distill.diagnostics import StageMonitor
from .printlog import PrintLog

__all__ = ["LR_SCHEDULES", "SaveEpoch", "stage_callbacks"]

LR_SCHEDULES = (None, "cosine", "onecycle")
"""Learning-rate schedules of a stage (over its epoch budget)."""


class SaveEpoch(Callback):
    """Checkpoint the running stage after every epoch (after all scores)."""

    def on_epoch_end(self, net, **kwargs):
        net.save_stage_(finished=False)


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


def stage_callbacks(term_names, n_classes, verbose, scheduler=None):
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
    if scheduler is not None:
        callbacks.append(("lr_scheduler", scheduler))
    callbacks += [("save_epoch", SaveEpoch()), ("print_log", PrintLog())]
    if verbose >= 2:
        callbacks.insert(1, ("progress_bar", ProgressBar()))
    return callbacks
