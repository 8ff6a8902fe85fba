"""The pre-registered evaluation matrix (issue 26): regimes x rows, and its decision.

Regimes (:data:`REGIMES`) and rows (:data:`ROWS`) are data; the rule they
are read with is written in ``benchmarks/README.md`` ("Evaluation matrix").
Every row of every regime is one :func:`~.gap.fit_record` on one unit
(``(split, seed)`` of a simulated cohort, ``(held-out subject, seed)`` on
DREAMS), run by the resumable :func:`~.rows.fit_rows`; the teacher of a split
is trained once (:func:`~.gap.scratch_teacher`) or is a pretrained scorer
(YASA, GSSC) whose probabilities are computed once. Every stage validates on
one held-out training subject, stops early on validation kappa and restores
its best epoch (:func:`training_params`). :func:`summarize` gives per regime
and row the score, the paired difference against the student alone and the
share of the gap closed; :func:`decide` applies the maximin rule.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from braindecode_sleepkd.evaluation.stats import gap_closed, paired_by_key
from braindecode_sleepkd.evaluation.windows import predict_stages
from braindecode_sleepkd.metrics import kappa, macro_f1

from . import gap
from .rows import fit_rows

SEQ_LEN = 10
METRICS = ("kappa", "macro_f1")


@dataclass(frozen=True)
class Row:
    """One row of the matrix: a strategy, a recipe and more estimator settings."""

    strategy: str
    recipe: str = "function_matching"
    params: dict = field(default_factory=dict)
    label: str = ""

    def estimator_params(self):
        """The ``SleepKDClassifier`` settings of the row."""
        return dict(strategy=self.strategy, recipe=self.recipe, **self.params)


#: The rows, by name; ``alone`` is the reference of every comparison.
ROWS = {
    "alone": Row("scratch", label="student alone (labels only)"),
    "kd": Row("kd", "paper", label="KD, paper weights"),
    "dist": Row("dist", label="DIST, function_matching recipe"),
    "sleepkd_paper": Row("sleepkd", "paper", label="SleepKD, recipe='paper'"),
    "sleepkd_authors": Row("sleepkd", "authors", label="SleepKD, recipe='authors'"),
    "sleepkd_fm": Row("sleepkd", label="SleepKD, recipe='function_matching'"),
    "sleepkd_fm_hard": Row(
        "sleepkd",
        params=dict(delta_hard=0.1),
        label="candidate: SleepKD, recipe='function_matching', delta_hard=0.1",
    ),
    "dist_hard": Row(
        "dist",
        params=dict(delta_hard=0.1),
        label="candidate: DIST, recipe='function_matching', delta_hard=0.1",
    ),
}

#: Students: preset parameters and the deepsleepnet preset role of the assistant.
STUDENTS = {
    "narrow": (dict(lstm_units=8, dropout=0.0), "student"),
    "preset": ({}, "assistant"),
}


@dataclass(frozen=True)
class Regime:
    """One regime: a cohort, a teacher, a student and unscored nights.

    Attributes
    ----------
    cohort : {"simulated", "dreams", "dreams_yasa", "dreams_gssc"}
        Simulated EEG (subject-wise splits), or DREAMS left one subject out:
        the 6 excerpts, the 5 YASA scores (> 80 Hz), the 6 as GSSC takes
        them (``gssc_preprocess``).
    teacher : {"own", "yasa", "gssc"}
        Trained from scratch on the labelled nights, or a pretrained scorer.
    student : {"narrow", "preset"}
        See :data:`STUDENTS`.
    unlabelled : int
        Unscored nights added (simulated cohorts only).
    """

    cohort: str
    teacher: str
    student: str
    unlabelled: int = 0

    def __str__(self):
        teacher = "own teacher" if self.teacher == "own" else f"{self.teacher} teacher"
        nights = f", {self.unlabelled} unscored nights" if self.unlabelled else ""
        return f"{self.cohort}, {teacher}, {self.student} student{nights}"

    @property
    def loso(self):
        """Whether the units are held-out subjects (DREAMS)."""
        return self.cohort.startswith("dreams")

    def sfreq(self, cfg):
        """Sampling rate: ``cfg.sfreq`` when simulated, DREAMS at 100 Hz."""
        return 100.0 if self.loso else cfg.sfreq


REGIMES = {
    "a_narrow": Regime("simulated", "own", "narrow"),
    "a_preset": Regime("simulated", "own", "preset"),
    "b_narrow_8": Regime("simulated", "own", "narrow", 8),
    "b_narrow_24": Regime("simulated", "own", "narrow", 24),
    "b_preset_8": Regime("simulated", "own", "preset", 8),
    "b_preset_24": Regime("simulated", "own", "preset", 24),
    "c_dreams": Regime("dreams", "own", "preset"),
    "d_yasa_dreams": Regime("dreams_yasa", "yasa", "preset"),
    "d_gssc_dreams": Regime("dreams_gssc", "gssc", "preset"),
    "d_yasa_sim_24": Regime("simulated", "yasa", "narrow", 24),
}

#: DREAMS excerpts of each cohort (None: all six; YASA takes those > 80 Hz).
DREAMS_SUBJECTS = {"dreams": None, "dreams_yasa": [1, 4, 6, 7, 8], "dreams_gssc": None}


@dataclass
class Config:
    """Sizes of a matrix run (the pre-registered ones by default)."""

    seeds: tuple = (0, 1, 2, 3, 4)
    splits: tuple = (0, 1)
    test_subjects: int = 3
    epochs_per_recording: int = 240
    sfreq: float = 100.0
    max_epochs: int = 40
    teacher_epochs: int = 60
    patience: int = 8
    batch_size: int = 16
    lr: float = 1e-3
    data: str | None = None


def check_names(names, valid, what):
    """Raise a clear ``ValueError`` for names not in ``valid``; return them."""
    bad = [n for n in names if n not in valid]
    if bad:
        raise ValueError(f"unknown {what} {bad}; valid: {list(valid)}")
    return list(names)


def training_params(cfg, seed):
    """The training rule of every stage of every row and teacher.

    One training subject held out for validation
    (:class:`~braindecode_sleepkd.splits.SubjectValidSplit`), early stopping
    on validation kappa with ``cfg.patience`` and the best epoch restored.
    """
    from skorch.callbacks import EarlyStopping

    from braindecode_sleepkd.splits import SubjectValidSplit

    stop = EarlyStopping(
        monitor="valid_kappa",
        lower_is_better=False,
        patience=cfg.patience,
        load_best=True,
        sink=lambda *a: None,
    )
    return dict(
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        verbose=0,
        seq_len=SEQ_LEN,
        train_split=SubjectValidSplit(valid_size=1, random_state=seed),
        baseline=None,  # the student alone is its own row
        callbacks=[("early_stopping", stop)],
    )


def row_params(row, regime):
    """``SleepKDClassifier`` settings of ``row`` in ``regime`` (no training rule)."""
    student_kw, _ = STUDENTS[regime.student]
    params = ROWS[row].estimator_params()
    params.update({f"student__{k}": v for k, v in student_kw.items()})
    return params


def run_key(name, regime, unit, row):
    """The run's key; the student alone is shared by regimes of one cohort."""
    where = f"split{unit[0]}" if not regime.loso else f"subject{unit[0]}"
    if row == "alone":
        return f"{regime.cohort}|{regime.student}|{where}|seed{unit[1]}|alone"
    return f"{name}|{where}|seed{unit[1]}|{row}"


def load_cohort(regime, cfg):
    """Sequences, labels, subjects, recordings and external probabilities.

    Returns
    -------
    dict
        ``X, y, subjects, recordings``, ``P`` (YASA's probabilities of every
        sequence, else None) and ``module`` (GSSC, pretrained, else None; the
        windows are then ``gssc_preprocess``-ed for every row).
    """
    from braindecode_sleepkd.evaluation.data import (
        robust_scale_per_recording,
        sequences,
    )

    if regime.loso:
        from .loso import load

        windows, _ = load(cfg.data, DREAMS_SUBJECTS[regime.cohort], 100.0)
    else:
        from braindecode_sleepkd.datasets import simulate_sleep_eeg

        windows = simulate_sleep_eeg(
            39, cfg.epochs_per_recording, sfreq=cfg.sfreq, seed=0
        )
    P = module = None
    if regime.teacher == "yasa":
        from braindecode_sleepkd.teachers.yasa import YASATeacher

        P = YASATeacher().predict_proba(windows, SEQ_LEN)
    elif regime.teacher == "gssc":
        from braindecode_sleepkd.teachers import GSSCTeacher, gssc_preprocess

        windows, module = gssc_preprocess(windows), GSSCTeacher()
    X, y, subjects, recordings, _ = sequences(windows, SEQ_LEN)
    if not regime.loso:
        X = robust_scale_per_recording(X, recordings)
    return dict(X=X, y=y, subjects=subjects, recordings=recordings, P=P, module=module)


def split_data(regime, cfg, data, where, work):
    """The data of one split (or held-out subject) with its teacher.

    Returns
    -------
    dict
        :func:`~.gap.labelled_split` data with ``X, recordings, seq_len,
        teacher, t_pred`` and the teacher's test ``teacher_scores``.
    """
    from braindecode_sleepkd import preset

    X, y, subjects = data["X"], data["y"], data["subjects"]
    if regime.loso:
        test = subjects == where
        d = dict(Xl=X[~test], yl=y[~test], gl=subjects[~test], Xte=X[test])
        d.update(yte=y[test], unl_recs=[], sizes=dict(test_subjects=[int(where)]))
        lab = ~test
    else:
        d = gap.labelled_split(
            X, y, subjects, data["recordings"], where, cfg.test_subjects,
            regime.unlabelled,
        )  # fmt: skip
        test = np.isin(subjects, d["sizes"]["test_subjects"])
        lab = np.isin(subjects, d["sizes"]["labelled_subjects"])
    d.update(X=X, recordings=data["recordings"], seq_len=SEQ_LEN)
    if data["P"] is not None:  # a pretrained scorer: its probabilities guide
        d.update(teacher=None, P=data["P"], pl=data["P"][lab])
        d["t_pred"] = data["P"][test].argmax(-1)
    elif data["module"] is not None:  # a pretrained network (GSSC)
        d["teacher"] = data["module"]
        d["t_pred"] = predict_stages(d["teacher"], d["Xte"], batch_size=64)
    else:
        sig = dict(n_chans=X.shape[2], sfreq=regime.sfreq(cfg))
        tag = f"{cfg.teacher_epochs}ep_{sig['sfreq']:g}hz_{cfg.epochs_per_recording}"
        path = Path(work) / f"matrix_teacher_{regime.cohort}_{where}_{tag}.pt"
        module = preset("deepsleepnet", "teacher", **sig)
        d["teacher"] = gap.scratch_teacher(
            path, module, d["Xl"], d["yl"], 0, cfg.teacher_epochs, groups=d["gl"],
            **training_params(cfg, 0),
        )  # fmt: skip
        d["t_pred"] = predict_stages(d["teacher"], d["Xte"], batch_size=64)
    d["teacher_scores"] = {
        "kappa": kappa(d["yte"], d["t_pred"]),
        "macro_f1": macro_f1(d["yte"], d["t_pred"]),
    }
    return d


def fit_regime(name, cfg, rows, runs, work, save=None, log=print):
    """Fit ``rows`` (and the student alone) on every unit of regime ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`REGIMES`.
    cfg : Config
        Sizes of the run.
    rows : sequence of str
        Distillation rows (keys of :data:`ROWS`); ``alone`` is always fitted.
    runs : dict
        Finished records by :func:`run_key` (updated in place; those present
        are not fitted again).
    work : str | Path
        Folder of the teachers' weights.
    save, log : callable | None
        See :func:`~.rows.fit_rows`.

    Returns
    -------
    dict
        ``runs``.
    """
    from braindecode_sleepkd import preset

    regime = REGIMES[name]
    rows = ["alone", *[r for r in check_names(rows, ROWS, "rows") if r != "alone"]]

    def done(where):
        units = [(where, seed) for seed in cfg.seeds]
        return all(run_key(name, regime, u, r) in runs for u in units for r in rows)

    if not regime.loso and all(done(split) for split in cfg.splits):
        return runs  # nothing to fit: not even the cohort is loaded
    data = load_cohort(regime, cfg)
    places = np.unique(data["subjects"]) if regime.loso else cfg.splits
    role = STUDENTS[regime.student][1]
    for where in places:
        if done(where):
            continue
        d = split_data(regime, cfg, data, where, work)

        def fit(unit, row, d=d):
            n_unl = 0 if row == "alone" else regime.unlabelled
            dd = {k: v for k, v in d.items() if row != "alone" or k not in ("pl",)}
            assistant = preset("deepsleepnet", role, n_chans=d["X"].shape[2],
                               sfreq=regime.sfreq(cfg))  # fmt: skip
            params = dict(row_params(row, regime), **training_params(cfg, unit[1]))
            rec = gap.fit_record(dd, n_unl, assistant, unit[1], cfg.max_epochs,
                                 **params)  # fmt: skip
            rec["teacher"] = d["teacher_scores"]
            return rec

        units = [(where, seed) for seed in cfg.seeds]
        fit_rows(
            units, rows, fit, key=lambda u, r: run_key(name, regime, u, r),
            runs=runs, save=save, log=log,
        )  # fmt: skip
    return runs


def _values(runs, name, row, field):
    """``{unit: record[field]}`` of ``row`` in regime ``name`` (``field`` may be
    a callable of the record)."""
    regime, out = REGIMES[name], {}
    get = field if callable(field) else (lambda rec: rec.get(field))
    for key, rec in runs.items():
        parts = key.split("|")
        if parts[-1] != row:
            continue
        if row == "alone" and parts[:2] != [regime.cohort, regime.student]:
            continue
        if row != "alone" and parts[0] != name:
            continue
        out[tuple(parts[-3:-1])] = get(rec)
    return out


def summarize(runs, regimes, rows, metric="kappa"):
    """Per regime and row: score, paired difference against alone, gap closed.

    Parameters
    ----------
    runs : dict
        Records by :func:`run_key`.
    regimes, rows : sequence of str
        What to summarize (a row with no record in a regime is left out; a
        regime with no distillation record is not run and left out, even
        where its student alone, shared with another regime, is measured).
    metric : str
        ``"kappa"`` or ``"macro_f1"``.

    Returns
    -------
    dict
        ``{regime: {row: {score, mean_diff, ci_low, ci_high, gap_closed,
        n_units, epochs}}}`` (``epochs``: median epochs of the student
        stage); ``alone`` and ``teacher`` have their score only.
    """
    out = {}
    for name in regimes:
        alone = _values(runs, name, "alone", metric)
        if not alone:
            continue
        teacher = {}
        for row in rows:
            if row != "alone":
                teacher.update(_values(runs, name, row, lambda r: r["teacher"][metric]))
        res = {"alone": dict(score=float(np.mean(list(alone.values()))),
                             n_units=len(alone))}  # fmt: skip
        if teacher:
            res["teacher"] = dict(score=float(np.mean(list(teacher.values()))))
        for row in rows:
            if row == "alone":
                continue
            vals = _values(runs, name, row, metric)
            common = [u for u in vals if u in alone and u in teacher]
            if not common:
                continue
            cmp = paired_by_key(vals, alone)
            closed = gap_closed(
                [vals[u] for u in common], [alone[u] for u in common],
                [teacher[u] for u in common],
            )  # fmt: skip
            epochs = [e for e in _values(runs, name, row, "epochs").values() if e]
            res[row] = dict(
                epochs=float(np.median(epochs)) if epochs else float("nan"),
                score=float(np.mean([vals[u] for u in common])),
                mean_diff=cmp["mean_diff"], ci_low=cmp["ci_low"],
                ci_high=cmp["ci_high"], gap_closed=closed, n_units=len(common),
            )  # fmt: skip
        if any(r not in ("alone", "teacher") for r in res):
            out[name] = res
    return out


def decide(summary):
    """The maximin default of a kappa :func:`summarize` (see the README's rule).

    A row qualifies when it is measured in every regime and is never
    significantly below the student alone (upper end of the paired 95%
    interval < 0; an interval that cannot be computed does not count). The
    choice is the qualifying row with the largest worst case (minimum over
    regimes of the mean paired difference), ties broken by the mean over
    regimes; with no qualifying row, the row with the best worst case
    anyway, and ``qualified`` is False.

    Parameters
    ----------
    summary : dict
        ``{regime: {row: {"mean_diff", "ci_high", ...}}}``; ``alone`` and
        ``teacher`` entries are ignored.

    Returns
    -------
    dict
        ``choice``, ``qualified`` (bool), ``loses_in`` (regimes where the
        choice's mean difference is < 0), ``table`` (``{row: {worst,
        worst_regime, mean, below}}``, best first) and ``rejected``
        (``{row: reason}``).
    """
    regimes = list(summary)
    if not regimes:
        raise ValueError("decide needs at least one regime with results.")
    rows = list(dict.fromkeys(
        r for res in summary.values() for r in res if r not in ("alone", "teacher")
    ))  # fmt: skip
    if not rows:
        raise ValueError("decide needs at least one distillation row.")
    table, rejected = {}, {}
    for row in rows:
        missing = [g for g in regimes if row not in summary[g]]
        if missing:
            rejected[row] = f"not measured in {', '.join(missing)}"
            continue
        diffs = {g: summary[g][row]["mean_diff"] for g in regimes}
        worst = min(diffs, key=diffs.get)
        below = [g for g in regimes
                 if np.isfinite(summary[g][row].get("ci_high", np.nan))
                 and summary[g][row]["ci_high"] < 0]  # fmt: skip
        mean = float(np.mean(list(diffs.values())))
        table[row] = dict(
            worst=diffs[worst], worst_regime=worst, mean=mean, below=below
        )
        if below:
            rejected[row] = "significantly below the student alone in " + ", ".join(
                f"{g} (upper end {summary[g][row]['ci_high']:+.3f})" for g in below
            )
    if not table:
        raise ValueError("no row is measured in every regime: " + str(rejected))
    order = sorted(table, key=lambda r: (table[r]["worst"], table[r]["mean"]),
                   reverse=True)  # fmt: skip
    qualified = [r for r in order if not table[r]["below"]]
    choice = (qualified or order)[0]
    best = table[choice]
    for row in qualified[1:]:
        t = table[row]
        rejected[row] = (
            f"worst case {t['worst']:+.3f} ({t['worst_regime']}) below the "
            f"choice's {best['worst']:+.3f}" if t["worst"] < best["worst"] else
            f"same worst case, lower mean ({t['mean']:+.3f} < {best['mean']:+.3f})"
        )  # fmt: skip
    rejected.pop(choice, None)
    loses_in = [g for g in regimes if summary[g][choice]["mean_diff"] < 0]
    return dict(choice=choice, qualified=bool(qualified), loses_in=loses_in,
                table={r: table[r] for r in order}, rejected=rejected)  # fmt: skip


def _fmt(v, scale=1.0, sign=True):
    if v is None or not np.isfinite(v):
        return "-"
    return f"{scale * v:+.3f}" if sign else f"{scale * v:.3f}"


def report_lines(runs, regimes, rows):
    """Markdown: per regime a table, the worst-case table and the decision.

    Parameters
    ----------
    runs : dict
        Records by :func:`run_key`.
    regimes, rows : sequence of str
        Regimes and distillation rows to report.

    Returns
    -------
    lines : list of str
    summary : dict
        ``{metric: summarize(...)}`` and ``decision`` (:func:`decide` on the
        kappa summary; None when nothing is measured).
    """
    from .tables import table

    sums = {m: summarize(runs, regimes, rows, m) for m in METRICS}
    not_run = [g for g in regimes if g not in sums["kappa"]]
    lines = ["", "Not run (no distillation record): " + ", ".join(not_run) + "."
             ] if not_run else []  # fmt: skip
    for name, res in sums["kappa"].items():
        f1, alone = sums["macro_f1"][name], res["alone"]
        teacher = res.get("teacher", {}).get("score", np.nan)
        lines += ["", f"## {name}: {REGIMES[name]}", "",
                  f"Teacher kappa {_fmt(teacher, sign=False)}, student alone "
                  f"{_fmt(alone['score'], sign=False)} ({alone['n_units']} units).",
                  ""]  # fmt: skip
        body = [
            [ROWS[r].label, _fmt(v["score"], sign=False),
             f"{_fmt(v['mean_diff'])} [{_fmt(v['ci_low'])}, {_fmt(v['ci_high'])}]",
             _fmt(v["gap_closed"], sign=False), _fmt(f1[r]["score"], sign=False),
             _fmt(f1[r]["mean_diff"]), str(v["n_units"]), f"{v['epochs']:g}"]
            for r, v in res.items() if r in ROWS and r != "alone"
        ]  # fmt: skip
        head = ["row", "kappa", "- alone (paired 95% CI)", "gap closed",
                "macro-F1", "F1 - alone", "units", "epochs (median)"]  # fmt: skip
        lines += table(head, body, ["---"] + ["---:"] * 7)
    decision = None
    if sums["kappa"] and any(len(r) > 2 for r in sums["kappa"].values()):
        decision = decide(sums["kappa"])
        body = [
            [ROWS[r].label, _fmt(t["worst"]), t["worst_regime"], _fmt(t["mean"]),
             ", ".join(t["below"]) or "-"]
            for r, t in decision["table"].items()
        ]  # fmt: skip
        head = ["row", "worst case (kappa - alone)", "worst regime", "mean",
                "significantly below alone in"]  # fmt: skip
        names = list(sums["kappa"])
        grid = [
            [ROWS[r].label, *(_fmt(sums["kappa"][g].get(r, {}).get("mean_diff"))
                              for g in names), _fmt(t["worst"])]
            for r, t in decision["table"].items()
        ]  # fmt: skip
        lines += ["", "## Kappa - alone in every regime, and the worst case", "",
                  *table(["row", *names, "worst"], grid,
                         ["---"] + ["---:"] * (len(names) + 1))]  # fmt: skip
        lines += ["", "## Worst case over regimes (the decision)", "",
                  *table(head, body, ["---", "---:", "---", "---:", "---"]), "",
                  f"Choice: **{ROWS[decision['choice']].label}**"
                  + ("" if decision["qualified"] else
                     " (no row qualifies: distillation is not recommended in "
                     + ", ".join(decision["loses_in"]) + ")"), "",
                  *[f"- {ROWS[r].label}: {why}" for r, why in
                    decision["rejected"].items()]]  # fmt: skip
        if decision["loses_in"]:
            lines += ["", "The choice's mean kappa is below the student alone's in: "
                      + ", ".join(decision["loses_in"]) + "."]  # fmt: skip
    return lines, {**sums, "decision": decision}


def merge(parts):
    """One results dict from the JSON of runs made in parallel (``--name``).

    Parameters
    ----------
    parts : sequence of dict
        Results of :mod:`benchmarks/matrix.py` runs with the same ``config``.

    Returns
    -------
    dict
        ``meta`` (commands, regimes and rows united) and ``runs``.
    """
    configs = [p.get("meta", {}).get("config") for p in parts]
    if any(c != configs[0] for c in configs):
        raise ValueError(f"the parts were run with different sizes: {configs}")
    meta = {"commands": [], "config": configs[0], "regimes": [], "rows": []}
    runs = {}
    for part in parts:
        for key in ("commands", "regimes", "rows"):
            meta[key] = list(dict.fromkeys([*meta[key], *part["meta"].get(key, [])]))
        runs.update(part.get("runs", {}))
    return {"meta": meta, "runs": runs}
