"""Constants shared by every layer: stage names and order, epoch length, roles."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

SLEEP_STAGES = ("W", "N1", "N2", "N3", "REM")
"""AASM stage names; the integer label of a stage is its index (0..4)."""

N_STAGES = len(SLEEP_STAGES)
"""Number of sleep stages (classes)."""

EPOCH_S = 30.0
"""Length of one scored sleep epoch, in seconds."""

ROLES = ("teacher", "assistant", "student")
"""The three models of a distillation chain, biggest first."""

UNLABELLED = -1
"""Label of an epoch without a hypnogram (scikit-learn's semi-supervised convention)."""

FEATURE_LEVELS = ("logits", "epoch_features", "sequence_features")
"""The outputs of a sleep model that distillation can use, in order."""
