"""One training stage of a :class:`~.estimator.SleepKDClassifier`.

One link of the strategy's chain (a learner and its guides) becomes a
:class:`StageRun`: its :class:`~.distill.stage.DistillationStage`, checkpoint
store, epoch budget and training-set size. The estimator builds one per stage,
sets its own attributes from it and lets it run skorch's ``fit_loop``; the run
reads the estimator and never sets its attributes.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import numpy as np
import torch

from .distill.recipes import recipe_views
from .distill.stage import DistillationStage

__all__ = ["STAGE_SEED_OFFSET", "StageRun", "seed_stage", "stage_epochs"]

STAGE_SEED_OFFSET = {
    "teacher": 0,
    "assistant": 1000,
    "student": 2000,
    "student_alone": 2000,
}
"""Offset of each stage's torch seed from ``random_state`` (the student alone
shares the student's: same shuffling, same dropout draws)."""


class StageRun:
    """The state of one stage: learner, distillation stage, store, budget.

    Building it seeds torch for the stage, puts every model in eval mode,
    builds the :class:`~.distill.stage.DistillationStage` (learner, frozen
    guides, views) on the estimator's device and its alignment modules.

    Parameters
    ----------
    net : SleepKDClassifier
        The estimator (read only).
    link : Link
        The learner and its guides.
    dataset : skorch.dataset.Dataset
        The training data (its ``X["x"]`` sizes the alignments).
    store : StageStore
        Where the stage is saved and resumed from.
    external : dict
        External guides' outputs by role (e.g. a teacher's probabilities).
    """

    def __init__(self, net, link, dataset, store, external):
        self.learner = learner = link.learner
        models = net.models_()
        if learner not in models:  # the student alone of the baseline guard
            models[learner] = getattr(net, f"{learner}_")
        self.model = models[learner]
        seed_stage(net, STAGE_SEED_OFFSET[learner])
        guides = {g: external.get(g, models[g]) for g in link.guides}
        for model in models.values():
            if model is not None:
                model.eval()
        self.views = net.augmentation
        if self.views is None:
            self.views = recipe_views(net.recipe, net.n_classes, net.random_state)
        self.stage = DistillationStage(
            self.model, guides, net.strategy_, net.criterion_, self.views
        ).to(net.device)
        x0 = torch.as_tensor(np.asarray(dataset.X["x"][0]), dtype=torch.float32)
        self.alignments = self.stage.build_alignments(x0[None].to(net.device))
        self.store, self.budget = store, stage_epochs(net, learner)
        self.n_train, self.done = len(dataset), 0

    def resume(self, optimizer, device):
        """Load a saved stage from the store.

        Returns
        -------
        status : {"finished", "continue", "partial", None}
            See :meth:`~.checkpoint.StageStore.load`.
        history : skorch.history.History | None
            The saved history (None when nothing was saved).
        """
        status, history = self.store.load(
            self.learner, self.stage, optimizer, self.budget, device
        )
        self.done = 0 if history is None else len(history)
        return status, history

    def save(self, net, finished):
        """Write the stage (weights, history, optimizer, random states)."""
        self.store.save(self.learner, self.stage, net, self.budget, finished)

    def train(self, net, dataset, y, fit_params):
        """Run ``net.fit_loop`` for the rest of the budget.

        Returns
        -------
        {"trained", "interrupted"}
            ``"interrupted"`` after a Ctrl-C (not skorch's early stopping).
        """
        if net.cache_teacher and self.views is None:
            self.stage.build_cache(dataset.X["x"], net.batch_size, net.cache_max_gb)
        if net.verbose:
            print(f"== stage {self.learner} ({self.budget} epochs) ==")
        net.notify("on_train_begin", X=dataset, y=y)
        try:
            net.fit_loop(dataset, y, epochs=self.budget - self.done, **fit_params)
        except KeyboardInterrupt:
            net.notify("on_train_end", X=dataset, y=y)
            return "trained" if _stopped_early(net) else "interrupted"
        net.notify("on_train_end", X=dataset, y=y)
        return "trained"

    def describe(self, net, outcome):
        """One line for ``stages_``: how the stage ended."""
        name = self.learner
        if outcome == "loaded":
            return f"{name}: loaded from {self.store.path(name)}"
        if outcome == "interrupted":
            return (
                f"{name}: interrupted after {len(net.history)} of {self.budget} "
                "epochs (kept as partial; the next fit resumes it)"
            )
        resumed = f" (resumed after {self.done})" if self.done else ""
        best = dict(net.callbacks_).get("best_epoch")
        if best is not None and best.best_model_weights_ is not None:
            resumed += (
                f", restored epoch {best.best_epoch_} "
                f"(valid_kappa {best.best_score_:.3f})"
            )
        return f"{name}: trained for {len(net.history)} epochs{resumed}"


def _stopped_early(net):
    """Whether the KeyboardInterrupt came from skorch's ``EarlyStopping``."""
    return any(
        getattr(cb, "misses_", 0) >= getattr(cb, "patience", float("inf"))
        for _, cb in net.callbacks_
    )


def seed_stage(net, offset):
    """Seed torch for a stage: ``random_state + offset`` (nothing when None)."""
    if net.random_state is not None:
        torch.manual_seed(int(net.random_state) + offset)


def stage_epochs(net, learner):
    """The epoch budget of ``learner``'s stage (its override, else ``max_epochs``)."""
    override = getattr(net, f"{learner}_max_epochs", None)
    return net.max_epochs if override is None else override
