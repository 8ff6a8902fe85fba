"""The cross-validated benchmark: every method on the same subject folds and seeds."""

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from skorch.callbacks import EarlyStopping

from ..constants import EPOCH_S
from ..distill import ConsistentViews
from ..distill.strategies import ABLATIONS, get_strategy_class, strategies
from ..estimator import SleepKDClassifier
from ..metrics import (
    SCORE_KEYS,
    inference_speed,
    n_parameters,
    scores,
    size_mib,
    time_calls,
)
from ..models import preset
from ..splits import SubjectValidSplit
from . import data as bdata
from .baselines import BandPowerLogReg, MajorityClass
from .progress import Progress, ProgressCallback
from .splits import subject_folds
from .stats import compare_all, summarize
from .windows import predict_stages


def _uses_assistant(strategy):
    return get_strategy_class(strategy).uses_assistant


#: Rows that distil nothing: the baselines and the models trained alone on the
#: labels (the registry's ``scratch`` is the student alone).
BASELINES = ("majority", "bandpower", "teacher", "assistant", "scratch")
#: The distillation rows: every strategy of the one registry
#: (:func:`~braindecode_sleepkd.distill.strategies`) but ``scratch``; those
#: that distil straight into the student first, then those through the
#: assistant, SleepKD (the method the others are compared with) last.
DISTILLATION = tuple(
    sorted(
        (name for name in strategies() if name != "scratch"),
        key=lambda name: (_uses_assistant(name), name == "sleepkd", name),
    )
)
METHODS = BASELINES + DISTILLATION
LABELS = {
    "majority": "Majority class",
    "bandpower": "Band power + LogReg",
    "teacher": "Teacher",
    "assistant": "Assistant (scratch)",
    "scratch": "Student (scratch)",
    # a strategy's label is its class name (KD, FitNets, ..., SleepKD)
    **{name: get_strategy_class(name).__name__ for name in DISTILLATION},
}
for _ab in ABLATIONS:
    LABELS[f"sleepkd-{_ab}"] = f"SleepKD w/o {_ab[3:]}"


@dataclass
class BenchmarkConfig:
    """Everything that defines a benchmark run (saved in ``results.json``).

    Parameters
    ----------
    dataset : str
        One of :data:`~braindecode_sleepkd.evaluation.data.DATASETS`.
    family : {"deepsleepnet", "salient"}
        Model family of teacher, assistant and student.
    folds, seeds : int
        Subject-wise folds and training seeds (``0 .. seeds - 1``).
    max_epochs : int
        Epochs per training stage (the same for every method); early stopping
        on a held-out training subject may end a stage sooner.
    seq_len : int
        Epochs per sequence.
    out : str
        Output folder.
    methods : list of str
        Rows to run (default: all of :data:`METHODS`).
    ablations : bool
        Add the SleepKD ablation rows.
    budget_minutes : float | None
        Lower ``max_epochs`` so the run fits (estimated from a timed batch).
    patience : int
        Early-stopping patience in epochs (on the validation loss).
    lr, weight_decay, batch_size : float, float, int
        AdamW settings, the same for every stage.
    augment : bool
        Consistent views (:func:`augmentation`) in the distillation stages;
        the guides' outputs are then not cached.
    n_recordings, max_epochs_per_recording : int | None
        Subset of recordings (simulated: how many to simulate, and epochs kept
        per recording).
    data_path : str | None
        Folder of the data files.
    model_overrides : dict
        ``{role: {size argument: value}}`` passed to the presets.
    scaling : list of int
        Numbers of epochs for the time / memory sweep (empty: none).
    threads : int | None
        ``torch.set_num_threads`` (None: leave as is).
    class_weight : {"balanced", "none"}
        Hard-label loss weights of every deep model: inverse training-fold
        stage frequencies (normalised to mean 1, capped at 10), or none. The
        band-power regression uses the same balancing.
    sequences_per_recording : int | None
        Keep this many evenly spaced sequences of every recording (a smaller
        data set that still spans whole nights); None keeps all.
    """

    dataset: str = "sample"
    family: str = "deepsleepnet"
    folds: int = 3
    seeds: int = 1
    max_epochs: int = 20
    seq_len: int = 10
    out: str = "benchmark-results"
    methods: list = field(default_factory=lambda: list(METHODS))
    ablations: bool = False
    budget_minutes: float = None
    patience: int = 5
    lr: float = 1e-3
    weight_decay: float = 1e-2
    batch_size: int = 16
    augment: bool = False
    n_recordings: int = None
    max_epochs_per_recording: int = None
    data_path: str = None
    model_overrides: dict = field(default_factory=dict)
    scaling: list = field(default_factory=list)
    threads: int = None
    class_weight: str = "balanced"
    sequences_per_recording: int = None

    def method_list(self):
        """The rows to run, in table order."""
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown:
            raise ValueError(
                f"Unknown method(s) {unknown}; valid: {', '.join(METHODS)}."
            )
        rows = [m for m in METHODS if m in self.methods]
        if self.ablations:
            rows += [f"sleepkd-{a}" for a in ABLATIONS]
        return rows


def augmentation(on, seed):
    """The benchmark's view policy: ``ConsistentViews`` or None.

    A time shift of up to 1 s (1/30 of an epoch, across epoch boundaries) and
    an amplitude factor in [0.8, 1.2] per sequence, no mixup; applied in every
    distillation stage whose guides all run live (the package's one view
    policy, :class:`~braindecode_sleepkd.distill.ConsistentViews`).
    """
    if not on:
        return None
    return ConsistentViews(max_shift=1 / 30, scale=(0.8, 1.2), mixup_alpha=0, seed=seed)


def _stages(method):
    """Roles trained by a method (the shared teacher is counted apart)."""
    if method in ("majority", "bandpower", "teacher"):
        return []
    if method == "assistant":
        return ["assistant"]
    if method == "sleepkd-no_assistant":
        return ["student"]
    strategy = method.partition("-")[0]  # sleepkd-<ablation>: sleepkd's stages
    return ["assistant", "student"] if _uses_assistant(strategy) else ["student"]


def _needs_teacher(method):
    return method == "teacher" or method in DISTILLATION or method.startswith("sleepkd")


class _Run:
    def __init__(self, cfg, progress=None):
        self.cfg = cfg
        self.progress = progress

    # ------------------------------------------------------------- models
    def model(self, role, seed):
        torch.manual_seed(seed)
        return preset(
            self.cfg.family,
            role,
            n_chans=self.n_chans,
            sfreq=self.sfreq,
            n_times=self.n_times,
            **self.cfg.model_overrides.get(role, {}),
        )

    def estimator(self, seed, epochs, teacher, assistant, student, **kwargs):
        cfg = self.cfg
        if self.class_weights is not None:
            kwargs["criterion__weight"] = torch.as_tensor(self.class_weights)
        name = kwargs.pop("stage_name", None)
        kwargs.setdefault("recipe", "paper")  # the paper's tables use its weights
        return SleepKDClassifier(
            teacher,
            assistant,
            student,
            max_epochs=epochs,
            seq_len=cfg.seq_len,
            random_state=seed,
            lr=cfg.lr,
            optimizer__weight_decay=cfg.weight_decay,
            batch_size=cfg.batch_size,
            train_split=SubjectValidSplit(valid_size=1, random_state=seed),
            baseline=None,  # the student alone is its own row
            callbacks=[
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_loss", patience=cfg.patience, load_best=True
                    ),
                ),
                ("progress", ProgressCallback(self.progress, epochs, name)),
            ],
            augmentation=augmentation(cfg.augment, seed),
            verbose=0,
            **kwargs,
        )

    # ------------------------------------------------------------- teacher
    def teacher(self, fold, seed, train_subjects, Xtr, ytr, gtr, epochs):
        cfg = self.cfg
        key = json.dumps(
            dict(
                dataset=cfg.dataset,
                family=cfg.family,
                train=[str(s) for s in train_subjects],
                seed=seed,
                epochs=epochs,
                seq_len=cfg.seq_len,
                lr=cfg.lr,
                wd=cfg.weight_decay,
                patience=cfg.patience,
                batch=cfg.batch_size,
                augment=cfg.augment,
                over=cfg.model_overrides.get("teacher", {}),
                n_rec=cfg.n_recordings,
                max_rec=cfg.max_epochs_per_recording,
                n=int(len(Xtr)),
                class_weight=cfg.class_weight,
            ),
            sort_keys=True,
        )
        digest = hashlib.sha1(key.encode()).hexdigest()[:12]
        path = Path(cfg.out) / "teacher-cache" / f"teacher-{digest}.pt"
        module = self.model("teacher", seed)
        if path.is_file():
            state = torch.load(path, weights_only=False)
            module.load_state_dict(state["state_dict"])
            self.progress.skip(epochs)
            self.progress.log(f"{self.progress.context} teacher loaded from {path}")
            return module, state["epochs"], 0.0
        t0 = time.perf_counter()
        clf = self.estimator(
            seed, epochs, None, None, module, strategy="scratch", stage_name="teacher"
        )
        clf.fit(Xtr, ytr, groups=gtr)
        trained = clf.module_
        n_ep = len(clf.histories_["student"])
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(
            {"state_dict": trained.state_dict(), "epochs": n_ep, "key": key}, path
        )
        return trained, n_ep, time.perf_counter() - t0

    # ------------------------------------------------------------- methods
    def fit_method(self, method, seed, teacher, Xtr, ytr, gtr, epochs):
        if method == "majority":
            return MajorityClass().fit(Xtr, ytr), {}
        if method == "bandpower":
            return BandPowerLogReg(sfreq=self.sfreq, random_state=seed).fit(
                Xtr, ytr
            ), {}
        if method in ("assistant", "scratch"):
            role = "assistant" if method == "assistant" else "student"
            student = self.model(role, seed)
            clf = self.estimator(
                seed, epochs, None, None, student, strategy="scratch", stage_name=role
            )
        else:
            strategy, _, ablation = method.partition("-")
            clf = self.estimator(
                seed,
                epochs,
                teacher,
                self.model("assistant", seed),
                self.model("student", seed),
                strategy=strategy,
                ablation=ablation or None,
                teacher_pretrained=True,
            )
        clf.fit(Xtr, ytr, groups=gtr)
        return clf, {k: len(h) for k, h in clf.histories_.items()}


def _time_batch(module, x, y):
    module.train()
    opt = torch.optim.AdamW(module.parameters(), lr=1e-4)
    xb, yb = torch.as_tensor(x), torch.as_tensor(y)

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(module(xb).transpose(1, 2), yb).backward()
        opt.step()

    return float(time_calls({"step": step}, n_repeats=2, n_warmup=0)["step"].min())


def plan_epochs(cfg, run, methods, X, y, n_train_seq, n_units):
    """Epochs per stage so the run fits ``cfg.budget_minutes`` (else ``max_epochs``).

    A batch of every role is timed (forward + backward); one training epoch of a
    role costs ``n_train_seq / batch_size`` such batches plus a third of it for
    validation and, in distillation stages, the guides' forward pass.
    """
    if not cfg.budget_minutes:
        return cfg.max_epochs, {"seconds_per_epoch_all_stages": float("nan")}
    bs = min(cfg.batch_size, len(X))
    per_batch = {
        role: _time_batch(run.model(role, 0), X[:bs], y[:bs])
        for role in ("teacher", "assistant", "student")
    }
    n_batches = max(1.0, n_train_seq / cfg.batch_size)
    guide = 1.0 + (1.0 if cfg.augment else 0.35)
    per_epoch = 0.0
    if any(_needs_teacher(m) for m in methods):
        per_epoch += per_batch["teacher"] * n_batches * 1.35
    for m in methods:
        for role in _stages(m):
            factor = guide if m not in ("assistant", "scratch") else 1.35
            per_epoch += per_batch[role] * n_batches * factor
    per_epoch *= n_units
    usable = 0.8 * cfg.budget_minutes * 60
    epochs = int(max(1, min(cfg.max_epochs, usable // max(per_epoch, 1e-9))))
    return epochs, {"seconds_per_epoch_all_stages": per_epoch, "batch_s": per_batch}


def run_benchmark(cfg, stream=None, verbose=True):
    """Run the benchmark described by ``cfg`` and return the results dict.

    Every method is trained on the same subject-wise folds, seeds, epochs and
    early-stopping rule; the teacher of each (fold, seed) is trained once,
    cached on disk under ``<out>/teacher-cache`` and shared by all methods
    that need it (given to the estimator with ``teacher_pretrained=True``).

    Returns
    -------
    dict
        ``config``, ``data``, ``folds``, ``runs`` (one row per method, fold and
        seed), ``summary``, ``comparisons``, ``cost``, ``hypnogram``,
        ``timing`` and ``notes``; see :mod:`~braindecode_sleepkd.evaluation.report`.
    """
    t_start = time.perf_counter()
    if cfg.threads:
        torch.set_num_threads(int(cfg.threads))
    if cfg.family not in ("deepsleepnet", "salient"):
        raise ValueError(
            f"--family must be deepsleepnet or salient, got {cfg.family!r}"
        )
    methods = cfg.method_list()
    windows = bdata.load_windows(
        cfg.dataset,
        data_path=cfg.data_path,
        n_recordings=cfg.n_recordings,
        max_epochs=cfg.max_epochs_per_recording,
    )
    X, y, subjects, recordings, epoch_index = bdata.sequences(windows, cfg.seq_len)
    if cfg.sequences_per_recording:
        keep = bdata.evenly_spaced(recordings, cfg.sequences_per_recording)
        X, y, subjects = X[keep], y[keep], subjects[keep]
        recordings, epoch_index = recordings[keep], epoch_index[keep]
    X = bdata.robust_scale_per_recording(X, recordings)
    info = bdata.describe(windows, y, subjects, epoch_index)
    folds = subject_folds(subjects, cfg.folds, seed=0)
    if min(len(tr) for tr, _ in folds) < 2:
        raise ValueError(
            "Every training fold needs at least 2 subjects (one is held out for "
            "early stopping); use fewer folds."
        )
    run = _Run(cfg)
    run.class_weights = None
    run.n_chans, run.n_times = X.shape[2], X.shape[3]
    run.sfreq = X.shape[3] / EPOCH_S
    n_units = cfg.folds * cfg.seeds
    n_train = int(np.mean([np.isin(subjects, tr).sum() for tr, _ in folds]))
    epochs, plan = plan_epochs(cfg, run, methods, X, y, n_train, n_units)
    n_stage_epochs = sum(len(_stages(m)) for m in methods) + any(
        _needs_teacher(m) for m in methods
    )
    progress = Progress(n_units * n_stage_epochs * epochs, stream, enabled=verbose)
    run.progress = progress
    progress.log(
        f"benchmark: {cfg.dataset} ({info['n_epochs']} epochs, {info['n_subjects']} "
        f"subjects), {cfg.folds} folds x {cfg.seeds} seeds, {len(methods)} methods, "
        f"{epochs} epochs per stage (estimated "
        f"{plan['seconds_per_epoch_all_stages']:.0f} s per epoch of all stages)"
    )
    runs, hypno, last = [], None, {}
    for fold, (train_s, test_s) in enumerate(folds):
        tr = np.isin(subjects, train_s)
        te = np.isin(subjects, test_s)
        Xtr, ytr, gtr = X[tr], y[tr], subjects[tr]
        Xte, yte = X[te], y[te]
        run.class_weights = _class_weights(ytr, cfg.class_weight)
        _, first = np.unique(epoch_index[te].ravel(), return_index=True)
        for seed in range(cfg.seeds):
            teacher, t_epochs, t_time = None, 0, 0.0
            if any(_needs_teacher(m) for m in methods):
                progress.context = (
                    f"[teacher | fold {fold + 1}/{cfg.folds} seed {seed}]"
                )
                teacher, t_epochs, t_time = run.teacher(
                    fold, seed, train_s, Xtr, ytr, gtr, epochs
                )
            for method in methods:
                progress.context = (
                    f"[{method} | fold {fold + 1}/{cfg.folds} seed {seed}]"
                )
                t0 = time.perf_counter()
                if method == "teacher":
                    model, stage_epochs = teacher, {"teacher": t_epochs}
                    pred = predict_stages(teacher, Xte)
                    fit_s = t_time
                else:
                    model, stage_epochs = run.fit_method(
                        method, seed, teacher, Xtr, ytr, gtr, epochs
                    )
                    pred = model.predict(Xte)
                    fit_s = time.perf_counter() - t0
                sc = scores(yte.ravel()[first], pred.ravel()[first])
                runs.append(
                    dict(
                        method=method,
                        fold=fold,
                        seed=seed,
                        **{k: sc[k] for k in SCORE_KEYS},
                        f1_per_class=sc["f1_per_class"],
                        confusion=sc["confusion"],
                        epochs=stage_epochs,
                        fit_seconds=fit_s,
                    )
                )
                last[method] = model
                if fold == 0 and seed == 0:
                    hypno = _hypnogram(
                        hypno, method, recordings[te], epoch_index[te], yte, pred
                    )
                progress.log(
                    f"{progress.context} done: kappa={sc['kappa']:.3f} "
                    f"macro-F1={sc['macro_f1']:.3f} ({fit_s:.0f} s)"
                )
    cost = _costs(last, X[: min(16, len(X))], methods)
    keys = SCORE_KEYS + ("fit_seconds",)
    refs = [r for r in ("scratch", "sleepkd") if r in methods]
    return {
        "config": asdict(cfg),
        "data": info,
        "folds": [
            {
                "fold": i,
                "train_subjects": [str(s) for s in a],
                "test_subjects": [str(s) for s in b],
            }
            for i, (a, b) in enumerate(folds)
        ],
        "epochs_per_stage": epochs,
        "plan": plan,
        "runs": runs,
        "summary": summarize(runs, keys),
        "comparisons": compare_all(runs, refs, SCORE_KEYS),
        "cost": cost,
        "hypnogram": hypno,
        "timing": {"total_seconds": time.perf_counter() - t_start},
        "torch_threads": torch.get_num_threads(),
        "notes": _notes(cfg, info),
    }


def _class_weights(y, mode, cap=10.0):
    """Inverse stage frequencies, mean 1, capped; None when ``mode`` is "none"."""
    if mode in (None, "none"):
        return None
    if mode != "balanced":
        raise ValueError(f"class_weight must be 'balanced' or 'none', got {mode!r}.")
    counts = np.bincount(np.asarray(y).ravel(), minlength=5).astype(float)
    w = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / len(counts), 1.0)
    w = np.minimum(w / w[counts > 0].mean(), cap)
    return w.astype(np.float32)


def _hypnogram(hypno, method, recs, idx, y_true, pred):
    rec = recs[0]
    sel = recs == rec
    order, first = np.unique(idx[sel].ravel(), return_index=True)
    if hypno is None:
        hypno = {
            "recording": int(rec),
            "true": y_true[sel].ravel()[first].tolist(),
            "pred": {},
        }
    hypno["pred"][method] = np.asarray(pred)[sel].ravel()[first].tolist()
    return hypno


def _costs(models, x_batch, methods, n_repeats=5):
    """Parameters, size, throughput and latency per method, relative to the teacher.

    One model per architecture (all students share one) and the baselines are
    timed in turn (:func:`~braindecode_sleepkd.metrics.inference_speed`) and the
    fastest run is kept, so a burst of load on a shared machine does not favour
    the model that happened to be timed first. Throughput: epochs per second at
    a batch of ``len(x_batch)`` sequences; latency: one sequence, in ms.
    """
    cost, timed, arch_of = {}, {}, {}
    for method in methods:
        model = models[method]
        if method in ("majority", "bandpower"):
            cost[method] = dict(params=model.n_parameters(), size_mib=0.0)
            arch_of[method] = method
            timed[method] = model
            continue
        module = model if method == "teacher" else model.module_
        arch = f"{type(module).__name__}-{n_parameters(module)}"
        arch_of[method] = arch
        timed.setdefault(arch, module)
        cost[method] = dict(params=n_parameters(module), size_mib=size_mib(module))
    big = len(x_batch)
    speed = inference_speed(timed, x_batch, (1, big), n_repeats=n_repeats)
    for method, c in cost.items():
        sp = speed[arch_of[method]]
        c["throughput"] = sp[big]["best_epochs_per_s"]
        c["latency_ms"] = 1000 * sp[1]["best_s"]
    ref = cost.get("teacher")
    for m, c in cost.items():
        if m == "majority":  # no model to speak of
            c["speedup"] = c["compression"] = float("nan")
            continue
        c["speedup"] = c["throughput"] / ref["throughput"] if ref else float("nan")
        c["compression"] = (
            ref["params"] / c["params"] if ref and c["params"] else float("nan")
        )
    return cost


def _notes(cfg, info):
    notes = []
    if info["simulated"]:
        notes.append(
            "SIMULATED data (simulate_sleep_eeg, driven by real Sleep-EDF "
            "hypnograms): not a measurement on real EEG."
        )
    if cfg.augment:
        notes.append(
            "Consistent views on (time shift <= 1 s, amplitude x0.8-1.2, in the "
            "distillation stages): the guides' outputs are recomputed at every "
            "batch (teacher cache off)."
        )
    else:
        notes.append("No augmentation: the guides' outputs are cached once per stage.")
    return notes
