"""The project's own experiments: the library behind the scripts in ``benchmarks/``.

Not part of the installed package: each module here holds the logic of one
experiment (gap closure, the evaluation matrix, fault injection, cost, latency,
memory, the cohort and runtime measurements) and its report, so that the
scripts stay thin and the tests can check the reports. They build on the
package's user-facing evaluation family, :mod:`braindecode_sleepkd.evaluation`.

It is imported as ``lib``: the scripts find it beside them (their folder is
first on ``sys.path``), the tests through ``pythonpath`` in ``pyproject.toml``,
child processes through :func:`child_env`.
"""

import os
from pathlib import Path


def child_env(**env):
    """Environment of a child Python process that imports this library.

    Parameters
    ----------
    **env : str
        Variables to set besides the current environment's.

    Returns
    -------
    dict
        The current environment with ``env`` and, first on ``PYTHONPATH``,
        ``benchmarks/``, the folder that holds ``lib``.
    """
    folder = str(Path(__file__).resolve().parents[1])
    paths = [folder, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return dict(os.environ, **env, PYTHONPATH=os.pathsep.join(paths))
