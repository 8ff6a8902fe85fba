"""One writer for every benchmark: ``<name>.json``, ``<name>.md``, optional figure."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import json
import math
from pathlib import Path

import numpy as np


def clean(obj):
    """``obj`` with NumPy scalars made Python numbers and non-finite floats None."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        return None if not math.isfinite(float(obj)) else float(obj)
    return obj


def write_results(
    out, name, results, markdown=None, *, indent=1, figure=None, json_name=None
):
    """Write ``results`` as ``<out>/<name>.json`` and the report as ``<name>.md``.

    Parameters
    ----------
    out : str | Path
        Folder (created).
    name : str
        Base name of the files.
    results : dict
        JSON-ready results (NumPy scalars are converted; keep NaN as NaN).
    markdown : str | list of str | None
        The report (lines are joined with newlines); None writes no ``.md``.
    indent : int | None
        JSON indentation.
    figure : callable | None
        ``figure(path)`` draws ``<out>/<name>.png``.
    json_name : str | None
        Base name of the JSON file when it is not ``name`` (e.g. a summary
        beside a file of runs).

    Returns
    -------
    Path
        The JSON file.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{json_name or name}.json"
    path.write_text(json.dumps(results, indent=indent, default=_default) + "\n")
    if markdown is not None:
        text = markdown if isinstance(markdown, str) else "\n".join(markdown)
        (out / f"{name}.md").write_text(text)
    if figure is not None:
        figure(out / f"{name}.png")
    return path


def read_results(out, name):
    """The results written by :func:`write_results` (empty dict if none)."""
    path = Path(out) / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")
