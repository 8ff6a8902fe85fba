"""Distillation losses, alignment (Phi) and strategies."""

from . import losses as _losses
from .alignment import FeatureAlignment, build_alignment
from .losses import *  # noqa: F403  (the losses: losses.__all__)
from .recipes import RECIPES
from .stage import DistillationStage, StageOutput
from .strategies import base as _strategy_api
from .strategies.base import *  # noqa: F403  (the registry API: base.__all__)
from .views import ConsistentViews

__all__ = [
    *_strategy_api.__all__,
    *_losses.__all__,
    "RECIPES",
    "ConsistentViews",
    "DistillationStage",
    "StageOutput",
    "FeatureAlignment",
    "build_alignment",
]
