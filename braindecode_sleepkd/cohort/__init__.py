"""Distil a pretrained scorer over a cohort of nights (``sleepkd distill``).

A folder of EDF nights (some with hypnograms) -> teacher outputs computed in
parallel and cached on disk -> sequences memory-mapped on disk -> a student,
its ONNX file and a model card.
"""

from .card import ModelCard
from .distill import Interrupted, distill_cohort, split_nights
from .nights import (
    Night,
    NightError,
    Skipped,
    find_nights,
    read_hypnogram,
    read_night,
    write_night_edf,
)
from .scorers import GSSCNightScorer, OnnxNightScorer, YASANightScorer, make_scorer
from .scoring import CohortScores, cache_key, score_cohort, score_one
from .store import SequenceStore, write_sequences

__all__ = [
    "CohortScores",
    "GSSCNightScorer",
    "Interrupted",
    "ModelCard",
    "Night",
    "NightError",
    "OnnxNightScorer",
    "SequenceStore",
    "Skipped",
    "YASANightScorer",
    "cache_key",
    "distill_cohort",
    "find_nights",
    "make_scorer",
    "read_hypnogram",
    "read_night",
    "score_cohort",
    "score_one",
    "split_nights",
    "write_night_edf",
    "write_sequences",
]
