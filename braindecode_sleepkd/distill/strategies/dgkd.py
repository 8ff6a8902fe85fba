"""Densely guided KD (Son et al., 2021)."""

import torch

from .base import DistillationStrategy, Link, register_strategy


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
