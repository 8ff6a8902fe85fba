"""A fit killed with SIGKILL during the student stage resumes from its checkpoints."""

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import torch

SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import torch
    torch.set_num_threads(1)  # same float reductions as the reference fit
    from skorch.callbacks import Callback
    from braindecode_sleepkd import SleepKDClassifier
    from helpers import TinySleepNet, make_data
    ROUTED = dict(teacher__width=16, teacher__units=16, assistant__width=12)

    class Hang(Callback):
        def on_epoch_end(self, net, **kw):
            if net.stage_ == "student" and len(net.history) == 2:
                Path(sys.argv[2]).write_text("in student stage")
                time.sleep(600)

    X, y, _ = make_data()
    callbacks = [Hang()] if sys.argv[3] == "hang" else []
    clf = SleepKDClassifier(TinySleepNet, TinySleepNet, TinySleepNet, max_epochs=4,
                            strategy="sleepkd", random_state=0, verbose=0,
                            checkpoint_dir=sys.argv[1], callbacks=callbacks,
                            **ROUTED)
    clf.fit(X, y)
    print("STAGES", clf.stages_)
    import numpy as np
    np.save(sys.argv[4], clf.predict_proba(X))
    """
)


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_sigkill_during_student_stage_then_resume(tmp_path):
    """Routed parameters, another hash seed on resume, exact final predictions."""
    from helpers import TinySleepNet, make_data

    from braindecode_sleepkd import SleepKDClassifier

    script = tmp_path / "fit.py"
    script.write_text(SCRIPT)
    top, marker, proba = tmp_path / "ckpt", tmp_path / "marker", tmp_path / "p.npy"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent), PYTHONHASHSEED="1")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(top), str(marker), "hang", str(proba)],
        env=env,
    )
    deadline = time.time() + 300
    while not marker.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.5)
    assert marker.exists(), "the fit never reached the student stage"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    (ckpt,) = top.iterdir()
    before = {n: _digest(ckpt / f"{n}.pt") for n in ("teacher", "assistant")}
    saved = {
        n: torch.load(ckpt / f"{n}.pt", weights_only=False)["module"]
        for n in ("teacher", "assistant")
    }
    assert (ckpt / "student.partial.pt").exists()

    out = subprocess.run(
        [sys.executable, str(script), str(top), str(marker), "resume", str(proba)],
        env=dict(env, PYTHONHASHSEED="2"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "teacher: loaded" in out.stdout and "assistant: loaded" in out.stdout
    assert "student: trained for 4 epochs (resumed after 2)" in out.stdout
    after = {n: _digest(ckpt / f"{n}.pt") for n in ("teacher", "assistant")}
    assert after == before
    assert (ckpt / "student.pt").exists()
    final = torch.load(ckpt / "student.pt", weights_only=False)
    assert len(final["history"]) == 4
    for name, state in saved.items():
        assert set(state) == set(
            torch.load(ckpt / f"{name}.pt", weights_only=False)["module"]
        )
    X, y, _ = make_data()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in the killed and resumed processes
    try:
        straight = SleepKDClassifier(
            TinySleepNet,
            TinySleepNet,
            TinySleepNet,
            strategy="sleepkd",
            max_epochs=4,
            random_state=0,
            verbose=0,
            teacher__width=16,
            teacher__units=16,
            assistant__width=12,
        ).fit(X, y)
        reference = straight.predict_proba(X)
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_allclose(np.load(proba), reference, atol=1e-6)
