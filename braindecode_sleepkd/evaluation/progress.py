"""Progress display (method, fold, epoch, elapsed, remaining) and time budget."""

import sys
import time

from skorch.callbacks import Callback


def _fmt(seconds):
    seconds = max(0, int(seconds))
    return f"{seconds // 60:d}m{seconds % 60:02d}s"


class Progress:
    """Counts planned and finished training epochs and prints one line per epoch.

    Parameters
    ----------
    total_epochs : int
        Training epochs planned for the whole benchmark (all stages).
    stream : file-like
        Where to print (default: standard error).
    enabled : bool
        Print nothing when False.
    """

    def __init__(self, total_epochs, stream=None, enabled=True):
        self.total_epochs = max(1, int(total_epochs))
        self.done = 0
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.start = time.perf_counter()
        self.context = ""

    def elapsed(self):
        """Seconds since the start."""
        return time.perf_counter() - self.start

    def skip(self, n_epochs):
        """Count planned epochs that will not run (early stopping, cache)."""
        self.total_epochs = max(self.done, self.total_epochs - int(n_epochs))

    def step(self, what):
        """One epoch finished: print method, fold, epoch, elapsed and remaining."""
        self.done += 1
        el = self.elapsed()
        remaining = el / self.done * max(0, self.total_epochs - self.done)
        self.log(
            f"{self.context} {what} | elapsed {_fmt(el)} | ~{_fmt(remaining)} left"
        )

    def log(self, message):
        """Print a line."""
        if self.enabled:
            print(message, file=self.stream, flush=True)


class ProgressCallback(Callback):
    """skorch callback reporting every finished epoch to a :class:`Progress`.

    Parameters
    ----------
    progress : Progress
        The shared counter.
    max_epochs : int
        Planned epochs of the stage.
    name : str | None
        Shown instead of the estimator's stage name.
    """

    def __init__(self, progress, max_epochs, name=None):
        self.progress = progress
        self.max_epochs = max_epochs
        self.name = name

    def on_train_begin(self, net, **kwargs):
        """Note where this stage starts."""
        self.stage = self.name or getattr(net, "stage_", "model")
        self.seen = 0

    def on_epoch_end(self, net, **kwargs):
        """Report the epoch with its losses."""
        self.seen += 1
        h = net.history[-1]
        losses = " ".join(
            f"{k}={h[k]:.3f}" for k in ("train_loss", "valid_loss") if k in h
        )
        self.progress.step(f"{self.stage} epoch {self.seen}/{self.max_epochs} {losses}")

    def on_train_end(self, net, **kwargs):
        """Epochs left out by early stopping leave the plan."""
        self.progress.skip(self.max_epochs - self.seen)
