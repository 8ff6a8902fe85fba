"""SleepKDClassifier: staged teacher -> assistant -> student distillation."""

import copy
import time
import warnings

import numpy as np
import torch
from skorch import NeuralNetClassifier
from skorch.history import History
from torch import nn

from .checkpoint import StageStore, data_fingerprint, describe_params
from .constants import ROLES
from .distill.losses import HardCELoss
from .distill.recipes import recipe_settings
from .distill.strategies import make_strategy
from .distill.strategies.base import Link
from .guard import announce, check_guard, check_guard_labels, guard_report
from .inputs import prepare_fit_data
from .predicting import PredictorMixin
from .report import GuardSkipped
from .roles import build_roles, check_links, check_models
from .splits import fit_split
from .steps import StageStepsMixin
from .training import StageRun, seed_stage

#: Parameters that can change on a fitted estimator without unfitting it.
_KEEPS_FIT = ("verbose", "batch_size", "checkpoint_dir", "cache_max_gb", "device")


class SleepKDClassifier(PredictorMixin, StageStepsMixin, NeuralNetClassifier):
    """Teacher -> teacher assistant -> student knowledge distillation.

    ``fit`` trains the teacher (or uses a given pre-trained one) and distils it
    into the student, through the teacher assistant for the strategies that use
    one (the default ``"sleepkd"``, ``"takd"``, ``"dgkd"``). Each stage is a
    :class:`~braindecode_sleepkd.distill.DistillationStage`. With validation
    data, the baseline guard also trains the student alone and keeps the
    better of the two students. Afterwards the estimator behaves as the
    student: ``predict``, ``predict_proba`` and ``score`` use ``module_``.

    Parameters
    ----------
    teacher, assistant, student : str | type | torch.nn.Module
        Models exposing ``forward_features(x) -> SleepFeatures`` (see
        :class:`~braindecode_sleepkd.models.SleepSequenceModel`): a preset family
        name (``"deepsleepnet"``, ``"salient"``), a class (built with the signal
        arguments inferred from the data plus ``<role>__*`` parameters), or an
        instance (copied, never modified; with ``random_state`` set its weights
        are re-initialised under the seed, except a ``teacher_pretrained``
        teacher's). ``assistant=None`` distils teacher -> student directly.
    strategy : str, default="sleepkd"
        Distillation method: one of :func:`~braindecode_sleepkd.distill.strategies`.
        Method parameters are set as ``strategy__<name>``. ``"sleepkd"`` trains
        teacher -> assistant -> student with the epoch-feature,
        sequence-feature, soft and hard terms (teacher -> student when
        ``assistant`` is None); ``"kd"`` distils the outputs only, teacher ->
        student (the assistant is not trained).
    recipe : {"paper", "authors", "function_matching"}, default="paper"
        Fills in every loss setting left at None (weights, temperature, feature
        normalisation and alignment, consistent views); see
        :data:`~braindecode_sleepkd.distill.recipes.RECIPES` for each one's source.
    alpha_epoch, beta_seq, gamma_soft, delta_hard : float | None, default=None
        Weights of the epoch-feature, sequence-feature, soft (KL) and hard (CE)
        terms (None: the recipe's; the paper's are 0.3, 0.2, 0.4, 0.1).
    temperature : float | None, default=None
        Softmax temperature of the soft term (None: the recipe's, 1).
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
        Sampling frequency passed to models built here (default: that of the
        windows, else ``n_times / 30``); must agree with the windows'.
    n_classes : int, default=5
        Number of sleep stages (labels are ``0 .. n_classes - 1``).
    cache_teacher : bool, default=True
        Compute the guides' outputs once per stage (when inputs are not
        augmented) instead of at every batch.
    cache_max_gb : float, default=4.0
        Largest cache allowed; above it the guides run live.
    augmentation : ConsistentViews | callable | None, default=None
        A :class:`~braindecode_sleepkd.distill.ConsistentViews` policy (each
        distillation batch shifted, scaled and mixed; the live guides see the
        same view and the targets follow it), or any callable ``x -> x``
        applied to every training batch. Either disables the cache. None: the
        recipe's views (``"function_matching"``) or none.
    lr_schedule : {None, "cosine", "onecycle"}, default=None
        Learning-rate schedule of each stage over its epoch budget (skorch's
        ``LRScheduler``).
    diagnostics : bool, default=True
        Record each loss term's share of the gradient norm on the learner
        (``grad_share_<term>``, on the first batch of every epoch) in the
        history, beside ``*_acc``, ``*_kappa`` and ``*_agreement`` (the share
        of epochs where the learner agrees with its guide).
    checkpoint_dir : str | Path | None, default=None
        Save each finished stage and every epoch of a running one in a
        sub-folder per distinct fit (parameters and data); a later ``fit`` of
        the same configuration on the same data resumes from it exactly.
    random_state : int | None, default=None
        Seed of all random choices (weights, shuffling, dropout), per stage.
    baseline : {"auto", "student", None}, default="auto"
        The baseline guard: also train the student alone (a copy of its
        initial weights, hard labels only, the student's epoch budget, split,
        seed and callbacks), score every model on the validation subjects into
        ``report_`` (printed when ``verbose``) and warn
        (:class:`~braindecode_sleepkd.report.DistillationGuardWarning`, a
        ``UserWarning``, naming both kappas) when the distilled student or the
        teacher is not better than the student alone. ``"auto"``: whenever the
        fit has validation data (``groups`` or ``train_split``) and scored
        epochs, else not (``report_`` says why). ``"student"``: always (an
        error without validation data). None: never. It costs one more
        student stage (see :ref:`baseline_guard`).
    select : {"best", "distilled"}, default="best"
        Where the guard runs, the fitted predictor (``module_``): the better of
        the distilled student and the student alone by validation kappa (the
        distilled one on a tie), or always the distilled student.
    verbose : int, default=1
        0: silent; 1: a header per stage and skorch's epoch table; 2: also a
        progress bar per stage.
    criterion : type, default=HardCELoss
        The hard-label loss; ``criterion__weight`` sets class weights.
    optimizer : type, default=torch.optim.AdamW
    lr : float, default=1e-3
    max_epochs : int, default=10
    batch_size : int, default=32
    train_split : callable | None | False, default=None
        As in skorch; see :func:`~braindecode_sleepkd.splits.subject_valid_split`.
        None: with ``groups`` given to ``fit``, 20% of the subjects (seeded by
        ``random_state``) are held out for validation, else none; False: never
        validate. Whenever a stage validates, it keeps the weights of its
        epoch of best validation kappa (``valid_kappa_best`` in its history;
        :class:`~braindecode_sleepkd.callbacks.BestEpoch`), unless a user
        callback restores its own best (``load_best=True``).
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
        The history of every trained stage; ``history_`` is the student's. Each
        epoch has ``train_loss_<term>``: the weighted terms, whose sum is
        ``train_loss``.
    stages_ : list of str
        The stages run by the last ``fit``, with how each ended.
    checkpoint_path_ : pathlib.Path | None
        The sub-folder of ``checkpoint_dir`` used by the last ``fit``.
    contract_ : sleepkd_runtime.contract.Contract
        The preprocessing contract: what ``fit`` saw (sampling rate, channel
        names when given windows, input unit, per-epoch scaling read from the
        epochs, sequence length, class names, package version). ``predict``
        applies its scaling and checks windows against it; ``to_onnx`` writes
        it into the ONNX file, where staging reads it.
    valid_split_ : callable | None
        The validation split the last ``fit`` used (see ``train_split``).
    student_alone_ : torch.nn.Module
        Where the guard ran: the student trained alone on the labels.
    report_ : DistillationReport | GuardSkipped
        Where the guard ran, the
        :class:`~braindecode_sleepkd.report.DistillationReport`; else a
        :class:`~braindecode_sleepkd.report.GuardSkipped` that says why.
    """

    def __init__(
        self,
        teacher,
        assistant=None,
        student=None,
        *,
        strategy="sleepkd",
        alpha_epoch=None,
        beta_seq=None,
        gamma_soft=None,
        delta_hard=None,
        temperature=None,
        ablation=None,
        recipe="paper",
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
        lr_schedule=None,
        diagnostics=True,
        checkpoint_dir=None,
        random_state=None,
        baseline="auto",
        select="best",
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
        self.teacher, self.assistant, self.student = teacher, assistant, student
        self.strategy = strategy
        self.alpha_epoch, self.beta_seq = alpha_epoch, beta_seq
        self.gamma_soft, self.delta_hard = gamma_soft, delta_hard
        self.temperature = temperature
        self.ablation, self.recipe = ablation, recipe
        self.teacher_pretrained = teacher_pretrained
        self.teacher_max_epochs = teacher_max_epochs
        self.assistant_max_epochs = assistant_max_epochs
        self.seq_len, self.seq_stride = seq_len, seq_stride
        self.sfreq = sfreq
        self.n_classes = n_classes
        self.cache_teacher, self.cache_max_gb = cache_teacher, cache_max_gb
        self.augmentation, self.lr_schedule = augmentation, lr_schedule
        self.diagnostics = diagnostics
        self.checkpoint_dir = checkpoint_dir
        self.random_state = random_state
        self.baseline, self.select = baseline, select
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

    def set_params(self, **params):
        """Set parameters; changing a model-shaping one unfits the estimator."""
        if getattr(self, "fitted_", False) and set(params) - set(_KEEPS_FIT):
            self.fitted_ = False
        return super().set_params(**params)

    # ----------------------------------------------------------------- roles
    def models_(self):
        """The built models by role (None where a role is absent or external)."""
        return {role: getattr(self, f"{role}_", None) for role in ROLES}

    def initialize_module(self):
        """Build the teacher, assistant and student (``module_``)."""
        for role, module in build_roles(self).items():
            setattr(self, f"{role}_", module)
        self.module_ = self.student_
        self.alignments_ = nn.ModuleDict()
        return self

    def initialize_criterion(self):
        """Build the hard-label criterion and the distillation strategy."""
        super().initialize_criterion()
        names = ("alpha_epoch", "beta_seq", "gamma_soft", "delta_hard", "temperature")
        shared = recipe_settings(self.recipe, **{k: getattr(self, k) for k in names})
        shared["seed"] = 0 if self.random_state is None else self.random_state
        ablation = None if self.ablation == "no_assistant" else self.ablation
        self.strategy_ = make_strategy(
            self.strategy,
            ablation=ablation,
            shared=shared,
            **self.get_params_for("strategy"),
        )
        return self

    # ---------------------------------------------------------------- fitting
    def fit(
        self, X, y=None, groups=None, teacher_proba=None, unlabelled=None, **fit_params
    ):
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
            Subject of each sequence, for subject-wise validation splits (taken
            from the windows' descriptions when None). Given with
            ``train_split=None``, every stage validates on 20% of the subjects
            held out and restores its epoch of best validation kappa.
        teacher_proba : array-like | None
            Class probabilities ``(n_seq, seq_len, n_classes)`` of an external
            teacher, aligned with ``y``: the teacher stage is skipped and only
            the output-level terms apply where it guides. With ``teacher`` an
            external scorer (``is_external_teacher = True`` and
            ``predict_proba(X, seq_len, seq_stride)``) they are taken from it.
            With ``unlabelled``, they cover ``X`` then ``unlabelled``.
        unlabelled : array-like | braindecode windows dataset | None
            Unscored sequences (or windows, e.g. nights without a hypnogram),
            appended to ``X`` with labels -1; labels of -1 in ``y`` mark
            unscored epochs too. They get only the distillation terms, in every
            stage with a guide; the teacher stage and the hard term skip them.
        **fit_params
            Passed to ``train_split``.

        Returns
        -------
        self
        """
        self.__dict__.pop("stage_", None)
        self.fitted_, self.report_ = False, None
        self.valid_split_ = fit_split(
            self.train_split, groups is not None, self.random_state
        )
        skip = check_guard(self, self.valid_split_)
        X, y, groups, external, learnt = prepare_fit_data(
            self, X, y, groups, teacher_proba, unlabelled
        )
        for name, value in learnt.items():
            setattr(self, name, value)
        if groups is not None:
            fit_params["groups"] = np.asarray(groups)
        skip = skip or check_guard_labels(self, y)
        links, store = self._initialize_fit(X, y, external)
        dataset = self.get_dataset(X, y)
        self.__dict__.pop("student_alone_", None)
        if skip is None:  # the student alone starts from the student's weights
            object.__setattr__(self, "student_alone_", copy.deepcopy(self.student_))
        for link in links:
            if not self._fit_stage(link, dataset, y, store, external, fit_params):
                return self  # interrupted: resumable from checkpoint_dir
        self.module_ = self.student_
        if skip is not None:
            self.report_ = GuardSkipped(skip)
        elif not self._fit_guard(dataset, y, store, external, links, fit_params):
            return self  # interrupted: resumable from checkpoint_dir
        self.history_ = self.histories_.get("student", self.history_)
        self.__dict__.pop("stage_", None)
        self.fitted_ = True
        return self

    def _initialize_fit(self, X, y, external):
        """Build and check the models and links; open the checkpoint store."""
        if not (self.warm_start and self.initialized_):
            seed_stage(self, 0)
            self.initialize()
        x0 = torch.as_tensor(np.asarray(X[0]), dtype=torch.float32)[None]
        check_models(self.models_(), x0.to(self.device), self.n_classes, self.signal_)
        has_assistant = self.assistant_ is not None and self.ablation != "no_assistant"
        links = self.strategy_.links(has_assistant)
        check_links(self, links, external, y)
        store = StageStore(
            self.checkpoint_dir,
            describe_params(self.get_params(deep=False), self._weights_matter),
            data_fingerprint(X, y, external.get("proba"))
            if self.checkpoint_dir
            else {},
        )
        self.checkpoint_path_ = store.directory
        self.histories_, self.stages_ = {}, []
        return links, store

    def _fit_stage(self, link, dataset, y, store, external, fit_params):
        """Train ``link``'s learner (one stage); False when interrupted."""
        if link.learner == "teacher" and (self.teacher_pretrained or external):
            self.stages_.append(
                "teacher: pretrained, not trained"
                if self.teacher_pretrained
                else "teacher: external probabilities (only the soft and hard "
                "terms apply when the teacher guides)"
            )
            return True
        run = StageRun(self, link, dataset, store, external)
        self.stage_, self.module_, self._run = run.learner, run.model, run
        self.alignments_[run.learner] = run.alignments
        self.initialize_optimizer()
        self.history_ = History()
        self._initialize_callbacks()
        status, history = run.resume(self.optimizer_, self.device)
        self.history_ = self.history_ if history is None else history
        outcome = "loaded"
        if status != "finished":
            outcome = run.train(self, dataset, y, fit_params)
        if outcome == "trained":
            self.save_stage_(finished=True)
        self.stages_.append(run.describe(self, outcome))
        self.histories_[run.learner] = self.history_
        run.stage.train(False)
        self._run = None
        if outcome == "interrupted":
            warnings.warn(f"fit interrupted: {self.stages_[-1]}.", stacklevel=3)
            del self.stage_
            return False
        return True

    def _fit_guard(self, dataset, y, store, external, links, fit_params):
        """Train the student alone, fill ``report_``, keep the better student."""
        start = time.perf_counter()
        link = Link("student_alone")
        if not self._fit_stage(link, dataset, y, store, {}, fit_params):
            return False
        seconds = time.perf_counter() - start
        self.module_ = self.student_
        self.report_ = guard_report(
            self, dataset, y, fit_params, external, links, seconds
        )
        if self.report_.selected == "student_alone":
            self.module_ = self.student_alone_
        announce(self.report_, self.select, self.verbose)
        return True

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Refused: a fit trains several learners in turn (see the error)."""
        raise NotImplementedError(
            "SleepKDClassifier trains teacher, assistant and student in turn, so "
            "partial_fit has no single learner to continue. Call fit() instead; "
            "to train further, fit again with the same checkpoint_dir and a "
            "larger max_epochs: every saved stage continues from its weights."
        )

    def _weights_matter(self, name):
        """Whether the weights of a module given as parameter ``name`` matter."""
        return self.random_state is None or (
            name == "teacher" and self.teacher_pretrained
        )
