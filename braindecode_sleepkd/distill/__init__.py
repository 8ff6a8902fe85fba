"""Distillation losses, alignment (Phi) and strategies."""

from .alignment import FeatureAlignment, build_alignment
from .losses import (
    DKDLoss,
    FeatureMSELoss,
    FitNetsHintLoss,
    HardCELoss,
    NSTLoss,
    SoftKLLoss,
)
from .strategies import (
    ABLATIONS,
    DistillationStrategy,
    Link,
    get_strategy_class,
    make_strategy,
    register_strategy,
    strategies,
)

__all__ = [
    "ABLATIONS",
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
