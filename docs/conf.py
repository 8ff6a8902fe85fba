"""Sphinx configuration of the braindecode-sleepkd documentation.

Build with ``sphinx-build -W --keep-going -b html docs docs/_build/html``.
Environment variables:

- ``SLEEPKD_DOCS_INTERSPHINX=1`` links to the braindecode, skorch, scikit-learn,
  MNE, torch, numpy and Python docs (needs the network to fetch their
  inventories; off by default so that an offline build never fails).
- ``-D plot_gallery=0`` on the command line builds the gallery pages without
  running the examples (what CI does).
"""

import os
import sys
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import braindecode_sleepkd  # noqa: E402

# -- Project ----------------------------------------------------------------
project = "braindecode-sleepkd"
author = "braindecode-sleepkd developers"
copyright = f"{date.today().year}, {author}"
release = braindecode_sleepkd.__version__
version = ".".join(release.split(".")[:2])

# -- Extensions -------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinxcontrib.bibtex",
    "sphinx_gallery.gen_gallery",
]

INTERSPHINX = os.environ.get("SLEEPKD_DOCS_INTERSPHINX", "0") == "1"
if INTERSPHINX:
    extensions.append("sphinx.ext.intersphinx")
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "torch": ("https://docs.pytorch.org/docs/stable/", None),
    "sklearn": ("https://scikit-learn.org/stable/", None),
    "skorch": ("https://skorch.readthedocs.io/en/stable/", None),
    "mne": ("https://mne.tools/stable/", None),
    "braindecode": ("https://braindecode.org/stable/", None),
}
intersphinx_timeout = 10

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb"]
source_suffix = {".rst": "restructuredtext"}
master_doc = "index"
default_role = "py:obj"
suppress_warnings = ["config.cache"]

# -- autodoc / autosummary / numpydoc --------------------------------------
autosummary_generate = True
# scikit-learn adds metadata-routing methods (set_fit_request, ...) whose
# docstrings point into its own docs.
autodoc_default_options = {
    "exclude-members": ", ".join(
        f"set_{method}_request"
        for method in (
            "fit",
            "partial_fit",
            "predict",
            "predict_proba",
            "score",
            "transform",
            "inverse_transform",
            "split",
        )
    )
}
autodoc_typehints = "none"
autodoc_mock_imports = []
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

# -- bibtex -----------------------------------------------------------------
bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "unsrt"
bibtex_reference_style = "author_year"

# -- sphinx-gallery ---------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py|_helpers\.py",
    "doc_module": ("braindecode_sleepkd",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"braindecode_sleepkd": None},
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "abort_on_example_error": False,
    "min_reported_time": 1,
    "matplotlib_animations": False,
}

# -- HTML -------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_static_path = ["_static"]
html_css_files = ["sleepkd.css"]
html_title = f"braindecode-sleepkd {version}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
    "navbar_end": ["navbar-icon-links"],
    "icon_links": [
        {
            "name": "Paper",
            "url": "https://doi.org/10.24963/ijcai.2023/439",
            "icon": "fa-solid fa-file-lines",
        }
    ],
}
html_sidebars = {"install": [], "quickstart": [], "cite": [], "results": []}
html_show_sourcelink = False


# -- Benchmark results ------------------------------------------------------
RESULTS_DIR = HERE.parent / "benchmarks" / "results"


def _results_rst():
    """reST embedding the Markdown, CSV and PNG files of benchmarks/results/."""
    files = sorted(
        f
        for f in RESULTS_DIR.rglob("*")
        if f.suffix in (".md", ".csv", ".png") and f.is_file()
    )
    if not files:
        return (
            "*No results yet:* ``benchmarks/results/`` was empty when this page "
            "was built."
        )
    parts = []
    for f in files:
        rel = os.path.relpath(f, HERE).replace(os.sep, "/")
        title = str(f.relative_to(RESULTS_DIR)).replace(os.sep, "/")
        parts.append(f"{title}\n{'-' * len(title)}\n")
        if f.suffix == ".csv":
            parts.append(f".. csv-table::\n   :file: {rel}\n   :header-rows: 1\n")
        elif f.suffix == ".png":
            parts.append(f".. image:: {rel}\n   :width: 90%\n")
        else:
            parts.append(f".. literalinclude:: {rel}\n   :language: markdown\n")
    return "\n".join(parts)


def _fill_results(app, docname, source):
    if docname == "results":
        source[0] = source[0].replace("BENCHMARK_RESULTS", _results_rst())


def _always_reread(app, env, added, changed, removed):
    # Their content depends on files outside the page: rebuild them every time.
    return [doc for doc in ("index", "results") if doc in env.found_docs]


def setup(app):
    app.connect("source-read", _fill_results)
    app.connect("env-get-outdated", _always_reread)
