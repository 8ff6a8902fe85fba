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
on one channel of the same file (:mod:`lib.runtime`).

Run: ``.venv/bin/python benchmarks/runtime_stage.py`` (``--quick``: 60 epochs,
nothing written; ``--render-only``: rewrite the ``.md`` from the ``.json``).
"""

import os
import tempfile
import time
from pathlib import Path

from lib import cli, runtime
from lib.night import write_night

from braindecode_sleepkd.evaluation.writer import write_results

SFREQ, SEQ_LEN = 100.0, 20


def main(argv=None):
    parser = cli.quick_parser(__doc__, Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    if args.render_only:
        return cli.render(args.out, "runtime_stage", runtime.report)
    n_epochs, reps = (60, 1) if args.quick else (960, 3)
    with tempfile.TemporaryDirectory() as tmp:
        night = Path(tmp) / "night.edf"
        write_night(night, n_epochs, SFREQ)
        rows = runtime.measure(Path(tmp), night, reps, SFREQ, SEQ_LEN)
    for row in rows:
        print({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()})
    if not args.quick:
        meta = dict(command="python benchmarks/runtime_stage.py", n_epochs=n_epochs,
                    sfreq=SFREQ, seq_len=SEQ_LEN, cpu_count=os.cpu_count(),
                    loadavg=os.getloadavg(), date=time.strftime("%Y-%m-%d %H:%M"),
                    repeats=reps)  # fmt: skip
        res = dict(meta=meta, rows=rows)
        write_results(args.out, "runtime_stage", res, runtime.report(res))


if __name__ == "__main__":
    main()
