"""Distillation strategies: what each method distils, and from whom.

One module per strategy; each registers itself with
:func:`~.base.register_strategy`, so adding a method is one file and one import
line below. The registry (:func:`~.base.strategies`) is the one list of strategy
names: ``__all__`` here, the error messages and the docs tests read it.
"""

from . import base
from .base import *  # noqa: F403  (the registry API, listed once in base.__all__)
from .base import get_strategy_class, strategies
from .dgkd import DGKD as DGKD
from .dist import DIST as DIST
from .dkd import DKD as DKD
from .fitnets import FitNets as FitNets
from .kd import KD as KD
from .nst import NST as NST
from .scratch import Scratch as Scratch
from .sleepkd import SleepKD as SleepKD
from .takd import TAKD as TAKD

# Importing a strategy's module registers it (``X as X``: a re-export). The
# registry is the one list of strategy names: the classes exported here are the
# registered ones.
__all__ = [
    *base.__all__,
    *sorted(get_strategy_class(name).__name__ for name in strategies()),
]
