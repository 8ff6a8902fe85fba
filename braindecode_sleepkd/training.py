"""Run one training stage of a :class:`~.estimator.SleepKDClassifier`.

One link of the strategy's chain (a learner and its guides) becomes one
:class:`~.distill.stage.DistillationStage` trained by skorch's own
``fit_loop``; this module sets it up, resumes it from the checkpoint store and
ends it (finished, stopped early, or interrupted and kept as partial).
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import warnings

import numpy as np
import torch
from skorch.history import History

from .distill.recipes import recipe_views
from .distill.stage import DistillationStage

__all__ = ["STAGE_SEED_OFFSET", "run_stage", "seed_stage", "stage_epochs"]

STAGE_SEED_OFFSET = {
    "teacher": 0,
    "assistant": 1000,
    "student": 2000,
    "student_alone": 2000,
}
"""Offset of each stage's torch seed from ``random_state`` (the student alone
shares the student's: same shuffling, same dropout draws)."""


def run_stage(net, link, dataset, y, store, external, fit_params):
    """Train one link's learner in ``net``; False when interrupted (Ctrl-C).

    Builds the :class:`~.distill.stage.DistillationStage` (learner, frozen guides,
    alignments, views), a fresh optimizer, history and callbacks; loads a saved
    stage from ``store`` (finished: nothing to train; partial: resumes); caches
    the guides' outputs when the inputs are fixed; runs skorch's ``fit_loop``
    for the remaining epoch budget. Ctrl-C keeps the stage partial.
    """
    learner, models = link.learner, net.models_()
    if learner not in models:  # the student alone of the baseline guard
        models[learner] = getattr(net, f"{learner}_")
    net.stage_, net.module_ = learner, models[learner]
    seed_stage(net, STAGE_SEED_OFFSET[learner])
    guides = {g: external.get(g, models[g]) for g in link.guides}
    for model in models.values():
        if model is not None:
            model.eval()
    views = net.augmentation
    if views is None:
        views = recipe_views(net.recipe, net.n_classes, net.random_state)
    stage = DistillationStage(net.module_, guides, net.strategy_, net.criterion_, views)
    # not a skorch-managed module: set past skorch's attribute check
    object.__setattr__(net, "distiller_", stage.to(net.device))
    x0 = torch.as_tensor(np.asarray(dataset.X["x"][0]), dtype=torch.float32)
    net.alignments_[learner] = stage.build_alignments(x0[None].to(net.device))
    net.initialize_optimizer()
    net.history_ = History()
    net._store, net._budget = store, stage_epochs(net, learner)
    net._n_train = len(dataset)
    net._initialize_callbacks()
    status, done = store.load(learner, stage, net, net._budget)
    if status == "finished":
        net.stages_.append(f"{learner}: loaded from {store.path(learner)}")
        return _finish_stage(net, learner)
    if net.cache_teacher and views is None:
        stage.build_cache(dataset.X["x"], net.batch_size, net.cache_max_gb)
    if net.verbose:
        print(f"== stage {learner} ({net._budget} epochs) ==")
    net.notify("on_train_begin", X=dataset, y=y)
    try:
        net.fit_loop(dataset, y, epochs=net._budget - done, **fit_params)
    except KeyboardInterrupt:
        net.notify("on_train_end", X=dataset, y=y)
        if _stopped_early(net):
            return _end_stage(net, learner, done)
        net.stages_.append(
            f"{learner}: interrupted after {len(net.history)} of {net._budget} "
            "epochs (kept as partial; the next fit resumes it)"
        )
        warnings.warn(f"fit interrupted: {net.stages_[-1]}.", stacklevel=3)
        net.histories_[learner] = net.history_
        net.distiller_ = None
        del net.stage_
        return False
    net.notify("on_train_end", X=dataset, y=y)
    return _end_stage(net, learner, done)


def _stopped_early(net):
    """Whether the KeyboardInterrupt came from skorch's ``EarlyStopping``."""
    return any(
        getattr(cb, "misses_", 0) >= getattr(cb, "patience", float("inf"))
        for _, cb in net.callbacks_
    )


def _end_stage(net, learner, done):
    net.save_stage_(finished=True)
    resumed = f" (resumed after {done})" if done else ""
    best = dict(net.callbacks_).get("best_epoch")
    if best is not None and best.best_model_weights_ is not None:
        resumed += (
            f", restored epoch {best.best_epoch_} (valid_kappa {best.best_score_:.3f})"
        )
    net.stages_.append(f"{learner}: trained for {len(net.history)} epochs{resumed}")
    return _finish_stage(net, learner)


def _finish_stage(net, learner):
    net.histories_[learner] = net.history_
    net.distiller_.train(False)
    net.distiller_ = None
    return True


def seed_stage(net, offset):
    """Seed torch for a stage: ``random_state + offset`` (nothing when None)."""
    if net.random_state is not None:
        torch.manual_seed(int(net.random_state) + offset)


def stage_epochs(net, learner):
    """The epoch budget of ``learner``'s stage (its override, else ``max_epochs``)."""
    override = getattr(net, f"{learner}_max_epochs", None)
    return net.max_epochs if override is None else override
