"""Sleep-staging models exposing epoch, sequence and output features."""

from .sequence import SleepFeatures, SleepSequenceModel, check_signal

__all__ = ["SleepFeatures", "SleepSequenceModel", "check_signal"]
