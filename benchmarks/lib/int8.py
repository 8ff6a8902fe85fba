"""int8 students against float: one leave-one-excerpt-out fold, summary, report.

Per fold a deepsleepnet student is trained from scratch (hard labels), exported
to ONNX with its contract and quantised to int8, dynamic (no data) and static
(calibrated on the training sequences). On the held-out excerpt: agreement
with the float model, Cohen's kappa against the experts and its change from
float, file size, onnxruntime seconds per 1000 epochs. Used by
``benchmarks/int8_dreams.py``.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import statistics
import time

import numpy as np

from .tables import table

#: Fields averaged over folds by :func:`summary`.
MEANS = ("size_kb", "agreement_vs_float", "kappa_vs_experts", "kappa_change")


def seconds_per_1000(student, X, n_repeats=5):
    """Median seconds of ``student.predict_proba(X)`` per 1000 epochs of ``X``."""
    runs = []
    for _ in range(n_repeats):
        t = time.perf_counter()
        student.predict_proba(X)
        runs.append(time.perf_counter() - t)
    return 1000 * statistics.median(runs) / (X.shape[0] * X.shape[1])


def fold(X, y, groups, held, epochs, tmp, seq_len=10, log=print):
    """Train on all excerpts but ``held``; float and int8 ONNX rows on ``held``.

    Parameters
    ----------
    X, y, groups : ndarray
        Sequences ``(n, seq_len, n_chans, n_times)``, their stages and the
        excerpt of each sequence.
    held : int
        The held-out excerpt.
    epochs : int
        Training epochs of the student.
    tmp : Path
        Where the ONNX files are written.
    seq_len : int
        Sequence length of the student, float and int8 alike.
    log : callable
        Called with each model's row as it is measured.

    Returns
    -------
    list of dict
        One per model (``float``, ``int8-dynamic``, ``int8-static``):
        ``held_out, model, size_kb, kappa_vs_float, kappa_vs_experts,
        kappa_change, agreement_vs_float, s_per_1000_epochs, float_ops``.
    """
    from sleepkd_runtime.model import OnnxStudent

    from braindecode_sleepkd.estimator import SleepKDClassifier
    from braindecode_sleepkd.export import quantize_onnx, to_onnx
    from braindecode_sleepkd.metrics import kappa

    train, test = groups != held, groups == held
    clf = SleepKDClassifier(
        "deepsleepnet", None, "deepsleepnet", strategy="scratch", seq_len=seq_len,
        max_epochs=epochs, batch_size=8, random_state=0, verbose=0,
    )  # fmt: skip
    clf.fit(X[train], y[train])
    path = to_onnx(clf, tmp / f"float_{held}.onnx")
    files = {"float": (path, None)}
    for mode, cal in (("dynamic", None), ("static", X[train])):
        info = quantize_onnx(path, tmp / f"{mode}_{held}.onnx", cal)
        files[f"int8-{mode}"] = (info["path"], info)
    truth, rows, ref, ref_kappa = y[test].ravel(), [], None, None
    for name, (file, info) in files.items():
        student = OnnxStudent(file)
        Xp = student.contract.prepare(X[test])
        stages = student.predict_proba(Xp).argmax(-1).ravel()
        ref = stages if ref is None else ref
        k = kappa(truth, stages)
        ref_kappa = k if ref_kappa is None else ref_kappa
        rows.append(dict(
            held_out=int(held), model=name, size_kb=file.stat().st_size / 1e3,
            kappa_vs_float=kappa(ref, stages), kappa_vs_experts=k,
            kappa_change=k - ref_kappa,
            agreement_vs_float=float((ref == stages).mean()),
            s_per_1000_epochs=seconds_per_1000(student, Xp),
            float_ops=None if info is None else info["float_ops"],
        ))  # fmt: skip
        log(rows[-1])
    return rows


def summary(rows):
    """Per model: folds, means of :data:`MEANS` and of the seconds, largest change.

    Parameters
    ----------
    rows : list of dict
        The rows of every :func:`fold`.

    Returns
    -------
    list of dict
        ``model, folds, size_kb, agreement_vs_float, kappa_vs_experts,
        kappa_change, max_abs_kappa_change, s_per_1000_epochs``.
    """
    out = []
    for name in dict.fromkeys(r["model"] for r in rows):
        sel = [r for r in rows if r["model"] == name]
        mean = {k: float(np.mean([r[k] for r in sel])) for k in MEANS}
        mean["max_abs_kappa_change"] = float(max(abs(r["kappa_change"]) for r in sel))
        mean["s_per_1000_epochs"] = float(
            np.mean([r["s_per_1000_epochs"] for r in sel])
        )
        out.append(dict(model=name, folds=len(sel), **mean))
    return out


def report(results):
    """The Markdown report of ``{"meta": ..., "summary": ..., "folds": ...}``."""
    meta, rows = results["meta"], results["folds"]
    header = ["model", "folds", "size kB", "agreement w/ float", "kappa vs experts"]
    header += ["kappa change", "max abs change", "s / 1000 epochs"]
    cells = [
        [r["model"], r["folds"], f"{r['size_kb']:.0f}",
         f"{r['agreement_vs_float']:.3f}", f"{r['kappa_vs_experts']:.3f}",
         f"{r['kappa_change']:+.3f}", f"{r['max_abs_kappa_change']:.3f}",
         f"{r['s_per_1000_epochs']:.3f}"]
        for r in results["summary"]
    ]  # fmt: skip
    left = sorted({op for r in rows for op in (r["float_ops"] or [])})
    return "\n".join([
        "# int8 students on DREAMS (int8_dreams)", "",
        f"Command: `{meta['command']}`; {meta['cpu_count']} CPUs, {meta['date']}. "
        "Leave-one-excerpt-out over the 6 shared DREAMS excerpts, deepsleepnet "
        f"student trained {meta['max_epochs']} epochs from scratch per fold. On the "
        "held-out excerpt: share of epochs whose int8 stage equals the float model's,"
        " kappa against the experts and its change from the float model's (int8 - "
        "float; mean and largest absolute change over folds); onnxruntime, default "
        "threads.", "",
        *table(header, cells),
        "", f"Weight-bearing operators left in float: {left or 'none'} (dynamic mode "
        "keeps Conv in float: ConvInteger is slower than float on CPU).",
    ]) + "\n"  # fmt: skip
