"""One distillation stage: a learner, its frozen guides, the alignments, the loss.

The shape is mdistiller's ``Distiller`` (``mdistiller/distillers/_base.py``): one
module holds everything a stage trains with, keeps the guides in eval mode
whatever :meth:`~DistillationStage.train` is called with, exposes only the
learnable parameters, and its ``forward`` returns the learner's outputs and a
dict of *weighted* loss terms whose sum is the loss. One ``.to(device)`` moves
the learner, the guides, the alignment modules and the cached guide outputs.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import warnings
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from .guides import StoredOutputs, cache_size_gb, guide_cache
from .views import ConsistentViews

__all__ = ["DistillationStage", "StageOutput"]


class StageOutput(NamedTuple):
    """What a stage's ``forward`` returns for one batch."""

    out: object
    """The learner's :class:`~braindecode_sleepkd.models.SleepFeatures`."""
    terms: dict
    """Each loss term times its weight; the loss is their sum."""
    guide_logits: object
    """The first guide's logits on the same view (None without guides)."""
    targets: object
    """The targets of the view the learner saw (mixed by mixup)."""

    def step(self, loss):
        """The dict a skorch train or validation step returns (callbacks read it)."""
        return {
            "loss": loss,
            "y_pred": self.out.logits,
            "guide_logits": self.guide_logits,
            "targets": self.targets,
        }


class DistillationStage(nn.Module):
    """A learner trained on labels and on the outputs of frozen guides.

    Parameters
    ----------
    learner : torch.nn.Module
        The model trained in this stage (``forward_features(x) -> SleepFeatures``).
    guides : dict of str to torch.nn.Module, default=None
        The bigger models it learns from, by role, in the order the strategy
        expects them: live models, or :class:`~.guides.StoredOutputs` (e.g. an
        external teacher's probabilities). Frozen here: no gradients, eval mode.
        Empty or None: the learner trains on the labels alone (hard term,
        weight 1).
    strategy : DistillationStrategy | None, default=None
        Computes the unweighted loss terms and gives their weights; needed
        when there are guides.
    hard_loss : torch.nn.Module | None, default=None
        The criterion of the hard term (labels or soft targets).
    views : ConsistentViews | callable | None, default=None
        Applied to each training batch before the learner sees it. A
        :class:`~.views.ConsistentViews` policy changes inputs *and* targets and
        is applied only when every guide runs live (so the guides see the same
        view); any other callable maps ``x -> x`` and is applied in every stage.

    Attributes
    ----------
    alignments : torch.nn.ModuleDict
        The learnable alignment modules (Phi) of the strategy, made by
        :meth:`build_alignments`.
    cache : torch.nn.ModuleDict
        The guides' outputs computed once per dataset item, by role, made by
        :meth:`build_cache` (empty when the guides run live).
    """

    def __init__(self, learner, guides=None, strategy=None, hard_loss=None, views=None):
        super().__init__()
        guides = dict(guides or {})
        if guides and strategy is None:
            raise ValueError("A distillation stage with guides needs a strategy.")
        self.learner = learner
        self.guides = nn.ModuleDict(guides)
        self.strategy = strategy
        self.hard_loss = hard_loss
        self.views = views
        self.alignments = nn.ModuleDict()
        self.cache = nn.ModuleDict()
        self.guides.requires_grad_(False)
        self.learner.requires_grad_(True)
        self.train()

    # ------------------------------------------------------------- modes
    def train(self, mode=True):
        """Set the learner and alignments to ``mode``; the guides stay in eval."""
        self.training = mode
        for name, child in self.named_children():
            child.train(mode and name not in ("guides", "cache"))
        return self

    def named_learnable_parameters(self, prefix):
        """The learner's parameters, then the alignments' (``prefix``: the learner).

        Yields
        ------
        (str, torch.nn.Parameter)
            Each parameter once, as ``"<prefix>.<name>"`` or
            ``"alignments.<prefix>.<name>"``.
        """
        seen = set()
        for module, name in (
            (self.learner, prefix),
            (self.alignments, f"alignments.{prefix}"),
        ):
            for key, param in module.named_parameters():
                if id(param) not in seen:
                    seen.add(id(param))
                    yield f"{name}.{key}", param

    # ------------------------------------------------------------- terms
    def weights(self):
        """Weight of every loss term, by name."""
        return self.strategy.weights() if self.guides else {"hard": 1.0}

    def term_names(self):
        """Names of the loss terms this stage computes (the non-zero weights)."""
        return tuple(k for k, w in self.weights().items() if w)

    def generators(self):
        """The random generators of the strategy and the views (for checkpoints)."""
        gens = dict(self.strategy.generators()) if self.strategy is not None else {}
        if isinstance(self.views, ConsistentViews):
            gens.update(self.views.generators())
        return gens

    @property
    def consistent_views(self):
        """Whether a view policy applies here (guides all live, none cached)."""
        return (
            isinstance(self.views, ConsistentViews)
            and bool(self.guides)
            and not len(self.cache)
            and not any(isinstance(g, StoredOutputs) for g in self.guides.values())
        )

    def guide_outputs(self, x, index=None):
        """The guides' outputs on the batch ``x`` (items ``index`` of the dataset)."""
        outs = []
        for name, guide in self.guides.items():
            if name in self.cache and index is not None:
                outs.append(self.cache[name](index))
            elif isinstance(guide, StoredOutputs):
                outs.append(guide(index))
            else:
                with torch.no_grad():
                    outs.append(guide.forward_features(x))
        return outs

    def forward(self, x, y, index=None):
        """The learner's outputs and the weighted loss terms on one batch.

        Parameters
        ----------
        x : torch.Tensor
            Sequences ``(batch, seq_len, n_chans, n_times)``.
        y : torch.Tensor
            Labels ``(batch, seq_len)`` or probabilities ``(batch, seq_len, K)``.
        index : torch.Tensor | None
            Dataset index of each item (for stored guide outputs).

        Returns
        -------
        StageOutput
            The learner's outputs, the weighted terms (their sum is the loss),
            the first guide's logits and the targets of the view.
        """
        if self.training and self.views is not None:
            if self.consistent_views:
                x, y = self.views(x, y)
            elif not isinstance(self.views, ConsistentViews):
                x = self.views(x)
        out = self.learner.forward_features(x)
        guide_logits = None
        if self.guides:
            guides = self.guide_outputs(x, index)
            guide_logits = guides[0].logits
            raw = self.strategy.loss_terms(
                out, guides, y, self.alignments, self.hard_loss
            )
        else:
            raw = {"hard": self.hard_loss(out.logits, y)}
        weights = self.weights()
        terms = {name: weights[name] * value for name, value in raw.items()}
        return StageOutput(out, terms, guide_logits, y)

    # ------------------------------------------------------------- set-up
    def build_alignments(self, x0):
        """Size the strategy's alignment modules by a dry run on one item ``x0``."""
        if not self.guides:
            return self.alignments
        with torch.no_grad():
            self.learner.eval()
            small = self.learner.forward_features(x0)
            big = self.guide_outputs(x0, torch.zeros(1, dtype=torch.long))
        self.alignments = self.strategy.build_alignments(small, big).to(x0.device)
        return self.alignments

    def build_cache(self, X, batch_size, max_gb):
        """Compute the live guides' outputs on every item of ``X`` once.

        Nothing is cached (the guides run live, with a warning) when the outputs
        would take more than ``max_gb`` GB.

        Returns
        -------
        bool
            Whether a cache was built.
        """
        self.cache = nn.ModuleDict()
        levels = self.strategy.levels if self.guides else ()
        live = {
            name: guide
            for name, guide in self.guides.items()
            if not isinstance(guide, StoredOutputs)
        }
        if not levels or not live:
            return False
        device = next(self.learner.parameters()).device
        x0 = torch.as_tensor(np.asarray(X[0]), dtype=torch.float32)[None].to(device)
        size_gb = sum(cache_size_gb(g, x0, levels, len(X)) for g in live.values())
        if size_gb > max_gb:
            warnings.warn(
                f"Guide outputs would take {size_gb:.2f} GB (> cache_max_gb="
                f"{max_gb}); running the guides live instead.",
                stacklevel=3,
            )
            return False
        for name, guide in live.items():
            self.cache[name] = guide_cache(guide, X, levels, batch_size, device)
        return True
