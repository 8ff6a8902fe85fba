"""Hypnogram plot with the stage probabilities underneath."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import numpy as np

from ..constants import SLEEP_STAGES

_ORDER = (0, 4, 1, 2, 3)  # W, REM, N1, N2, N3 from top to bottom
_COLORS = ("#f2c14e", "#7fb7be", "#4d9de0", "#3a5ba0", "#d3a5e0")


def plot_hypnogram(hypnogram, reference=None, title=None):
    """Plot the stages over time and the stacked probabilities below.

    Parameters
    ----------
    hypnogram : Hypnogram
    reference : array-like of int | None
        Another hypnogram (e.g. the expert's), drawn over the predicted one.
    title : str | None

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    hours = (hypnogram.onsets + 15.0) / 3600.0
    rank = {k: i for i, k in enumerate(_ORDER)}
    fig, (ax, axp) = plt.subplots(
        2, 1, sharex=True, figsize=(10, 5), gridspec_kw={"height_ratios": [1.3, 1]}
    )
    y = [rank[s] for s in hypnogram.stages]
    ax.step(hours, y, where="mid", color="k", lw=1, label="predicted")
    if reference is not None:
        ref = [rank[int(s)] for s in np.asarray(reference)[: len(hours)]]
        ax.step(
            hours[: len(ref)],
            ref,
            where="mid",
            color="tab:red",
            lw=1,
            alpha=0.6,
            label="reference",
        )
        ax.legend(loc="lower right", fontsize=8)
    ax.set_yticks(range(5), [SLEEP_STAGES[k] for k in _ORDER])
    ax.invert_yaxis()
    ax.set_ylabel("stage")
    if title:
        ax.set_title(title)
    n_classes = hypnogram.proba.shape[1]
    axp.stackplot(
        hours,
        hypnogram.proba.T,
        labels=SLEEP_STAGES[:n_classes],
        colors=_COLORS[:n_classes],
        step="mid",
    )
    axp.set_ylim(0, 1)
    axp.set_ylabel("probability")
    axp.set_xlabel("time (h)")
    axp.legend(loc="upper left", ncol=n_classes, fontsize=8)
    fig.tight_layout()
    return fig
