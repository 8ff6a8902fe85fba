"""SleepKDClassifier: staged teacher -> assistant -> student distillation."""

import copy
import hashlib
import inspect
import json
import warnings
from pathlib import Path

import numpy as np
import torch
from skorch import NeuralNetClassifier
from skorch.callbacks import EpochTimer, PassthroughScoring, PrintLog, ProgressBar
from skorch.dataset import Dataset, unpack_data
from skorch.exceptions import NotInitializedError
from skorch.history import History
from skorch.utils import to_tensor
from torch import nn

from .distill.losses import HardCELoss
from .distill.strategies import make_strategy
from .inputs import as_sequences, check_labels, check_teacher_proba
from .models.sequence import SleepFeatures, check_signal
from .teachers import is_external_teacher

ROLES = ("teacher", "assistant", "student")
_STAGE_SEED_OFFSET = {"teacher": 0, "assistant": 1000, "student": 2000}
_CACHE_LEVELS = ("logits", "epoch_features", "sequence_features")


class SleepKDClassifier(NeuralNetClassifier):
    """Teacher -> teacher assistant -> student knowledge distillation.

    ``fit`` trains the teacher (or uses a given pre-trained one), distils it into
    the teacher assistant, then distils that into the student, following the
    chosen ``strategy`` (SleepKD by default). Afterwards the estimator behaves as
    the student: ``predict``, ``predict_proba`` and ``score`` use ``module_``.

    Parameters
    ----------
    teacher, assistant, student : str | type | torch.nn.Module
        Models exposing ``forward_features(x) -> SleepFeatures`` (see
        :class:`~braindecode_sleepkd.models.SleepSequenceModel`): a preset family
        name (``"deepsleepnet"``, ``"salient"``), a class (built with the signal
        arguments inferred from the data plus ``<role>__*`` parameters), or an
        instance (copied, never modified). ``assistant=None`` distils teacher ->
        student directly.
    strategy : str, default="sleepkd"
        Distillation method: one of :func:`~braindecode_sleepkd.distill.strategies`
        (``"sleepkd"``, ``"scratch"``, ``"kd"``, ``"fitnets"``, ``"nst"``, ``"dkd"``,
        ``"takd"``, ``"dgkd"``). Method parameters are set as ``strategy__<name>``.
    alpha_epoch, beta_seq, gamma_soft, delta_hard : float, default=0.3, 0.2, 0.4, 0.1
        Weights of the epoch-feature, sequence-feature, soft (KL) and hard (CE)
        terms; the paper's values are the defaults. ``gamma_soft`` and
        ``delta_hard`` are shared by every method that has these terms.
    temperature : float, default=1.0
        Softmax temperature of the soft term (the paper's setting; KD papers
        often use 2-4).
    ablation : str | None, default=None
        SleepKD ablation: ``"no_epoch"``, ``"no_seq"``, ``"no_soft"``,
        ``"no_hard"`` or ``"no_assistant"``.
    teacher_pretrained : bool, default=False
        Use the given teacher instance as is and skip its training stage.
    teacher_max_epochs, assistant_max_epochs : int | None, default=None
        Per-stage overrides of ``max_epochs``.
    seq_len : int, default=20
        Epochs per sequence when ``X`` is a braindecode windows dataset.
    seq_stride : int | None, default=None
        Stride between sequences made from windows (default: ``seq_len``).
    sfreq : float | None, default=None
        Sampling frequency passed to models built here (default: inferred from
        the windows, else ``n_times / 30``).
    n_classes : int, default=5
        Number of sleep stages (labels are ``0 .. n_classes - 1``).
    cache_teacher : bool, default=True
        Compute the guides' outputs once per stage (when inputs are not
        augmented) instead of at every batch.
    cache_max_gb : float, default=4.0
        Largest cache allowed in CPU memory; above it the guides run live.
    augmentation : callable | None, default=None
        Applied to each training batch ``x`` (a tensor); disables the cache.
    checkpoint_dir : str | Path | None, default=None
        Save each finished stage and every epoch of a running stage there; a
        later ``fit`` with the same configuration resumes from it.
    random_state : int | None, default=None
        Seed of all random choices (weights, shuffling, dropout), per stage.
    verbose : int, default=1
        0: silent; 1: a header per stage and skorch's epoch table (with a
        ``stage`` column and every loss term); 2: also a progress bar per stage
        (:class:`skorch.callbacks.ProgressBar`).
    criterion : type, default=HardCELoss
        The hard-label loss; ``criterion__weight`` sets class weights.
    optimizer : type, default=torch.optim.AdamW
    lr : float, default=1e-3
    max_epochs : int, default=10
    batch_size : int, default=32
    train_split : callable | None, default=None
        As in skorch; see :func:`~braindecode_sleepkd.splits.subject_valid_split`
        for a validation split that never shares a subject with training.
    **kwargs
        Any other skorch parameter, and the routed ``teacher__*``,
        ``assistant__*``, ``student__*`` and ``strategy__*`` parameters.

    Attributes
    ----------
    teacher_, assistant_, module_ : torch.nn.Module
        The fitted models; ``module_`` is the student (``student_`` too).
    alignments_ : torch.nn.ModuleDict
        The learnable alignment modules (Phi) of each link, keyed by learner.
    histories_ : dict of str to skorch.history.History
        The history of every trained stage; ``history_`` is the student's.
    stages_ : list of str
        The stages run by the last ``fit``, with how each ended.

    Examples
    --------
    >>> clf = SleepKDClassifier("deepsleepnet", "deepsleepnet", "deepsleepnet",
    ...                         max_epochs=5, random_state=0)  # doctest: +SKIP
    >>> clf.fit(X, y).predict(X).shape  # doctest: +SKIP
    (n_seq, seq_len)
    """

    def __init__(
        self,
        teacher,
        assistant=None,
        student=None,
        *,
        strategy="sleepkd",
        alpha_epoch=0.3,
        beta_seq=0.2,
        gamma_soft=0.4,
        delta_hard=0.1,
        temperature=1.0,
        ablation=None,
        teacher_pretrained=False,
        teacher_max_epochs=None,
        assistant_max_epochs=None,
        seq_len=20,
        seq_stride=None,
        sfreq=None,
        n_classes=5,
        cache_teacher=True,
        cache_max_gb=4.0,
        augmentation=None,
        checkpoint_dir=None,
        random_state=None,
        criterion=HardCELoss,
        optimizer=torch.optim.AdamW,
        lr=1e-3,
        max_epochs=10,
        batch_size=32,
        train_split=None,
        iterator_train__shuffle=True,
        **kwargs,
    ):
        # Set before skorch's __init__: module instances are only accepted
        # as plain attributes while the net is first being constructed.
        self.teacher = teacher
        self.assistant = assistant
        self.student = student
        self.strategy = strategy
        self.alpha_epoch = alpha_epoch
        self.beta_seq = beta_seq
        self.gamma_soft = gamma_soft
        self.delta_hard = delta_hard
        self.temperature = temperature
        self.ablation = ablation
        self.teacher_pretrained = teacher_pretrained
        self.teacher_max_epochs = teacher_max_epochs
        self.assistant_max_epochs = assistant_max_epochs
        self.seq_len = seq_len
        self.seq_stride = seq_stride
        self.sfreq = sfreq
        self.n_classes = n_classes
        self.cache_teacher = cache_teacher
        self.cache_max_gb = cache_max_gb
        self.augmentation = augmentation
        self.checkpoint_dir = checkpoint_dir
        self.random_state = random_state
        super().__init__(
            module=None,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            iterator_train__shuffle=iterator_train__shuffle,
            **kwargs,
        )

    # ------------------------------------------------------------------ params
    def _get_param_names(self):
        return [k for k in super()._get_param_names() if k not in ("module", "classes")]

    @property
    def _default_callbacks(self):
        callbacks = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
            ("print_log", PrintLog()),
        ]
        if self.verbose >= 2:
            callbacks.insert(1, ("progress_bar", ProgressBar()))
        return callbacks

    @property
    def classes_(self):
        """Class labels ``0 .. n_classes - 1``."""
        return np.arange(self.n_classes)

    # ----------------------------------------------------------- initialising
    def _signal_kwargs(self):
        return dict(getattr(self, "signal_", None) or {})

    def _build_role(self, role):
        spec = getattr(self, role)
        kwargs = self.get_params_for(role)
        if role == "teacher" and (spec is None or is_external_teacher(spec)):
            return None
        if spec is None:
            if kwargs:
                raise ValueError(f"{role}__* parameters given but {role}=None.")
            return None
        signal = self._signal_kwargs()
        if isinstance(spec, str):
            from .models import preset

            return preset(spec, role, **{**signal, **kwargs})
        if isinstance(spec, type):
            accepted = inspect.signature(spec).parameters
            takes_any = any(p.kind == p.VAR_KEYWORD for p in accepted.values())
            extra = {
                k: v
                for k, v in signal.items()
                if (k in accepted or takes_any) and k not in kwargs
            }
            return spec(**extra, **kwargs)
        if isinstance(spec, nn.Module):
            if kwargs:
                if role == "teacher" and self.teacher_pretrained:
                    raise ValueError(
                        "teacher__* parameters cannot be combined with a pretrained "
                        "teacher instance: they would rebuild an untrained copy."
                    )
                return type(spec)(**kwargs)
            return copy.deepcopy(spec)
        raise TypeError(
            f"{role} must be a preset name, a module class or a module instance, "
            f"got {type(spec).__name__}."
        )

    def initialize_module(self):
        """Build the teacher, assistant and student (``module_``)."""
        if self.teacher_pretrained and not isinstance(self.teacher, nn.Module):
            raise ValueError(
                "teacher_pretrained=True needs a trained teacher instance, got "
                f"{self.teacher!r}."
            )
        for role in ROLES:
            if role == "student" and self.student is None:
                raise ValueError("A student model is required (student=None given).")
            setattr(self, role + "_", self._build_role(role))
        self.module_ = self.student_
        self.alignments_ = nn.ModuleDict()
        return self

    def initialize_criterion(self):
        """Build the hard-label criterion and the distillation strategy."""
        super().initialize_criterion()
        params = dict(
            alpha_epoch=self.alpha_epoch,
            beta_seq=self.beta_seq,
            gamma_soft=self.gamma_soft,
            delta_hard=self.delta_hard,
            temperature=self.temperature,
            seed=0 if self.random_state is None else self.random_state,
        )
        params.update(self.get_params_for("strategy"))
        ablation = None if self.ablation == "no_assistant" else self.ablation
        self.strategy_ = make_strategy(self.strategy, ablation=ablation, **params)
        return self

    def get_all_learnable_params(self):
        """Parameters of the current learner and of its alignment modules."""
        learner = getattr(self, "stage_", "student")
        seen = set()
        yield from self._named_unique(getattr(self, learner + "_"), learner, seen)
        if learner in self.alignments_:
            yield from self._named_unique(
                self.alignments_[learner], f"alignments.{learner}", seen
            )

    @staticmethod
    def _named_unique(module, prefix, seen):
        for name, param in module.named_parameters():
            if id(param) not in seen:
                seen.add(id(param))
                yield f"{prefix}.{name}", param

    def _set_training(self, training=True):
        """Train mode for the learner (and alignments); eval for everything else."""
        learner = getattr(self, "stage_", "student")
        for role in ROLES:
            module = getattr(self, role + "_", None)
            if module is not None:
                module.train(training and role == learner)
        self.alignments_.train(training)
        self.strategy_.train(training)

    # ------------------------------------------------------------------- data
    def get_dataset(self, X, y=None):
        """Wrap sequences in a skorch Dataset whose X carries each item's index."""
        if isinstance(X, Dataset):  # already wrapped (e.g. by fit)
            return X
        if hasattr(X, "datasets"):  # braindecode windows
            X, _, _ = as_sequences(X, None, self.seq_len, self.seq_stride)
        elif isinstance(X, torch.utils.data.Dataset):  # a user's own dataset
            return X
        n = len(X)
        return Dataset({"x": X, "index": np.arange(n)}, y)

    def _prepare(self, X, y, groups):
        X, y, groups, sfreq = as_sequences(
            X, y, self.seq_len, self.seq_stride, groups=groups, return_sfreq=True
        )
        if y is None:
            raise ValueError("y is required: labels of shape (n_seq, seq_len).")
        y = check_labels(y, len(X), self.n_classes)
        first = torch.as_tensor(np.asarray(X[0]))[None]
        check_signal(first)
        self.signal_ = {
            "n_chans": int(first.shape[2]),
            "n_times": int(first.shape[3]),
            "sfreq": float(self.sfreq or sfreq or first.shape[3] / 30.0),
            "n_classes": int(self.n_classes),
        }
        return X, y, groups

    # --------------------------------------------------------------- checking
    def _check_models(self, X):
        """Check that all models agree with each other and with the data."""
        x = torch.as_tensor(np.asarray(X[0]), dtype=torch.float32)[None]
        x = x.to(self.device)
        for role in ROLES:
            model = getattr(self, role + "_", None)
            if model is None:
                continue
            for attr in ("n_chans", "n_times", "n_classes"):
                have = getattr(model, attr, None)
                want = self.signal_[attr]
                if have is not None and have != want:
                    raise ValueError(
                        f"The {role} expects {attr}={have}, but the data / estimator "
                        f"have {attr}={want}. All models must share n_chans, n_times "
                        "and n_classes."
                    )
            if not hasattr(model, "forward_features"):
                raise TypeError(
                    f"The {role} ({type(model).__name__}) has no forward_features(x); "
                    "wrap it in braindecode_sleepkd.models.SleepSequenceModel."
                )
            was_training = model.training
            model.eval()
            with torch.no_grad():
                out = model.forward_features(x)
            model.train(was_training)
            if out.logits.shape != (1, x.shape[1], self.n_classes):
                raise ValueError(
                    f"The {role} returns logits of shape {tuple(out.logits.shape)} "
                    f"for one sequence; expected (1, {x.shape[1]}, {self.n_classes})."
                )

    def check_is_fitted(self, attributes=None, *args, **kwargs):
        """Raise ``NotInitializedError`` (a ``NotFittedError``) before ``fit``."""
        if not getattr(self, "fitted_", False) and not hasattr(self, "stage_"):
            raise NotInitializedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' "
                "with appropriate arguments before using this estimator."
            )

    def __sklearn_is_fitted__(self):
        return bool(getattr(self, "fitted_", False))

    # ---------------------------------------------------------------- fitting
    def fit(self, X, y=None, groups=None, teacher_proba=None, **fit_params):
        """Train teacher, assistant and student in turn.

        Parameters
        ----------
        X : array-like | braindecode windows dataset | skorch SliceDataset
            Sequences ``(n_seq, seq_len, n_chans, n_times)``, or windows that are
            cut into sequences of ``seq_len`` consecutive epochs per recording.
        y : array-like | None
            Labels ``(n_seq, seq_len)`` (ints) or probabilities
            ``(n_seq, seq_len, n_classes)``; taken from the windows when None.
        groups : array-like | None
            Subject of each sequence, used by subject-wise validation splits
            (taken from the windows' descriptions when None).
        teacher_proba : array-like | None
            Class probabilities ``(n_seq, seq_len, n_classes)`` of an external
            teacher (e.g. a pretrained scorer), aligned with ``y``. The teacher
            stage is skipped and only the output-level terms (soft KL, hard CE)
            apply on the teacher -> assistant link; the assistant -> student link
            keeps every term. With ``teacher`` an external scorer (an object with
            ``is_external_teacher = True`` and ``predict_proba(X, seq_len,
            seq_stride)``), the probabilities are taken from it.
        **fit_params
            Passed to ``train_split``.

        Returns
        -------
        self
        """
        if hasattr(self, "stage_"):
            del self.stage_
        self.fitted_ = False
        if int(self.n_classes) != self.n_classes or self.n_classes < 2:
            raise ValueError(
                f"n_classes must be a whole number >= 2, got {self.n_classes!r}."
            )
        if teacher_proba is None and is_external_teacher(self.teacher):
            teacher_proba = self.teacher.predict_proba(
                X, seq_len=self.seq_len, seq_stride=self.seq_stride
            )
        X, y, groups = self._prepare(X, y, groups)
        self.external_ = None
        if teacher_proba is not None:
            proba = check_teacher_proba(teacher_proba, y.shape[:2], self.n_classes)
            self.external_ = {"teacher": torch.log(torch.as_tensor(proba) + 1e-8)}
        if groups is not None:
            fit_params["groups"] = np.asarray(groups)
        if not (self.warm_start and self.initialized_):
            self._seed(0)
            self.initialize()
        self._check_models(X)
        has_assistant = self.assistant_ is not None and self.ablation != "no_assistant"
        links = self.strategy_.links(has_assistant)
        needed = {link.learner for link in links} | {
            g for link in links for g in link.guides
        }
        for role in sorted(needed):
            external = (self.external_ or {}).get(role)
            if getattr(self, role + "_") is None and external is None:
                raise ValueError(
                    f"The {role} is needed by strategy {self.strategy!r} but none "
                    "was given (pass a model, or teacher_proba= for the teacher)."
                )
        store = _StageStore(self.checkpoint_dir, self._config_fingerprint())
        dataset = self.get_dataset(X, y)
        self.histories_ = {}
        self.stages_ = []
        for link in links:
            if link.learner == "teacher" and self.teacher_pretrained:
                self.stages_.append("teacher: pretrained, not trained")
                continue
            if link.learner == "teacher" and self.external_ is not None:
                self.stages_.append(
                    "teacher: external probabilities (only the soft and hard terms "
                    "apply when the teacher guides)"
                )
                continue
            self._run_stage(link, dataset, y, store, fit_params)
        self.stage_ = "student"
        self.module_ = self.student_
        self.history_ = self.histories_.get("student", self.history_)
        del self.stage_
        self.fitted_ = True
        return self

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Not supported: distillation is staged; use ``fit`` (or ``warm_start``)."""
        raise NotImplementedError(
            "SleepKDClassifier trains in stages; partial_fit is not supported. Use "
            "fit(), with checkpoint_dir to resume an interrupted run."
        )

    def _seed(self, offset):
        if self.random_state is not None:
            torch.manual_seed(int(self.random_state) + offset)

    def _stage_epochs(self, learner):
        override = getattr(self, f"{learner}_max_epochs", None)
        return self.max_epochs if override is None else override

    def _run_stage(self, link, dataset, y, store, fit_params):
        learner = link.learner
        self.stage_ = learner
        self.module_ = getattr(self, learner + "_")
        self.guides_ = list(link.guides)
        self._seed(_STAGE_SEED_OFFSET[learner])
        for guide in self.guides_:
            module = getattr(self, guide + "_")
            if module is None:
                if not self.external_ or guide not in self.external_:
                    raise ValueError(
                        f"The {guide} is needed by strategy {self.strategy!r} but "
                        "none was given (pass a model, or teacher_proba=)."
                    )
                continue
            module.eval()
            module.requires_grad_(False)
        self.module_.requires_grad_(True)

        self.cache_ = None
        if self.guides_:
            x0 = torch.as_tensor(np.asarray(dataset.X["x"][0]), dtype=torch.float32)
            x0 = x0[None].to(self.device)
            with torch.no_grad():
                self.module_.eval()
                small = self.module_.forward_features(x0)
                big = self._guide_outputs(x0, torch.zeros(1, dtype=torch.long))
            self.alignments_[learner] = self.strategy_.build_alignments(small, big).to(
                self.device
            )
        if store.load_finished(learner, self):
            self.stages_.append(f"{learner}: loaded from {store.path(learner)}")
            self._finish_stage(learner)
            return
        self._build_cache(dataset)
        self.initialize_optimizer()
        self.history_ = History()
        self._initialize_callbacks()

        n_epochs = self._stage_epochs(learner)
        start = store.load_partial(learner, self)
        if self.verbose:
            print(f"== stage {learner} ({n_epochs} epochs) ==")
        self.notify("on_train_begin", X=dataset, y=y)
        try:
            self.fit_loop(dataset, y, epochs=max(n_epochs - start, 0), **fit_params)
        except KeyboardInterrupt:
            pass
        self.notify("on_train_end", X=dataset, y=y)
        store.save_finished(learner, self)
        self.stages_.append(f"{learner}: trained for {len(self.history)} epochs")
        self._finish_stage(learner)

    def _finish_stage(self, learner):
        self.histories_[learner] = self.history_
        self.cache_ = None
        self.guides_ = []
        getattr(self, learner + "_").eval()

    # ------------------------------------------------------------ guide cache
    def _build_cache(self, dataset):
        """Compute the guides' outputs on the whole dataset once, if allowed."""
        self.cache_ = None
        levels = self.strategy_.levels
        if not self.guides_ or not levels:
            return
        if not self.cache_teacher or self.augmentation is not None:
            return
        X = dataset.X["x"]
        n = len(X)
        x0 = torch.as_tensor(np.asarray(X[0]), dtype=torch.float32)[None].to(
            self.device
        )
        modules = [g for g in self.guides_ if getattr(self, g + "_") is not None]
        if not modules:
            return
        per_item = 0
        with torch.no_grad():
            for g in modules:
                out = getattr(self, g + "_").forward_features(x0)
                per_item += sum(getattr(out, lv).numel() * 4 for lv in levels)
        size_gb = per_item * n / 1e9
        if size_gb > self.cache_max_gb:
            warnings.warn(
                f"Guide outputs would take {size_gb:.2f} GB (> cache_max_gb="
                f"{self.cache_max_gb}); running the guides live instead.",
                stacklevel=3,
            )
            return
        cache = {}
        for g in modules:
            module = getattr(self, g + "_")
            parts = {lv: [] for lv in levels}
            with torch.no_grad():
                for start in range(0, n, self.batch_size):
                    xb = np.asarray(X[start : start + self.batch_size])
                    xb = torch.as_tensor(xb, dtype=torch.float32).to(self.device)
                    out = module.forward_features(xb)
                    for lv in levels:
                        parts[lv].append(getattr(out, lv).cpu())
            cache[g] = {lv: torch.cat(v) for lv, v in parts.items()}
        self.cache_ = cache

    def _guide_outputs(self, x, index):
        outs = []
        for g in self.guides_:
            if getattr(self, g + "_") is None:  # external probabilities
                if index is None:
                    raise ValueError(
                        "External teacher probabilities need the estimator's own "
                        "dataset (arrays, windows or a SliceDataset), not a custom "
                        "torch Dataset."
                    )
                logits = self.external_[g][index.cpu()].to(x.device)
                outs.append(SleepFeatures(logits, None, None))
            elif self.cache_ is not None and g in self.cache_ and index is not None:
                idx = index.cpu()
                vals = {
                    lv: self.cache_[g][lv][idx].to(x.device)
                    if lv in self.cache_[g]
                    else None
                    for lv in _CACHE_LEVELS
                }
                outs.append(SleepFeatures(**vals))
            else:
                with torch.no_grad():
                    outs.append(getattr(self, g + "_").forward_features(x))
        return outs

    # ------------------------------------------------------------ train steps
    def split_batch(self, batch):
        """Return ``(x, index, y)`` of a batch (``index`` is None for plain X)."""
        Xi, yi = unpack_data(batch)
        index = None
        if isinstance(Xi, dict):
            Xi, index = Xi["x"], Xi["index"]
        x = to_tensor(Xi, device=self.device).float()
        yi = None if yi is None else to_tensor(yi, device=self.device)
        return x, index, yi

    def compute_loss(self, x, index, yi, training):
        """Total loss of the current learner on a batch; logs every term.

        Returns ``(total_loss, logits)``. Subclasses (e.g. for Accelerate) call it
        from their own ``train_step_single``.
        """
        out = self.module_.forward_features(x)
        guides = self._guide_outputs(x, index) if self.guides_ else []
        if guides:
            terms = self.strategy_.loss_terms(
                out,
                guides,
                yi,
                self.alignments_[self.stage_]
                if self.stage_ in self.alignments_
                else {},
                self.criterion_,
            )
            weights = self.strategy_.weights()
        else:
            terms = {"hard": self.criterion_(out.logits, yi)}
            weights = {"hard": 1.0}
        total = sum(weights[k] * v for k, v in terms.items())
        prefix = "train" if training else "valid"
        for name, value in terms.items():
            self.history.record_batch(f"{prefix}_loss_{name}", float(value.detach()))
        hard_y = yi if yi.ndim == 2 else yi.argmax(-1)
        correct = (out.logits.argmax(-1) == hard_y).float().mean()
        self.history.record_batch(f"{prefix}_acc_batch", float(correct))
        return total, out.logits

    def train_step_single(self, batch, **fit_params):
        """One optimisation step of the current learner."""
        self._set_training(True)
        x, index, yi = self.split_batch(batch)
        if self.augmentation is not None:
            x = self.augmentation(x)
        loss, logits = self.compute_loss(x, index, yi, training=True)
        loss.backward()
        return {"loss": loss, "y_pred": logits}

    def validation_step(self, batch, **fit_params):
        """Loss of the current learner on a validation batch."""
        self._set_training(False)
        x, index, yi = self.split_batch(batch)
        with torch.no_grad():
            loss, logits = self.compute_loss(x, index, yi, training=False)
        return {"loss": loss, "y_pred": logits}

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """Record the stage, the epoch means of every loss term, and checkpoint."""
        super().on_epoch_end(net, dataset_train, dataset_valid, **kwargs)
        hist = self.history
        hist.record("stage", self.stage_)
        for key, value in _epoch_means(hist[-1, "batches"]).items():
            hist.record(key, value)
        if self.checkpoint_dir is not None:
            _StageStore(self.checkpoint_dir, self._config_fingerprint()).save_partial(
                self.stage_, self
            )

    def infer(self, x, **fit_params):
        """Logits of the current model (the student once fitted)."""
        if isinstance(x, dict):
            x = x["x"]
        return self.module_(to_tensor(x, device=self.device).float())

    # ------------------------------------------------------------- predicting
    def predict_proba(self, X):
        """Class probabilities ``(n_seq, seq_len, n_classes)`` from the student."""
        self.check_is_fitted()
        X, _, _ = as_sequences(X, None, self.seq_len, self.seq_stride)
        self.module_.eval()
        probas = [
            torch.softmax(logits, dim=-1).cpu().numpy()
            for logits in self.forward_iter(X, training=False)
        ]
        return np.concatenate(probas, axis=0)

    def predict(self, X):
        """Sleep stages ``(n_seq, seq_len)`` predicted by the student."""
        return self.predict_proba(X).argmax(axis=-1)

    def score(self, X, y=None, sample_weight=None):
        """Accuracy over all epochs of all sequences."""
        X, y, _ = as_sequences(X, y, self.seq_len, self.seq_stride)
        if y is None:
            raise ValueError("score needs labels y of shape (n_seq, seq_len).")
        y = check_labels(y, len(X), self.n_classes)
        if y.ndim == 3:
            y = y.argmax(-1)
        return float((self.predict(X) == y).mean())

    # ------------------------------------------------------------ checkpoints
    def _config_fingerprint(self):
        params = self.get_params(deep=False)
        skip = {"max_epochs", "verbose", "callbacks", "checkpoint_dir", "device"}
        config = {k: _describe(v) for k, v in sorted(params.items()) if k not in skip}
        return config


def _epoch_means(batches):
    """Batch-size-weighted means of the per-term losses and accuracies."""
    sums, weights = {}, {}
    for batch in batches:
        for prefix in ("train", "valid"):
            size = batch.get(f"{prefix}_batch_size")
            if size is None:
                continue
            for key, value in batch.items():
                if key.startswith(f"{prefix}_loss_") or key == f"{prefix}_acc_batch":
                    name = f"{prefix}_acc" if key.endswith("_acc_batch") else key
                    sums[name] = sums.get(name, 0.0) + value * size
                    weights[name] = weights.get(name, 0) + size
    return {k: sums[k] / weights[k] for k in sorted(sums)}


def _describe(value):
    if isinstance(value, nn.Module):
        state = value.state_dict()
        h = hashlib.sha256()
        for key in sorted(state):
            h.update(key.encode())
            h.update(state[key].detach().cpu().numpy().tobytes())
        return f"{type(value).__name__}@{h.hexdigest()[:16]}"
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    if callable(value):
        return getattr(value, "__qualname__", type(value).__name__)
    return repr(value)


class _StageStore:
    """Per-stage checkpoints in ``checkpoint_dir`` (``None``: do nothing)."""

    def __init__(self, directory, config):
        self.directory = None if directory is None else Path(directory)
        self.config = config

    def path(self, learner, partial=False):
        return self.directory / (f"{learner}{'.partial' if partial else ''}.pt")

    def _check_config(self):
        cfg_file = self.directory / "config.json"
        if cfg_file.exists():
            saved = json.loads(cfg_file.read_text())
            diff = sorted(
                k
                for k in set(saved) | set(self.config)
                if saved.get(k) != self.config.get(k)
            )
            if diff:
                raise ValueError(
                    f"checkpoint_dir {self.directory} holds a run with a different "
                    f"configuration (differs in: {', '.join(diff)}); refusing to "
                    "resume. Use another checkpoint_dir or delete it."
                )
        else:
            self.directory.mkdir(parents=True, exist_ok=True)
            cfg_file.write_text(json.dumps(self.config, indent=1))

    def _state(self, learner, net, with_optimizer):
        state = {
            "module": getattr(net, learner + "_").state_dict(),
            "alignments": net.alignments_[learner].state_dict()
            if learner in net.alignments_
            else None,
            "history": net.history_.to_list(),
        }
        if with_optimizer:
            state["optimizer"] = net.optimizer_.state_dict()
        return state

    def _write(self, path, state):
        tmp = path.with_suffix(".tmp")
        torch.save(state, tmp)
        tmp.replace(path)

    def save_finished(self, learner, net):
        if self.directory is None:
            return
        self._check_config()
        self._write(self.path(learner), self._state(learner, net, False))
        partial = self.path(learner, partial=True)
        if partial.exists():
            partial.unlink()

    def save_partial(self, learner, net):
        if self.directory is None:
            return
        self._check_config()
        self._write(self.path(learner, partial=True), self._state(learner, net, True))

    def load_finished(self, learner, net):
        if self.directory is None or not self.directory.exists():
            return False
        self._check_config()
        path = self.path(learner)
        if not path.exists():
            return False
        state = torch.load(path, map_location=net.device, weights_only=False)
        self._restore(learner, net, state)
        return True

    def load_partial(self, learner, net):
        """Restore a stage interrupted mid-way; returns the epochs already done."""
        if self.directory is None or not self.directory.exists():
            return 0
        self._check_config()
        path = self.path(learner, partial=True)
        if not path.exists():
            return 0
        state = torch.load(path, map_location=net.device, weights_only=False)
        self._restore(learner, net, state)
        net.optimizer_.load_state_dict(state["optimizer"])
        return len(net.history_)

    @staticmethod
    def _restore(learner, net, state):
        getattr(net, learner + "_").load_state_dict(state["module"])
        if state["alignments"] is not None:
            net.alignments_[learner].load_state_dict(state["alignments"])
        net.history_ = History(state["history"])
