"""Paper-style benchmark of the distillation methods (``sleepkd benchmark``).

One concept per module: :mod:`.data` (loading, per-recording scaling),
:mod:`.splits` (subject-wise folds, leave one subject out, held-out
subjects), :mod:`.rows` (fit these rows on these units, resumable),
:mod:`.loso` (leave-one-subject-out distillation from an external teacher),
:mod:`.external` (its rows and reports for YASA and GSSC),
:mod:`.windows` (sequence outputs back to windows), :mod:`.baselines`
(majority class, band-power logistic regression), :mod:`.stats`
(aggregation, paired comparisons against a reference row, gap closed),
:mod:`.gap` (gap closure over split x seed units) and :mod:`.gap_subjects`
(over held-out subjects), :mod:`.cost` (size and CPU speed, child
processes), :mod:`.faults` (kill-and-resume harness), :mod:`.night` (staging
a night from EDF, stride agreement on DREAMS), :mod:`.runtime` (the torch-free
runtime timed as whole processes), :mod:`.speed` (size and speed of the
presets), :mod:`.latency` (onnxruntime against torch), :mod:`.int8` (int8
students against float), :mod:`.memory` (peak memory of data loading),
:mod:`.overhead` (cost of a distillation epoch), :mod:`.guard` (cost of the
baseline guard), :mod:`.variants` (SleepKD settings compared),
:mod:`.recipe` (the default recipe from the gap benchmarks),
:mod:`.matrix` (the pre-registered evaluation matrix and its maximin rule),
:mod:`.tables` (Markdown tables),
:mod:`.writer` (the one results writer: JSON, Markdown, figure), :mod:`.cli`
(what the benchmark commands share), :mod:`.progress` (progress display and
budget), :mod:`.runner` (the cross-validated run of ``sleepkd benchmark``),
:mod:`.scaling` (time and memory against data size) and :mod:`.report` (its
``results.json``, Markdown and figures). Views: the package's one policy,
:class:`~braindecode_sleepkd.distill.ConsistentViews`.
"""

from .runner import METHODS, BenchmarkConfig, run_benchmark

__all__ = ["METHODS", "BenchmarkConfig", "run_benchmark"]
