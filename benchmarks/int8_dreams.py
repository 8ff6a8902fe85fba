"""int8 students on the real DREAMS excerpts: size, speed, and kappa vs float.

Leave-one-excerpt-out over the 6 shared DREAMS excerpts (100 Hz, sequences of
10 epochs): a deepsleepnet student is trained on five (from scratch, hard
labels, the same budget in every fold), exported to ONNX with its contract and
quantised to int8, dynamic (no data) and static (calibrated on the training
sequences). On the held-out excerpt: the share of epochs staged as by the float
model, Cohen's kappa against the experts and its change from float, file sizes,
onnxruntime seconds per 1000 epochs (median of 5 runs, its default threads);
:mod:`braindecode_sleepkd.evaluation.int8`.

Run: ``.venv/bin/python benchmarks/int8_dreams.py`` (``--quick``: 2 folds,
2 epochs, nothing written; ``--render-only``: rewrite the ``.md`` from the
``.json``).
"""

import os
import tempfile
import time
from pathlib import Path

import numpy as np
from lib import cli, int8

from braindecode_sleepkd.evaluation.writer import write_results

SEQ_LEN = 10


def main(argv=None):
    parser = cli.quick_parser(__doc__, Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    if args.render_only:
        return cli.render(args.out, "int8_dreams", int8.report)
    import torch

    torch.set_num_threads(1)
    from braindecode_sleepkd import load_sample, make_sequences

    X, y, groups = make_sequences(load_sample(), seq_len=SEQ_LEN)
    held_out = np.unique(groups)[: 2 if args.quick else None]
    epochs, rows = 2 if args.quick else 30, []
    with tempfile.TemporaryDirectory() as tmp:
        for held in held_out:
            rows += int8.fold(X, y, groups, held, epochs, Path(tmp), SEQ_LEN)
    table = int8.summary(rows)
    for row in table:
        print(row)
    if args.quick:
        return
    meta = dict(command="python benchmarks/int8_dreams.py", seq_len=SEQ_LEN,
                max_epochs=epochs, cpu_count=os.cpu_count(),
                date=time.strftime("%Y-%m-%d %H:%M"))  # fmt: skip
    res = dict(meta=meta, summary=table, folds=rows)
    write_results(args.out, "int8_dreams", res, int8.report(res))


if __name__ == "__main__":
    main()
