"""Neuron selectivity transfer (Huang & Wang, 2017), plus KD."""

import torch.nn.functional as F

from ..losses import NSTLoss
from .base import DistillationStrategy, register_strategy


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
