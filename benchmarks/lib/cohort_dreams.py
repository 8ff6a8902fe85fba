"""The cohort workflow on real DREAMS, leave one subject out, per pretrained teacher.

The shared DREAMS excerpts are written, resampled to one rate, as a folder of
EDF nights with their expert hypnograms (:func:`write_dreams_nights`; a
temporary folder, never shipped: the data keep their licence). Each fold
distils a teacher over the other subjects' nights with
:func:`~braindecode_sleepkd.cohort.distill_cohort` (which also trains the
student alone on the same nights and passes) and stages the held-out night
from the exported ONNX students (:func:`fold`).
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import warnings
from pathlib import Path

import numpy as np


def write_dreams_nights(folder, sfreq=100.0, path=None):
    """Write every DREAMS excerpt as ``<folder>/excerptN.edf`` (+ hypnogram).

    The channel is labelled ``EEG`` in every file (the excerpts name their
    derivation C3-A1 or CZ-A1). Returns ``{subject: expert stages}``.
    """
    from braindecode_sleepkd.cohort import write_night_edf
    from braindecode_sleepkd.datasets import to_microvolts

    from .loso import load

    windows, labels = load(path, None, sfreq=sfreq)
    for ds in windows.datasets:
        subject = int(ds.description["subject"])
        X = np.stack([ds[i][0][0] for i in range(len(ds))])
        write_night_edf(
            Path(folder) / f"excerpt{subject}.edf", to_microvolts(X), sfreq, "EEG",
            y=np.asarray(ds.y),
        )  # fmt: skip
    return labels


def fold(nights, held_out, work, teacher, seed, **params):
    """Distil ``teacher`` over every night but ``held_out``; stage ``held_out``.

    Parameters
    ----------
    nights : Path
        Folder written by :func:`write_dreams_nights`.
    held_out : int
        The test subject.
    work : Path
        Folder of this fold's cohort (links), outputs and teacher cache.
    teacher : str
        ``"yasa"``, ``"gssc"`` or ``"ensemble"``.
    seed : int
    **params
        Passed to :func:`~braindecode_sleepkd.cohort.distill_cohort`.

    Returns
    -------
    dict
        Predicted stages of the held-out night by ``teacher``, ``student``
        and ``student_alone``, and the card's data counts.
    """
    from sleepkd_runtime.stage import stage_edf

    from braindecode_sleepkd.cohort import (
        distill_cohort,
        find_nights,
        make_scorer,
        score_cohort,
    )

    work, nights = Path(work), Path(nights)
    cohort = work / f"without{held_out}"
    cohort.mkdir(parents=True, exist_ok=True)
    for src in nights.iterdir():
        dst = cohort / src.name
        if not src.name.startswith(f"excerpt{held_out}.") and not dst.exists():
            dst.symlink_to(src)
    out = work / f"{teacher}-without{held_out}-seed{seed}"
    cache = work / "cache"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        card = distill_cohort(
            cohort, out, teacher, "EEG", cache_dir=cache, random_state=seed,
            progress=False, command="benchmarks/cohort_dreams.py", **params,
        )  # fmt: skip
        test = [n for n in find_nights(nights) if n.name == f"excerpt{held_out}"]
        guide = score_cohort(
            make_scorer(teacher), test, "EEG", cache_dir=cache, progress=False
        )
        rec = {"teacher": guide.nights[0]["proba"].argmax(1).tolist()}
        for model in ("student", "student_alone"):
            if (out / f"{model}.onnx").exists():  # no student alone without baseline
                onnx = out / f"{model}.onnx"
                rec[model] = stage_edf(onnx, test[0].path).stages.tolist()
    rec["n_train_epochs"] = card.data["n_train_epochs"]
    rec["skipped"] = card.data["skipped"]
    return rec


def summarize(runs, labels, rows=("teacher", "student", "student_alone")):
    """Pooled and per-subject kappa of every row, paired differences, gap closed.

    Parameters
    ----------
    runs : dict
        ``{"teacher/seed/subject": fold record}``.
    labels : dict
        ``{subject: expert stages}``.

    Returns
    -------
    dict
        ``{teacher: {"pooled": {row: [kappa per seed]}, "subjects": {row:
        {"seed/subject": kappa}}, "student - alone": ..., "student - teacher":
        ..., "gap_closed": ..., "ratio": ...}}``.
    """
    from braindecode_sleepkd.evaluation.stats import gap_closed, paired_by_key
    from braindecode_sleepkd.metrics import kappa

    out = {}
    for key, rec in runs.items():
        teacher, seed, subject = key.split("/")
        t = out.setdefault(teacher, {"by_seed": {}, "subjects": {}})
        t["by_seed"].setdefault(seed, {})[int(subject)] = rec
        for row in rows:
            k = kappa(labels[int(subject)], rec[row])
            t["subjects"].setdefault(row, {})[f"{seed}/{subject}"] = k
    for t in out.values():
        t["pooled"] = {row: [] for row in rows}
        for folds in t.pop("by_seed").values():
            subjects = sorted(folds)
            y = np.concatenate([labels[s] for s in subjects])
            for row in rows:
                pred = np.concatenate([folds[s][row] for s in subjects])
                t["pooled"][row].append(kappa(y, pred))
        k = t["subjects"]
        t["student - alone"] = paired_by_key(k["student"], k["student_alone"])
        t["student - teacher"] = paired_by_key(k["student"], k["teacher"])
        p = {row: np.mean(v) for row, v in t["pooled"].items()}
        t["gap_closed"] = gap_closed(p["student"], p["student_alone"], p["teacher"])
        t["ratio"] = float(p["student"] / p["teacher"])
    return out
