"""A teacher's outputs over many nights: in parallel with joblib, cached on disk.

Each night is read and scored in a joblib worker (processes by default, so a
``joblib.parallel_backend("dask")`` block with a ``dask.distributed.Client``
scores a cohort on a cluster unchanged). The probabilities are saved as
``<cache_dir>/<key>.npy``, the key hashing the night's samples, its rate and
the scorer's configuration (versions included) with this package's version,
so a second fit, a grid search or a crashed run reuses them.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed

from .nights import (
    NightError,
    Skipped,
    check_hypnogram_length,
    read_hypnogram,
    read_night,
)


def cache_key(X, sfreq, config):
    """Hex key of a night's samples, rate and scorer configuration."""
    from .. import __version__

    h = hashlib.sha1(np.ascontiguousarray(X, dtype=np.float32).tobytes())
    meta = dict(sfreq=float(sfreq), scorer=config, package=__version__)
    h.update(json.dumps(meta, sort_keys=True, default=str).encode())
    return h.hexdigest()[:24]


def _cached_score(scorer, X, sfreq, cache_dir):
    """``scorer.score_night`` through the cache; (proba, was it cached)."""
    path = None
    if cache_dir is not None:
        path = (
            Path(cache_dir)
            / f"{scorer.name}-{cache_key(X, sfreq, scorer.config())}.npy"
        )
        if path.is_file():
            return np.load(path), True
    proba = np.asarray(scorer.score_night(X, sfreq), dtype=np.float32)
    if proba.shape != (len(X), 5) or not np.allclose(proba.sum(1), 1, atol=1e-3):
        raise NightError(
            f"{scorer.name} gave probabilities of shape {proba.shape} (rows "
            f"summing to 1 expected) for {len(X)} epochs."
        )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, proba)
        os.replace(tmp, path)  # atomic: a crash never leaves half a file
    return proba, False


def score_one(night, scorer, channel, cache_dir=None, sfreq=None, resample=False):
    """Read one night and score it (each ensemble member through the cache).

    ``sfreq`` and ``resample`` are :func:`~.nights.read_night`'s.

    Returns
    -------
    dict
        ``name``, ``sfreq``, ``y``, ``proba``, ``members`` (each member's
        probabilities, ensembles only), ``cached``, ``seconds`` and ``note``
        (a hypnogram one epoch off the night, else None); or ``name`` and
        ``skipped`` (the reason) when the night cannot be used.
    """
    start = time.perf_counter()
    try:
        X, y, sfreq = read_night(night, channel, sfreq, resample)
        note = None
        if night.hypnogram is not None:
            n_labels = len(read_hypnogram(night.hypnogram))
            note = check_hypnogram_length(night, n_labels, len(X))
        parts = getattr(scorer, "members", None) or [scorer]
        outs = [_cached_score(m, X, sfreq, cache_dir) for m in parts]
    except (NightError, ValueError) as err:
        return dict(name=night.name, skipped=str(err))
    probas = [p for p, _ in outs]
    proba = scorer.combine(probas) if len(parts) > 1 else probas[0]
    return dict(
        name=night.name,
        sfreq=sfreq,
        y=y,
        proba=np.asarray(proba, dtype=np.float32),
        members=probas if len(parts) > 1 else None,
        cached=all(c for _, c in outs),
        seconds=time.perf_counter() - start,
        note=note,
    )


@dataclass
class CohortScores:
    """What a scorer said about each night of a cohort.

    Attributes
    ----------
    nights : list of dict
        One :func:`score_one` record per usable night, in the nights' order.
    notes : dict
        Night name -> what was noted about its hypnogram (one epoch off).
    skipped : Skipped
        The nights left out, with reasons.
    sfreq : float | None
        The cohort's sampling rate.
    seconds : float
        Wall time of the scoring.
    """

    nights: list = field(default_factory=list)
    notes: dict = field(default_factory=dict)
    skipped: Skipped = field(default_factory=Skipped)
    sfreq: float | None = None
    seconds: float = 0.0

    @property
    def n_cached(self):
        """Nights whose outputs all came from the cache."""
        return sum(bool(r["cached"]) for r in self.nights)


def score_cohort(
    scorer,
    nights,
    channel,
    *,
    cache_dir=None,
    n_jobs=None,
    progress=True,
    sfreq=None,
    resample=False,
):
    """Score every night with ``scorer``, in parallel and through the cache.

    Parameters
    ----------
    scorer : object
        A night scorer (see :mod:`~braindecode_sleepkd.cohort.scorers`).
    nights : list of Night
    channel : str
        The EEG channel of every night.
    cache_dir : str | Path | None
        Folder of the cached outputs (None: no cache).
    n_jobs : int | None
        joblib workers (None: joblib's default, or the active backend's).
    progress : bool
        Show a progress bar (nights done, time left).
    sfreq : float | None
        The cohort's rate (None: the most common rate of the usable nights).
    resample : bool
        Resample the nights at another rate than ``sfreq`` (with MNE) instead
        of skipping them.

    Returns
    -------
    CohortScores
        Nights at another rate than the most common one are skipped too.
    """
    from tqdm.auto import tqdm

    start = time.perf_counter()
    jobs = (
        delayed(score_one)(n, scorer, channel, cache_dir, sfreq, resample)
        for n in nights
    )
    results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    records = list(
        tqdm(
            results,
            total=len(nights),
            desc=f"teacher {scorer.name}",
            unit="night",
            disable=not progress,
        )
    )
    out = CohortScores()
    for rec in records:
        if "skipped" in rec:
            out.skipped.add(rec["name"], rec["skipped"])
    usable = [r for r in records if "skipped" not in r]
    if usable:
        rates, counts = np.unique([r["sfreq"] for r in usable], return_counts=True)
        out.sfreq = float(rates[np.argmax(counts)])
        for rec in usable:
            if rec.get("note"):
                out.notes[rec["name"]] = rec["note"]
            if np.isclose(rec["sfreq"], out.sfreq):
                out.nights.append(rec)
            else:
                out.skipped.add(
                    rec["name"],
                    f"sampled at {rec['sfreq']:g} Hz, the cohort at {out.sfreq:g} Hz",
                )
    out.seconds = time.perf_counter() - start
    return out
