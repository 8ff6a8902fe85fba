"""Leave one subject out: fit rows on every held-out subject, then score them.

The loop of the benchmarks that distil an external teacher (YASA, GSSC) into a
student on the DREAMS excerpts: every row is fitted on all subjects but one for
every seed, its sequence outputs are averaged back to one stage per window
(:func:`~.windows.window_proba`) and scored on the held-out subject. A run is a
dict ``method, fold (the held-out subject), seed, pred, <scores>``; rows that
need no training (the teacher alone) have ``seed=None``.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import time
import warnings

import numpy as np

from braindecode_sleepkd.evaluation.splits import leave_one_subject_out
from braindecode_sleepkd.evaluation.stats import pooled_scores
from braindecode_sleepkd.evaluation.windows import window_proba
from braindecode_sleepkd.metrics import scores

from .rows import fit_rows


def load(path, subjects, sfreq=100.0):
    """The DREAMS excerpts ``subjects`` at ``sfreq`` and their labels by subject.

    Returns
    -------
    windows : braindecode.datasets.BaseConcatDataset
    labels : dict
        ``{subject: stages of its windows}``, in the order of ``windows``.
    """
    from braindecode_sleepkd.datasets import load_sample

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        windows = load_sample(path, sfreq=sfreq, subject_ids=subjects)
    return windows, labels_of(windows)


def recordings(windows):
    """Native sampling rate, windows kept and dropped of every subject's recording."""
    desc = windows.description
    return {
        int(s): dict(
            sfreq_native=float(r["sfreq_native"]),
            n_windows=int(r["n_windows"]),
            n_dropped=int(r["n_dropped"]),
        )
        for s, (_, r) in zip(desc["subject"], desc.iterrows())
    }


def labels_of(windows):
    """``{subject: stages}`` of windows holding one recording per subject."""
    subjects = [int(s) for s in windows.description["subject"]]
    return {s: np.asarray(ds.y) for s, ds in zip(subjects, windows.datasets)}


def score_alone(score, windows, min_sfreq=0.0):
    """Stages of an untrained stager on every recording, and the time it took.

    Parameters
    ----------
    score : callable
        ``score(recording) -> probabilities (n_windows, n_classes)``, e.g.
        ``YASATeacher().score_recording``.
    windows : braindecode.datasets.BaseConcatDataset
        One recording per subject.
    min_sfreq : float
        Recordings at or below this native rate are left out (YASA refuses
        the 50-Hz excerpt).

    Returns
    -------
    pred : dict
        ``{subject: stages}``.
    seconds : float
    n_epochs : int
        Windows scored.
    """
    pred, seconds, n = {}, 0.0, 0
    for s, ds in zip(labels_of(windows), windows.datasets):
        if float(ds.description.get("sfreq_native", np.inf)) <= min_sfreq:
            continue
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pred[s] = score(ds).argmax(1)
        seconds += time.perf_counter() - t0
        n += len(ds)
    return pred, seconds, n


def yasa_alone(path, subjects):
    """YASA's stages on the excerpts it takes (> 80 Hz), and its speed.

    Returns
    -------
    pred : dict
        ``{subject: stages}`` (empty when YASA is not installed).
    cost : dict | None
        ``cpu_epochs_per_s`` and ``n_epochs``.
    """
    try:
        from braindecode_sleepkd.teachers.yasa import YASATeacher
    except ImportError:  # pragma: no cover - yasa is optional
        return {}, None
    raw, _ = load(path, subjects)
    pred, seconds, n = score_alone(YASATeacher().score_recording, raw, 80.0)
    return pred, dict(cpu_epochs_per_s=n / seconds, n_epochs=n)


def teacher_alone(teacher, windows, seq_len):
    """Stages of a pretrained sequence teacher over whole recordings and sequences.

    Parameters
    ----------
    teacher : torch.nn.Module
        Maps ``(batch, seq_len, n_chans, n_times)`` to log-probabilities.
    windows : braindecode.datasets.BaseConcatDataset
        One recording per subject.
    seq_len : int
        Context of the second prediction (the students' sequence length).

    Returns
    -------
    dict
        ``{"night": {subject: stages}, "seq": {subject: stages}}``: one
        sequence spanning the recording, and ``seq_len``-epoch sequences
        averaged back to windows.
    """
    import torch
    from braindecode.datasets import BaseConcatDataset

    from braindecode_sleepkd.datasets import make_sequences

    pred = {"night": {}, "seq": {}}
    for s, ds in zip(labels_of(windows), windows.datasets):
        one = BaseConcatDataset([ds])
        with torch.no_grad():
            night = torch.as_tensor(make_sequences(one, seq_len=len(ds))[0])
            pred["night"][s] = teacher(night)[0].argmax(-1).numpy()
            seq = torch.as_tensor(make_sequences(one, seq_len=seq_len)[0])
            proba = teacher(seq).exp().numpy()
        pred["seq"][s] = window_proba(proba, one, seq_len).argmax(1)
    return pred


def fit_loso(windows, args, rows, make, log=print):
    """Fit every row on every (seed, held-out subject) and score it.

    Parameters
    ----------
    windows : braindecode.datasets.BaseConcatDataset
        One recording per subject.
    args : argparse.Namespace
        ``seeds`` (outer loop), ``seq_len`` and ``seq_stride`` (optional): how
        the estimator cuts sequences, to map its outputs back to windows.
    rows : sequence of str
        Inner loop (per seed and subject).
    make : callable
        ``make(row, unit) -> estimator`` with ``fit(windows)`` and
        ``predict_proba(windows)`` (sequences); ``unit`` is a
        :class:`~.splits.Unit`.
    log : callable | None
        Progress lines.

    Returns
    -------
    runs : list of dict
        ``method, fold, seed, pred`` and :func:`~braindecode_sleepkd.metrics.scores`
        (without ``confusion``), in training order.
    fit_seconds : dict
        ``{row: [seconds of every fit]}``.
    models : dict
        ``{row: the last fitted estimator}``.
    """
    labels, fit_seconds, models = labels_of(windows), {r: [] for r in rows}, {}
    seq_len, seq_stride = args.seq_len, getattr(args, "seq_stride", None)
    t_start = time.time()

    def fit(unit, row):
        clf = make(row, unit)
        t0 = time.perf_counter()
        clf.fit(unit.train)
        fit_seconds[row].append(time.perf_counter() - t0)
        proba = window_proba(
            clf.predict_proba(unit.test), unit.test, seq_len, seq_stride
        )
        models[row] = clf
        pred = proba.argmax(1)
        sc = scores(labels[unit.subject], pred)
        del sc["confusion"]
        return dict(
            method=row, fold=unit.subject, seed=unit.seed, pred=pred.tolist(), **sc
        )

    def show(name, r):
        if log is not None:
            log(
                f"seed {r['seed']} excerpt{r['fold']} {r['method']:22s} kappa "
                f"{r['kappa']:+.3f} acc {r['accuracy']:.3f} fit "
                f"{fit_seconds[r['method']][-1]:.0f} s [{time.time() - t_start:.0f} s]"
            )

    units = leave_one_subject_out(windows, args.seeds)
    done = fit_rows(units, rows, fit, key=lambda u, r: (u.seed, u.subject, r), log=show)
    runs = [{k: v for k, v in r.items() if k != "seconds"} for r in done.values()]
    return runs, fit_seconds, models


def alone_runs(predictions, labels):
    """Runs of rows that need no training: ``{row: {subject: pred}}``, seed None."""
    runs = []
    for method, by_subject in predictions.items():
        for s, p in by_subject.items():
            sc = scores(labels[s], p)
            del sc["confusion"]
            pred = np.asarray(p).tolist()
            runs.append(dict(method=method, fold=s, seed=None, pred=pred, **sc))
    return runs


def methods_of(runs):
    """The rows of ``runs``, in order of first appearance."""
    return list(dict.fromkeys(r["method"] for r in runs))


def subject_means(runs, metric="kappa"):
    """``{row: {subject: mean of metric over seeds}}``, subjects sorted."""
    out = {}
    for m in methods_of(runs):
        rows = [r for r in runs if r["method"] == m]
        out[m] = {
            s: float(np.mean([r[metric] for r in rows if r["fold"] == s]))
            for s in sorted({r["fold"] for r in rows})
        }
    return out


def pooled(runs, labels, metrics=("kappa", "accuracy"), per_seed="per_seed_kappa"):
    """Scores of the pooled held-out predictions of every row, averaged over seeds.

    Each row pools the subjects it was scored on (sorted), once per seed.

    Parameters
    ----------
    runs : list of dict
        As returned by :func:`fit_loso` and :func:`alone_runs`.
    labels : dict
        ``{subject: stages}``.
    metrics : sequence of str
        Scores to average over seeds.
    per_seed : str
        Key of the list of per-seed kappas.

    Returns
    -------
    dict
        ``{row: {metric: mean, per_seed: [kappa, ...], "subjects": [...]}}``.
    """
    out = {}
    for m in methods_of(runs):
        rows = [r for r in runs if r["method"] == m]
        subjects = sorted({r["fold"] for r in rows})
        seeds = sorted({r["seed"] for r in rows}, key=lambda v: (v is None, v))
        preds = {
            sd: {r["fold"]: r["pred"] for r in rows if r["seed"] == sd} for sd in seeds
        }
        by_seed = list(pooled_scores(labels, preds, subjects).values())
        out[m] = {k: float(np.mean([v[k] for v in by_seed])) for k in metrics}
        out[m][per_seed] = [v["kappa"] for v in by_seed]
        out[m]["subjects"] = subjects
    return out


def per_subject(runs, keys=("kappa", "accuracy", "macro_f1", "n_epochs")):
    """``{row: {subject: {seed: scores}}}``; ``{row: {subject: scores}}`` untrained."""
    out = {}
    for r in runs:
        sc = {k: r[k] for k in keys}
        row = out.setdefault(r["method"], {})
        if r["seed"] is None:
            row[r["fold"]] = sc
        else:
            row.setdefault(r["fold"], {})[r["seed"]] = sc
    return out


def class_counts(labels):
    """Number of scored epochs and stage counts over all subjects."""
    y = np.concatenate(list(labels.values()))
    counts = np.bincount(y, minlength=5).tolist()
    return dict(n_epochs=int(len(y)), class_counts_W_N1_N2_N3_REM=counts)
