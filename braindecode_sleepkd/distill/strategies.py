"""Distillation strategies: what each method distils, and from whom.

A strategy is a small :class:`torch.nn.Module` (registered with the estimator as
the ``strategy_`` criterion, so ``strategy__<param>`` reaches its constructor). It
declares the training chain (:meth:`DistillationStrategy.links`) and computes the
named loss terms of one learner given the outputs of its guides
(:meth:`DistillationStrategy.loss_terms`). The estimator does the rest: stages,
freezing, caching, logging.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .alignment import FeatureAlignment
from .losses import DKDLoss, FeatureMSELoss, NSTLoss, SoftKLLoss

_STRATEGIES = {}

ABLATIONS = ("no_epoch", "no_seq", "no_soft", "no_hard", "no_assistant")


def register_strategy(cls):
    """Class decorator adding a strategy to the registry under ``cls.name``."""
    _STRATEGIES[cls.name] = cls
    return cls


def strategies():
    """Names of the registered distillation strategies."""
    return sorted(_STRATEGIES)


def get_strategy_class(name):
    """Return the strategy class registered as ``name``.

    Raises
    ------
    ValueError
        If ``name`` is not registered; the message lists the valid names.
    """
    if name not in _STRATEGIES:
        raise ValueError(
            f"Unknown strategy {name!r}; valid strategies are: "
            f"{', '.join(strategies())}."
        )
    return _STRATEGIES[name]


@dataclass(frozen=True)
class Link:
    """One training stage: ``learner`` learns from ``guides`` (role names)."""

    learner: str
    guides: tuple = ()


class DistillationStrategy(nn.Module):
    """Base class of all strategies.

    Parameters
    ----------
    gamma_soft : float
        Weight of the soft (KL) term on the guides' softened probabilities.
    delta_hard : float
        Weight of the hard cross-entropy term on the labels.
    temperature : float
        Softmax temperature of the soft term.

    Attributes
    ----------
    name : str
        Registry name.
    uses_assistant : bool
        Whether the chain passes through the teacher assistant when one is given.
    levels : tuple of str
        Which outputs of the guides are needed: a subset of ``("logits",
        "epoch_features", "sequence_features")``; the estimator caches only these.
    """

    name = "base"
    uses_assistant = False
    levels = ("logits",)

    def __init__(self, gamma_soft=0.4, delta_hard=0.1, temperature=1.0):
        super().__init__()
        self.gamma_soft = gamma_soft
        self.delta_hard = delta_hard
        self.temperature = temperature
        self.soft_loss = SoftKLLoss(temperature=temperature)

    def links(self, has_assistant):
        """The training chain as a list of :class:`Link`."""
        if has_assistant and self.uses_assistant:
            return [
                Link("teacher"),
                Link("assistant", ("teacher",)),
                Link("student", ("assistant",)),
            ]
        return [Link("teacher"), Link("student", ("teacher",))]

    def build_alignments(self, learner_out, guide_outs):
        """Learnable modules (e.g. Phi) needed for one link, sized by a dry run.

        Returns an :class:`torch.nn.ModuleDict` (empty when none are needed).
        """
        return nn.ModuleDict()

    def weights(self):
        """Weight of every loss term, by name."""
        return {"soft": self.gamma_soft, "hard": self.delta_hard}

    def generators(self):
        """The strategy's own random generators, by name (saved with checkpoints)."""
        return {}

    def loss_terms(self, out, guides, y, alignments, hard_loss):
        """Unweighted loss terms of the learner.

        Parameters
        ----------
        out : SleepFeatures
            The learner's outputs.
        guides : list of SleepFeatures
            The outputs of its guides (bigger models), already detached.
        y : torch.Tensor
            Labels ``(batch, seq_len)`` or probabilities ``(batch, seq_len, K)``.
        alignments : torch.nn.ModuleDict
            The modules made by :meth:`build_alignments`.
        hard_loss : torch.nn.Module
            The estimator's criterion for the hard term.

        Returns
        -------
        dict of str to torch.Tensor
            Only terms whose weight is non-zero are computed.
        """
        w = self.weights()
        terms = {}
        if w["hard"]:
            terms["hard"] = hard_loss(out.logits, y)
        if w.get("soft"):
            terms["soft"] = torch.stack(
                [self.soft_loss(out.logits, g.logits) for g in guides]
            ).mean()
        return terms


@register_strategy
class Scratch(DistillationStrategy):
    """The student trained alone on the labels (the lower bound).

    The teacher and the assistant are not trained; the loss is the hard term
    with weight 1.
    """

    name = "scratch"
    levels = ()

    def links(self, has_assistant):
        return [Link("student")]

    def weights(self):
        return {"hard": 1.0}


@register_strategy
class KD(DistillationStrategy):
    """Hinton et al. (2015): soft KL with temperature plus hard CE, teacher -> student.

    References
    ----------
    Hinton, Vinyals & Dean (2015). Distilling the knowledge in a neural network.
    arXiv:1503.02531.
    """

    name = "kd"


@register_strategy
class TAKD(DistillationStrategy):
    """Mirzadeh et al. (2020): plain KD along teacher -> assistant -> student.

    References
    ----------
    Mirzadeh et al. (2020). Improved knowledge distillation via teacher
    assistant. AAAI.
    """

    name = "takd"
    uses_assistant = True


@register_strategy
class DGKD(DistillationStrategy):
    """Son et al. (2021): densely guided KD.

    The assistant learns from the teacher; the student learns from the teacher
    and the assistant at once, and each guide is dropped at random with
    probability ``drop_rate`` per batch (at least one guide is always kept). The
    soft term is the mean KL over the kept guides.

    Parameters
    ----------
    drop_rate : float
        Probability of dropping each guide for a batch.
    seed : int
        Seed of the generator that draws the dropped guides.

    References
    ----------
    Son et al. (2021). Densely guided knowledge distillation using multiple
    teacher assistants. ICCV.
    """

    name = "dgkd"
    uses_assistant = True

    def __init__(
        self, gamma_soft=0.4, delta_hard=0.1, temperature=1.0, drop_rate=0.5, seed=0
    ):
        super().__init__(gamma_soft, delta_hard, temperature)
        self.drop_rate = drop_rate
        self.seed = seed
        self._generator = torch.Generator().manual_seed(seed)

    def generators(self):
        return {"drop": self._generator}

    def links(self, has_assistant):
        if not has_assistant:
            return super().links(False)
        return [
            Link("teacher"),
            Link("assistant", ("teacher",)),
            Link("student", ("teacher", "assistant")),
        ]

    def loss_terms(self, out, guides, y, alignments, hard_loss):
        if self.training and len(guides) > 1:
            keep = torch.rand(len(guides), generator=self._generator) >= self.drop_rate
            if not keep.any():
                keep[torch.randint(len(guides), (1,), generator=self._generator)] = True
            guides = [g for g, k in zip(guides, keep.tolist()) if k]
        return super().loss_terms(out, guides, y, alignments, hard_loss)


@register_strategy
class DKD(DistillationStrategy):
    """Zhao et al. (2022): decoupled KD (target and non-target class terms).

    The DKD term replaces the soft KL: ``delta_hard * CE + dkd_weight * DKD``.

    Parameters
    ----------
    alpha, beta : float
        Weights of the target-class (TCKD) and non-target-class (NCKD) terms.
    dkd_temperature : float
        Temperature of the DKD term.
    dkd_weight : float
        Weight of the DKD term in the total loss.

    References
    ----------
    Zhao et al. (2022). Decoupled knowledge distillation. CVPR.
    """

    name = "dkd"

    def __init__(
        self,
        gamma_soft=0.4,
        delta_hard=0.1,
        temperature=1.0,
        alpha=1.0,
        beta=8.0,
        dkd_temperature=4.0,
        dkd_weight=0.4,
    ):
        super().__init__(gamma_soft, delta_hard, temperature)
        self.alpha = alpha
        self.beta = beta
        self.dkd_temperature = dkd_temperature
        self.dkd_weight = dkd_weight
        self.dkd_loss = DKDLoss(alpha=alpha, beta=beta, temperature=dkd_temperature)

    def weights(self):
        return {"dkd": self.dkd_weight, "hard": self.delta_hard}

    def loss_terms(self, out, guides, y, alignments, hard_loss):
        terms = super().loss_terms(out, guides, y, alignments, hard_loss)
        if self.dkd_weight:
            terms["dkd"] = self.dkd_loss(out.logits, guides[0].logits, y)
        return terms


class _FeatureStrategy(DistillationStrategy):
    """Shared machinery of strategies with feature-level terms.

    ``align="student_to_teacher"`` (default) projects the learner's features into
    the guide's feature space, so the target is fixed and a feature term cannot be
    lowered by shrinking both sides; ``"teacher_to_student"`` projects the guide's
    features into the learner's space (Phi(F_big) vs F_small).
    """

    align = "student_to_teacher"
    feature_levels = {}  # term name -> SleepFeatures field

    def _pairs(self, guide=None):
        """Feature terms to compute: non-zero weight, and features the guide has.

        An external guide (e.g. precomputed probabilities) has no features, so
        only its output-level terms apply.
        """
        return {
            term: level
            for term, level in self.feature_levels.items()
            if self.weights().get(term)
            and (guide is None or getattr(guide, level) is not None)
        }

    def build_alignments(self, learner_out, guide_outs):
        mods = nn.ModuleDict()
        for term, level in self._pairs(guide_outs[0]).items():
            small = getattr(learner_out, level)
            big = getattr(guide_outs[0], level)
            if self.align == "student_to_teacher":
                mods[term] = FeatureAlignment(
                    tuple(small.shape[1:]), tuple(big.shape[1:])
                )
            else:
                mods[term] = FeatureAlignment(
                    tuple(big.shape[1:]), tuple(small.shape[1:])
                )
        return mods

    def _feature_term(self, term, out, guide, alignments, loss):
        level = self.feature_levels[term]
        small, big = getattr(out, level), getattr(guide, level)
        if self.align == "student_to_teacher":
            return loss(alignments[term](small), big)
        return loss(small, alignments[term](big))


@register_strategy
class SleepKD(_FeatureStrategy):
    """SleepKD (Liang et al., 2023): multi-level distillation through an assistant.

    ``L = alpha_epoch * L_epoch + beta_seq * L_seq + gamma_soft * L_soft +
    delta_hard * L_hard`` along teacher -> assistant -> student. ``L_epoch`` and
    ``L_seq`` compare aligned epoch-level and sequence-level features (MSE after
    the learnable alignment), ``L_soft`` the softened class probabilities (KL),
    ``L_hard`` the labels (CE).

    Parameters
    ----------
    alpha_epoch, beta_seq : float
        Weights of the epoch-level and sequence-level feature terms.
    normalize_features : bool
        L2-normalise features along the feature axis before the MSE, so the
        feature terms do not depend on the scale of the guide's activations.
    align : {"student_to_teacher", "teacher_to_student"}
        Direction of the learnable alignment (see the base class).

    References
    ----------
    Liang, Liu, Wang & Jia (2023). Teacher assistant-based knowledge distillation
    extracting multi-level features on single channel sleep EEG. IJCAI.
    """

    name = "sleepkd"
    uses_assistant = True
    levels = ("logits", "epoch_features", "sequence_features")
    feature_levels = {"epoch": "epoch_features", "seq": "sequence_features"}

    def __init__(
        self,
        alpha_epoch=0.3,
        beta_seq=0.2,
        gamma_soft=0.4,
        delta_hard=0.1,
        temperature=1.0,
        normalize_features=True,
        align="student_to_teacher",
    ):
        super().__init__(gamma_soft, delta_hard, temperature)
        if align not in ("student_to_teacher", "teacher_to_student"):
            raise ValueError(
                f"align must be 'student_to_teacher' or 'teacher_to_student', "
                f"got {align!r}."
            )
        self.alpha_epoch = alpha_epoch
        self.beta_seq = beta_seq
        self.normalize_features = normalize_features
        self.align = align
        self.feature_loss = FeatureMSELoss(normalize=normalize_features)

    def weights(self):
        return {
            "epoch": self.alpha_epoch,
            "seq": self.beta_seq,
            "soft": self.gamma_soft,
            "hard": self.delta_hard,
        }

    def loss_terms(self, out, guides, y, alignments, hard_loss):
        terms = super().loss_terms(out, guides, y, alignments, hard_loss)
        for term in self._pairs(guides[0]):
            terms[term] = self._feature_term(
                term, out, guides[0], alignments, self.feature_loss
            )
        return terms


@register_strategy
class FitNets(_FeatureStrategy):
    """Romero et al. (2015): hint loss through a regressor, plus KD.

    One-stage variant: ``hint_weight * ||r(F_student) - F_teacher||^2`` on the
    ``hint_level`` features (a learnable regressor ``r`` maps the student's
    features to the teacher's), trained jointly with the KD terms.

    Parameters
    ----------
    hint_weight : float
        Weight of the hint term.
    hint_level : {"sequence_features", "epoch_features"}
        The intermediate feature used as hint.

    References
    ----------
    Romero et al. (2015). FitNets: hints for thin deep nets. ICLR.
    """

    name = "fitnets"
    levels = ("logits", "epoch_features", "sequence_features")

    def __init__(
        self,
        gamma_soft=0.4,
        delta_hard=0.1,
        temperature=1.0,
        hint_weight=0.5,
        hint_level="sequence_features",
    ):
        super().__init__(gamma_soft, delta_hard, temperature)
        if hint_level not in ("sequence_features", "epoch_features"):
            raise ValueError(
                "hint_level must be 'sequence_features' or 'epoch_features', got "
                f"{hint_level!r}."
            )
        self.hint_weight = hint_weight
        self.hint_level = hint_level
        self.feature_levels = {"hint": hint_level}
        self.hint_loss = FeatureMSELoss()

    def weights(self):
        return {
            "hint": self.hint_weight,
            "soft": self.gamma_soft,
            "hard": self.delta_hard,
        }

    def loss_terms(self, out, guides, y, alignments, hard_loss):
        terms = super().loss_terms(out, guides, y, alignments, hard_loss)
        if "hint" in self._pairs(guides[0]):
            terms["hint"] = self._feature_term(
                "hint", out, guides[0], alignments, self.hint_loss
            )
        return terms


@register_strategy
class NST(DistillationStrategy):
    """Huang & Wang (2017): neuron selectivity transfer, plus KD.

    MMD with a polynomial kernel between the distributions of the student's and
    the teacher's epoch-level feature maps (each feature channel a neuron, its
    activation over sequence positions and time steps its selectivity pattern).
    When the time axes differ, the teacher's is resampled to the student's.

    Parameters
    ----------
    nst_weight : float
        Weight of the NST term.

    References
    ----------
    Huang & Wang (2017). Like what you like: knowledge distill via neuron
    selectivity transfer. arXiv:1707.01219.
    """

    name = "nst"
    levels = ("logits", "epoch_features")

    def __init__(self, gamma_soft=0.4, delta_hard=0.1, temperature=1.0, nst_weight=1.0):
        super().__init__(gamma_soft, delta_hard, temperature)
        self.nst_weight = nst_weight
        self.nst_loss = NSTLoss()

    def weights(self):
        return {
            "nst": self.nst_weight,
            "soft": self.gamma_soft,
            "hard": self.delta_hard,
        }

    def loss_terms(self, out, guides, y, alignments, hard_loss):
        terms = super().loss_terms(out, guides, y, alignments, hard_loss)
        if self.nst_weight and guides[0].epoch_features is not None:
            small, big = out.epoch_features, guides[0].epoch_features
            if small.ndim == 4 and big.ndim == 4 and small.shape[-1] != big.shape[-1]:
                b, s, d, n = big.shape
                big = F.interpolate(
                    big.reshape(b * s, d, n), size=small.shape[-1], mode="linear"
                ).reshape(b, s, d, small.shape[-1])
            elif small.ndim != big.ndim:
                small = small.mean(-1) if small.ndim == 4 else small
                big = big.mean(-1) if big.ndim == 4 else big
            terms["nst"] = self.nst_loss(small, big)
        return terms


def make_strategy(name, ablation=None, shared=None, **params):
    """Build the strategy ``name`` with ``params``, applying an ablation.

    Parameters
    ----------
    name : str
        A registered strategy name (see :func:`strategies`).
    ablation : str | None
        One of ``ABLATIONS``: ``"no_epoch"``, ``"no_seq"``, ``"no_soft"`` and
        ``"no_hard"`` set that SleepKD term's weight to zero; ``"no_assistant"`` is
        handled by the estimator (teacher -> student directly).
    shared : dict | None
        The estimator's shared loss parameters (weights, temperature, seed):
        passed to the strategy where its constructor takes them.
    **params
        The strategy's own parameters (``strategy__*``); each must be one its
        constructor takes.

    Raises
    ------
    ValueError
        On an unknown strategy, ablation or parameter (the message lists the
        valid ones), or an invalid weight or temperature.
    """
    import inspect

    cls = get_strategy_class(name)
    if ablation is not None and ablation not in ABLATIONS:
        raise ValueError(
            f"Unknown ablation {ablation!r}; valid ablations are: "
            f"{', '.join(ABLATIONS)} (or None)."
        )
    if ablation in ("no_epoch", "no_seq") and cls is not SleepKD:
        raise ValueError(f"Ablation {ablation!r} only applies to strategy 'sleepkd'.")
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(
            f"Unknown parameter(s) {', '.join(unknown)} for strategy {name!r}; "
            f"valid parameters are: {', '.join(accepted)}."
        )
    kwargs = {k: v for k, v in (shared or {}).items() if k in accepted}
    kwargs.update(params)
    zero = {
        "no_epoch": "alpha_epoch",
        "no_seq": "beta_seq",
        "no_soft": "gamma_soft",
        "no_hard": "delta_hard",
    }.get(ablation)
    if zero is not None:
        kwargs[zero] = 0.0
    for key, value in kwargs.items():
        if key in ("alpha_epoch", "beta_seq", "gamma_soft", "delta_hard"):
            _check_weight(key, value)
    if "temperature" in kwargs and not kwargs["temperature"] > 0:
        raise ValueError(f"temperature must be > 0, got {kwargs['temperature']!r}.")
    return cls(**kwargs)


def _check_weight(name, value):
    try:
        ok = float(value) >= 0
    except (TypeError, ValueError):
        ok = False
    if not ok:  # also catches NaN
        raise ValueError(f"Loss weight {name} must be a number >= 0, got {value!r}.")


__all__ = [
    "ABLATIONS",
    "DGKD",
    "DKD",
    "KD",
    "NST",
    "TAKD",
    "DistillationStrategy",
    "FitNets",
    "Link",
    "Scratch",
    "SleepKD",
    "get_strategy_class",
    "make_strategy",
    "register_strategy",
    "strategies",
]
