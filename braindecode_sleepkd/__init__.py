"""braindecode-sleepkd: SleepKD knowledge distillation for sleep staging.

Teacher -> teacher assistant -> student distillation of epoch-level,
sequence-level and output-level knowledge (Liang et al., IJCAI 2023), as a
skorch / scikit-learn estimator on braindecode data.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("braindecode-sleepkd")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
