"""Hypnogram plots: one night with its probabilities, or several hypnograms."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import numpy as np

from ..constants import EPOCH_S, SLEEP_STAGES

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


_UNITS = {"h": (3600.0, "time (h)"), "min": (60.0, "time (min)")}


def plot_hypnograms(hypnograms, epoch_sec=EPOCH_S, unit="h", title=None):
    """Plot several hypnograms of the same epochs, one panel each, stacked.

    Stages run from top to bottom W, REM, N1, N2, N3 (the usual hypnogram
    order), on shared axes, so e.g. the expert, a teacher and a student can be
    read against each other.

    Parameters
    ----------
    hypnograms : dict
        ``{name: stages}``: a panel title and an array-like of stage indices
        ``0..4`` (W, N1, N2, N3, REM), any shape (flattened); at least one.
    epoch_sec : float, default=30.0
        Seconds per epoch.
    unit : {"h", "min"}, default="h"
        Unit of the time axis.
    title : str | None
        Title over the panels.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Raises
    ------
    ValueError
        On no hypnogram, a stage outside ``0..4``, a non-positive ``epoch_sec``
        or an unknown ``unit``.
    """
    if not hypnograms:
        raise ValueError("Give at least one hypnogram, as {name: stages}.")
    if unit not in _UNITS:
        raise ValueError(f"unit must be one of {sorted(_UNITS)}, got {unit!r}.")
    if not epoch_sec > 0:
        raise ValueError(f"epoch_sec must be > 0, got {epoch_sec!r}.")
    panels = {}
    for name, stages in hypnograms.items():
        stages = np.asarray(stages).ravel()
        bad = ~np.isin(stages, range(len(_ORDER)))
        if bad.any():
            raise ValueError(
                f"Hypnogram {name!r} has {int(bad.sum())} values outside the "
                f"stages 0..4 (e.g. {stages[bad][0]!r})."
            )
        panels[name] = stages.astype(int)
    import matplotlib.pyplot as plt

    rank = np.argsort(_ORDER)
    scale, xlabel = _UNITS[unit]
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(10, 1.1 + 1.5 * len(panels)),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    for ax, (name, stages) in zip(axes[:, 0], panels.items()):
        time = np.arange(stages.size) * epoch_sec / scale
        ax.step(time, rank[stages], where="post", color="k", lw=1)
        ax.set_title(name, loc="left", fontsize=10)
    ax = axes[0, 0]
    ax.set_yticks(range(len(_ORDER)), [SLEEP_STAGES[k] for k in _ORDER])
    ax.invert_yaxis()
    axes[-1, 0].set_xlabel(xlabel)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
