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
from .strategies import base as _strategy_api
from .strategies.base import *  # noqa: F403  (the registry API: base.__all__)
from .views import ConsistentViews

__all__ = [
    *_strategy_api.__all__,
    "RECIPES",
    "ConsistentViews",
    "DistillationStage",
    "StageOutput",
    "DISTLoss",
    "DKDLoss",
    "FeatureAlignment",
    "FeatureMSELoss",
    "FitNetsHintLoss",
    "HardCELoss",
    "NSTLoss",
    "SoftKLLoss",
    "build_alignment",
]
