"""Teacher-assistant KD (Mirzadeh et al., 2020)."""

from .base import DistillationStrategy, register_strategy


@register_strategy
class TAKD(DistillationStrategy):
    """Mirzadeh et al. (2020): plain KD along teacher -> assistant -> student.

    References
    ----------
    Mirzadeh et al. (2020). Improved knowledge distillation via teacher
    assistant. AAAI.
    """

    name = "takd"
    uses_assistant = True
