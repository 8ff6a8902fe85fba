"""The strategy base class, the registry and :func:`make_strategy`.

Distillation strategies: what each method distils, and from whom.

A strategy is a small :class:`torch.nn.Module` (registered with the estimator as
the ``strategy_`` criterion, so ``strategy__<param>`` reaches its constructor). It
declares the training chain (:meth:`DistillationStrategy.links`) and computes the
named loss terms of one learner given the outputs of its guides
(:meth:`DistillationStrategy.loss_terms`). The estimator does the rest: stages,
freezing, caching, logging.
"""

from dataclasses import dataclass

import torch
from torch import nn

from ..losses import SoftKLLoss

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
    if ablation in ("no_epoch", "no_seq") and cls.name != "sleepkd":
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
    # every setting the estimator gives is checked, also those this strategy ignores
    given = {**(shared or {}), **kwargs}
    for key, value in given.items():
        if key in ("alpha_epoch", "beta_seq", "gamma_soft", "delta_hard"):
            _check_weight(key, value)
    if "temperature" in given and not given["temperature"] > 0:
        raise ValueError(f"temperature must be > 0, got {given['temperature']!r}.")
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
    "DistillationStrategy",
    "Link",
    "get_strategy_class",
    "make_strategy",
    "register_strategy",
    "strategies",
]
