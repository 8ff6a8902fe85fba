"""Knowledge distillation (Hinton et al., 2015)."""

from .base import DistillationStrategy, register_strategy


@register_strategy
class KD(DistillationStrategy):
    """Hinton et al. (2015): soft KL with temperature plus hard CE, teacher -> student.

    References
    ----------
    Hinton, Vinyals & Dean (2015). Distilling the knowledge in a neural network.
    arXiv:1503.02531.
    """

    name = "kd"
