"""Fault injection: SIGKILL a checkpointed fit at random points of every stage.

Each trial runs ``SleepKDClassifier(..., checkpoint_dir=...)`` (three reduced
DeepSleepNet presets with routed parameters, dropout on, on synthetic sleep-like
sequences) in a child process, kills it with SIGKILL at a random batch of the
running stage, and resumes it in a new process with another ``PYTHONHASHSEED``
until a last run finishes. Checked: every resume starts where the last saved
epoch left off, a finished stage is never changed nor trained again, the last
run has every stage's full budget, and its predictions equal an uninterrupted
fit's within a tolerance. Used by ``benchmarks/fault_injection.py``.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import hashlib
import json
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from . import child_env

STAGES = ("teacher", "assistant", "student")
#: The fit under test: presets shrunk by routed parameters (two or more routed
#: parameters used to break resuming in a new process), dropout on.
PARAMS = dict(
    recipe="paper",
    max_epochs=3,
    batch_size=4,
    random_state=0,
    verbose=0,
    teacher__lstm_units=24,
    teacher__n_filters_2=32,
    assistant__lstm_units=16,
    student__lstm_units=12,
    student__dropout=0.3,
)
N_SEQ, SEQ_LEN = 24, 5


def make_data(seed=0):
    """Synthetic 30-s epochs at 100 Hz: stage k is a noisy sine at (k + 1) Hz."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 5, size=(N_SEQ, SEQ_LEN))
    t = np.arange(3000) / 100.0
    X = np.sin(2 * np.pi * (y[..., None] + 1) * t)[:, :, None, :]
    X = X + 0.5 * rng.standard_normal(X.shape)
    return X.astype(np.float32), y


def batches_per_epoch():
    return int(np.ceil(N_SEQ / PARAMS["batch_size"]))


# ------------------------------------------------------------------ the child
def worker(checkpoint_dir, progress, result):
    """Fit (resuming from ``checkpoint_dir``), log every batch, save the result."""
    import torch
    from skorch.callbacks import Callback

    from braindecode_sleepkd import SleepKDClassifier

    torch.set_num_threads(1)

    class Progress(Callback):
        def initialize(self):
            self.log_ = open(progress, "a", buffering=1)  # noqa: SIM115
            return self

        def on_batch_end(self, net, training=False, **kwargs):
            if training:
                self.log_.write(f"{net.stage_} {len(net.history)}\n")

    X, y = make_data()
    ckpt = None if checkpoint_dir == "-" else checkpoint_dir
    family = "deepsleepnet"
    clf = SleepKDClassifier(
        family, family, family, strategy="sleepkd", checkpoint_dir=ckpt,
        callbacks=[Progress()], **PARAMS,
    )  # fmt: skip
    clf.fit(X, y)
    np.save(result + ".npy", clf.predict_proba(X))
    Path(result + ".json").write_text(json.dumps({"stages": clf.stages_}))


# ----------------------------------------------------------------- the parent
def _spawn(args, hash_seed):
    env = child_env(PYTHONHASHSEED=str(hash_seed), OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", __name__, *map(str, args)]
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _lines(path):
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in STAGES and parts[1].isdigit():
            rows.append((parts[0], int(parts[1])))
    return rows


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fit_folder(top):
    folders = [p for p in top.iterdir() if p.is_dir()] if top.exists() else []
    if len(folders) > 1:
        raise RuntimeError(f"{top} holds {len(folders)} fits; expected one")
    return folders[0] if folders else None


def _state(top):
    """``(first unfinished stage, epochs saved in its partial file, digests)``."""
    import torch

    folder = _fit_folder(top)
    digests = {}
    if folder is None:
        return STAGES[0], 0, digests
    for stage in STAGES:
        if (folder / f"{stage}.pt").exists():
            digests[stage] = _digest(folder / f"{stage}.pt")
    todo = next((s for s in STAGES if s not in digests), None)
    done = 0
    partial = None if todo is None else folder / f"{todo}.partial.pt"
    if partial is not None and partial.exists():
        done = len(torch.load(partial, weights_only=False)["history"])
    return todo, done, digests


def run_trial(trial, rng, work, kills_per_stage, budget, failures):
    """Kill and resume one fit until it finishes; return the trial's record."""
    top, log = work / f"trial{trial}" / "ckpt", work / f"trial{trial}"
    log.mkdir(parents=True, exist_ok=True)
    n_batches = batches_per_epoch()
    finished_digests, kills, runs = {}, [], 0
    planned = [s for s in STAGES for _ in range(kills_per_stage)]
    while True:
        todo, done, digests = _state(top)
        for stage, digest in finished_digests.items():
            if digests.get(stage) != digest:
                failures.append(f"trial {trial}: finished {stage}.pt changed or lost")
        finished_digests.update(digests)
        progress = log / f"progress{runs}.txt"
        result = str(log / "final")
        hash_seed = 1000 * (trial + 1) + runs + 1
        proc = _spawn([top, progress, result], hash_seed)
        target = planned[len(kills)] if len(kills) < len(planned) else None
        if target is not None and todo is not None:
            if STAGES.index(target) < STAGES.index(todo):
                target = todo  # the planned stage already ended: kill the running one
        kill_after = None
        if target is not None and todo is not None:
            saved = done if target == todo else 0
            kill_after = int(rng.integers(1, (budget - saved) * n_batches + 1))
            delay = float(rng.uniform(0.0, 0.3))
        while proc.poll() is None:
            rows = [r for r in _lines(progress) if r[0] == target]
            if kill_after is not None and (
                len(rows) >= kill_after
                or any(
                    STAGES.index(r[0]) > STAGES.index(target) for r in _lines(progress)
                )
            ):
                time.sleep(delay)  # somewhere in the next batch or checkpoint write
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
        proc.wait(timeout=600)
        stderr = proc.stderr.read().decode(errors="replace")
        rows = _lines(progress)
        runs += 1
        # nothing retrained, nothing saved lost
        for stage in finished_digests:
            if any(r[0] == stage for r in rows):
                failures.append(f"trial {trial}: run {runs} trained finished {stage}")
        first = [r for r in rows if r[0] == todo]
        if todo is not None and first and first[0][1] != done + 1:
            failures.append(
                f"trial {trial}: run {runs} resumed {todo} at epoch {first[0][1]}, "
                f"{done} were saved"
            )
        if proc.returncode == -signal.SIGKILL:
            where = rows[-1] if rows else (todo, 0)
            kills.append(
                {
                    "planned_stage": target,
                    "stage": where[0],
                    "epoch": where[1],
                    "batch": sum(r == where for r in rows),
                    "epochs_saved_before": done,
                    "kill_after_batches": kill_after,
                    "delay_s": round(delay, 3),
                    "hash_seed": hash_seed,
                }
            )
            continue
        if proc.returncode != 0:
            failures.append(f"trial {trial}: run {runs} failed:\n{stderr[-2000:]}")
            return {"trial": trial, "kills": kills, "runs": runs, "ok": False}
        break
    stages = json.loads(Path(result + ".json").read_text())["stages"]
    folder = _fit_folder(top)
    for stage in STAGES:
        if stage in finished_digests and finished_digests[stage] != _digest(
            folder / f"{stage}.pt"
        ):
            failures.append(f"trial {trial}: finished {stage}.pt changed in last run")
    import torch

    budgets = {
        s: len(torch.load(folder / f"{s}.pt", weights_only=False)["history"])
        for s in STAGES
    }
    if any(b != budget for b in budgets.values()):
        failures.append(f"trial {trial}: stage epochs {budgets}, expected {budget}")
    proba = np.load(result + ".npy")
    return {
        "trial": trial,
        "kills": kills,
        "runs": runs,
        "final_stages": stages,
        "stage_epochs": budgets,
        "proba": proba,
    }


def run(trials=3, kills_per_stage=2, seed=0, atol=1e-6, work=None, log=print):
    """Kill and resume ``trials`` fits; the JSON-ready report (see the module).

    Parameters
    ----------
    trials : int
        Fits to kill and resume.
    kills_per_stage : int
        Planned kills per stage and trial.
    seed : int
        Seeds the kill points.
    atol : float
        Largest allowed difference of predicted probabilities.
    work : str | Path | None
        Scratch folder (default: a temporary one).
    log : callable
        Progress lines.

    Returns
    -------
    dict
        ``params``, ``data``, ``kills``, ``kills_per_stage``, ``trials``,
        ``failures``, ``passed``, ``seconds``, versions (no ``command``).
    """
    import tempfile

    start = time.time()
    work = Path(work or tempfile.mkdtemp(prefix="sleepkd-faults-"))
    work.mkdir(parents=True, exist_ok=True)
    failures = []
    ref = _spawn(["-", work / "reference-progress.txt", work / "reference"], 0)
    ref.wait(timeout=600)
    if ref.returncode != 0:
        sys.exit(f"the uninterrupted fit failed:\n{ref.stderr.read().decode()}")
    reference = np.load(work / "reference.npy")
    rng = np.random.default_rng(seed)
    records = []
    for trial in range(trials):
        rec = run_trial(
            trial, rng, work, kills_per_stage, PARAMS["max_epochs"], failures
        )
        if "proba" in rec:
            diff = float(np.max(np.abs(rec.pop("proba") - reference)))
            rec["max_abs_proba_diff"] = diff
            rec["ok"] = diff <= atol
            if diff > atol:
                failures.append(f"trial {trial}: predictions differ by {diff:.3g}")
        records.append(rec)
        log(
            f"trial {trial}: {len(rec['kills'])} kills, {rec['runs']} runs, "
            f"max |dp| {rec.get('max_abs_proba_diff')}"
        )
    per_stage = {
        s: sum(k["stage"] == s for t in records for k in t["kills"]) for s in STAGES
    }
    return {
        "params": PARAMS,
        "data": {"n_seq": N_SEQ, "seq_len": SEQ_LEN, "n_times": 3000, "sfreq": 100},
        "batches_per_epoch": batches_per_epoch(),
        "seed": seed,
        "atol": atol,
        "kills": sum(len(t["kills"]) for t in records),
        "kills_per_stage": per_stage,
        "trials": records,
        "failures": failures,
        "passed": not failures,
        "seconds": round(time.time() - start, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def markdown(r):
    """The Markdown report of :func:`run`'s results (with ``command``)."""
    lines = [
        "# Fault injection: SIGKILL at random points of every stage",
        "",
        f"Command: `{r['command']}` ({r['seconds']} s, one torch thread per process).",
        "",
        f"Result: **{'passed' if r['passed'] else 'FAILED'}**, {r['kills']} kills "
        f"survived ({', '.join(f'{s} {n}' for s, n in r['kills_per_stage'].items())})"
        f" over {len(r['trials'])} trials; each resume in a new process with another "
        "`PYTHONHASHSEED`.",
        "",
        f"Fit: three `deepsleepnet` presets, {r['params']['max_epochs']} epochs per "
        f"stage, {r['batches_per_epoch']} batches per epoch, routed parameters "
        + ", ".join(f"`{k}={v}`" for k, v in r["params"].items() if "__" in k)
        + f", synthetic data {r['data']['n_seq']} x {r['data']['seq_len']} epochs "
        "of 30 s at 100 Hz.",
        "",
        "Each kill is shown as the last batch logged before it (stage epoch.batch; "
        "the kill itself came up to 0.3 s later, possibly in the checkpoint write "
        "or the next stage). A kill after the student's last batch can land after "
        "the fit has finished its last stage: the next run then loads all three.",
        "",
        "| trial | kills | runs | max abs proba diff vs uninterrupted |",
        "|---|---|---|---|",
    ]
    for t in r["trials"]:
        where = ", ".join(f"{k['stage']} {k['epoch']}.{k['batch']}" for k in t["kills"])
        lines.append(
            f"| {t['trial']} | {where} | {t['runs']} | {t.get('max_abs_proba_diff')} |"
        )
    lines += [
        "",
        "Checked after every run: no finished stage file changed or was trained "
        "again, every resume started at the epoch after the last saved one; at "
        "the end every stage has its full budget and the predictions equal an "
        f"uninterrupted fit without `checkpoint_dir` within {r['atol']:g}.",
        "",
    ]
    if r["failures"]:
        lines += ["Failures:", ""] + [f"- {f}" for f in r["failures"]] + [""]
    return "\n".join(lines)


if __name__ == "__main__":  # the child process of a trial
    worker(*sys.argv[1:4])
