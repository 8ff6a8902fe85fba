"""Staging a night with the torch-free runtime: whole processes timed, peak memory.

Each case runs in its own Python process: ``sleepkd-stage`` (the runtime:
numpy, onnxruntime, edfio), ``sleepkd stage`` of the full package (ONNX: the
same runtime code) and ``sleepkd stage`` with the torch checkpoint. Wall
seconds are measured around the process (interpreter start and imports
included); peak memory is its VmHWM. A breakdown in one process gives the EDF
reading and the model time; last, the EDF readers on one channel. Used by
``benchmarks/runtime_stage.py``.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import json
import statistics
import subprocess
import sys
import time

from .tables import table

#: Python expression: the peak resident memory of this process in kB (VmHWM).
HWM = "[l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]"
#: A child that runs ``<mod>.main(argv)`` then prints its VmHWM and whether
#: torch was imported.
RUN = "import sys\nfrom {mod} import main\nrc = main(sys.argv[1:])\n"
RUN += f"print('HWM', {HWM}, 'torch' in sys.modules)\n"
#: A child that stages ``argv[1]`` with the ONNX model ``argv[2]``, timing the
#: imports, the EDF reading, the model and the whole staging (after a warm-up).
BREAKDOWN = f"""
import sys, time, json
t = time.perf_counter()
from sleepkd_runtime.edf import read_edf_epochs
from sleepkd_runtime.model import OnnxStudent
from sleepkd_runtime.stage import stage_epochs
t_import = time.perf_counter() - t
student = OnnxStudent(sys.argv[2]); c = student.contract
t = time.perf_counter(); X, onsets, _ = read_edf_epochs(sys.argv[1], list(c.channels))
t_read = time.perf_counter() - t
X = c.prepare(X); spent = []
def proba(x):
    t0 = time.perf_counter(); p = student.predict_proba(x)
    spent.append(time.perf_counter() - t0); return p
stage_epochs(proba, X, onsets, c.seq_len); spent.clear()
t = time.perf_counter(); hyp = stage_epochs(proba, X, onsets, c.seq_len)
t_stage = time.perf_counter() - t
print('RESULT', json.dumps(dict(import_s=t_import, read_s=t_read, stage_s=t_stage,
      model_s=sum(spent), n_epochs=len(hyp), peak_mb=int({HWM}) / 1024)))
"""
#: EDF readers: code that reads channel ``EEG`` of the file ``f`` into ``d``.
READERS = {
    "edfio": "import edfio; e = edfio.read_edf(f, lazy_load_data=True); "
    "d = [s for s in e.signals if s.label == 'EEG'][0].data",
    "mne": "import mne; d = mne.io.read_raw_edf(f, verbose='error').get_data(['EEG'])",
    "EDFlib": "from EDFlib.edfreader import EDFreader; import numpy as np; r = "
    "EDFreader(f); n = r.getTotalSamples(0); d = np.empty(n); r.readSamples(0, d, n)",
}
COLUMNS = ["case", "wall_s", "peak_mb", "torch", "read_s", "model_s", "stage_s"]
COLUMNS += ["size_kb"]


def timed(args, repeats):
    """Median wall seconds of ``repeats`` processes, and what the last one printed.

    Parameters
    ----------
    args : list of str
        The command.
    repeats : int
        Processes run one after the other.

    Returns
    -------
    (float, dict)
        The median seconds, and the fields of the last ``RESULT <json>`` or
        ``HWM <kB> <torch imported>`` line of the last process (``peak_mb``,
        ``torch``), empty if it printed none.
    """
    walls = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
        walls.append(time.perf_counter() - t)
    return statistics.median(walls), parse_child(out)


def parse_child(out):
    """The fields of the last ``HWM`` or ``RESULT`` line of a child's output."""
    lines = [ln for ln in out.splitlines() if ln.startswith(("HWM", "RESULT"))]
    if not lines:
        return {}
    if lines[-1].startswith("RESULT"):
        return json.loads(lines[-1].split(maxsplit=1)[1])
    _, hwm, torch = lines[-1].split()
    return dict(peak_mb=int(hwm) / 1024, torch=torch)


def models(tmp, night, sfreq, seq_len):
    """The deepsleepnet student as float / int8 ONNX files and a ``.pt``.

    Parameters
    ----------
    tmp : Path
        Where the files are written.
    night : Path
        EDF whose first sequences calibrate the static int8 model.
    sfreq : float
        Sampling rate.
    seq_len : int
        Sequence length of the contract.

    Returns
    -------
    (dict, Path)
        ``{"float" | "int8-dynamic" | "int8-static": path}`` (each with its
        contract) and the torch checkpoint.
    """
    import torch
    from sleepkd_runtime.edf import read_edf_epochs

    from braindecode_sleepkd import export as ex
    from braindecode_sleepkd.contract import Contract
    from braindecode_sleepkd.models import preset

    torch.manual_seed(0)
    model = preset("deepsleepnet", "student", sfreq=sfreq).eval()
    contract = Contract(sfreq, 1, 3000, seq_len, ["EEG"], version="benchmark")
    onnx = ex.to_onnx(model, tmp / "student.onnx", contract=contract)
    X = read_edf_epochs(night, ["EEG"])[0][: 64 * seq_len]
    cal = X[: len(X) // seq_len * seq_len].reshape(-1, seq_len, *X.shape[1:])
    out = {"float": onnx}
    for mode, data in (("int8-dynamic", None), ("int8-static", cal)):
        out[mode] = ex.quantize_onnx(onnx, tmp / f"{mode}.onnx", data)["path"]
    model.contract_ = contract
    return out, ex.save_student(model, tmp / "student.pt")


def measure(tmp, night, reps, sfreq=100.0, seq_len=20):
    """Every case of the runtime benchmark on the EDF ``night``.

    Parameters
    ----------
    tmp : Path
        Scratch folder (models, hypnograms).
    night : Path
        The night to stage.
    reps : int
        Processes per case (the ``--help`` cases: ``reps + 2``).
    sfreq : float
        Sampling rate of the night.
    seq_len : int
        Sequence length of the student.

    Returns
    -------
    list of dict
        One per case: ``case``, and ``wall_s``, ``peak_mb``, ``torch``,
        ``read_s``, ``model_s``, ``stage_s``, ``import_s``, ``n_epochs``,
        ``size_kb`` where they apply.
    """
    py, rows = sys.executable, []
    onnx_files, pt = models(tmp, night, sfreq, seq_len)
    rt = [py, "-c", RUN.format(mod="sleepkd_runtime.cli")]
    full = [py, "-c", RUN.format(mod="braindecode_sleepkd.cli")]
    for label, cmd in (("sleepkd-stage --help", rt), ("sleepkd --help", full)):
        rows.append(dict(case=label, wall_s=timed(cmd + ["--help"], reps + 2)[0]))
    for name, path in onnx_files.items():
        args = [str(night), "--model", str(path), "--out", str(tmp / "out"), "--force"]
        for label, cmd in (("sleepkd-stage", rt), ("sleepkd stage", full)):
            extra = ["stage", "--no-plot"] if cmd is full else []
            wall, res = timed(cmd + extra + args, reps)
            rows.append(dict(case=f"{label} ({name})", wall_s=wall, **res))
        _, res = timed([py, "-c", BREAKDOWN, str(night), str(path)], 1)
        size = path.stat().st_size / 1e3
        rows.append(dict(case=f"breakdown ({name})", **res, size_kb=size))
    args = ["stage", str(night), "--model", str(pt), "--out", str(tmp / "o"), "--force"]
    wall, res = timed(full + args + ["--no-plot"], reps)
    rows.append(dict(case="sleepkd stage (torch .pt)", wall_s=wall, **res))
    for name, code in READERS.items():
        child = f"import sys; f = sys.argv[1]; {code}; print('HWM', {HWM}, '-')"
        wall, res = timed([py, "-c", child, str(night)], reps)
        rows.append(dict(case=f"read EDF ({name})", wall_s=wall, **res))
    return rows


def _cell(v):
    return "" if v is None else f"{v:.3g}" if isinstance(v, float) else str(v)


def report(results, reps=3):
    """The Markdown report of ``{"meta": ..., "rows": ...}`` (:func:`measure`).

    Parameters
    ----------
    results : dict
        ``meta`` with ``command``, ``cpu_count``, ``loadavg``, ``date``,
        ``n_epochs``, ``sfreq``, ``seq_len`` (and ``repeats``, else ``reps``),
        and the ``rows``.
    reps : int
        Processes per case when ``meta`` does not say.

    Returns
    -------
    str
    """
    meta, rows = results["meta"], results["rows"]
    reps = meta.get("repeats", reps)
    loadavg = tuple(meta["loadavg"])
    lines = [
        "# Torch-free staging of an 8-hour night (runtime_stage)", "",
        f"Command: `{meta['command']}`; {meta['cpu_count']} CPUs, load average "
        f"{loadavg}, {meta['date']}. Night: {meta['n_epochs']} epochs at "
        f"{meta['sfreq']:g} Hz from EDF, deepsleepnet student, seq_len "
        f"{meta['seq_len']}, stride {meta['seq_len'] // 2}. wall_s: median of "
        f"{reps} processes (start and imports included); peak_mb: the process's "
        "VmHWM; breakdown: EDF reading, model (onnxruntime) and whole staging "
        "seconds in one process.", "",
    ]  # fmt: skip
    cells = [[_cell(r.get(k)) for k in COLUMNS] for r in rows]
    lines += table(COLUMNS, cells, ["---"] * len(COLUMNS))
    return "\n".join(lines) + "\n"
