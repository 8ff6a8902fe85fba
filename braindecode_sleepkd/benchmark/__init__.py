"""Paper-style benchmark of the distillation methods (``sleepkd benchmark``).

One concept per module: :mod:`.data` (loading, per-recording scaling, subject
folds), :mod:`.baselines` (majority class, band-power logistic regression),
:mod:`.augment` (training-time augmentation), :mod:`.metrics` (scores and
model cost), :mod:`.stats` (aggregation and paired comparisons),
:mod:`.progress` (progress display and budget), :mod:`.runner` (the
cross-validated run), :mod:`.scaling` (time and memory against data size) and
:mod:`.report` (``results.json``, Markdown, figures).
"""

from .runner import METHODS, BenchmarkConfig, run_benchmark

__all__ = ["METHODS", "BenchmarkConfig", "run_benchmark"]
