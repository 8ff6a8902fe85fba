"""From a folder of nights and a pretrained scorer to a student and its card."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import pickle
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..constants import SLEEP_STAGES, UNLABELLED
from ..metrics import scores as stage_scores
from .card import ModelCard
from .nights import NightError, cohort_rate, find_nights
from .scorers import make_scorer
from .scoring import score_cohort
from .store import SequenceStore, write_sequences


def split_nights(records, valid_share=0.25, seed=0):
    """Indices of the training and validation nights.

    Scored nights validate: ``valid_share`` of them (at least one), or the only
    one. Without scored nights, ``valid_share`` of the unscored nights are held
    out (agreement with the teacher only). One night: no validation.
    """
    rng = np.random.default_rng(seed)
    scored = [i for i, r in enumerate(records) if (r["y"] != UNLABELLED).any()]
    pool = scored if scored else list(range(len(records)))
    n_valid = 0 if len(records) < 2 else max(1, int(round(valid_share * len(pool))))
    if len(scored) == 1:
        n_valid = 1
    valid = sorted(rng.choice(pool, size=min(n_valid, len(pool)), replace=False))
    train = [i for i in range(len(records)) if i not in set(valid)]
    if not train:
        raise ValueError("No night is left to train on after the validation split.")
    return train, [int(i) for i in valid]


class Interrupted(KeyboardInterrupt):
    """A cohort run stopped by Ctrl-C or SIGTERM; what was done is kept."""


def _fit(student, X, y, proba, *, strategy, **params):
    """Fit one estimator; :class:`Interrupted` when its training was stopped."""
    from ..estimator import SleepKDClassifier

    clf = SleepKDClassifier(
        None, None, student, strategy=strategy, baseline=None, **params
    )
    if strategy == "scratch":
        clf.fit(X, y)
    else:
        clf.fit(X, y, teacher_proba=proba)
    if not clf.fitted_:  # the estimator keeps an interrupted stage as partial
        raise Interrupted(clf.stages_[-1] if clf.stages_ else "training interrupted")
    return clf


class HeldOutSplit:
    """Train on the first ``n_train`` sequences, validate on the others.

    A ``train_split`` for the estimator (picklable, with a ``repr`` that
    names the split, so that checkpoints know it).
    """

    def __init__(self, n_train):
        self.n_train = int(n_train)

    def __call__(self, dataset, y=None, **kwargs):
        from torch.utils.data import Subset

        n = len(dataset)
        return (
            Subset(dataset, np.arange(self.n_train)),
            Subset(dataset, np.arange(self.n_train, n)),
        )

    def __repr__(self):
        return f"HeldOutSplit(n_train={self.n_train})"


def _silent(*args, **kwargs):
    """A sink that prints nothing (module level: the estimator is pickled)."""


def early_stopping(patience):
    """Stop after ``patience`` passes without a better validation kappa.

    The weights of the best pass are restored by the estimator's own
    :class:`~braindecode_sleepkd.callbacks.BestEpoch`.
    """
    from skorch.callbacks import EarlyStopping

    stop = EarlyStopping(
        monitor="valid_kappa",
        lower_is_better=False,
        patience=int(patience),
        sink=_silent,
    )
    return ("early_stopping", stop)


def _part(store, start, stop):
    """Sequences ``start:stop`` of ``store`` (views of its arrays)."""
    return SequenceStore(
        X=store.X[start:stop],
        y=store.y[start:stop],
        proba=store.proba[start:stop],
        night=store.night[start:stop],
        n_dropped=0,
    )


def training_passes(n_sequences, batch_size, max_epochs, min_steps):
    """Passes over ``n_sequences`` giving at least ``min_steps`` optimiser steps.

    One pass is ``ceil(n_sequences / batch_size)`` steps; the passes are
    ``max_epochs``, raised so that the steps reach ``min_steps`` (a small
    cohort trains as long, in steps, as a large one).
    """
    per_pass = steps_per_pass(n_sequences, batch_size)
    return max(int(max_epochs), -(-int(min_steps) // per_pass))


def steps_per_pass(n_sequences, batch_size):
    """Optimiser steps of one pass over ``n_sequences`` (at least one)."""
    return max(1, -(-int(n_sequences) // int(batch_size)))


def majority_accuracy(y_train, y_valid):
    """Accuracy on ``y_valid`` of always giving the training's most frequent stage."""
    scored = y_train[y_train != UNLABELLED]
    if not scored.size or not (y_valid != UNLABELLED).any():
        return None
    stage = np.bincount(scored).argmax()
    return float((y_valid[y_valid != UNLABELLED] == stage).mean())


def card_warnings(validation, n_classes=5):
    """Warnings, in words, about a student that did not learn its teacher.

    Returns
    -------
    list of str
        One line for an agreement with the teacher below one half of the
        validation epochs, one for a student giving one stage to most epochs.
    """
    out = []
    agreement = validation.get("agreement")
    if agreement is not None and agreement < 0.5:
        out.append(
            f"the student agrees with its teacher on {agreement:.0%} of the "
            "validation epochs (less than half): it has not learnt its teacher; "
            "train longer (--min-steps, --max-epochs) or on more nights"
        )
    share = validation.get("top_stage_share")
    if share is not None and share > 0.5:
        out.append(
            f"the student gives stage {validation.get('top_stage')} to "
            f"{share:.0%} of the validation epochs: check it before use"
        )
    return out


def _evaluate(store, predictions, members, majority=None):
    """Scores on the validation nights' labelled epochs, agreement, alarms.

    ``majority``: the accuracy of always the most frequent training stage; the
    share of the gap closed is given only when the student alone beats it.
    """
    teacher = store.proba.argmax(-1)
    out = dict(scores={}, agreement=None, gap_closed=None)
    labelled = store.y != UNLABELLED
    guesses = {"teacher": teacher, **members, **predictions}
    if labelled.any():
        for name, pred in guesses.items():
            s = stage_scores(store.y[labelled], pred[labelled])
            out["scores"][name] = {
                k: float(s[k]) for k in ("kappa", "macro_f1", "accuracy")
            }
    student = predictions["student"]
    out["agreement"] = float((student == teacher).mean())
    out["agreement_on"] = f"{teacher.size} validation epochs"
    stages = np.bincount(student.ravel(), minlength=len(SLEEP_STAGES))
    out["top_stage"] = SLEEP_STAGES[int(stages.argmax())]
    out["top_stage_share"] = float(stages.max() / max(1, student.size))
    out["majority_accuracy"] = majority
    k = {n: r["kappa"] for n, r in out["scores"].items()}
    if not {"teacher", "student", "student_alone"} <= set(k):
        return out
    alone = out["scores"]["student_alone"]["accuracy"]
    if majority is not None and alone <= majority:
        out["gap_note"] = (
            f"not reported: the student alone (accuracy {alone:.3f}) does not "
            f"beat always the most frequent stage ({majority:.3f})"
        )
    elif k["teacher"] != k["student_alone"]:
        gap = k["teacher"] - k["student_alone"]
        out["gap_closed"] = (k["student"] - k["student_alone"]) / gap
    return out


def _stages(clf):
    """What each student stage of a fit did (trained, resumed, loaded)."""
    return [s for s in clf.stages_ if s.startswith("student")]


def stage_store(onnx_path, store, seq_len):
    """Stages of every night of ``store`` as ``sleepkd stage`` gives them.

    Each night's epochs are staged by the runtime's
    :func:`~sleepkd_runtime.stage.stage_epochs` with the exported student
    (overlapping sequences, stride ``seq_len // 2``, probabilities averaged):
    the card scores a night as staging it would.

    Returns
    -------
    np.ndarray of int64, shape ``store.y.shape``
    """
    from sleepkd_runtime.constants import EPOCH_S
    from sleepkd_runtime.model import OnnxStudent
    from sleepkd_runtime.stage import stage_epochs

    student = OnnxStudent(onnx_path)
    stages = np.empty_like(store.y)
    for night in np.unique(store.night):
        rows = np.flatnonzero(store.night == night)
        X = np.asarray(store.X[rows]).reshape(-1, *store.X.shape[2:])
        onsets = np.arange(len(X)) * EPOCH_S
        hyp = stage_epochs(student.predict_proba, X, onsets, seq_len)
        stages[rows] = hyp.stages.reshape(len(rows), -1)
    return stages


def _onnx_speed(path, X):
    from sleepkd_runtime.model import OnnxStudent

    model = OnnxStudent(path)
    model.predict_proba(X[:1])
    start = time.perf_counter()
    model.predict_proba(np.asarray(X))
    return X.shape[0] * X.shape[1] / (time.perf_counter() - start)


#: Teacher scoring workers by teacher, as ``benchmarks/results/cohort_njobs.md``
#: measured on 2 cores: YASA is fastest in one job (2 jobs: 0.75x), GSSC (and
#: the ensemble, which runs it) in two (1.77x).
N_JOBS = {"gssc": 2, "ensemble": 2}


def default_n_jobs(teacher):
    """Teacher scoring workers for ``teacher`` (see :data:`N_JOBS`); 1 otherwise."""
    return N_JOBS.get(teacher, 1) if isinstance(teacher, str) else 1


def distill_cohort(
    nights_dir,
    out,
    teacher="yasa",
    channel="EEG",
    *,
    pattern="*.edf",
    hypnogram="{stem}.hypnogram.txt",
    family="deepsleepnet",
    student_kwargs=None,
    strategy="dist",
    recipe="function_matching",
    hard_weight=1.0,
    max_epochs=20,
    min_steps=300,
    patience=100,
    seq_len=10,
    batch_size=32,
    scaling="robust",
    max_nights=None,
    n_jobs=None,
    strict=False,
    resample=True,
    valid_share=0.25,
    baseline=True,
    random_state=0,
    cache_dir=None,
    resume=True,
    progress=True,
    command="distill_cohort()",
):
    """Distil a pretrained scorer into a small student over a folder of EDF nights.

    The scorer labels every night (in parallel, cached in ``out/cache``); the
    nights are written as memory-mapped sequences (``out/sequences``). Every
    training epoch gets the distillation terms (the teacher's outputs); the
    scored epochs of the training nights also get the hard term (cross-entropy
    with their labels, weight ``hard_weight``); unscored epochs get no label
    term. Scored nights are also held out for validation. Writes
    ``student.onnx``, ``estimator.pkl`` (the fitted ``SleepKDClassifier``, a
    pickle), ``model_card.md`` / ``.json`` and, with ``baseline``,
    ``student_alone.onnx``.

    Parameters
    ----------
    nights_dir : str | Path
        Folder of EDF nights (``pattern``) and hypnograms (``hypnogram``, see
        :func:`~braindecode_sleepkd.cohort.find_nights`).
    out : str | Path
        Output folder (created; rerunning reuses its cache). An existing file
        is refused before any work.
    teacher : str | object
        ``"yasa"``, ``"gssc"``, ``"ensemble"``, a path to an ``.onnx`` network
        or a night scorer.
    channel : str
        EEG channel label in the EDF files.
    family : {"deepsleepnet", "salient"}
        Student preset family; ``student_kwargs`` override its sizes.
    strategy : str
        Distillation strategy (default ``"dist"``).
    recipe : str
        Loss settings (:data:`~braindecode_sleepkd.distill.recipes.RECIPES`);
        ``"function_matching"``: the authors' weights with consistent views.
    hard_weight : float
        Weight of the hard term (cross-entropy with the labels of the scored
        training epochs), replacing the recipe's; 0 trains on the teacher
        only.
    max_epochs, min_steps : int
        Passes over the training sequences: ``max_epochs``, raised so that the
        student gets at least ``min_steps`` optimiser steps (see
        :func:`training_passes`).
    patience : int
        With validation nights, training stops after ``patience`` optimiser
        steps (rounded up to whole passes) without a better validation kappa
        (against the labels of scored validation nights, else against the
        teacher's stages) and the best pass's weights are restored; the
        student alone validates likewise.
    seq_len, batch_size, scaling, random_state
        Training settings (``scaling``: per-epoch, recorded in the contract).
    max_nights : int | None
        Use the first nights only (sorted by name).
    n_jobs : int | None
        joblib workers for the teacher (None: :func:`default_n_jobs`).
    strict : bool
        Refuse (raise) when a night cannot be used, instead of skipping it.
    resample : bool
        Resample (MNE) the nights at another rate than the cohort's (the most
        common one), listed in the card; False: refuse them before scoring.
    valid_share : float
        Share of the scored nights held out for validation.
    baseline : bool
        Also train the student alone on the scored training sequences, for as
        many optimiser steps as the distilled student, for the card's
        comparison.
    cache_dir : str | Path | None
        Folder of the teacher's cached outputs (default ``out/cache``), e.g.
        one shared by several runs over the same nights.
    resume : bool
        Checkpoint the training in ``out/checkpoints`` and, on a rerun with
        the same settings and nights, continue an interrupted training or load
        a finished one (``student.stages_`` says which). False: train afresh.
    progress : bool
    command : str
        Recorded in the card.

    Returns
    -------
    card : ModelCard

    Raises
    ------
    ValueError
        ``out`` is an existing file.
    NightError
        No usable night, a night refused under ``strict``, or nights at
        another rate without ``resample``.
    Interrupted
        Ctrl-C (or SIGTERM turned into it) during the training: the teacher's
        cache and the partial stage are kept, a rerun resumes.
    """
    from ..export import to_onnx
    from ..metrics import n_parameters
    from ..models import preset

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is an existing file; expected a folder.")
    nights = find_nights(nights_dir, pattern, hypnogram)
    n_found = len(nights)
    nights = nights[:max_nights] if max_nights else nights
    rate, others = cohort_rate(nights, channel)
    if others and not resample:
        listed = ", ".join(f"{k} ({r:g} Hz)" for k, r in others.items())
        raise NightError(
            f"nights at another rate than the cohort's {rate:g} Hz: {listed}; "
            "resample them (without --no-resample) or leave them out."
        )
    scorer = make_scorer(teacher)
    scored = score_cohort(
        scorer,
        nights,
        channel,
        cache_dir=out / "cache" if cache_dir is None else cache_dir,
        n_jobs=default_n_jobs(teacher) if n_jobs is None else n_jobs,
        progress=progress,
        sfreq=rate,
        resample=resample,
    )
    if strict and len(scored.skipped):
        raise NightError(f"--strict: {scored.skipped.summary()}")
    if not scored.nights:
        raise NightError(f"No usable night: {scored.skipped.summary()}")
    records, by_name = scored.nights, {n.name: n for n in nights}
    train, valid = split_nights(records, valid_share, random_state)

    # train then validation nights in one memory-mapped file (out/sequences)
    fit_store = write_sequences(
        out / "sequences" / "fit.npy",
        [records[i] for i in train + valid],
        by_name,
        channel,
        seq_len,
        scaling,
    )
    n_tr = sum(len(records[i]["y"]) // seq_len for i in train)
    tr, va = _part(fit_store, 0, n_tr), _part(fit_store, n_tr, len(fit_store.y))
    passes = training_passes(n_tr, batch_size, max_epochs, min_steps)
    params = dict(
        recipe=recipe,
        delta_hard=hard_weight,
        seq_len=seq_len,
        max_epochs=passes,
        batch_size=batch_size,
        random_state=random_state,
        verbose=0,
        train_split=None,
    )
    target = va.y
    if valid:  # early stopping on the validation nights, best epoch restored
        wait = training_passes(n_tr, batch_size, 1, patience)  # steps -> passes
        params.update(train_split=HeldOutSplit(n_tr), callbacks=[early_stopping(wait)])
        if not (va.y != UNLABELLED).any():  # unscored: kappa with the teacher
            target = va.proba.argmax(-1)
    checkpoints = out / "checkpoints"
    sfreq = scored.sfreq
    module = preset(family, "student", n_chans=1, sfreq=sfreq, **(student_kwargs or {}))
    if resume:
        params["checkpoint_dir"] = checkpoints / "student"
    fits = {
        "student": _fit(
            module,
            fit_store.X,
            np.concatenate([tr.y, target]),
            fit_store.proba,
            strategy=strategy,
            **params,
        )
    }
    steps = passes * steps_per_pass(n_tr, batch_size)
    labelled = (tr.y != UNLABELLED).any(axis=1)
    if baseline and labelled.any():
        idx = np.flatnonzero(labelled)
        if resume:
            params["checkpoint_dir"] = checkpoints / "student_alone"
        params["max_epochs"] = training_passes(len(idx), batch_size, 1, steps)
        if valid:
            wait = training_passes(len(idx), batch_size, 1, patience)
            params.update(
                train_split=HeldOutSplit(len(idx)), callbacks=[early_stopping(wait)]
            )
        rows = np.concatenate([idx, n_tr + np.arange(len(va.y))])
        fits["student_alone"] = _fit(
            module,
            fit_store.X[rows],
            fit_store.y[rows],
            None,
            strategy="scratch",
            **params,
        )
    out.mkdir(parents=True, exist_ok=True)
    onnx_paths = {}  # student_alone.onnx too: for comparisons on other nights
    for name, clf in fits.items():  # fitted on arrays: the contract learns the channel
        clf.contract_ = replace(clf.contract_, channels=(channel,))
        onnx_paths[name] = to_onnx(clf, out / f"{name}.onnx")
    onnx_path = onnx_paths["student"]
    with open(out / "estimator.pkl", "wb") as f:
        pickle.dump(fits["student"], f)
    validation = {}
    if valid:
        preds = {name: stage_store(onnx_paths[name], va, seq_len) for name in fits}
        members = {}
        if getattr(scorer, "members", None):
            for k, m in enumerate(scorer.members):
                p = np.concatenate([records[i]["members"][k] for i in valid])
                n = va.y.size
                members[f"teacher:{m.name}"] = p[:n].argmax(-1).reshape(va.y.shape)
        validation = _evaluate(va, preds, members, majority_accuracy(tr.y, va.y))
    validation["warnings"] = card_warnings(validation)
    speed_X = (va if valid else tr).X[:64]  # a bounded sample of sequences
    n_scored = sum(bool((r["y"] != UNLABELLED).any()) for r in records)
    used = {r["name"] for r in records}
    card = ModelCard(
        data=dict(
            n_found=n_found,
            n_used=len(records),
            n_scored=n_scored,
            n_unscored=len(records) - n_scored,
            n_validation=len(valid),
            validation_nights=[records[i]["name"] for i in valid],
            n_train_epochs=int(tr.y.size),
            n_train_scored_epochs=int((tr.y != UNLABELLED).sum()),
            n_epochs_dropped=int(sum(len(records[i]["y"]) % seq_len for i in train)),
            channel=channel,
            sfreq=sfreq,
            skipped=dict(scored.skipped.reasons),
            resampled={
                k: f"{r:g} Hz -> {sfreq:g} Hz" for k, r in others.items() if k in used
            },
            hypnogram_notes=dict(scored.notes),
        ),
        teacher=dict(
            config=scorer.config(), seconds=scored.seconds, n_cached=scored.n_cached
        ),
        student=dict(
            preset=f"{family} student {student_kwargs or ''}".strip(),
            n_parameters=int(n_parameters(fits["student"].module_)),
            size_mb=onnx_path.stat().st_size / 1e6,
            epochs_per_s=_onnx_speed(onnx_path, speed_X),
            strategy=strategy,
            recipe=recipe,
            hard_weight=hard_weight,
            max_epochs=passes,
            optimiser_steps=steps,
            baseline_max_epochs=params["max_epochs"]
            if "student_alone" in fits
            else None,
            seq_len=seq_len,
            scaling=scaling,
            stages=_stages(fits["student"]),
            baseline_stages=_stages(fits["student_alone"])
            if "student_alone" in fits
            else [],
        ),
        validation=validation,
        command=command,
    )
    card.write(out)
    return card
