"""Which SleepKD settings matter: one teacher, one split, variants of the recipe.

A teacher is trained once on a subject-wise split of simulated sleep EEG; a
narrow student is trained from scratch, with KD and with SleepKD variants
(temperature, feature normalisation, alignment direction, no assistant),
several seeds each; test macro-F1 and kappa. Used by
``benchmarks/sleepkd_variants.py``.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import numpy as np

from .tables import table

#: The narrow student (so that there is a gap to close).
STUDENT = dict(lstm_units=8, dropout=0.0)
#: Variant name -> estimator parameters.
VARIANTS = {
    "scratch": dict(strategy="scratch"),
    "kd T=1": dict(strategy="kd"),
    "kd T=4": dict(strategy="kd", temperature=4.0),
    "sleepkd (default: T=1, assistant)": dict(strategy="sleepkd"),
    "sleepkd T=4": dict(strategy="sleepkd", temperature=4.0),
    "sleepkd no assistant": dict(strategy="sleepkd", ablation="no_assistant"),
    "sleepkd teacher_to_student": dict(
        strategy="sleepkd", strategy__align="teacher_to_student"
    ),
    "sleepkd unnormalised features": dict(
        strategy="sleepkd", strategy__normalize_features=False
    ),
}
#: Scores kept in the JSON.
KEEP = ("accuracy", "macro_f1", "kappa")


def fit_variants(train, test, teacher_epochs, max_epochs, seeds, log=print):
    """Test scores of the teacher and of every variant, per seed.

    Parameters
    ----------
    train, test : (ndarray, ndarray)
        Sequences and stages of the training and test subjects.
    teacher_epochs, max_epochs : int
        Epochs of the teacher (trained once, seed 0) and per student stage.
    seeds : sequence of int
        Seeds of every variant.
    log : callable
        Called with a line per fit.

    Returns
    -------
    (dict, int)
        ``{"teacher" | variant: [scores per seed]}``
        (:func:`~braindecode_sleepkd.metrics.scores`) and the parameters of
        the student.
    """
    import torch

    from braindecode_sleepkd.estimator import SleepKDClassifier
    from braindecode_sleepkd.metrics import n_parameters, scores
    from braindecode_sleepkd.models import preset

    (Xtr, ytr), (Xte, yte) = train, test
    common = dict(batch_size=16, lr=1e-3, verbose=0, seq_len=10, recipe="paper")
    torch.manual_seed(0)
    tfit = SleepKDClassifier(
        None, None, preset("deepsleepnet", "teacher"), strategy="scratch",
        max_epochs=teacher_epochs, random_state=0, **common,
    ).fit(Xtr, ytr)  # fmt: skip
    teacher = tfit.module_
    rows = {"teacher": [scores(yte, tfit.predict(Xte))]}
    for name, params in VARIANTS.items():
        rows[name] = []
        for seed in seeds:
            clf = SleepKDClassifier(
                teacher, "deepsleepnet", "deepsleepnet", teacher_pretrained=True,
                max_epochs=max_epochs, random_state=seed,
                **{f"student__{k}": v for k, v in STUDENT.items()}, **params, **common,
            ).fit(Xtr, ytr)  # fmt: skip
            rows[name].append(scores(yte, clf.predict(Xte)))
            log(f"{name} seed {seed}: {rows[name][-1]['macro_f1']:.3f}")
    return rows, n_parameters(clf.module_)


def kept(rows):
    """``rows`` with only the :data:`KEEP` scores (the JSON's ``rows``)."""
    return {k: [{m: s[m] for m in KEEP} for s in v] for k, v in rows.items()}


def variants_table(rows):
    """Macro-F1 and kappa x100, mean ± std over seeds, one line per row."""

    def agg(runs, key):
        vals = [s[key] for s in runs]
        return 100 * float(np.mean(vals)), 100 * float(np.std(vals))

    cells = []
    for name, runs in rows.items():
        (f1, f1s), (ka, kas) = agg(runs, "macro_f1"), agg(runs, "kappa")
        cells.append([name, f"{f1:.1f} ± {f1s:.1f}", f"{ka:.1f} ± {kas:.1f}"])
    header = ["model / variant", "macro-F1 (%)", "kappa x100"]
    return table(header, cells, ["---", "---:", "---:"])


def report(command, setting, rows):
    """The Markdown lines: title, command, ``setting`` paragraph, table, caveat."""
    return [
        "# SleepKD variants on SIMULATED sleep EEG",
        "",
        f"Command: `{command}`",
        "",
        setting,
        "",
        *variants_table(rows),
        "",
        "One split and few seeds: differences under ~3 points are within the "
        "seed-to-seed spread (the ± column).",
        "",
    ]
