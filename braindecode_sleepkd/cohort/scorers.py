"""Pretrained scorers that label whole nights: YASA, GSSC, an ONNX network.

A night scorer has ``score_night(X, sfreq) -> proba`` (epochs ``(n_epochs, 1,
n_times)`` in microvolts -> probabilities ``(n_epochs, 5)`` in the order W,
N1, N2, N3, REM) and ``config()`` (a JSON-able description, versions included,
that keys the on-disk cache of its outputs). Scorers are picklable, so joblib
can send them to worker processes.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import hashlib
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np

from ..constants import EPOCH_S
from .nights import NightError


def _version(dist):
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


class YASANightScorer:
    """YASA's pretrained LightGBM stager on the EEG channel of a night.

    Parameters
    ----------
    min_duration : float
        Shortest night, in seconds, YASA is asked to score.
    path_to_model : str
        YASA's classifier (``"auto"``: the one shipped with YASA).
    """

    name = "yasa"

    def __init__(self, min_duration=300.0, path_to_model="auto"):
        self.min_duration = min_duration
        self.path_to_model = path_to_model

    def config(self):
        """What keys the cache: YASA's version and classifier."""
        return dict(
            scorer=self.name, yasa=_version("yasa"), model=str(self.path_to_model)
        )

    def score_night(self, X, sfreq):
        """YASA's probabilities ``(n_epochs, 5)`` for epochs ``X`` (microvolts)."""
        from ..teachers.yasa import YASA_MIN_SFREQ, YASATeacher

        if sfreq <= YASA_MIN_SFREQ:
            raise NightError(
                f"YASA needs more than {YASA_MIN_SFREQ:g} Hz, the night is at "
                f"{sfreq:g} Hz."
            )
        if len(X) * EPOCH_S < self.min_duration:
            raise NightError(
                f"{len(X) * EPOCH_S:.0f} s of signal, shorter than YASA's "
                f"min_duration={self.min_duration:g} s."
            )
        teacher = YASATeacher("EEG", unit="uV", path_to_model=self.path_to_model)
        data = np.asarray(X[:, 0], dtype=np.float64).reshape(1, -1)
        with warnings.catch_warnings():
            # YASA's classifiers were pickled by an older scikit-learn
            warnings.filterwarnings("ignore", message="Trying to unpickle estimator")
            proba = teacher.score_array(data, sfreq, ("EEG", None, None))
        return _fit_length(proba, len(X))


class GSSCNightScorer:
    """GSSC's pretrained network (AGPL-3.0, optional) over a whole night.

    The night is band-passed and z-scored as GSSC expects, then scored in
    sequences of ``seq_len`` epochs by :class:`~braindecode_sleepkd.teachers.
    GSSCTeacher`.

    Parameters
    ----------
    seq_len : int
        Epochs per sequence given to GSSC's GRU.
    """

    name = "gssc"

    def __init__(self, seq_len=20):
        self.seq_len = seq_len

    def config(self):
        """What keys the cache: GSSC's version and the sequence length."""
        return dict(scorer=self.name, gssc=_version("gssc"), seq_len=self.seq_len)

    def score_night(self, X, sfreq):
        """GSSC's probabilities ``(n_epochs, 5)`` for epochs ``X`` (microvolts)."""
        import mne
        import torch
        from sleepkd_runtime.stage import stage_epochs

        from ..teachers import GSSCTeacher
        from ..teachers.gssc_preprocessing import GSSC_BAND

        signal = np.asarray(X[:, 0], dtype=np.float64).reshape(-1)
        high = GSSC_BAND[1] if sfreq / 2 > GSSC_BAND[1] else None
        signal = mne.filter.filter_data(
            signal, sfreq, GSSC_BAND[0], high, verbose=False
        )
        std = signal.std()
        if not std > 0:
            raise NightError("the EEG channel is constant; GSSC cannot score it.")
        epochs = ((signal - signal.mean()) / std).astype(np.float32)
        epochs = epochs.reshape(X.shape)
        teacher = GSSCTeacher(memory=False, check_input=False)

        def proba(xb):
            with torch.no_grad():
                logits = teacher(torch.as_tensor(xb))
            return torch.softmax(logits, dim=-1).numpy()

        onsets = np.arange(len(X)) * EPOCH_S
        return stage_epochs(proba, epochs, onsets, self.seq_len).proba


class OnnxNightScorer:
    """A network exported to ONNX (e.g. the lab's own) as a night scorer.

    The night is prepared as the file's preprocessing contract says (see
    :func:`~braindecode_sleepkd.export.to_onnx`).

    Parameters
    ----------
    path : str | Path
        The ``.onnx`` file.
    """

    name = "onnx"

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"ONNX teacher not found: {self.path}")
        self._model = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_model"] = None  # an onnxruntime session does not pickle
        return state

    def config(self):
        """What keys the cache: a hash of the model file."""
        digest = hashlib.sha1(self.path.read_bytes()).hexdigest()[:20]
        return dict(scorer=self.name, file=digest)

    def score_night(self, X, sfreq):
        """The network's probabilities ``(n_epochs, 5)`` for epochs ``X``."""
        from sleepkd_runtime.model import OnnxStudent
        from sleepkd_runtime.stage import finish_contract, sequence_length, stage_epochs

        if self._model is None:
            self._model = OnnxStudent(self.path)
        model = self._model
        L = sequence_length(None, model.fixed_seq_len, model.contract)
        try:
            contract = finish_contract(model.contract, X, sfreq, seq_len=L)
            prepared = contract.prepare(X, unit="uV")
        except ValueError as err:
            raise NightError(str(err)) from err
        onsets = np.arange(len(X)) * EPOCH_S
        fixed = model.fixed_seq_len is not None
        return stage_epochs(model.predict_proba, prepared, onsets, L, fixed=fixed).proba


def _fit_length(proba, n_epochs):
    """Cut (or pad with the last row) a scorer's epochs to the night's."""
    proba = np.asarray(proba, dtype=np.float64)[:n_epochs]
    if len(proba) < n_epochs:
        pad = np.repeat(proba[-1:], n_epochs - len(proba), axis=0)
        proba = np.concatenate([proba, pad])
    return proba


#: ``--teacher`` names -> scorer class.
SCORERS = {"yasa": YASANightScorer, "gssc": GSSCNightScorer}


def make_scorer(spec):
    """A scorer from a name (``yasa``, ``gssc``, ``ensemble``), an ``.onnx`` path
    or a scorer object; ``ensemble`` is YASA + GSSC with equal weights."""
    from ..teachers.ensemble import EnsembleTeacher

    if hasattr(spec, "score_night"):
        return spec
    text = str(spec)
    if text.endswith(".onnx"):
        return OnnxNightScorer(text)
    if text == "ensemble":
        return EnsembleTeacher([YASANightScorer(), GSSCNightScorer()])
    if text in SCORERS:
        return SCORERS[text]()
    raise ValueError(
        f"Unknown teacher {text!r}: expected one of {sorted(SCORERS)}, 'ensemble' "
        "or a path to an .onnx model."
    )
