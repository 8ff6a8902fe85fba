"""DREAMS excerpt databases: text (or EDF) excerpts with 5-s R&K hypnograms."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import io
import logging
import re
import warnings
from pathlib import Path

import mne
import numpy as np
import pandas as pd
from braindecode.datasets import BaseConcatDataset

from ._edf import read_edf_channel, read_edf_raw
from ._text import read_codes, read_lines, value_lines
from ._windows import EPOCH_S, annotate_epochs, make_windows, raw_dataset
from .paths import data_path
from .units import RAW_UNIT, raw_microvolts_to_volts

#: DREAMS R&K codes -> AASM labels; -1 (movement) and -2/-3 (unknown) are no vote.
DREAMS_RK_TO_AASM = {5: 0, 4: 4, 3: 1, 2: 2, 1: 3, 0: 3, -1: -1, -2: -1, -3: -1}
CODE_S = 5.0
AMBIGUOUS_OPTIONS = ("drop", "majority", "raise")
#: Native sampling rate (Hz) of each DREAMS Spindles excerpt (its readme).
DREAMS_SPINDLES_SFREQ = {1: 100.0, 2: 200.0, 3: 50.0, 4: 200.0, 5: 200.0}
DREAMS_SPINDLES_SFREQ.update({6: 200.0, 7: 200.0, 8: 200.0})
#: Central EEG channel of each DREAMS Spindles excerpt (its readme).
DREAMS_SPINDLES_CHANNEL = {1: "C3-A1", 3: "C3-A1"}
DREAMS_SPINDLES_CHANNEL.update({k: "CZ-A1" for k in (2, 4, 5, 6, 7, 8)})
#: Central EEG derivations looked for in an EDF excerpt, in this order.
CENTRAL_CHANNELS = ("C3-A1", "CZ-A1")

logger = logging.getLogger(__name__)


def read_dreams_signal(fname):
    """Read a DREAMS ``excerptN.txt`` file.

    Parameters
    ----------
    fname : str | Path
        File whose first line is the channel in brackets (e.g. ``[C3-A1]``),
        followed by one sample per line in microvolts.

    Returns
    -------
    channel : str
        Channel name from the first line.
    data : np.ndarray, shape (n_samples,)
        Samples in microvolts (float64).
    """
    fname = Path(fname)
    if not fname.is_file():
        raise FileNotFoundError(f"DREAMS signal file not found: {fname}")
    lines = read_lines(fname, "signal")
    header = lines[0].strip() if lines else ""
    match = re.fullmatch(r"\[(.+)\]", header)
    if match is None:
        raise ValueError(
            f"{fname}: first line should be the channel in brackets, got {header!r}"
        )
    body = lines[1:]
    while body and not body[-1].strip():
        body.pop()
    if not body:
        raise ValueError(f"{fname}: no samples after the channel line.")
    try:
        data = pd.read_csv(
            io.StringIO("\n".join(body)),
            header=None,
            dtype=np.float64,
            skip_blank_lines=False,
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise ValueError(
            f"{fname}: non-numeric sample values, expected one number per line ({exc})"
        ) from exc
    if data.shape[1] != 1:
        raise ValueError(
            f"{fname}: {data.shape[1]} values per line, expected one sample per line."
        )
    data = data.to_numpy()[:, 0]
    bad = np.flatnonzero(~np.isfinite(data))
    if bad.size:
        shown = ", ".join(str(i + 2) for i in bad[:10]) + (" ..." * (bad.size > 10))
        raise ValueError(
            f"{fname}: {bad.size} samples are blank, NaN or inf (lines {shown}); "
            "expected one finite number per line."
        )
    return match.group(1), data


def read_dreams_hypnogram(fname):
    """Read a DREAMS ``Hypnogram_excerptN.txt`` file (one R&K code per 5 s).

    Parameters
    ----------
    fname : str | Path
        File with a ``[Hypnogram]`` first line, then one integer code a line.

    Returns
    -------
    codes : np.ndarray of int, shape (n_codes,)
        The R&K codes (5 W, 4 REM, 3 S1, 2 S2, 1 S3, 0 S4, -1 movement,
        -2/-3 unknown).

    Raises
    ------
    ValueError
        If a code is not one of the above (every bad value is listed with its
        line number), the file has no code, a blank line between codes, or is
        not a text file.
    """
    fname = Path(fname)
    if not fname.is_file():
        raise FileNotFoundError(f"DREAMS hypnogram file not found: {fname}")
    lines = read_lines(fname, "hypnogram")
    if not lines or lines[0].strip() != "[Hypnogram]":
        raise ValueError(f"{fname}: first line should be [Hypnogram]")
    numbered = value_lines(fname, lines[1:], 2, "hypnogram codes")
    codes = read_codes(fname, numbered, DREAMS_RK_TO_AASM, "hypnogram values")
    return np.asarray(codes, dtype=np.int64)


def rk_codes_to_epochs(codes, codes_per_epoch=6, min_agreement=4, ambiguous="drop"):
    """Turn 5-s R&K codes into 30-s AASM labels by majority vote.

    Parameters
    ----------
    codes : array-like of int
        DREAMS R&K codes, one per 5 s.
    codes_per_epoch : int
        Codes in one 30-s epoch.
    min_agreement : int
        An epoch is *ambiguous* when fewer than this many of its codes agree
        on one AASM stage (movement and unknown codes are no vote). The
        default 4 of 6 is a strict majority.
    ambiguous : {"drop", "majority", "raise"}
        What to do with ambiguous epochs: leave them out (label -1), label
        them with the most frequent stage (ties: the first in time; epochs
        without any valid code are still left out), or raise.

    Returns
    -------
    labels : np.ndarray of int, shape (n_epochs,)
        AASM label per epoch, -1 where left out.
    report : dict
        ``n_epochs``, ``n_ambiguous``, ``ambiguous_epochs`` (positions),
        ``n_mixed`` (epochs whose codes are not unanimous),
        ``n_trailing_codes`` (codes after the last full epoch, unused).
    """
    if ambiguous not in AMBIGUOUS_OPTIONS:
        raise ValueError(f"ambiguous must be one of {AMBIGUOUS_OPTIONS}")
    codes = np.asarray(codes, dtype=np.int64)
    n_epochs = len(codes) // codes_per_epoch
    votes = np.vectorize(DREAMS_RK_TO_AASM.__getitem__, otypes=[np.int64])(
        codes[: n_epochs * codes_per_epoch]
    ).reshape(n_epochs, codes_per_epoch)
    counts = np.stack([(votes == k).sum(axis=1) for k in range(5)], axis=1)
    agreement = counts.max(axis=1)
    # ties go to the stage of the earliest tied code in the epoch
    is_top = (
        counts[np.arange(n_epochs)[:, None], np.clip(votes, 0, None)]
        == (agreement[:, None])
    )
    is_top &= votes >= 0
    first = np.argmax(is_top, axis=1)
    labels = np.where(agreement > 0, votes[np.arange(n_epochs), first], -1)
    amb = agreement < min_agreement
    positions = tuple(int(i) for i in np.flatnonzero(amb))
    if ambiguous == "raise" and positions:
        raise ValueError(
            f"{len(positions)} ambiguous 30-s epochs (fewer than {min_agreement} "
            f"of {codes_per_epoch} codes agree) at positions {list(positions)}"
        )
    if ambiguous == "drop":
        labels = np.where(amb, -1, labels)
    n_mixed = int(((votes != votes[:, :1]).any(axis=1)).sum())
    report = dict(
        n_epochs=n_epochs,
        n_ambiguous=len(positions),
        ambiguous_epochs=positions,
        n_mixed=n_mixed,
        n_trailing_codes=len(codes) - n_epochs * codes_per_epoch,
    )
    return labels, report


#: Sampling rates an inferred rate is checked against.
COMMON_SFREQS = (50.0, 64.0, 100.0, 128.0, 200.0, 250.0, 256.0, 500.0, 512.0, 1000.0)


def infer_sfreq(
    n_samples, n_codes, code_s=CODE_S, tolerance=0.01, candidates=COMMON_SFREQS
):
    """Infer the sampling rate of an excerpt from its hypnogram length.

    Parameters
    ----------
    n_samples : int
        Samples in the signal.
    n_codes : int
        Codes in the hypnogram (one per ``code_s`` seconds).
    code_s : float
        Seconds per code.
    tolerance : float
        Largest relative gap between ``n_samples / (n_codes * code_s)`` and
        the nearest of ``candidates``.
    candidates : sequence of float
        Plausible sampling rates.

    Returns
    -------
    sfreq : float
        The nearest candidate rate.
    """
    if n_codes == 0:
        raise ValueError("empty hypnogram: cannot infer the sampling rate")
    rate = n_samples / (n_codes * code_s)
    cands = np.asarray(candidates, dtype=float)
    sfreq = float(cands[np.argmin(np.abs(np.log(rate / cands)))]) if rate else 0.0
    if sfreq <= 0 or abs(rate - sfreq) > tolerance * sfreq:
        raise ValueError(
            f"cannot infer a sampling rate: {n_samples} samples for {n_codes} "
            f"codes of {code_s} s gives {rate:.4f} Hz, not within "
            f"{tolerance:.0%} of a usual rate {tuple(cands)}; signal and "
            "hypnogram do not match (truncated file?)"
        )
    return sfreq


def _find_excerpts(folder, fmt):
    ids = []
    for hyp in folder.glob("Hypnogram_excerpt*.txt"):
        match = re.fullmatch(r"Hypnogram_excerpt(\d+)\.txt", hyp.name)
        if match and (folder / f"excerpt{match.group(1)}.{fmt}").is_file():
            ids.append(int(match.group(1)))
    return sorted(ids)


def _central_channel(fname, subject):
    """The central EEG channel of an EDF excerpt: its documented one, else the
    first of :data:`CENTRAL_CHANNELS` the file has (names compared without case)."""
    names = read_edf_raw(fname).ch_names
    by_upper = {n.upper(): n for n in names}
    documented = DREAMS_SPINDLES_CHANNEL.get(subject)
    for cand in ((documented,) if documented else ()) + CENTRAL_CHANNELS:
        if cand.upper() in by_upper:
            return by_upper[cand.upper()]
    raise ValueError(
        f"{fname}: no central EEG channel ({' or '.join(CENTRAL_CHANNELS)}); "
        f"available: {names}. Pass channel= to choose one."
    )


def _check_sfreq(sfreq):
    if sfreq is None:
        return None
    try:
        value = float(sfreq)
    except (TypeError, ValueError):
        value = float("nan")
    if not np.isfinite(value) or value <= 0 or isinstance(sfreq, bool):
        raise ValueError(
            f"sfreq must be a positive number of Hz (or None to keep the native "
            f"rates), got {sfreq!r}."
        )
    if not np.isclose(EPOCH_S * value, round(EPOCH_S * value)):
        raise ValueError(
            f"sfreq={value:g} Hz: a 30-s epoch would not be a whole number of "
            "samples; choose another rate (e.g. 100)."
        )
    return value


def _native_table(native_sfreq):
    if native_sfreq == "spindles":
        return DREAMS_SPINDLES_SFREQ
    if native_sfreq is None or isinstance(native_sfreq, dict):
        return native_sfreq or {}
    raise ValueError(
        "native_sfreq must be 'spindles', None or a dict {excerpt: Hz}, got "
        f"{native_sfreq!r}."
    )


class DREAMS(BaseConcatDataset):
    """DREAMS excerpts as 30-s AASM windows (one recording per excerpt).

    Reads the DREAMS Spindles (or another DREAMS excerpt) database from a
    local folder: ``excerptN.txt`` (one channel, microvolts; or
    ``excerptN.edf`` with ``format="edf"``) and ``Hypnogram_excerptN.txt``
    (one Rechtschaffen & Kales code per 5 s). The sampling rate of a text
    excerpt is not in the file: it is inferred as
    ``n_samples / (n_codes * 5 s)`` and checked to be within 1% of a whole
    rate; samples beyond the last scored epoch are cut and counted
    (``n_trimmed_samples``). Six codes make one 30-s epoch: S3 + S4 -> N3,
    majority vote, ambiguous epochs reported (count, positions) and handled
    by ``ambiguous``. Every excerpt is resampled to ``sfreq``.

    The files are CC BY-NC-ND 3.0: they are read in place, never copied.

    Parameters
    ----------
    path : str | Path | None
        Folder with the files; default: ``data_path("dreams-spindles")``.
    subject_ids : list of int | int | None
        Excerpt numbers (one excerpt per patient, so the excerpt number is
        the subject); None loads all excerpts found.
    sfreq : float | None
        Common sampling rate (Hz) after resampling; None keeps the native
        rates, which is an error when they differ.
    format : {"txt", "edf"}
        Read ``excerptN.txt`` or the full PSG ``excerptN.edf``.
    channel : str | None
        Channel to read; None: the channel of the text file, or from an EDF
        file the central EEG channel the excerpt has (``C3-A1`` for excerpts
        1 and 3, ``CZ-A1`` for 2 and 4-8; else the first of ``C3-A1``,
        ``CZ-A1`` in the file). A channel that is not there raises and lists
        the available ones.
    min_agreement : int
        Codes out of six that must agree on a stage for an epoch to be
        unambiguous (4 = strict majority).
    ambiguous : {"drop", "majority", "raise"}
        Handling of ambiguous epochs, see :func:`rk_codes_to_epochs`.
    native_sfreq : "spindles" | dict | None
        Documented native rate of each excerpt, checked against the inferred
        one: a text file cut to half of its samples would otherwise be read
        at half the rate. ``"spindles"``: the DREAMS Spindles rates
        (:data:`DREAMS_SPINDLES_SFREQ`); a dict ``{excerpt: Hz}`` for another
        DREAMS database; None: no check.

    Attributes
    ----------
    description : pandas.DataFrame
        Per excerpt: ``subject``, ``recording`` (``excerptN``), ``night``,
        ``channel``, ``sfreq_native``, ``n_epochs_scored``, ``n_windows``,
        ``n_dropped``, ``n_ambiguous``, ``ambiguous_epochs``, ``n_mixed``,
        ``n_trimmed_samples``, ``dataset``, ``unit`` (``"V"``).

    Notes
    -----
    The MNE raw objects inside, and so the windows (float32), hold volts, as
    MNE expects (``description["unit"]`` is ``"V"``); the files' microvolts
    are converted on reading, and back to microvolts for the models by
    :func:`~braindecode_sleepkd.datasets.make_sequences` (see
    :mod:`braindecode_sleepkd.datasets.units`). Labels are 0..4 = W, N1, N2,
    N3, REM.

    References
    ----------
    Devuyst S., Dutoit T., et al. Automatic sleep spindles detection -
    overview and development of a standard proposal assessment method.
    IEEE EMBC 2011.
    """

    def __init__(
        self,
        path=None,
        subject_ids=None,
        sfreq=100.0,
        format="txt",
        channel=None,
        min_agreement=4,
        ambiguous="drop",
        native_sfreq="spindles",
    ):
        if format not in ("txt", "edf"):
            raise ValueError(f"format must be 'txt' or 'edf', got {format!r}")
        sfreq = _check_sfreq(sfreq)
        native = _native_table(native_sfreq)
        folder = data_path("dreams-spindles", path)
        if subject_ids is None:
            subject_ids = _find_excerpts(folder, format)
            if not subject_ids:
                raise FileNotFoundError(
                    f"No DREAMS excerpts (excerptN.{format} with "
                    f"Hypnogram_excerptN.txt) in {folder}"
                )
        subject_ids = [int(s) for s in np.atleast_1d(subject_ids)]
        missing = [
            str(folder / name)
            for s in subject_ids
            for name in (f"excerpt{s}.{format}", f"Hypnogram_excerpt{s}.txt")
            if not (folder / name).is_file()
        ]
        if missing:
            raise FileNotFoundError(
                "Missing DREAMS files: " + ", ".join(missing) + ". Get the DREAMS "
                "Spindles database (Zenodo record 'The DREAMS Databases and "
                "Assessment Algorithm') and extract it there."
            )
        records, notes = [], []
        for s in subject_ids:
            raw, desc = self._load_excerpt(
                folder, s, format, channel, min_agreement, ambiguous, native
            )
            records.append((raw, desc))
            trimmed = (
                f"{desc['n_trimmed_samples']} samples after the last scored "
                "epoch unused"
            )
            if desc["n_dropped"]:
                notes.append(
                    f"excerpt{s}: {desc['n_dropped']} epochs dropped "
                    f"({desc['n_ambiguous']} ambiguous at positions "
                    f"{list(desc['ambiguous_epochs'])}), {trimmed}"
                )
            elif desc["n_trimmed_samples"]:  # under one epoch: not a loss
                logger.info("DREAMS excerpt%s: %s", s, trimmed)
        if notes:
            warnings.warn("DREAMS: " + "; ".join(notes), stacklevel=2)
        rates = {desc["sfreq_native"] for _, desc in records}
        if sfreq is None and len(rates) > 1:
            raise ValueError(
                "DREAMS excerpts have different sampling rates "
                + ", ".join(
                    f"{d['recording']}: {d['sfreq_native']:g} Hz" for _, d in records
                )
                + "; pass sfreq= to resample them to one rate."
            )
        datasets = []
        for raw, desc in records:
            if sfreq is not None and raw.info["sfreq"] != sfreq:
                raw.resample(sfreq, verbose="error")
            # the files' microvolts -> MNE's volts (see .units)
            datasets.append(raw_dataset(raw_microvolts_to_volts(raw), desc))
        windows = make_windows(datasets)
        for ds in windows.datasets:
            ds.description["n_windows"] = len(ds)
        super().__init__(windows.datasets)

    @staticmethod
    def _load_excerpt(folder, subject, fmt, channel, min_agreement, ambiguous, native):
        codes = read_dreams_hypnogram(folder / f"Hypnogram_excerpt{subject}.txt")
        fname = folder / f"excerpt{subject}.{fmt}"
        if fmt == "txt":
            ch_name, data = read_dreams_signal(fname)
            if channel is not None and channel != ch_name:
                raise ValueError(
                    f"Channel {channel!r} not in {fname}; available: [{ch_name!r}]"
                )
            sfreq_native = infer_sfreq(len(data), len(codes))
        else:
            ch_name = _central_channel(fname, subject) if channel is None else channel
            data, sfreq_native = read_edf_channel(fname, ch_name)
            inferred = infer_sfreq(len(data), len(codes))
            if inferred != sfreq_native:
                raise ValueError(
                    f"{fname}: header says {sfreq_native:g} Hz but the hypnogram "
                    f"implies {inferred:g} Hz"
                )
        documented = native.get(subject)
        if documented is not None and sfreq_native != documented:
            raise ValueError(
                f"{fname}: {len(data)} samples for {len(codes)} hypnogram codes "
                f"({len(codes) * CODE_S:g} s) imply {sfreq_native:g} Hz, but "
                f"excerpt{subject} is documented at {documented:g} Hz "
                f"({int(len(codes) * CODE_S * documented)} samples expected): the "
                "file is truncated or not this excerpt. For another DREAMS "
                "database pass native_sfreq=None or {excerpt: Hz}."
            )
        labels, report = rk_codes_to_epochs(
            codes, min_agreement=min_agreement, ambiguous=ambiguous
        )
        n_per_epoch = int(round(EPOCH_S * sfreq_native))
        n_full = min(len(labels), len(data) // n_per_epoch)
        no_signal = len(labels) - n_full
        labels = labels[:n_full]
        used = n_full * n_per_epoch
        info = mne.create_info([ch_name], sfreq_native, ch_types="eeg")
        # microvolts here; volts (MNE's unit) once resampled, in __init__
        raw = mne.io.RawArray(data[None, :used], info, copy="data", verbose="error")
        annotate_epochs(raw, labels)
        desc = dict(
            subject=subject,
            recording=f"excerpt{subject}",
            night=1,
            channel=ch_name,
            sfreq_native=sfreq_native,
            n_epochs_scored=report["n_epochs"],
            n_dropped=int((labels < 0).sum()) + no_signal,
            n_ambiguous=report["n_ambiguous"],
            ambiguous_epochs=report["ambiguous_epochs"],
            n_mixed=report["n_mixed"],
            n_trimmed_samples=len(data) - used,
            dataset="DREAMS",
            unit=RAW_UNIT,
        )
        return raw, desc
