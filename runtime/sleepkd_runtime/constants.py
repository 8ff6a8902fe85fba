"""Stage names and epoch length, shared with ``braindecode_sleepkd``."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

SLEEP_STAGES = ("W", "N1", "N2", "N3", "REM")
"""AASM stage names; the integer label of a stage is its index (0..4)."""

EPOCH_S = 30.0
"""Length of one scored sleep epoch, in seconds."""

AASM_EVENT_NAMES = (
    "Sleep stage W",
    "Sleep stage N1",
    "Sleep stage N2",
    "Sleep stage N3",
    "Sleep stage R",
)
"""Annotation descriptions of the stages, by label (MNE / EDF+ convention)."""
