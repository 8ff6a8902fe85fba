"""The skorch training-loop overrides of a staged distillation fit.

:class:`StageStepsMixin` gives :class:`~.estimator.SleepKDClassifier` the
methods skorch's ``fit_loop`` calls while one stage runs: its callbacks, its
learnable parameters, its data split, and ``train_step_single`` /
``validation_step`` on the stage's
:class:`~.distill.stage.DistillationStage`. A subclass changes how a step runs
through two hooks: :meth:`StageStepsMixin.step_context` (around the forward
pass and loss) and :meth:`StageStepsMixin.backward`.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import contextlib

import numpy as np
import torch
from skorch.dataset import Dataset
from skorch.utils import to_tensor

from .callbacks import lr_scheduler, stage_callbacks
from .distill.diagnostics import record_gradient_shares
from .inputs import as_sequences, split_batch

__all__ = ["StageStepsMixin"]


class StageStepsMixin:
    """What skorch's training loop calls during one stage of a fit.

    The estimator holds the running :class:`~.training.StageRun` as ``_run``
    (None between stages).
    """

    @property
    def distiller_(self):
        """The running stage's ``DistillationStage`` (None between stages)."""
        run = self.__dict__.get("_run")
        return None if run is None else run.stage

    @property
    def _default_callbacks(self):
        run = self.__dict__.get("_run")
        if run is None:
            return stage_callbacks((), self.n_classes, self.verbose)
        n_batches = -(-run.n_train // self.batch_size)
        scheduler = lr_scheduler(self.lr_schedule, run.budget, self.lr, n_batches)
        return stage_callbacks(
            run.stage.term_names(),
            self.n_classes,
            self.verbose,
            scheduler,
            best=self._selects_best_epoch(),
        )

    def _selects_best_epoch(self):
        """Whether stages restore their best-kappa epoch (validation, no user rule)."""
        user_restores = any(
            getattr(cb, "load_best", False)
            for cb in (
                c[1] if isinstance(c, tuple) else c for c in self.callbacks or ()
            )
        )
        return (
            bool(getattr(self, "valid_split_", self.train_split)) and not user_restores
        )

    def get_split_datasets(self, X, y=None, **fit_params):
        """Train and validation data of a stage (see :func:`~.splits.fit_split`)."""
        split = getattr(self, "valid_split_", self.train_split)
        dataset = self.get_dataset(X, y)
        if not split:
            return dataset, None
        return split(dataset, y, **fit_params)

    def get_dataset(self, X, y=None):
        """Wrap sequences in a skorch Dataset whose X carries each item's index."""
        if isinstance(X, Dataset):  # already wrapped (e.g. by fit)
            return X
        if hasattr(X, "datasets"):  # braindecode windows
            X, _, _ = as_sequences(X, None, self.seq_len, self.seq_stride)
        elif isinstance(X, torch.utils.data.Dataset):  # a user's own dataset
            return X
        return Dataset({"x": X, "index": np.arange(len(X))}, y)

    def get_all_learnable_params(self):
        """Parameters of the current learner and of its alignment modules."""
        stage = self.distiller_
        if stage is not None:
            yield from stage.named_learnable_parameters(self.stage_)
        else:
            for name, param in self.module_.named_parameters():
                yield f"student.{name}", param

    def save_stage_(self, finished):
        """Write the running stage to ``checkpoint_dir`` (no-op without one)."""
        run = self.__dict__.get("_run")
        if run is not None:
            run.save(self, finished)

    # ------------------------------------------------------------ train steps
    def split_batch(self, batch):
        """Return ``(x, index, y)`` of a batch (``index`` is None for plain X)."""
        return split_batch(batch, self.device)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Sum of the stage's weighted terms (``y_pred``: a ``StageOutput``)."""
        prefix = "train" if training else "valid"
        for name, value in y_pred.terms.items():
            self.history.record_batch(f"{prefix}_loss_{name}", float(value.detach()))
        return sum(y_pred.terms.values())

    def _stage_forward(self, batch, training):
        """The stage's outputs and summed loss on ``batch``."""
        self.distiller_.train(training)
        x, index, yi = self.split_batch(batch)
        with self.step_context() if training else torch.no_grad():
            y_pred = self.distiller_(x, yi, index)
            loss = self.get_loss(y_pred, yi, X=x, training=training)
        return y_pred, loss

    def train_step_single(self, batch, **fit_params):
        """One optimisation step of the current learner."""
        y_pred, loss = self._stage_forward(batch, training=True)
        if self.diagnostics and len(self.history[-1]["batches"]) == 1:
            params = [p for _, p in self.get_all_learnable_params()]
            record_gradient_shares(self.history, y_pred.terms, params)
        self.backward(loss)
        return y_pred.step(loss)

    def step_context(self):
        """Context of a training step's forward pass and loss (none here)."""
        return contextlib.nullcontext()

    def backward(self, loss):
        """Back-propagate a training step's loss."""
        loss.backward()

    def validation_step(self, batch, **fit_params):
        """Loss of the current learner on a validation batch."""
        y_pred, loss = self._stage_forward(batch, training=False)
        return y_pred.step(loss)

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """Record the stage's name in the history."""
        super().on_epoch_end(net, dataset_train, dataset_valid, **kwargs)
        self.history.record("stage", self.stage_)

    def infer(self, x, **fit_params):
        """Logits of the current model (the student once fitted)."""
        if isinstance(x, dict):
            x = x["x"]
        return self.module_(to_tensor(x, device=self.device).float())
