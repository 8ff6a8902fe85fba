"""Distilling a pretrained scorer over simulated cohorts of growing size.

A world of simulated nights with known truth (:func:`make_world`): scored
nights, a pool of unscored nights and test nights. A cohort takes the first
``n_scored`` scored and ``n_unscored`` unscored nights (:func:`cohort_folder`,
links), is distilled by :func:`~braindecode_sleepkd.cohort.distill_cohort` in a
child process that measures its own time and peak memory (:func:`fit_cohort`),
and its students are scored on the test nights against the truth and against
the teacher (:func:`test_scores`).
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from . import child_env

N_TEST = 4


def make_world(work, n_scored, n_unscored, epochs_per_night, seed=0):
    """Write ``n_scored`` scored, ``n_unscored`` unscored and 4 test nights.

    Returns the truth (night name -> labels); kept in ``work/truth.npz`` and
    reused when the world exists.
    """
    from braindecode_sleepkd.cohort.simulate import write_simulated_cohort

    work = Path(work)
    truth_file = work / "truth.npz"
    if truth_file.is_file():
        return dict(np.load(truth_file))
    n = n_scored + n_unscored + N_TEST
    truth = write_simulated_cohort(
        work / "all", n, n_scored, max_epochs=epochs_per_night, seed=seed
    )
    (work / "test").mkdir(parents=True, exist_ok=True)
    for i in range(n - N_TEST, n):
        (work / "all" / f"night{i:03d}.edf").rename(work / "test" / f"night{i:03d}.edf")
    np.savez(truth_file, **truth)
    return truth


def cohort_folder(work, n_scored, n_unscored, pool_scored):
    """A folder of links to the first scored and unscored nights of the world."""
    work = Path(work)
    folder = work / "cohorts" / f"{n_scored}_{n_unscored}"
    folder.mkdir(parents=True, exist_ok=True)
    index = list(range(n_scored)) + list(range(pool_scored, pool_scored + n_unscored))
    for i in index:
        for suffix in (".edf", ".hypnogram.txt"):
            src = work / "all" / f"night{i:03d}{suffix}"
            dst = folder / src.name
            if src.is_file() and not dst.exists():
                dst.symlink_to(src)
    return folder


def passes(
    n_scored,
    n_unscored,
    epochs_per_night,
    min_passes,
    min_steps,
    seq_len=10,
    batch_size=32,
):
    """Training passes: ``min_passes``, more where the training nights give fewer
    than ``min_steps`` gradient steps (one validation night when scored, else a
    quarter of the unscored nights)."""
    n_train = n_scored - 1 + n_unscored if n_scored else 0.75 * n_unscored
    per_pass = max(1.0, n_train * epochs_per_night / seq_len / batch_size)
    return int(max(min_passes, np.ceil(min_steps / per_pass)))


def in_child(job, **kwargs):
    """Run ``job(**kwargs)`` (a function of this module) in a child process.

    Returns its record with ``seconds`` and ``rss_mb`` (peak resident memory
    of the child) added.
    """
    code = f"from {__name__} import _child; _child({job!r}, {json.dumps(kwargs)!r})"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=child_env(),
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    if not lines:
        raise RuntimeError(f"{job}({kwargs}) failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][6:])


def _child(job, kwargs):
    import resource
    import warnings

    from braindecode_sleepkd.evaluation.scaling import _peak_rss_kb

    warnings.simplefilter("ignore")
    start = time.perf_counter()
    with MemorySampler() as memory:
        rec = globals()[job](**json.loads(kwargs))
    rec["seconds"] = time.perf_counter() - start
    rec["rss_mb"] = _peak_rss_kb(resource) / 1024
    rec["anon_mb"], rec["file_mb"] = memory.peak["RssAnon"], memory.peak["RssFile"]
    print("RESULT" + json.dumps(rec))


class MemorySampler:
    """Peak anonymous and file-backed resident memory (MB), sampled every 0.2 s.

    The peak RSS of a process counts the pages of memory-mapped files it has
    read, which the kernel drops under pressure; ``RssAnon`` (heap, tensors)
    is what grows if data are held in memory. Linux ``/proc/self/status``.
    """

    def __init__(self, interval=0.2):
        self.interval, self.peak = interval, {"RssAnon": None, "RssFile": None}

    def _sample(self):
        try:
            with open("/proc/self/status") as f:
                for line in f:
                    key = line.split(":")[0]
                    if key in self.peak:
                        mb = float(line.split()[1]) / 1024
                        self.peak[key] = max(self.peak[key] or 0.0, mb)
        except OSError:
            pass

    def _run(self):
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self):
        import threading

        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()


def distill(folder, out, teacher, cache_dir, student_kwargs, max_epochs):
    """Distil one cohort (the teacher's outputs are read from ``cache_dir``)."""
    from braindecode_sleepkd.cohort import distill_cohort

    start = time.perf_counter()
    card = distill_cohort(
        folder, out, teacher, "EEG", student_kwargs=student_kwargs,
        max_epochs=max_epochs, cache_dir=cache_dir, n_jobs=1, progress=False,
        command="benchmarks/cohort_scaling.py",
    )  # fmt: skip
    return dict(
        teacher_seconds=card.teacher["seconds"],
        fit_seconds=time.perf_counter() - start - card.teacher["seconds"],
        train_epochs=card.data["n_train_epochs"],
        n_parameters=card.student["n_parameters"],
        max_epochs=max_epochs,
        validation=card.validation.get("scores", {}),
    )


def score(folders, teacher, cache_dir, n_jobs, max_nights=None):
    """Score the nights of ``folders`` (the first ``max_nights``) into the cache."""
    from braindecode_sleepkd.cohort import find_nights, make_scorer, score_cohort

    nights = [n for f in folders for n in find_nights(f, hypnogram=None)]
    nights = nights[:max_nights]
    res = score_cohort(
        make_scorer(teacher), nights, "EEG", cache_dir=cache_dir, n_jobs=n_jobs,
        progress=False,
    )  # fmt: skip
    return dict(n_nights=len(nights), n_cached=res.n_cached, n_skipped=len(res.skipped))


def test_scores(work, out, teacher, cache_dir, truth):
    """Kappa on the test nights: teacher and students vs truth, students vs teacher."""
    from sleepkd_runtime.stage import stage_edf

    from braindecode_sleepkd.cohort import find_nights, make_scorer, score_cohort
    from braindecode_sleepkd.metrics import kappa

    tests = find_nights(Path(work) / "test", hypnogram=None)
    scored = score_cohort(
        make_scorer(teacher), tests, "EEG", cache_dir=cache_dir, progress=False
    )
    y = np.concatenate([truth[n.name] for n in tests])
    guide = np.concatenate([r["proba"].argmax(1) for r in scored.nights])
    rec = {"teacher": kappa(y, guide)}
    for model in ("student", "student_alone"):
        path = Path(out) / f"{model}.onnx"
        if path.is_file():
            pred = np.concatenate([stage_edf(path, n.path).stages for n in tests])
            rec[model] = kappa(y, pred)
            rec[f"{model}_vs_teacher"] = kappa(guide, pred)
    rec["ratio"] = rec["student"] / rec["teacher"]
    return rec


def _f(value, fmt=".3f"):
    return "n/a" if value is None else format(value, fmt)


def report(res, truth):
    """The Markdown report of :mod:`benchmarks/cohort_scaling.py` results."""
    lines = [
        "# Distilling pretrained scorers over simulated cohorts", "",
        f"`{res['command']}`", "",
        "Simulated nights (`simulate_sleep_eeg`, 100 Hz, truth known; no claim about "
        f"real data), {len(truth)} in the world. Kappa on the {N_TEST} test nights "
        "against the truth, and of the student against its teacher. One seed per "
        "cohort: a curve, not an interval. Time and peak RSS are of the child "
        "process (2 shared CPU cores; with n_jobs=2 the joblib workers' memory is not "
        "in the RSS column).", "",
        "## Teacher scoring", "",
        "| member | nights | n_jobs | seconds | s / night | peak RSS (MB) |",
        "|---|---|---|---|---|---|",
    ]  # fmt: skip
    for member, rec in res["scoring"].items():
        for key, r in rec.items():
            jobs = {"jobs1": 1, "jobs2": 2, "all": 2}[key]
            lines.append(
                f"| {member} | {r['n_nights']} | {jobs} | {r['seconds']:.1f} | "
                f"{r['seconds'] / max(r['n_nights'], 1):.2f} | {r['rss_mb']:.0f} |"
            )
    lines += [
        "", "## Students", "",
        "| teacher | student | scored | unscored | train epochs | passes | "
        "teacher kappa | "
        "student kappa | student / teacher | student vs teacher | student alone | "
        "fit (s) | peak RSS (MB) | peak anon (MB) | peak file-backed (MB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for key, r in res["runs"].items():
        teacher, student, s, u = key.split("/")
        lines.append(
            f"| {teacher} | {student} | {s} | {u} | {r['train_epochs']} | "
            f"{r['max_epochs']} | "
            f"{_f(r['teacher'])} | {_f(r['student'])} | {_f(r['ratio'], '.2f')} | "
            f"{_f(r.get('student_vs_teacher'))} | {_f(r.get('student_alone'))} | "
            f"{r['fit_seconds']:.0f} | {r['rss_mb']:.0f} | "
            f"{_f(r.get('anon_mb'), '.0f')} | {_f(r.get('file_mb'), '.0f')} |"
        )
    return lines + [""]


def plot(res):
    """``figure(path)``: student/teacher kappa ratio and peak RSS vs nights."""

    def figure(path):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        curves = {}
        for key, r in res["runs"].items():
            teacher, student, s, u = key.split("/")
            n = int(s) + int(u)
            curves.setdefault(f"{teacher} {student} {s} scored", []).append((n, r))
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
        for label, points in curves.items():
            points.sort(key=lambda p: p[0])
            n = [p[0] for p in points]
            ax1.plot(n, [p[1]["ratio"] for p in points], "o-", label=label)
            anon = [(m, p["anon_mb"]) for m, p in points if p.get("anon_mb")]
            if anon:
                ax2.plot(*zip(*anon), "o-", label=label)
        ax1.axhline(0.95, color="grey", ls=":")
        ax1.set(xlabel="nights in the cohort", ylabel="student / teacher kappa")
        ax2.set(xlabel="nights in the cohort", ylabel="peak anonymous memory (MB)")
        if curves:
            ax1.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)

    return figure
