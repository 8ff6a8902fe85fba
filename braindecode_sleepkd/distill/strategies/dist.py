"""DIST (Huang et al., 2022): relations of probabilities, for stronger teachers."""

from ..losses import DISTLoss
from .base import DistillationStrategy, register_strategy


@register_strategy
class DIST(DistillationStrategy):
    """Inter- and intra-class correlation of probabilities, plus the hard term.

    ``L = delta_hard * CE + inter_weight * L_inter + intra_weight * L_intra``,
    teacher -> student. Matching the *relations* of the class probabilities
    (per epoch across classes, and per class across the epochs of a batch)
    instead of their values keeps working when the teacher is much stronger
    than the student, where KL can hurt. There is no KL term (``gamma_soft`` of
    the estimator does not apply).

    Parameters
    ----------
    inter_weight, intra_weight : float
        Weights of the inter-class and intra-class terms (the paper's beta and
        gamma, 1 and 1 on ImageNet, 2 and 2 on CIFAR-100).
    dist_temperature : float
        Softmax temperature of the DIST terms (1 on ImageNet, 4 on CIFAR-100).

    References
    ----------
    Huang, You, Wang, Qian & Xu (2022). Knowledge distillation from a stronger
    teacher. NeurIPS. https://github.com/hunto/DIST_KD
    """

    name = "dist"

    def __init__(
        self,
        delta_hard=1.0,
        temperature=1.0,
        inter_weight=1.0,
        intra_weight=1.0,
        dist_temperature=1.0,
    ):
        super().__init__(0.0, delta_hard, temperature)
        self.inter_weight = inter_weight
        self.intra_weight = intra_weight
        self.dist_temperature = dist_temperature
        self.dist_loss = DISTLoss(temperature=dist_temperature)

    def weights(self):
        return {
            "inter": self.inter_weight,
            "intra": self.intra_weight,
            "hard": self.delta_hard,
        }

    def loss_terms(self, out, guides, y, alignments, hard_loss):
        terms = super().loss_terms(out, guides, y, alignments, hard_loss)
        if self.inter_weight or self.intra_weight:
            pairs = [self.dist_loss(out.logits, g.logits) for g in guides]
            terms["inter"] = sum(p[0] for p in pairs) / len(pairs)
            terms["intra"] = sum(p[1] for p in pairs) / len(pairs)
        return terms
