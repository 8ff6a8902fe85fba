"""The student alone, on the labels."""

from .base import DistillationStrategy, Link, register_strategy


@register_strategy
class Scratch(DistillationStrategy):
    """The student trained alone on the labels (the lower bound).

    The teacher and the assistant are not trained; the loss is the hard term
    with weight 1.
    """

    name = "scratch"
    levels = ()

    def links(self, has_assistant):
        return [Link("student")]

    def weights(self):
        return {"hard": 1.0}
