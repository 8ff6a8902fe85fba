"""The README quick start and docs/quickstart.rst, run verbatim, give a real student.

Each snippet is run as written in a new process on one CPU thread; the student
must beat always answering N2 (the majority stage) on the held-out patient, in
accuracy and in macro-F1.
"""

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Runs the snippet, then scores whatever it predicted on the held-out patient.
RUNNER = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import torch
    torch.set_num_threads(1)
    from braindecode_sleepkd.metrics import macro_f1
    ns = {}
    exec(compile(open(sys.argv[1]).read(), "snippet", "exec"), ns)
    y_test = ns["y"][ns["test"]]
    pred = ns["clf"].predict(ns["X"][ns["test"]])
    n2 = np.full_like(y_test, 2)
    print("RESULT " + json.dumps({
        "accuracy": float((pred == y_test).mean()),
        "macro_f1": float(macro_f1(y_test, pred)),
        "n2_accuracy": float((n2 == y_test).mean()),
        "n2_macro_f1": float(macro_f1(y_test, n2)),
        "random_state": ns["clf"].random_state,
        "counts": np.bincount(pred.ravel(), minlength=5).tolist(),
    }))
    """
)


def readme_snippet():
    """The first ``python`` block of the README's "Quick start" section."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def quickstart_snippet():
    """The first ``.. code-block:: python`` of docs/quickstart.rst."""
    text = (ROOT / "docs" / "quickstart.rst").read_text()
    block = re.search(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", text).group(1)
    return textwrap.dedent(block)


def _run(code, tmp_path):
    snippet, runner = tmp_path / "snippet.py", tmp_path / "runner.py"
    snippet.write_text(code)
    runner.write_text(RUNNER)
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, str(runner), str(snippet)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :]), out.stdout


def test_snippets_are_found():
    for code in (readme_snippet(), quickstart_snippet()):
        assert "SleepKDClassifier(" in code and ".fit(X[train], y[train])" in code
        assert "random_state=0" in code
        compile(code, "snippet", "exec")


@pytest.mark.slow
@pytest.mark.parametrize("get", [readme_snippet, quickstart_snippet])
def test_quick_start_beats_always_n2(get, tmp_path):
    res, stdout = _run(get(), tmp_path)
    assert res["random_state"] == 0
    assert res["n2_accuracy"] == pytest.approx(0.6)  # 36 of the 60 held-out epochs
    assert res["accuracy"] > res["n2_accuracy"], res
    assert res["macro_f1"] > res["n2_macro_f1"] + 0.1, res
    assert max(res["counts"]) < sum(res["counts"]), res  # not one stage for all
