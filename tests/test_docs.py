"""The documentation builds without warnings (examples not executed)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

pytest.importorskip("sphinx")
pytest.importorskip("sphinx_gallery")
pytest.importorskip("numpydoc")
pytest.importorskip("pydata_sphinx_theme")
pytest.importorskip("sphinxcontrib.bibtex")


def _sphinx_build(src, out, *args):
    env = dict(os.environ, MPLBACKEND="Agg", SLEEPKD_DOCS_INTERSPHINX="0")
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
    cmd += [*args, "-d", str(out / "doctrees"), str(src), str(out / "html")]
    return subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=240, check=False
    )


PAGES = (
    "index.html",
    "install.html",
    "quickstart.html",
    "user_guide.html",
    "architecture.html",
    "api.html",
    "cite.html",
    "results.html",
    "auto_examples/index.html",
    "generated/braindecode_sleepkd.estimator.SleepKDClassifier.html",
)


def test_docs_build_without_warnings(tmp_path):
    """One build (about 30 s; examples not run), then checks on its output."""
    # Build from a copy so that generated files (auto_examples/, generated/)
    # never land in the working tree; examples/ and benchmarks/ sit next to it.
    src = tmp_path / "docs"
    shutil.copytree(
        DOCS,
        src,
        ignore=shutil.ignore_patterns("_build", "auto_examples", "generated"),
    )
    examples = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", examples)
    results = ROOT / "benchmarks" / "results"
    if results.is_dir():
        shutil.copytree(results, tmp_path / "benchmarks" / "results")
    # conf.py imports the package from the folder above docs/.
    shutil.copytree(
        ROOT / "braindecode_sleepkd",
        tmp_path / "braindecode_sleepkd",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    proc = _sphinx_build(src, tmp_path / "out", "-D", "plot_gallery=0")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-8000:]

    html = tmp_path / "out" / "html"
    missing = [page for page in PAGES if not (html / page).is_file()]
    missing += [
        f"auto_examples/{example.stem}.html"
        for example in sorted(examples.glob("plot_*.py"))
        if not (html / "auto_examples" / f"{example.stem}.html").is_file()
    ]
    assert not missing, f"pages not built: {missing}"


def test_architecture_documents_alignment_direction():
    text = (DOCS / "architecture.rst").read_text()
    assert 'align="student_to_teacher"' in text
    assert 'align="teacher_to_student"' in text


def test_intersphinx_is_opt_in():
    text = (DOCS / "conf.py").read_text()
    assert "SLEEPKD_DOCS_INTERSPHINX" in text
