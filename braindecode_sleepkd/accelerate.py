"""SleepKDClassifier trained through Hugging Face Accelerate (skorch's mixin).

:class:`AcceleratedSleepKDClassifier` combines :class:`skorch.hf.AccelerateMixin`
with :class:`~braindecode_sleepkd.estimator.SleepKDClassifier`: every stage
(teacher, assistant, student) is prepared with the accelerator (mixed precision,
gradient accumulation, device placement), its loss is the estimator's
stage's weighted terms (the estimator's own training step, run under the
accelerator's autocast) and its backward pass ``accelerator.backward``.

Needs ``pip install braindecode-sleepkd[dist]`` (``accelerate``).
"""

import torch
from skorch.hf import AccelerateMixin

from .constants import ROLES
from .estimator import SleepKDClassifier

__all__ = ["AcceleratedSleepKDClassifier"]


class AcceleratedSleepKDClassifier(AccelerateMixin, SleepKDClassifier):
    """SleepKD distillation with an ``accelerate.Accelerator``.

    Takes every parameter of
    :class:`~braindecode_sleepkd.estimator.SleepKDClassifier` plus those of
    :class:`skorch.hf.AccelerateMixin`.

    Parameters
    ----------
    teacher, assistant, student, **kwargs
        As for :class:`~braindecode_sleepkd.estimator.SleepKDClassifier`.
    accelerator : accelerate.Accelerator
        E.g. ``Accelerator()`` on CPU, ``Accelerator(mixed_precision="bf16",
        device_placement=False)`` on a GPU, or with
        ``gradient_accumulation_steps=...``.
    device : str | torch.device | None, default=None
        ``None`` when the accelerator places the tensors (its default,
        ``device_placement=True``; CPU only, see Notes); otherwise the device of
        the net, e.g. ``accelerator.device``.
    unwrap_after_train : bool, default=True
        Unwrap the models after each stage (as in skorch).
    callbacks__print_log__sink : callable | "auto", default="auto"
        Where the epoch log goes (``accelerator.print`` when "auto").

    Notes
    -----
    - All three models, the alignment modules and every batch are moved to the
      training device by this class (the plain estimator's ``device`` moves the
      student only). On a GPU use ``Accelerator(device_placement=False)`` with
      ``device=accelerator.device``: the estimator's own checks and its guide
      cache use ``self.device``.
    - One process only (one CPU or one GPU, with or without mixed precision and
      gradient accumulation). Multi-process data parallelism (``accelerate
      launch`` with several processes) is refused: DDP only synchronises
      gradients through ``forward``, while distillation calls
      ``forward_features``. To use several GPUs, run several fits in parallel
      (e.g. a grid search on a dask cluster with one GPU per worker).

    Examples
    --------
    >>> from accelerate import Accelerator  # doctest: +SKIP
    >>> acc = Accelerator(mixed_precision="bf16", device_placement=False)
    >>> clf = AcceleratedSleepKDClassifier(  # doctest: +SKIP
    ...     "salient", "salient", "salient", accelerator=acc, device=acc.device
    ... ).fit(X, y)
    """

    # ----------------------------------------------------------------- device
    def _train_device(self):
        acc = self.accelerator
        if getattr(acc, "device_placement", False):
            return torch.device(acc.device)
        return torch.device(self.device or "cpu")

    def _validate_params(self):
        super()._validate_params()
        acc = self.accelerator
        if getattr(acc, "num_processes", 1) > 1:
            raise ValueError(
                "AcceleratedSleepKDClassifier runs in one process: distributed data "
                "parallel (DDP) synchronises gradients only through forward(), "
                "while distillation uses forward_features(). Run one fit per "
                "device instead (e.g. GridSearchCV on a dask cluster)."
            )
        if acc.device_placement and torch.device(acc.device).type != "cpu":
            raise ValueError(
                "On an accelerator device use Accelerator(device_placement=False) "
                "and device=accelerator.device: the estimator moves its teacher, "
                "assistant, student and batches itself."
            )

    def initialize_module(self):
        """Build the three models and put them all on the training device."""
        super().initialize_module()
        device = self._train_device()
        for role in ROLES:
            module = getattr(self, role + "_", None)
            if module is not None:
                setattr(self, role + "_", module.to(device))
        self.module_ = self.student_
        return self

    def split_batch(self, batch):
        """``(x, index, y)`` of a batch, on the training device."""
        x, index, yi = super().split_batch(batch)
        device = self._train_device()
        return x.to(device), index, yi.to(device) if yi is not None else None

    def infer(self, x, **fit_params):
        """Logits of the current model, with ``x`` moved to the training device."""
        if isinstance(x, dict):
            x = x["x"]
        return self.module_(x.float().to(self._train_device()))

    # ------------------------------------------------------------------ stages
    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Prepare this stage's learner and optimizer with the accelerator."""
        super().on_train_begin(net, X=X, y=y, **kwargs)
        device = self._train_device()
        for role in ROLES:
            module = getattr(self, role + "_", None)
            if module is not None:
                module.to(device)
        self.distiller_.to(device)
        # each stage has its own learner and optimizer: prepare them again
        self._wrapped_with_accelerator = False
        self._initialize_accelerator()

    #: skorch's ``AccelerateMixin`` has its own training step; use the
    #: estimator's, whose two hooks below run it under the accelerator.
    train_step_single = SleepKDClassifier.train_step_single

    def step_context(self):
        """The accelerator's autocast (mixed precision) around forward and loss."""
        return self.accelerator.autocast()

    def backward(self, loss):
        """``accelerator.backward`` (loss scaling, gradient accumulation)."""
        self.accelerator.backward(loss)
