"""The distillation report: did distillation beat the student trained alone?

After a ``fit`` where the baseline guard ran,
:attr:`SleepKDClassifier.report_ <braindecode_sleepkd.SleepKDClassifier>` holds
the validation scores (on the held-out subjects) of the teacher, the
assistant, the student trained alone on the labels and the distilled student,
the distilled student's agreement with its guide and the share of the
teacher - student-alone gap that distillation closed; where it did not run,
a :class:`GuardSkipped` that says why.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import math
from dataclasses import dataclass

__all__ = [
    "DistillationGuardWarning",
    "DistillationReport",
    "GuardSkipped",
    "Scores",
    "gap_share",
]


class DistillationGuardWarning(UserWarning):
    """Distillation did not beat the student alone, or the teacher did not."""


@dataclass(frozen=True)
class GuardSkipped:
    """The baseline guard did not run in a fit: the distilled student is kept."""

    reason: str
    """Why the student alone was not trained."""
    selected: str = "distilled"
    """The fitted predictor (``module_``): always the distilled student."""

    def __str__(self):
        return f"Distillation report: the baseline guard did not run ({self.reason})."


@dataclass(frozen=True)
class Scores:
    """Validation scores of one model (scored epochs only, labels -1 left out)."""

    kappa: float
    """Cohen's kappa."""
    macro_f1: float
    """Macro-F1 (:func:`~braindecode_sleepkd.metrics.macro_f1`)."""
    accuracy: float
    """Share of epochs staged right."""


def gap_share(distilled, alone, teacher):
    """Share of the gap closed, ``(distilled - alone) / (teacher - alone)``.

    Returns
    -------
    share : float
        NaN when the teacher and the student alone score the same (or a score
        is NaN).
    note : str
        Why the share is NaN or hard to read (empty when it is plain).
    """
    if any(math.isnan(v) for v in (distilled, alone, teacher)):
        return math.nan, "a score is undefined (NaN), so is the share of the gap"
    gap = teacher - alone
    if gap == 0:
        return math.nan, (
            f"the teacher and the student alone have the same validation kappa "
            f"({teacher:.3f}): there is no gap to close"
        )
    note = ""
    if gap < 0:
        note = (
            f"the teacher ({teacher:.3f}) is below the student alone "
            f"({alone:.3f}): the gap is negative and the share is not a gain"
        )
    return (distilled - alone) / gap, note


@dataclass(frozen=True)
class DistillationReport:
    """What distillation gave, measured on the validation subjects of a fit.

    The share of the gap closed and the guard's decisions use Cohen's kappa,
    the score each stage selects its epoch by.
    """

    teacher: Scores | None
    """The teacher (None when its outputs on the validation data are unknown)."""
    assistant: Scores | None
    """The teacher assistant (None without one)."""
    student_alone: Scores
    """The student architecture trained alone on the labels (same budget,
    split and seed)."""
    distilled: Scores
    """The distilled student."""
    guide: str
    """The role the distilled student learnt from (its first guide)."""
    agreement: float
    """Share of validation epochs where the distilled student stages as its
    guide does."""
    gap_closed: float
    """``(distilled - alone) / (teacher - alone)`` on kappa (NaN: see
    ``gap_note``)."""
    gap_note: str
    """Why ``gap_closed`` is NaN or negative-gap (empty otherwise)."""
    selected: str
    """The fitted predictor (``module_``): ``"distilled"`` or
    ``"student_alone"``."""
    n_valid_epochs: int
    """Scored validation epochs behind every score."""
    baseline_seconds: float
    """Wall-clock time spent training the student alone (the guard's cost)."""

    def rows(self):
        """``{model: Scores}`` of the models scored, biggest first."""
        rows = {"teacher": self.teacher, "assistant": self.assistant}
        rows = {k: v for k, v in rows.items() if v is not None}
        rows["student_alone"] = self.student_alone
        rows["distilled"] = self.distilled
        return rows

    def warning(self, select="distilled"):
        """The guard's message, or None when distillation and the teacher helped.

        Parameters
        ----------
        select : {"distilled", "best"}
            The estimator's ``select`` (for the advice at the end).
        """
        alone = self.student_alone.kappa
        problems = []
        if not self.distilled.kappa > alone:
            problems.append(
                f"the distilled student (kappa {self.distilled.kappa:.3f}) is not "
                f"better than the student alone ({alone:.3f})"
            )
        if self.teacher is not None and not self.teacher.kappa > alone:
            problems.append(
                f"the teacher (kappa {self.teacher.kappa:.3f}) is not better than "
                f"the student alone ({alone:.3f})"
            )
        if not problems:
            return None
        if self.selected == "student_alone":
            advice = "With select='best' the student alone is the predictor"
        elif select == "best":
            advice = "With select='best' the distilled student (not worse) is kept"
        else:
            advice = "Pass select='best' to keep the better student"
        return (
            f"On the {self.n_valid_epochs} validation epochs, "
            + "; ".join(problems)
            + f". {advice}; see report_."
        )

    def to_frame(self):
        """The scores as a :class:`pandas.DataFrame`, one row per model."""
        import pandas as pd

        frame = pd.DataFrame(
            {
                name: {
                    "kappa": s.kappa,
                    "macro_f1": s.macro_f1,
                    "accuracy": s.accuracy,
                }
                for name, s in self.rows().items()
            }
        ).T
        frame.index.name = "model"
        frame["agreement_with_guide"] = math.nan
        frame.loc["distilled", "agreement_with_guide"] = self.agreement
        frame["selected"] = [n == self.selected for n in frame.index]
        return frame

    def __str__(self):
        lines = [
            f"Distillation report ({self.n_valid_epochs} validation epochs)",
            f"  {'model':<14} {'kappa':>7} {'macro-F1':>9} {'accuracy':>9}",
        ]
        for name, s in self.rows().items():
            mark = "  <- selected" if name == self.selected else ""
            lines.append(
                f"  {name:<14} {s.kappa:7.3f} {s.macro_f1:9.3f} {s.accuracy:9.3f}"
                + mark
            )
        gap = f"{self.gap_closed:.2f}" if not math.isnan(self.gap_closed) else "nan"
        lines.append(
            f"  agreement of the distilled student with the {self.guide}: "
            f"{self.agreement:.3f}"
        )
        lines.append(
            f"  share of the teacher - student-alone gap closed (kappa): {gap}"
            + (f" ({self.gap_note})" if self.gap_note else "")
        )
        lines.append(f"  student alone trained in {self.baseline_seconds:.1f} s")
        return "\n".join(lines)
