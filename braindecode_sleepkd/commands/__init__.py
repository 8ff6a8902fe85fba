"""Sub-commands of the ``sleepkd`` command line (one module each).

Each module has ``add_parser(subparsers)`` and ``run(args) -> int``; a user error
is raised as :class:`CommandError` (printed as one line, exit code 2).
"""


class CommandError(Exception):
    """A user error in a sub-command: printed as one line, exit code 2."""


#: The sub-commands and their one-line help, for ``sleepkd --help`` (which
#: lists them without importing their modules) and each module's parser.
HELP = {
    "demo": "distil teacher -> assistant -> student on the real sample",
    "benchmark": "compare SleepKD with the baselines on subject-wise cross-validation",
    "distill": "distil a pretrained scorer over a folder of EDF nights",
    "export": "export the fitted student to ONNX (or TorchScript) and check it",
    "stage": "stage a night (EDF) into a hypnogram, statistics and a plot",
}
