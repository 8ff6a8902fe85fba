"""Evaluate a distillation on your own data: splits, comparisons, baselines, costs.

What ``sleepkd benchmark`` runs, as functions to call on your own windows:

- subject-wise splits: :func:`subject_folds`, :func:`leave_one_subject_out`,
  :func:`held_out_split` (no subject on both sides);
- paired comparisons with intervals: :func:`paired_comparison`,
  :func:`compare_pairs`, :func:`paired_by_key`, and the share of the
  teacher - student-alone gap a distilled student closes, :func:`gap_closed`;
- the simple baselines every distillation must beat: :class:`MajorityClass`,
  :class:`BandPowerLogReg`;
- the cross-validated comparison of the methods, :func:`run_benchmark` with a
  :class:`BenchmarkConfig` (``sleepkd benchmark``), and its report,
  :func:`write_report`;
- the size and speed of models, :func:`compare_models`, :func:`model_report`.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from ..metrics import paired_comparison
from .baselines import BandPowerLogReg, MajorityClass
from .cost import ModelReport, compare_models, count_macs, model_report
from .report import write_report
from .runner import METHODS, BenchmarkConfig, run_benchmark
from .splits import held_out_split, leave_one_subject_out, subject_folds
from .stats import compare_pairs, gap_closed, paired_by_key
from .windows import predict_stages, window_proba

__all__ = [
    "METHODS",
    "BandPowerLogReg",
    "BenchmarkConfig",
    "MajorityClass",
    "ModelReport",
    "compare_models",
    "compare_pairs",
    "count_macs",
    "gap_closed",
    "held_out_split",
    "leave_one_subject_out",
    "model_report",
    "paired_by_key",
    "paired_comparison",
    "predict_stages",
    "run_benchmark",
    "subject_folds",
    "window_proba",
    "write_report",
]
