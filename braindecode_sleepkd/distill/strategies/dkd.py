"""Decoupled KD (Zhao et al., 2022)."""

from ..losses import DKDLoss
from .base import DistillationStrategy, register_strategy


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
