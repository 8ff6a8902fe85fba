"""SleepKD (Liang et al., 2023): multi-level distillation through an assistant."""

from ..losses import FeatureMSELoss
from .base import register_strategy
from .features import FeatureStrategy


@register_strategy
class SleepKD(FeatureStrategy):
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
    align : {"student_to_teacher", "teacher_to_student", "pool"}
        Direction of the learnable alignment, or ``"pool"`` (no parameters: the
        guide's features max-pooled to the learner's width); see
        :class:`~.features.FeatureStrategy`.

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
        self.check_align(align)
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
