"""Sleep-staging models exposing epoch, sequence and output features."""

from .braindecode_encoder import (
    BraindecodeEncoder,
    from_braindecode,
    make_sleep_model,
)
from .classifier import EpochClassifier
from .deepsleepnet_encoder import DeepSleepNetEncoder
from .presets import FAMILIES, ROLES, DeepSleepNetKD, SalientKD, preset
from .salient_encoder import SalientEncoder
from .sequence import SleepFeatures, SleepSequenceModel
from .sequence_learners import (
    SEQUENCE_LEARNERS,
    BiLSTMLearner,
    GRULearner,
    IdentityLearner,
    TemporalConvLearner,
    TransformerLearner,
    make_sequence_learner,
)

__all__ = [
    "FAMILIES",
    "ROLES",
    "SEQUENCE_LEARNERS",
    "BiLSTMLearner",
    "BraindecodeEncoder",
    "DeepSleepNetEncoder",
    "DeepSleepNetKD",
    "EpochClassifier",
    "GRULearner",
    "IdentityLearner",
    "SalientEncoder",
    "SalientKD",
    "SleepFeatures",
    "SleepSequenceModel",
    "TemporalConvLearner",
    "TransformerLearner",
    "from_braindecode",
    "make_sequence_learner",
    "make_sleep_model",
    "preset",
]
