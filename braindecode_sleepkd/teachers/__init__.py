"""External teachers: pretrained scorers that give per-epoch probabilities."""

from .base import ExternalTeacher, is_external_teacher
from .ensemble import EnsembleTeacher
from .gssc import GSSCTeacher, gssc_preprocess
from .yasa import YASATeacher, yasa_proba_to_labels

__all__ = [
    "EnsembleTeacher",
    "ExternalTeacher",
    "GSSCTeacher",
    "YASATeacher",
    "gssc_preprocess",
    "is_external_teacher",
    "yasa_proba_to_labels",
]
