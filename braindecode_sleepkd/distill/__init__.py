"""Distillation losses, alignment (Phi) and strategies."""

from .alignment import FeatureAlignment, build_alignment
from .losses import (
    DISTLoss,
    DKDLoss,
    FeatureMSELoss,
    FitNetsHintLoss,
    HardCELoss,
    NSTLoss,
    SoftKLLoss,
)
from .recipes import RECIPES
from .stage import DistillationStage, StageOutput
from .strategies import (
    ABLATIONS,
    DistillationStrategy,
    Link,
    get_strategy_class,
    make_strategy,
    register_strategy,
    strategies,
)
from .views import ConsistentViews

__all__ = [
    "ABLATIONS",
    "RECIPES",
    "ConsistentViews",
    "DistillationStage",
    "StageOutput",
    "DISTLoss",
    "DKDLoss",
    "DistillationStrategy",
    "FeatureAlignment",
    "FeatureMSELoss",
    "FitNetsHintLoss",
    "HardCELoss",
    "Link",
    "NSTLoss",
    "SoftKLLoss",
    "build_alignment",
    "get_strategy_class",
    "make_strategy",
    "register_strategy",
    "strategies",
]
