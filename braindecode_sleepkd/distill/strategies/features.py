"""Shared machinery of strategies with feature-level terms."""

from torch import nn

from ..alignment import FeatureAlignment, pool_pair
from .base import DistillationStrategy


class FeatureStrategy(DistillationStrategy):
    """Shared machinery of strategies with feature-level terms.

    ``align="student_to_teacher"`` (default) projects the learner's features into
    the guide's feature space, so the target is fixed and a feature term cannot be
    lowered by shrinking both sides; ``"teacher_to_student"`` projects the guide's
    features into the learner's space (Phi(F_big) vs F_small); ``"pool"`` has no
    parameters: the guide's features are max-pooled to the learner's width (the
    SleepKD authors' code).
    """

    ALIGNS = ("student_to_teacher", "teacher_to_student", "pool")

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
        if self.align == "pool":
            return mods
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
        if self.align == "pool":
            return loss(*pool_pair(small, big))
        if self.align == "student_to_teacher":
            return loss(alignments[term](small), big)
        return loss(small, alignments[term](big))

    @classmethod
    def check_align(cls, align):
        """Raise a ValueError naming the valid values when ``align`` is unknown."""
        if align not in cls.ALIGNS:
            raise ValueError(
                f"align must be one of {', '.join(map(repr, cls.ALIGNS))}, got "
                f"{align!r}."
            )
