"""Distillation losses: SleepKD terms and the baselines' losses.

Every loss is a small :class:`torch.nn.Module` whose ``forward`` returns a scalar.
Logits are ``(batch, seq_len, n_classes)``, epoch features ``(batch, seq_len, d)``
or ``(batch, seq_len, d, n_steps)`` and sequence features ``(batch, seq_len, d)``.
Class probabilities are always computed with ``log_softmax`` so that the losses
stay finite for extreme logits (e.g. ``+-1e4``).

Losses that compare a student with a *teacher's logits or feature maps*
(:class:`SoftKLLoss`, :class:`DKDLoss`, :class:`NSTLoss`) detach the teacher
tensor: it is a constant target and never receives gradients. The feature
regression losses (:class:`FeatureMSELoss`, :class:`FitNetsHintLoss`) do **not**
detach either argument, because one of them is usually the output of a learnable
:class:`~braindecode_sleepkd.distill.alignment.FeatureAlignment` that must be
trained; run the frozen model's forward under :func:`torch.no_grad` instead.
"""

from .dist import DISTLoss
from .dkd import DKDLoss
from .feature import FeatureMSELoss, FitNetsHintLoss
from .hard import HardCELoss
from .nst import NSTLoss
from .soft import SoftKLLoss

__all__ = [
    "DISTLoss",
    "DKDLoss",
    "FeatureMSELoss",
    "FitNetsHintLoss",
    "HardCELoss",
    "NSTLoss",
    "SoftKLLoss",
]
