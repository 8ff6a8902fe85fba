"""The protocol of an external (non-torch) teacher."""


def is_external_teacher(obj):
    """True when ``obj`` is an external teacher (``is_external_teacher = True``)."""
    return bool(getattr(obj, "is_external_teacher", False))


class ExternalTeacher:
    """Base class of teachers that only give class probabilities.

    Subclasses implement :meth:`predict_proba`. ``SleepKDClassifier`` calls it
    once at the start of ``fit`` with the ``X`` given to ``fit``; only the
    output-level terms (soft KL, hard CE) apply on the teacher -> assistant link.
    """

    is_external_teacher = True

    def predict_proba(self, X, seq_len, seq_stride=None):
        """Probabilities ``(n_seq, seq_len, n_classes)`` for the sequences of ``X``.

        They must be aligned with the sequences the estimator makes from ``X``
        and in the class order W, N1, N2, N3, REM.
        """
        raise NotImplementedError
