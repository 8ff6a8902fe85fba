"""Ctrl-C and SIGTERM stop ``sleepkd distill`` within seconds; a rerun resumes."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from braindecode_sleepkd.cohort.simulate import write_simulated_cohort

ROOT = Path(__file__).resolve().parents[1]

#: Runs ``sleepkd distill`` with a scorer that sleeps per night and a training
#: that sleeps per epoch (SLOW=1), printing "scoring" / "training" / "epoch"
#: (a training epoch checkpointed) when there.
DRIVER = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from skorch.callbacks import Callback
    import braindecode_sleepkd.cohort.distill as d
    from braindecode_sleepkd.cli import main

    SLOW = sys.argv[1] == "1"

    class Scorer:
        name = "sleepy"
        def config(self):
            return dict(scorer=self.name)
        def score_night(self, X, sfreq):
            print("scoring", flush=True)
            time.sleep(1.0 if SLOW else 0.0)
            p = np.full((len(X), 5), 0.1)
            p[np.arange(len(X)), np.arange(len(X)) % 5] = 0.6
            return p

    class Sleep(Callback):
        def on_epoch_begin(self, net, **kwargs):
            if len(net.history) > 1:  # one epoch done and checkpointed
                print("epoch", kwargs.get("dataset_train") is not None, flush=True)

        def on_epoch_end(self, net, **kwargs):
            time.sleep(0.5 if SLOW else 0.0)

    fit = d._fit
    def slow_fit(*args, **kwargs):
        print("training", kwargs["strategy"], flush=True)
        kwargs["callbacks"] = [*kwargs.get("callbacks", []), ("sleep", Sleep())]
        return fit(*args, **kwargs)

    d.make_scorer = lambda teacher: Scorer()
    d._fit = slow_fit
    sys.exit(main(sys.argv[2:]))
    """
)


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nights")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_simulated_cohort(folder, 4, n_scored=2, max_epochs=80, sfreq=50.0)
    return folder


def _start(tmp_path, nights, slow, *extra):
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    argv = [
        "distill", str(nights), "--channel", "EEG", "--out", str(tmp_path / "out"),
        "--quiet", "--n-jobs", "1", "--lstm-units", "8", "--max-epochs", "8",
        "--min-steps", "0", *extra,
    ]  # fmt: skip
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "runtime")])
    return subprocess.Popen(
        [sys.executable, str(driver), "1" if slow else "0", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _interrupt_when(proc, marker, sig, delay):
    """Send ``sig`` ``delay`` s after ``marker`` is printed; (rc, stderr, s)."""
    for line in proc.stdout:
        if line.startswith(marker):
            break
    else:  # pragma: no cover - the run ended before reaching the marker
        pytest.fail(f"never reached {marker!r}: {proc.stderr.read()}")
    time.sleep(delay)
    proc.send_signal(sig)
    sent = time.perf_counter()
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err, time.perf_counter() - sent


def _assert_one_resume_line(err, out):
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("sleepkd distill: interrupted")
    assert f"kept in {out}" in lines[0] and "run the same command again" in lines[0]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_during_scoring_keeps_the_cache(tmp_path, nights, sig):
    proc = _start(tmp_path, nights, True)
    rc, err, took = _interrupt_when(proc, "scoring", sig, 1.5)
    assert rc == 130 and took < 10
    _assert_one_resume_line(err, tmp_path / "out")
    cached = list((tmp_path / "out" / "cache").glob("*.npy"))
    assert 1 <= len(cached) < 4  # the nights scored before the signal
    assert not (tmp_path / "out" / "checkpoints").exists()  # nothing trained


@pytest.mark.slow  # two runs of the CLI (about 45 s on 2 cores)
def test_interrupt_during_training_trains_nothing_more_and_resumes(tmp_path, nights):
    out = tmp_path / "out"
    proc = _start(tmp_path, nights, True)
    rc, err, took = _interrupt_when(proc, "epoch", signal.SIGINT, 0.2)
    assert rc == 130 and took < 10
    _assert_one_resume_line(err, out)
    assert len(list((out / "cache").glob("*.npy"))) == 4
    assert list((out / "checkpoints" / "student").rglob("*"))  # partial stage
    assert not (out / "checkpoints" / "student_alone").exists()
    assert not (out / "student.onnx").exists()
    # the same command resumes the partial stage and finishes
    again = _start(tmp_path, nights, False)
    stdout, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert "scoring" not in stdout  # every night from the cache
    card = json.loads((out / "model_card.json").read_text())
    (stage,) = card["student"]["stages"]
    assert stage.startswith("student: trained for 8 epochs (resumed after ")
    assert card["teacher"]["n_cached"] == 4
    assert "(resumed after" in (out / "model_card.md").read_text()
