"""Constants shared by every layer: stage names and order, epoch length, roles."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from sleepkd_runtime.constants import EPOCH_S, SLEEP_STAGES  # noqa: F401 (re-exported)

# SLEEP_STAGES (AASM stage names; a stage's label is its index 0..4) and EPOCH_S
# (seconds per scored epoch) live in the torch-free runtime, which stages nights
# on devices: one definition for both distributions.

N_STAGES = len(SLEEP_STAGES)
"""Number of sleep stages (classes)."""


ROLES = ("teacher", "assistant", "student")
"""The three models of a distillation chain, biggest first."""

UNLABELLED = -1
"""Label of an epoch without a hypnogram (scikit-learn's semi-supervised convention)."""

FEATURE_LEVELS = ("logits", "epoch_features", "sequence_features")
"""The outputs of a sleep model that distillation can use, in order."""
