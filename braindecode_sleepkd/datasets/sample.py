"""The small real sample behind ``sleepkd demo``, the examples and the tests."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import os
from pathlib import Path

from .dreams import DREAMS
from .paths import DEFAULT_DATA_DIR, ENV_VAR

SAMPLE_SUBDIR = "dreams-spindles"

#: Public copy of the DREAMS databases (Zenodo record "The DREAMS Databases and
#: Assessment Algorithm"). Not reachable from the development machines, so the
#: exact file name and its hash could not be checked here; the archive is RAR,
#: which pooch cannot unpack, so it is downloaded and the user extracts it.
DREAMS_URL = "https://zenodo.org/records/2650142/files/DatabaseSpindles.rar"


def _candidates(path):
    if path is not None:
        return [Path(path).expanduser()]
    if os.environ.get(ENV_VAR):
        return [Path(os.environ[ENV_VAR]).expanduser()]
    import mne

    mne_dir = Path(mne.get_config("MNE_DATA", "~/mne_data")).expanduser()
    return [DEFAULT_DATA_DIR, mne_dir / "DREAMS"]


def _download(folder):  # pragma: no cover - needs the network
    """Fetch the DREAMS Spindles archive with pooch into ``folder``."""
    import pooch

    archive = pooch.retrieve(DREAMS_URL, known_hash=None, path=folder, progressbar=True)
    raise FileNotFoundError(
        f"Downloaded {archive}. Extract it (it is a RAR archive) so that "
        f"{folder / SAMPLE_SUBDIR} holds excerptN.txt and Hypnogram_excerptN.txt, "
        "then call load_sample() again."
    )


def load_sample(path=None, sfreq=100.0, subject_ids=None, download=False, **kwargs):
    """Load the real sample: 6 DREAMS Spindles excerpts as 30-s AASM windows.

    360 epochs of 30 s (3 hours, one central EEG channel, 6 patients):
    W 48, N1 40, N2 221, N3 46, REM 5. Small and heavily N2; say so with
    any number computed on it.

    The folder is resolved from ``path``, then the environment variable
    ``SLEEPKD_DATA``, then ``../shared/data`` next to the repository, then
    ``<MNE data folder>/DREAMS``; ``dreams-spindles/`` inside it is used
    when present. The files are read in place (their licence, CC BY-NC-ND
    3.0, forbids redistributing modified copies).

    Parameters
    ----------
    path : str | Path | None
        Folder holding ``dreams-spindles/`` (or the excerpt files directly).
    sfreq : float
        Common sampling rate after resampling (the excerpts are 50, 100 and
        200 Hz).
    subject_ids : list of int | None
        Excerpt numbers; None loads all six.
    download : bool
        If the files are nowhere, download the public archive with pooch
        into ``<MNE data folder>/DREAMS`` (needs the network; the archive
        must then be extracted by hand).
    **kwargs
        Passed to :class:`DREAMS` (``channel``, ``min_agreement``,
        ``ambiguous``).

    Returns
    -------
    windows : DREAMS
        A braindecode ``BaseConcatDataset`` of windows, one per excerpt.
    """
    tried = []
    for root in _candidates(path):
        for folder in (root / SAMPLE_SUBDIR, root):
            tried.append(str(folder))
            if any(folder.glob("Hypnogram_excerpt*.txt")):
                return DREAMS(
                    path=folder, subject_ids=subject_ids, sfreq=sfreq, **kwargs
                )
    if download:  # pragma: no cover - needs the network
        import mne

        _download(
            Path(mne.get_config("MNE_DATA", "~/mne_data")).expanduser() / "DREAMS"
        )
    raise FileNotFoundError(
        "The DREAMS sample was not found; looked in: " + ", ".join(tried) + ". Put "
        "the DREAMS Spindles files (excerptN.txt, Hypnogram_excerptN.txt) in "
        f"<folder>/{SAMPLE_SUBDIR}/ and pass path=<folder> or set {ENV_VAR}=<folder>"
        ", or call load_sample(download=True) with network access."
    )
