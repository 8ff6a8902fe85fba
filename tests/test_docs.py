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


@pytest.fixture(scope="module")
def docs_build(tmp_path_factory):
    """Build a copy of docs/ without running the gallery (as CI does)."""
    tmp = tmp_path_factory.mktemp("docs")
    # Build from a copy so that generated files (auto_examples/, generated/)
    # never land in the working tree; examples/ and benchmarks/ sit next to it.
    src = tmp / "docs"
    shutil.copytree(
        DOCS,
        src,
        ignore=shutil.ignore_patterns("_build", "auto_examples", "generated"),
    )
    shutil.copytree(ROOT / "examples", tmp / "examples")
    results = ROOT / "benchmarks" / "results"
    if results.is_dir():
        shutil.copytree(results, tmp / "benchmarks" / "results")
    # conf.py imports the package from the repository root.
    shutil.copytree(
        ROOT / "braindecode_sleepkd",
        tmp / "braindecode_sleepkd",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    proc = _sphinx_build(src, tmp / "out", "-D", "plot_gallery=0")
    return proc, tmp / "out" / "html", tmp / "examples"


def test_docs_build_without_warnings(docs_build):
    proc = docs_build[0]
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-8000:]


@pytest.mark.parametrize(
    "page",
    [
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
    ],
)
def test_docs_pages_exist(docs_build, page):
    proc, html, _ = docs_build
    if proc.returncode != 0:
        pytest.skip("the build failed (see test_docs_build_without_warnings)")
    assert (html / page).is_file()


def test_every_example_is_in_the_gallery(docs_build):
    proc, html, examples = docs_build
    if proc.returncode != 0:
        pytest.skip("the build failed (see test_docs_build_without_warnings)")
    for example in sorted(examples.glob("plot_*.py")):
        assert (html / "auto_examples" / f"{example.stem}.html").is_file(), example


def test_architecture_documents_alignment_direction():
    text = (DOCS / "architecture.rst").read_text()
    assert 'align="student_to_teacher"' in text
    assert 'align="teacher_to_student"' in text


def test_intersphinx_is_opt_in():
    text = (DOCS / "conf.py").read_text()
    assert "SLEEPKD_DOCS_INTERSPHINX" in text
