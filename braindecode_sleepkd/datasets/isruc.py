"""ISRUC-Sleep (subgroups I, II, III) from a local folder."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path

import mne
import numpy as np
from braindecode.datasets import BaseConcatDataset

from ._edf import microvolt_factor, read_edf_raw
from ._text import read_codes, read_lines, value_lines
from ._windows import EPOCH_S, annotate_epochs, make_windows, raw_dataset
from .units import RAW_UNIT, raw_microvolts_to_volts

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
    numbered = value_lines(fname, read_lines(fname, "label"), 1, "labels")
    codes = read_codes(fname, numbered, ISRUC_LABELS, "sleep stage values")
    labels = [ISRUC_LABELS[code] for code in codes]
    return np.asarray(labels, dtype=np.int64)


def _norm(name):
    name = name.upper().replace("EEG ", "").replace(" ", "")
    return name.replace("M1", "A1").replace("M2", "A2")


#: A bare 10-20 electrode name (no reference), e.g. ``C4``, ``A1``, ``FP1``, ``CZ``.
_ELECTRODE = re.compile(r"(FP|AF|FC|FT|CP|TP|PO|F|C|T|P|O|A)(\d+|Z)")
#: Mastoid / ear references of the ISRUC derivations.
_REFERENCES = ("A1", "A2")


def _find_channel(raw, channel, fname):
    """How to read ``channel`` from ``raw``: ``(name,)`` or ``(active, reference)``.

    A referenced derivation such as ``C4-A1`` that the file only has as
    unreferenced electrodes (``C4`` and ``A1``, as in ISRUC subject 40) is
    derived as their difference. A bare electrode name (``C4``) is refused
    when the file also has the ``A1``/``A2`` references: it is the electrode
    against the amplifier's common reference, not an ISRUC derivation.
    """
    by_norm = {}
    for ch in raw.ch_names:
        by_norm.setdefault(_norm(ch), ch)
    want = _norm(channel)
    refs = [r for r in _REFERENCES if r in by_norm]
    if _ELECTRODE.fullmatch(want) and refs:
        derivations = [f"{want}-{r}" for r in refs if want not in refs] or [
            f"<electrode>-{want}"
        ]
        raise ValueError(
            f"{fname}: channel {channel!r} is an unreferenced electrode (the file "
            f"has unreferenced channels {raw.ch_names}); ISRUC channels are "
            f"derivations against a mastoid: ask for {' or '.join(derivations)}, "
            "which is derived as the difference of the two electrodes."
        )
    if want in by_norm:
        return (by_norm[want],)
    active, _, ref = want.partition("-")
    if ref and active in by_norm and ref in by_norm:
        return (by_norm[active], by_norm[ref])
    raise ValueError(f"Channel {channel!r} not in {fname}; available: {raw.ch_names}")


def _read_channel(fname, channel):
    """One channel of a ``.rec`` (EDF under another extension) or ``.edf``.

    Returns an in-memory ``RawArray`` in microvolts (whatever the physical
    dimension of the file: uV, mV, V; turned into volts by the caller once
    resampled) named ``channel``, and
    the derivation read (``"C4-A1"``, or ``"C4 - A1"`` when derived from
    unreferenced electrodes).
    """

    def read(edf_path):
        raw = read_edf_raw(edf_path, preload=False)
        picks = _find_channel(raw, channel, fname)
        try:
            parts = [
                raw.get_data(picks=[ch])[0] * microvolt_factor(raw, ch) for ch in picks
            ]
        except Exception as exc:
            raise ValueError(
                f"Cannot read the samples of {fname}: the file is corrupt or "
                f"truncated ({type(exc).__name__}: {exc})"
            ) from exc
        data = parts[0] - parts[1] if len(parts) == 2 else parts[0]
        info = mne.create_info([channel], raw.info["sfreq"], ch_types="eeg")
        # microvolts (by the file's physical dimension); volts once resampled
        raw_out = mne.io.RawArray(data[None], info, verbose="error")
        return raw_out, " - ".join(picks)

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
    subgroup II, whose subjects have two sessions, each session's files are
    named after the session: ``<path>/<n>/<session>/<session>.rec`` with
    ``<session>_1.txt`` and ``<session>_2.txt`` (as in TorchEEG's reader and
    the ISRUC BIDS conversion).

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
        A file with unreferenced electrodes (``C4``, ``A1``, ... in subgroup
        I subject 40) gives the derivation as their difference
        (``C4-A1 = C4 - A1``, column ``derivation``, with a warning); a bare
        electrode name (``"C4"``) is refused on such a file, since it is not
        referenced to a mastoid.
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
        ``scorer``, ``channel``, ``derivation`` (the channel read, or e.g.
        ``"C4 - A1"`` when derived), ``n_label_epochs`` (labels used),
        ``n_labels_scorer1`` / ``n_labels_scorer2`` (lines in each file read,
        -1 if not read), ``n_scorer_mismatch`` (``scorer="both"``: the files
        differ in length by this many labels, the longer is trimmed and a
        warning says so), ``n_signal_epochs``, ``n_dropped_mismatch`` (labels
        and signal differ in length; the longer one is trimmed),
        ``n_dropped_last``, ``n_dropped``, ``n_disagree`` (both scorers),
        ``n_windows``, ``unit`` (``"V"``).

    Notes
    -----
    The MNE raw objects and the windows hold volts, as MNE expects, whatever
    the physical dimension of the files (read from their EDF headers);
    :func:`~braindecode_sleepkd.datasets.make_sequences` gives the models
    microvolts (see :mod:`braindecode_sleepkd.datasets.units`).

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
                stem = str(int(s))
                if subgroup == 2:  # <subject>/<session>/<session>.rec
                    base, stem = base / str(sess), str(sess)
                items.append((int(s), sess, base, stem))
        missing = []
        needed = (1, 2) if scorer == "both" else (scorer,)
        for _, _, base, stem in items:
            rec = [base / f"{stem}.rec", base / f"{stem}.edf"]
            if not any(f.is_file() for f in rec):
                missing.append(f"{rec[0]} (or .edf)")
            missing += [
                str(base / f"{stem}_{k}.txt")
                for k in needed
                if not (base / f"{stem}_{k}.txt").is_file()
            ]
        if missing:
            layout = (
                "<subject>/<session>/<session>.rec with <session>_1.txt, "
                "<session>_2.txt"
                if subgroup == 2
                else "<subject>/<subject>.rec with <subject>_1.txt, <subject>_2.txt"
            )
            raise FileNotFoundError(
                "Missing ISRUC files: " + ", ".join(missing) + f". Expected layout "
                f"of subgroup {subgroup}: {layout}. Get subgroup {subgroup} from "
                f"{ISRUC_URL} and extract it under {folder}."
            )
        datasets, extra, notes, derived = [], [], [], []
        for s, sess, base, stem in items:
            raw, desc, targets = self._load_one(
                s, sess, base, stem, subgroup, channel, scorer, drop_last_epochs
            )
            if sfreq is not None and raw.info["sfreq"] != sfreq:
                raw.resample(sfreq, verbose="error")
            raw_microvolts_to_volts(raw)  # MNE's unit (see .units)
            where = f"subject {s} session {sess}"
            if desc["n_dropped"]:
                notes.append(
                    f"{where}: {desc['n_dropped_mismatch']} "
                    f"(length mismatch) + {desc['n_dropped_last']} (last epochs)"
                )
            if desc["n_scorer_mismatch"]:
                notes.append(
                    f"{where}: the scorers' files differ in length "
                    f"({stem}_1.txt {desc['n_labels_scorer1']}, {stem}_2.txt "
                    f"{desc['n_labels_scorer2']} labels), "
                    f"{desc['n_scorer_mismatch']} labels of the longer one unused"
                )
            if desc["derivation"] != desc["channel"]:
                derived.append(f"{where} ({desc['derivation']})")
            datasets.append(raw_dataset(raw, desc))
            extra.append(targets)
        if notes:
            warnings.warn("ISRUC: epochs dropped: " + "; ".join(notes), stacklevel=2)
        if derived:
            warnings.warn(
                f"ISRUC: {channel} derived from unreferenced electrodes in "
                f"{len(derived)} recordings: " + "; ".join(derived) + " (column "
                "derivation)",
                stacklevel=2,
            )
        windows = make_windows(datasets)
        for ds, targets in zip(windows.datasets, extra):
            ds.description["n_windows"] = len(ds)
            for key, values in targets.items():
                ds.metadata[key] = values[: len(ds)]
        super().__init__(windows.datasets)

    @staticmethod
    def _load_one(s, sess, base, stem, subgroup, channel, scorer, drop_last):
        fname = base / f"{stem}.rec"
        if not fname.is_file():
            fname = base / f"{stem}.edf"
        raw, derivation = _read_channel(fname, channel)
        sfreq_native = raw.info["sfreq"]
        n_per = int(round(EPOCH_S * sfreq_native))
        n_signal = raw.n_times // n_per
        scorers = (1, 2) if scorer == "both" else (scorer,)
        label_sets = [read_isruc_labels(base / f"{stem}_{k}.txt") for k in scorers]
        lengths = [len(lab) for lab in label_sets]
        n_labels = min(lengths)
        n = min(n_signal, n_labels)
        n_keep = max(n - int(drop_last), 0)
        label_sets = [lab[:n_keep] for lab in label_sets]
        raw.crop(0, n_keep * EPOCH_S, include_tmax=False)
        annotate_epochs(raw, label_sets[0])
        targets = {}
        if scorer == "both":
            targets = {"target_scorer1": label_sets[0], "target_scorer2": label_sets[1]}
        mismatch = max(n_signal, *lengths) - n
        desc = dict(
            subject=s,
            recording=sess,
            session=sess,
            night=sess,
            subgroup=subgroup,
            scorer=str(scorer),
            channel=channel,
            derivation=derivation,
            sfreq_native=sfreq_native,
            n_label_epochs=n_labels,
            n_labels_scorer1=lengths[0] if scorer != 2 else -1,
            n_labels_scorer2=lengths[-1] if scorer != 1 else -1,
            n_scorer_mismatch=max(lengths) - min(lengths),
            n_signal_epochs=n_signal,
            n_dropped_mismatch=mismatch,
            n_dropped_last=n - n_keep,
            n_dropped=mismatch + n - n_keep,
            n_disagree=(
                int((label_sets[0] != label_sets[1]).sum()) if scorer == "both" else 0
            ),
            dataset="ISRUC",
            unit=RAW_UNIT,
        )
        return raw, desc, targets
