"""Peak memory of loading sleep data as 30-s windows (issue: <= 4 GB for Sleep-EDF-20).

Each case runs in a fresh Python process and reports its peak resident set size
(``ru_maxrss``, imports included): the DREAMS sample; Sleep-EDF-20 scale (39
nights, ~41 k epochs at 100 Hz) simulated from the real hypnograms as windows,
sequences and arrays; ``SleepEDF`` on two real hypnograms with PSG files written
at 100 Hz here (the real PSG files are not available offline);
:mod:`lib.memory`.

Run: ``.venv/bin/python benchmarks/data_memory.py`` (about a minute); writes
``benchmarks/results/data_memory.json`` and ``.md`` (``--out`` elsewhere;
``--cases`` a subset).
"""

import argparse
import platform
import time
from pathlib import Path

from lib import memory
from lib.cli import command_line

from braindecode_sleepkd.evaluation.writer import write_results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--cases", nargs="+", default=list(memory.CASES))
    args = parser.parse_args(argv)
    rows = [memory.run_case(name) for name in args.cases]
    for r in rows:
        print(r)
    meta = dict(
        date=time.strftime("%Y-%m-%d"),
        python=platform.python_version(),
        machine=platform.machine(),
        command=command_line("benchmarks/data_memory.py", argv=argv),
    )
    res = dict(meta=meta, results=rows)
    write_results(args.out, "data_memory", res, memory.report(res), indent=2)


if __name__ == "__main__":
    main()
