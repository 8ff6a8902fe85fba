"""Distillation strategies: what each method distils, and from whom.

One module per strategy; each registers itself with
:func:`~.base.register_strategy`, so adding a method is one file and one import
line below.
"""

from .base import (
    ABLATIONS,
    DistillationStrategy,
    Link,
    get_strategy_class,
    make_strategy,
    register_strategy,
    strategies,
)
from .dgkd import DGKD
from .dist import DIST
from .dkd import DKD
from .fitnets import FitNets
from .kd import KD
from .nst import NST
from .scratch import Scratch
from .sleepkd import SleepKD
from .takd import TAKD

__all__ = [
    "ABLATIONS",
    "DGKD",
    "DIST",
    "DKD",
    "KD",
    "NST",
    "TAKD",
    "DistillationStrategy",
    "FitNets",
    "Link",
    "Scratch",
    "SleepKD",
    "get_strategy_class",
    "make_strategy",
    "register_strategy",
    "strategies",
]
