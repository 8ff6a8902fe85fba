"""Torch-free staging of an 8-hour night: start-up, seconds and peak memory.

A simulated 8-hour night (960 epochs at 100 Hz, ``simulate_sleep_eeg``) is
written to EDF and staged by the deepsleepnet student (untrained: speed does
not depend on the weights) exported to ONNX with its contract, in float and
int8 (dynamic, and static calibrated on the night). Each case runs in its own
process: ``sleepkd-stage`` (the runtime: numpy, onnxruntime, edfio), ``sleepkd
stage`` of the full package (ONNX: the same runtime code) and, for reference,
``sleepkd stage`` with the torch checkpoint. Wall seconds are measured around
the process (interpreter start and imports included); peak memory is its
VmHWM. A breakdown in one process gives the EDF reading and the model time
(onnxruntime on all sequences, stride = seq_len / 2). Last, the EDF readers
on one channel of the same file.

Run: ``.venv/bin/python benchmarks/runtime_stage.py`` (``--quick``: 60 epochs,
nothing written).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SFREQ, SEQ_LEN = 100.0, 20
HWM = "[l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]"
RUN = "import sys\nfrom {mod} import main\nrc = main(sys.argv[1:])\n"
RUN += f"print('HWM', {HWM}, 'torch' in sys.modules)\n"
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
READERS = {
    "edfio": "import edfio; e = edfio.read_edf(f, lazy_load_data=True); "
    "d = [s for s in e.signals if s.label == 'EEG'][0].data",
    "mne": "import mne; d = mne.io.read_raw_edf(f, verbose='error').get_data(['EEG'])",
    "EDFlib": "from EDFlib.edfreader import EDFreader; import numpy as np; r = "
    "EDFreader(f); n = r.getTotalSamples(0); d = np.empty(n); r.readSamples(0, d, n)",
}


def timed(args, repeats):
    """Median wall seconds of ``repeats`` processes, and what the last printed."""
    walls = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
        walls.append(time.perf_counter() - t)
    lines = [ln for ln in out.splitlines() if ln.startswith(("HWM", "RESULT"))]
    if not lines:
        return statistics.median(walls), {}
    if lines[-1].startswith("RESULT"):
        return statistics.median(walls), json.loads(lines[-1].split(maxsplit=1)[1])
    _, hwm, torch = lines[-1].split()
    return statistics.median(walls), dict(peak_mb=int(hwm) / 1024, torch=torch)


def models(tmp, night):
    """The student as float / int8 ONNX files (with a contract) and a .pt."""
    import torch
    from sleepkd_runtime.edf import read_edf_epochs

    from braindecode_sleepkd import export as ex
    from braindecode_sleepkd.contract import Contract
    from braindecode_sleepkd.models import preset

    torch.manual_seed(0)
    model = preset("deepsleepnet", "student", sfreq=SFREQ).eval()
    contract = Contract(SFREQ, 1, 3000, SEQ_LEN, ["EEG"], version="benchmark")
    onnx = ex.to_onnx(model, tmp / "student.onnx", contract=contract)
    X = read_edf_epochs(night, ["EEG"])[0][: 64 * SEQ_LEN]
    cal = X[: len(X) // SEQ_LEN * SEQ_LEN].reshape(-1, SEQ_LEN, *X.shape[1:])
    out = {"float": onnx}
    for mode, data in (("int8-dynamic", None), ("int8-static", cal)):
        out[mode] = ex.quantize_onnx(onnx, tmp / f"{mode}.onnx", data)["path"]
    model.contract_ = contract
    return out, ex.save_student(model, tmp / "student.pt")


def measure(tmp, night, reps):
    py, rows = sys.executable, []
    onnx_files, pt = models(tmp, night)
    rt = [py, "-c", RUN.format(mod="sleepkd_runtime.cli")]
    full = [py, "-c", RUN.format(mod="braindecode_sleepkd.cli")]
    for label, cmd in (("sleepkd-stage --help", rt), ("sleepkd --help", full)):
        rows.append(dict(case=label, wall_s=timed(cmd + ["--help"], reps + 2)[0]))
    for name, path in onnx_files.items():
        args = [str(night), "--model", str(path), "--out", str(tmp / "out")]
        for label, cmd in (("sleepkd-stage", rt), ("sleepkd stage", full)):
            extra = ["stage", "--no-plot"] if cmd is full else []
            wall, res = timed(cmd + extra + args, reps)
            rows.append(dict(case=f"{label} ({name})", wall_s=wall, **res))
        _, res = timed([py, "-c", BREAKDOWN, str(night), str(path)], 1)
        size = path.stat().st_size / 1e3
        rows.append(dict(case=f"breakdown ({name})", **res, size_kb=size))
    args = ["stage", str(night), "--model", str(pt), "--out", str(tmp / "o")]
    wall, res = timed(full + args + ["--no-plot"], reps)
    rows.append(dict(case="sleepkd stage (torch .pt)", wall_s=wall, **res))
    for name, code in READERS.items():
        child = f"import sys; f = sys.argv[1]; {code}; print('HWM', {HWM}, '-')"
        wall, res = timed([py, "-c", child, str(night)], reps)
        rows.append(dict(case=f"read EDF ({name})", wall_s=wall, **res))
    return rows


def write(rows, n_epochs, reps):
    cmd = "python benchmarks/runtime_stage.py"
    meta = dict(command=cmd, n_epochs=n_epochs, sfreq=SFREQ, seq_len=SEQ_LEN,
                cpu_count=os.cpu_count(), loadavg=os.getloadavg(),
                date=time.strftime("%Y-%m-%d %H:%M"))  # fmt: skip
    res = HERE / "results"
    data = json.dumps(dict(meta=meta, rows=rows), indent=1)
    (res / "runtime_stage.json").write_text(data)
    keys = ["case", "wall_s", "peak_mb", "torch", "read_s", "model_s", "stage_s"]
    keys.append("size_kb")
    lines = [
        "# Torch-free staging of an 8-hour night (runtime_stage)", "",
        f"Command: `{cmd}`; {os.cpu_count()} CPUs, load average {meta['loadavg']}, "
        f"{meta['date']}. Night: {n_epochs} epochs at {SFREQ:g} Hz from EDF, "
        f"deepsleepnet student, seq_len {SEQ_LEN}, stride 10. wall_s: median of "
        f"{reps} processes (start and imports included); peak_mb: the process's "
        "VmHWM; breakdown: EDF reading, model (onnxruntime) and whole staging "
        "seconds in one process.", "",
        "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys),
    ]  # fmt: skip

    def fmt(v):
        return "" if v is None else f"{v:.3g}" if isinstance(v, float) else str(v)

    lines += ["| " + " | ".join(fmt(r.get(k)) for k in keys) + " |" for r in rows]
    (res / "runtime_stage.md").write_text("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    n_epochs, reps = (60, 1) if quick else (960, 3)
    sys.path.insert(0, str(HERE))
    from stage_night import write_night

    with tempfile.TemporaryDirectory() as tmp:
        night = Path(tmp) / "night.edf"
        write_night(night, n_epochs)
        rows = measure(Path(tmp), night, reps)
    for row in rows:
        print({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()})
    if not quick:
        write(rows, n_epochs, reps)


if __name__ == "__main__":
    main()
