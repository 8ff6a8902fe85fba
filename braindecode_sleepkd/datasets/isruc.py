"""ISRUC-Sleep (subgroups I, II, III) from a local folder."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import os
import shutil
import tempfile
import warnings
from pathlib import Path

import mne
import numpy as np
from braindecode.datasets import BaseConcatDataset

from ._edf import microvolt_factor, read_edf_raw
from ._text import read_lines, value_lines
from ._windows import EPOCH_S, annotate_epochs, make_windows, raw_dataset

#: ISRUC label codes -> AASM labels 0..4 (4 is not used by ISRUC).
ISRUC_LABELS = {0: 0, 1: 1, 2: 2, 3: 3, 5: 4}
ISRUC_URL = "https://sleeptight.isr.uc.pt/"


def read_isruc_labels(fname):
    """Read an ISRUC ``<n>_1.txt`` / ``<n>_2.txt`` file (one code per 30 s).

    Returns
    -------
    labels : np.ndarray of int64
        AASM labels 0..4 (ISRUC 0 W, 1 N1, 2 N2, 3 N3, 5 REM).

    Raises
    ------
    ValueError
        Listing every unknown value with its line number; also for a file
        without labels, with blank lines between labels, or not a text file.
    """
    fname = Path(fname)
    if not fname.is_file():
        raise FileNotFoundError(f"ISRUC label file not found: {fname}")
    labels, bad = [], []
    lines = read_lines(fname, "label")
    for lineno, text in value_lines(fname, lines, 1, "labels"):
        try:
            code = int(text)
        except ValueError:
            code = None
        if code not in ISRUC_LABELS:
            bad.append(f"line {lineno}: {text!r}")
        else:
            labels.append(ISRUC_LABELS[code])
    if bad:
        raise ValueError(
            f"{fname}: unknown sleep stage values (expected one of "
            f"{sorted(ISRUC_LABELS)}): " + "; ".join(bad)
        )
    return np.asarray(labels, dtype=np.int64)


def _norm(name):
    name = name.upper().replace("EEG ", "").replace(" ", "")
    return name.replace("M1", "A1").replace("M2", "A2")


def _find_channel(raw, channel, fname):
    matches = [ch for ch in raw.ch_names if _norm(ch) == _norm(channel)]
    if not matches:
        raise ValueError(
            f"Channel {channel!r} not in {fname}; available: {raw.ch_names}"
        )
    return matches[0]


def _read_channel(fname, channel):
    """One channel of a ``.rec`` (EDF under another extension) or ``.edf``.

    Returns an in-memory ``RawArray`` in microvolts named ``channel``.
    """

    def read(edf_path):
        raw = read_edf_raw(edf_path, preload=False)
        ch = _find_channel(raw, channel, fname)
        factor = microvolt_factor(raw, ch)
        try:
            data = raw.get_data(picks=[ch]) * factor
        except Exception as exc:
            raise ValueError(
                f"Cannot read the samples of {fname}: the file is corrupt or "
                f"truncated ({type(exc).__name__}: {exc})"
            ) from exc
        info = mne.create_info([channel], raw.info["sfreq"], ch_types="eeg")
        return mne.io.RawArray(data, info, verbose="error")

    if fname.suffix.lower() == ".edf":
        return read(fname)
    with tempfile.TemporaryDirectory() as tmp:
        link = Path(tmp) / (fname.stem + ".edf")
        try:
            os.symlink(fname.resolve(), link)
        except OSError:  # pragma: no cover - no symlinks on this system
            shutil.copyfile(fname, link)
        return read(link)


def soft_targets(windows):
    """Average of the two scorers' one-hot labels, for ``scorer="both"``.

    Parameters
    ----------
    windows : ISRUC
        Loaded with ``scorer="both"``.

    Returns
    -------
    targets : np.ndarray of float32, shape (n_windows, 5)
    """
    out = []
    for ds in windows.datasets:
        meta = ds.metadata
        if "target_scorer2" not in meta:
            raise ValueError("soft_targets needs windows loaded with scorer='both'")
        eye = np.eye(5, dtype=np.float32)
        out.append(
            0.5 * (eye[meta["target_scorer1"].to_numpy()])
            + 0.5 * (eye[meta["target_scorer2"].to_numpy()])
        )
    return np.concatenate(out)


class ISRUC(BaseConcatDataset):
    """ISRUC-Sleep recordings as 30-s AASM windows.

    Expected layout (the extracted archives): ``<path>/<n>/<n>.rec`` (or
    ``.edf``) with ``<n>_1.txt`` and ``<n>_2.txt`` (scorers 1 and 2); for
    subgroup II, whose subjects have two sessions,
    ``<path>/<n>/<session>/<n>.rec`` and its label files.

    Parameters
    ----------
    subject_ids : list of int | int
        Subject numbers (folder names).
    path : str | Path
        Folder of one subgroup.
    subgroup : {1, 2, 3}
        ISRUC subgroup (I: 100 subjects, one session; II: 8 subjects, two
        sessions; III: 10 healthy subjects, one session).
    channel : str
        ``"C4-A1"`` (default), ``"F3-A2"``, ``"C3-A2"``, ``"O1-A2"``, ...;
        ``A1/A2`` and ``M1/M2`` spellings are treated as the same reference.
    scorer : {1, 2, "both"}
        Which expert's labels to use. ``"both"`` keeps scorer 1's label as
        ``target`` and both in the window metadata (``target_scorer1``,
        ``target_scorer2``), see :func:`soft_targets`.
    sfreq : float | None
        Resample to this rate; None keeps the native 200 Hz.
    drop_last_epochs : int
        Also drop this many epochs at the end of every recording (common
        practice: 30, the last epochs are often unscored wake).

    Attributes
    ----------
    description : pandas.DataFrame
        ``subject``, ``recording`` / ``session``, ``night``, ``subgroup``,
        ``scorer``, ``channel``, ``n_label_epochs``, ``n_signal_epochs``,
        ``n_dropped_mismatch`` (labels and signal differ in length; the
        longer one is trimmed), ``n_dropped_last``, ``n_dropped``,
        ``n_disagree`` (both scorers), ``n_windows``.

    Notes
    -----
    ISRUC is not offered as a MOABB dataset: MOABB's datasets serve trials
    around events to paradigms (motor imagery, P300, SSVEP, c-VEP, resting
    state) and there is no sleep-staging paradigm, per-epoch label files or
    scorer choice in that API; see ``docs/datasets.rst``.
    """

    def __init__(
        self,
        subject_ids,
        path,
        subgroup=3,
        channel="C4-A1",
        scorer=1,
        sfreq=None,
        drop_last_epochs=0,
    ):
        if subgroup not in (1, 2, 3):
            raise ValueError(f"subgroup must be 1, 2 or 3, got {subgroup!r}")
        if scorer not in (1, 2, "both"):
            raise ValueError(f"scorer must be 1, 2 or 'both', got {scorer!r}")
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise FileNotFoundError(
                f"ISRUC folder not found: {folder}. Download subgroup {subgroup} "
                f"from {ISRUC_URL} and extract it there."
            )
        sessions = (1, 2) if subgroup == 2 else (1,)
        items = []
        for s in np.atleast_1d(subject_ids):
            for sess in sessions:
                base = folder / str(int(s))
                if subgroup == 2:
                    base = base / str(sess)
                items.append((int(s), sess, base))
        missing = []
        for s, _, base in items:
            rec = [base / f"{s}.rec", base / f"{s}.edf"]
            if not any(f.is_file() for f in rec):
                missing.append(f"{rec[0]} (or .edf)")
            needed = (1, 2) if scorer == "both" else (scorer,)
            missing += [
                str(base / f"{s}_{k}.txt")
                for k in needed
                if not (base / f"{s}_{k}.txt").is_file()
            ]
        if missing:
            raise FileNotFoundError(
                "Missing ISRUC files: " + ", ".join(missing) + f". Get subgroup "
                f"{subgroup} from {ISRUC_URL} and extract it under {folder}."
            )
        datasets, extra, notes = [], [], []
        for s, sess, base in items:
            raw, desc, targets = self._load_one(
                s, sess, base, subgroup, channel, scorer, drop_last_epochs
            )
            if sfreq is not None and raw.info["sfreq"] != sfreq:
                raw.resample(sfreq, verbose="error")
            if desc["n_dropped"]:
                notes.append(
                    f"subject {s} session {sess}: {desc['n_dropped_mismatch']} "
                    f"(length mismatch) + {desc['n_dropped_last']} (last epochs)"
                )
            datasets.append(raw_dataset(raw, desc))
            extra.append(targets)
        if notes:
            warnings.warn("ISRUC: epochs dropped: " + "; ".join(notes), stacklevel=2)
        windows = make_windows(datasets)
        for ds, targets in zip(windows.datasets, extra):
            ds.description["n_windows"] = len(ds)
            for key, values in targets.items():
                ds.metadata[key] = values[: len(ds)]
        super().__init__(windows.datasets)

    @staticmethod
    def _load_one(s, sess, base, subgroup, channel, scorer, drop_last):
        fname = base / f"{s}.rec"
        if not fname.is_file():
            fname = base / f"{s}.edf"
        raw = _read_channel(fname, channel)
        sfreq_native = raw.info["sfreq"]
        n_per = int(round(EPOCH_S * sfreq_native))
        n_signal = raw.n_times // n_per
        scorers = (1, 2) if scorer == "both" else (scorer,)
        label_sets = [read_isruc_labels(base / f"{s}_{k}.txt") for k in scorers]
        n_labels = min(len(lab) for lab in label_sets)
        n = min(n_signal, n_labels)
        n_keep = max(n - int(drop_last), 0)
        label_sets = [lab[:n_keep] for lab in label_sets]
        raw.crop(0, n_keep * EPOCH_S, include_tmax=False)
        annotate_epochs(raw, label_sets[0])
        targets = {}
        if scorer == "both":
            targets = {"target_scorer1": label_sets[0], "target_scorer2": label_sets[1]}
        mismatch = max(n_signal, n_labels) - n
        desc = dict(
            subject=s,
            recording=sess,
            session=sess,
            night=sess,
            subgroup=subgroup,
            scorer=str(scorer),
            channel=channel,
            sfreq_native=sfreq_native,
            n_label_epochs=n_labels,
            n_signal_epochs=n_signal,
            n_dropped_mismatch=mismatch,
            n_dropped_last=n - n_keep,
            n_dropped=mismatch + n - n_keep,
            n_disagree=(
                int((label_sets[0] != label_sets[1]).sum()) if scorer == "both" else 0
            ),
            dataset="ISRUC",
        )
        return raw, desc, targets
