"""FitNets (Romero et al., 2015): a hint through a regressor, plus KD."""

from ..losses import FeatureMSELoss
from .base import register_strategy
from .features import FeatureStrategy


@register_strategy
class FitNets(FeatureStrategy):
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
