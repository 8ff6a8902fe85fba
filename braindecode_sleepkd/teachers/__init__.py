"""External teachers: pretrained scorers that give per-epoch probabilities."""

from .base import ExternalTeacher, is_external_teacher

__all__ = ["ExternalTeacher", "is_external_teacher"]
