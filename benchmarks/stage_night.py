"""Staging a whole night: seconds and peak memory per model and runtime.

A simulated 8-hour night (960 epochs at 100 Hz, ``simulate_sleep_eeg``) is
written to a temporary EDF; each case stages it with
:func:`braindecode_sleepkd.staging.stage_night` in its own subprocess (EDF
reading, scaling and inference included; Python/torch import excluded from the
seconds but not from the memory), for the deepsleepnet teacher, assistant and
student, in torch and through ONNX. Peak memory is the subprocess's VmHWM.
The weights are untrained: speed does not depend on them.

Then the agreement between stride choices on the real DREAMS excerpts: a
student trained briefly on simulated nights stages every excerpt with
stride 1, seq_len // 2 and seq_len; reported is the share of epochs whose
stage is the same as with stride 1, and the accuracy against the experts
(:mod:`lib.night`).

Run: ``.venv/bin/python benchmarks/stage_night.py``
(``--quick`` for a 60-epoch smoke run, nothing written; ``--no-dreams`` to skip
the agreement; ``--out`` another folder).
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

from lib import night

from braindecode_sleepkd.evaluation.writer import write_results

SFREQ, SEQ_LEN, N_EPOCHS = 100.0, 20, 960


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-dreams", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    n_epochs = 60 if args.quick else N_EPOCHS
    with tempfile.TemporaryDirectory() as tmp:
        rows = night.speed(Path(tmp), n_epochs, (SEQ_LEN, SEQ_LEN // 2), SFREQ)
    quick = args.quick
    agreement = [] if args.no_dreams else night.stride_agreement(quick, SFREQ, SEQ_LEN)
    meta = dict(
        command="python benchmarks/stage_night.py" + (" --quick" * args.quick),
        n_epochs=n_epochs, sfreq=SFREQ, seq_len=SEQ_LEN, cpu_count=os.cpu_count(),
        loadavg_before_after=os.getloadavg(), date=time.strftime("%Y-%m-%d %H:%M"),
    )  # fmt: skip
    if args.quick:
        return
    results = dict(meta=meta, speed=rows, dreams=agreement)
    write_results(args.out, "stage_night", results, night.report(results))


if __name__ == "__main__":
    main()
