"""Where the real data lives: argument, then ``SLEEPKD_DATA``, then ../shared/data."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import os
from pathlib import Path

ENV_VAR = "SLEEPKD_DATA"

#: Folder beside the repository root that holds the shared, read-only data.
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def data_path(subdir=None, path=None, *, must_exist=True):
    """Resolve the folder of the real sleep data.

    The folder is taken from ``path`` if given, else from the environment
    variable ``SLEEPKD_DATA``, else ``../shared/data`` next to the repository
    root. The files are read where they are; they are never copied.

    Parameters
    ----------
    subdir : str | None
        Sub-folder to append, e.g. ``"dreams-spindles"``. When ``path`` is
        given and already is that sub-folder (it has no ``subdir`` inside),
        ``path`` itself is returned.
    path : str | Path | None
        Explicit folder; wins over the environment variable and the default.
    must_exist : bool
        If True, raise ``FileNotFoundError`` when the folder is missing.

    Returns
    -------
    folder : pathlib.Path
        The resolved (absolute) folder.

    Raises
    ------
    FileNotFoundError
        If ``must_exist`` and the folder does not exist; the message says
        which sources were tried.
    """
    if path is not None:
        root, source = Path(path).expanduser(), "the path= argument"
    elif os.environ.get(ENV_VAR):
        root, source = Path(os.environ[ENV_VAR]).expanduser(), f"${ENV_VAR}"
    else:
        root, source = DEFAULT_DATA_DIR, "the default ../shared/data"
    folder = root
    if subdir is not None:
        # an explicit path may already point at the sub-folder itself
        if path is None or (root / subdir).is_dir():
            folder = root / subdir
    folder = folder.resolve()
    if must_exist and not folder.is_dir():
        raise FileNotFoundError(
            f"Data folder not found: {folder} (from {source}). Put the files "
            f"there, pass path=..., or set the environment variable {ENV_VAR} "
            "to the folder that holds them."
        )
    return folder
