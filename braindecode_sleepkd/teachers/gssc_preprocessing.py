"""The input pipeline of GSSC: band-pass, per-recording z-score, 2560-sample epochs.

GSSC (the Greifswald Sleep Stage Classifier) was trained on signals band-passed
to 0.3-30 Hz, z-scored per channel over the whole recording, and cut into 30-s
epochs resampled to 2560 samples (85.33 Hz). Its ``EEGInfer.mne_infer`` does
this on an MNE raw. Here the steps are split where they belong:

- :func:`gssc_preprocess` filters and standardises the continuous recordings
  behind braindecode windows (steps that need the whole recording). Apply it
  to the data given to ``fit`` and ``predict``, so that the teacher, the
  assistant and the student all see the same signal.
- :func:`gssc_epochs` resamples each 30-s epoch to 2560 samples inside
  :class:`~braindecode_sleepkd.teachers.gssc.GSSCTeacher`, so the data stay at
  their own sampling rate for the other models. :func:`fft_resample` is MNE's
  FFT resampling of epochs (edge padding to a power of two, boxcar window),
  written in torch.

This module does not need ``gssc`` itself.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import copy
import math

import numpy as np
import torch
import torch.nn.functional as F

from ..datasets.sequences import _recording_name
from ..datasets.units import UNIT_KEY, UNITLESS

__all__ = [
    "GSSC_BAND",
    "GSSC_N_TIMES",
    "fft_resample",
    "gssc_epochs",
    "gssc_preprocess",
]

#: Samples per 30-s epoch that GSSC's networks take (85.33 Hz).
GSSC_N_TIMES = 2560
#: The pass band GSSC was trained on, in Hz.
GSSC_BAND = (0.3, 30.0)


def _pads(n_in):
    """MNE's ``npad="auto"``: edge padding up to the next power of two."""
    min_add = min(n_in // 8, 100) * 2
    npad = 2 ** int(math.ceil(math.log2(n_in + min_add))) - n_in
    half, extra = divmod(npad, 2)
    return half, half + extra


def fft_resample(x, ratio):
    """Resample the last axis of ``x`` by ``ratio`` (MNE's FFT method).

    The same arithmetic as ``mne.Epochs.resample`` (``npad="auto"``,
    ``pad="edge"``, ``window="auto"``, i.e. a boxcar): pad each signal by
    repeating its edge values up to a power-of-two length, truncate or
    zero-pad its spectrum, invert, and cut the padding off. Computed in float64
    and returned in the dtype of ``x``.

    Parameters
    ----------
    x : torch.Tensor
        Signals ``(..., n_in)``.
    ratio : float
        New sampling rate over old.

    Returns
    -------
    torch.Tensor
        ``(..., round(ratio * n_in))``; ``x`` itself when ``ratio == 1``.
    """
    n_in = int(x.shape[-1])
    ratio = float(ratio)
    n_out = max(int(round(ratio * n_in)), 1)
    if n_in < 2 or not ratio > 0:
        raise ValueError(
            f"Cannot resample {n_in} samples by {ratio}: need >= 2 samples and a "
            "positive ratio."
        )
    if ratio == 1:
        return x
    left, right = _pads(n_in)
    orig_len = n_in + left + right
    new_len = max(int(round(ratio * orig_len)), 1)
    cut_left = int(round(ratio * left))
    cut_right = new_len - n_out - cut_left
    shape = x.shape[:-1]
    flat = x.reshape(-1, 1, n_in).to(torch.float64)
    padded = F.pad(flat, (left, right), mode="replicate")[:, 0]
    spec = torch.fft.rfft(padded, dim=-1)
    shorter = new_len < orig_len
    use_len = new_len if shorter else orig_len
    if use_len % 2 == 0:
        spec[:, use_len // 2] *= 2.0 if shorter else 0.5
    spec = spec * (new_len / orig_len)
    y = torch.fft.irfft(spec, n=new_len, dim=-1)
    y = y[:, cut_left : new_len - cut_right]
    return y.reshape(*shape, n_out).to(x.dtype)


def gssc_epochs(x, n_out=None):
    """Resample sequences of 30-s epochs to GSSC's 2560 samples, as GSSC cuts them.

    GSSC's ``prepare_inst`` makes MNE epochs with ``tmin=0, tmax=30``, so each
    epoch holds one sample more than 30 s (the first of the next epoch), is
    resampled to 85.33 Hz as a whole and then cut to 2560 samples. The same is
    done here: epoch ``i`` of a sequence gets the first sample of epoch
    ``i + 1`` appended (the last epoch of a sequence repeats its own last
    sample), then :func:`fft_resample` and the cut.

    Parameters
    ----------
    x : torch.Tensor
        Sequences ``(batch, seq_len, n_chans, n_times)`` of 30-s epochs.
    n_out : int | None
        Samples per epoch after resampling (default: 2560).

    Returns
    -------
    torch.Tensor
        ``(batch * seq_len, n_chans, n_out)``.
    """
    n_out = GSSC_N_TIMES if n_out is None else int(n_out)
    batch, seq_len, n_chans, n_times = x.shape
    nxt = torch.cat([x[:, 1:, :, :1], x[:, -1:, :, -1:]], dim=1)
    extended = torch.cat([x, nxt], dim=-1)
    out = fft_resample(extended, n_out / n_times)[..., :n_out]
    return out.reshape(batch * seq_len, n_chans, n_out)


def gssc_preprocess(
    windows, *, band=GSSC_BAND, standardize=True, copy_data=True, verbose=False
):
    """Filter and z-score the recordings behind windows as GSSC expects.

    For every recording: band-pass with MNE's default FIR filter
    (``raw.filter``), only on the sides where the recording is not already
    filtered, as ``gssc.infer.EEGInfer.mne_infer`` does (a recording whose
    low-pass is already below 30 Hz, e.g. DREAMS excerpt3 recorded at 50 Hz,
    is only high-passed); then z-score each channel with the mean and standard
    deviation of the whole recording. The windows are then cut from the
    filtered signal, so no epoch-edge effects arise. Each recording's
    description gains ``gssc_preprocessed=True``, and with ``standardize``
    ``unit="unitless"``: z-scores are the same whatever the unit of the raw
    (volts for this package's loaders), and
    :func:`~braindecode_sleepkd.datasets.make_sequences` passes them on
    unchanged.

    Parameters
    ----------
    windows : braindecode.datasets.BaseConcatDataset
        Windows with the continuous, preloaded ``raw`` behind each recording
        (as made by :func:`~braindecode_sleepkd.datasets.load_sample`).
    band : tuple of float
        Pass band in Hz (GSSC's training band by default).
    standardize : bool
        Z-score each channel over the whole recording.
    copy_data : bool
        Work on a copy (True) or change ``windows`` in place.
    verbose : bool | str
        MNE logging level while filtering.

    Returns
    -------
    windows : braindecode.datasets.BaseConcatDataset
        The preprocessed windows (a copy unless ``copy_data=False``).

    Raises
    ------
    TypeError
        When ``windows`` has no recordings with a ``raw`` behind them.
    ValueError
        A recording already preprocessed, not preloaded, or with a constant
        channel (it cannot be standardised).
    """
    if not hasattr(windows, "datasets"):
        raise TypeError(
            "gssc_preprocess needs braindecode windows (a BaseConcatDataset with "
            f"the raw recordings behind them), got {type(windows).__name__}."
        )
    l_freq, h_freq = (float(f) for f in band)
    if not 0 < l_freq < h_freq:
        raise ValueError(f"band must be (low, high) with 0 < low < high, got {band}.")
    for ds in windows.datasets:
        desc = getattr(ds, "description", None)
        name = _recording_name(desc) if desc is not None else "recording"
        raw = getattr(ds, "raw", None)
        if raw is None or not getattr(raw, "preload", False):
            raise ValueError(
                f"{name}: gssc_preprocess needs the preloaded raw recording behind "
                "the windows (create_windows_from_events(..., preload=True) or "
                "load_sample)."
            )
        if desc is not None and bool(desc.get("gssc_preprocessed", False)):
            raise ValueError(f"{name} is already preprocessed for GSSC.")
    out = copy.deepcopy(windows) if copy_data else windows
    for ds in out.datasets:
        raw = ds.raw
        name = _recording_name(ds.description)
        low = l_freq if round(raw.info["highpass"], 2) < l_freq else None
        high = h_freq if round(raw.info["lowpass"], 2) > h_freq else None
        if low is not None or high is not None:
            raw.filter(low, high, verbose=verbose)
        if standardize:
            data = raw.get_data()
            std = data.std(axis=1)
            if not np.all(std > 0):
                raise ValueError(
                    f"{name}: channel(s) "
                    f"{[raw.ch_names[i] for i in np.flatnonzero(std <= 0)]} are "
                    "constant and cannot be standardised."
                )
            mean = data.mean(axis=1)
            raw.apply_function(
                lambda x, m=mean, s=std: (x - m[:, None]) / s[:, None],
                channel_wise=False,
                verbose=False,
            )
            # z-scores have no unit: make_sequences passes them on unchanged
            ds.description[UNIT_KEY] = UNITLESS
        ds.description["gssc_preprocessed"] = True
    return out
