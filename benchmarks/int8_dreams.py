"""int8 students on the real DREAMS excerpts: size, speed, and kappa vs float.

Leave-one-excerpt-out over the 6 shared DREAMS excerpts (100 Hz, sequences of
10 epochs): a deepsleepnet student is trained on five (from scratch, hard
labels, the same budget in every fold), exported to ONNX with its contract and
quantised to int8, dynamic (no data) and static (calibrated on the training
sequences). On the held-out excerpt: the share of epochs staged as by the float
model, Cohen's kappa against the experts and its change from float, file sizes,
onnxruntime seconds per 1000 epochs (median of 5 runs, its default threads).

Run: ``.venv/bin/python benchmarks/int8_dreams.py`` (``--quick``: 2 folds,
2 epochs, nothing written).
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEQ_LEN = 10


def seconds_per_1000(student, X):
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        student.predict_proba(X)
        runs.append(time.perf_counter() - t)
    return 1000 * statistics.median(runs) / (X.shape[0] * X.shape[1])


def fold(X, y, groups, held, epochs, tmp):
    from sleepkd_runtime.model import OnnxStudent

    from braindecode_sleepkd.estimator import SleepKDClassifier
    from braindecode_sleepkd.export import quantize_onnx, to_onnx
    from braindecode_sleepkd.metrics import kappa

    train, test = groups != held, groups == held
    clf = SleepKDClassifier(
        "deepsleepnet", None, "deepsleepnet", strategy="scratch", seq_len=SEQ_LEN,
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
        print(rows[-1], flush=True)
    return rows


def summary(rows):
    out = []
    for name in dict.fromkeys(r["model"] for r in rows):
        sel = [r for r in rows if r["model"] == name]
        keys = ("size_kb", "agreement_vs_float", "kappa_vs_experts", "kappa_change")
        mean = {k: float(np.mean([r[k] for r in sel])) for k in keys}
        mean["max_abs_kappa_change"] = float(max(abs(r["kappa_change"]) for r in sel))
        mean["s_per_1000_epochs"] = float(
            np.mean([r["s_per_1000_epochs"] for r in sel])
        )
        out.append(dict(model=name, folds=len(sel), **mean))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    import torch

    torch.set_num_threads(1)
    from braindecode_sleepkd import load_sample, make_sequences

    X, y, groups = make_sequences(load_sample(), seq_len=SEQ_LEN)
    held_out = np.unique(groups)[: 2 if quick else None]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for held in held_out:
            rows += fold(X, y, groups, held, 2 if quick else 30, Path(tmp))
    table = summary(rows)
    for row in table:
        print(row)
    if quick:
        return
    cmd = "python benchmarks/int8_dreams.py"
    meta = dict(command=cmd, seq_len=SEQ_LEN, max_epochs=30, cpu_count=os.cpu_count(),
                date=time.strftime("%Y-%m-%d %H:%M"))  # fmt: skip
    res = HERE / "results"
    data = dict(meta=meta, summary=table, folds=rows)
    (res / "int8_dreams.json").write_text(json.dumps(data, indent=1))
    lines = [
        "# int8 students on DREAMS (int8_dreams)", "",
        f"Command: `{cmd}`; {os.cpu_count()} CPUs, {meta['date']}. Leave-one-excerpt-"
        "out over the 6 shared DREAMS excerpts, deepsleepnet student trained 30 "
        "epochs from scratch per fold. On the held-out excerpt: share of epochs "
        "whose int8 stage equals the float model's, kappa against the experts and "
        "its change from the float model's (int8 - float; mean and largest "
        "absolute change over folds); onnxruntime, default threads.", "",
        "| model | folds | size kB | agreement w/ float | kappa vs experts "
        "| kappa change | max abs change | s / 1000 epochs |", "|---" * 8 + "|",
    ]  # fmt: skip
    lines += [
        f"| {r['model']} | {r['folds']} | {r['size_kb']:.0f} | "
        f"{r['agreement_vs_float']:.3f} | {r['kappa_vs_experts']:.3f} | "
        f"{r['kappa_change']:+.3f} | {r['max_abs_kappa_change']:.3f} | "
        f"{r['s_per_1000_epochs']:.3f} |"
        for r in table
    ]
    left = sorted({op for r in rows for op in (r["float_ops"] or [])})
    lines += ["", f"Weight-bearing operators left in float: {left or 'none'} "
              "(dynamic mode keeps Conv in float: ConvInteger is slower than float "
              "on CPU)."]  # fmt: skip
    (res / "int8_dreams.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
