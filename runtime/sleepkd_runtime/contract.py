"""The preprocessing contract: what a student was trained on, carried by the model.

A fitted :class:`~braindecode_sleepkd.SleepKDClassifier` records what ``fit`` saw
(``contract_``) and :func:`~braindecode_sleepkd.export.to_onnx` writes it into the
ONNX file's ``metadata_props`` (key ``sleepkd.contract``, JSON). Staging reads it
back and applies it, so that a night is prepared exactly as the training epochs
were: same rate, channels and unit, same per-epoch scaling. This is the one place
where a recording's unit is turned into the model's input unit.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import json
import warnings
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from .constants import EPOCH_S, SLEEP_STAGES

#: Key of the contract in an ONNX file's ``metadata_props``.
CONTRACT_KEY = "sleepkd.contract"
#: Version of the contract's JSON layout.
CONTRACT_FORMAT = 1
#: Per-epoch scaling methods (see :func:`scale_epochs`).
SCALINGS = ("none", "robust", "standard")
#: Units of an input signal and their value in volts.
UNITS = {"V": 1.0, "mV": 1e-3, "uV": 1e-6, "nV": 1e-9}
_UNIT_NAMES = {"v": "V", "mv": "mV", "uv": "uV", "µv": "uV", "μv": "uV", "nv": "nV"}


class ContractError(ValueError):
    """An option or a recording contradicts the model's preprocessing contract."""


def normalise_unit(unit):
    """``"uV"``, ``"mV"``, ``"V"`` or ``"nV"`` from any usual spelling.

    Raises
    ------
    ValueError
        For a unit that is not a voltage.
    """
    name = _UNIT_NAMES.get(str(unit).strip().lower())
    if name is None:
        raise ValueError(
            f"Unknown unit {unit!r}: expected a voltage, one of {sorted(UNITS)}."
        )
    return name


def unit_factor(src, dst):
    """Factor turning values in unit ``src`` into unit ``dst`` (e.g. V -> uV: 1e6)."""
    return UNITS[normalise_unit(src)] / UNITS[normalise_unit(dst)]


def scale_epochs(X, method, eps=1e-6):
    """Scale every epoch and channel on its own, along the last (time) axis.

    Parameters
    ----------
    X : array-like, shape (..., n_times)
        Epochs (any leading axes).
    method : {"none", "robust", "standard"}
        ``"robust"``: minus the median, divided by the inter-quartile range;
        ``"standard"``: minus the mean, divided by the standard deviation;
        ``"none"``: unchanged. Both scalings are idempotent.
    eps : float
        Added to the spread so that flat epochs do not divide by zero.

    Returns
    -------
    np.ndarray of float32, same shape as ``X``.
    """
    X = np.asarray(X, dtype=np.float32)
    if method == "none":
        return X
    if method == "robust":
        q25, center, q75 = np.percentile(X, [25, 50, 75], axis=-1, keepdims=True)
        spread = q75 - q25
    elif method == "standard":
        center, spread = X.mean(-1, keepdims=True), X.std(-1, keepdims=True)
    else:
        raise ValueError(f"scaling must be one of {SCALINGS}, got {method!r}.")
    return ((X - center) / (spread + eps)).astype(np.float32)


def _epochs_sample(X, n_max=64):
    X = np.asarray(X[:n_max] if np.ndim(X) > 2 else X, dtype=np.float64)
    X = X.reshape(-1, X.shape[-1])[:n_max]
    return X[X.std(axis=1) > 0]


def detect_scaling(X, tol=1e-3):
    """Which per-epoch scaling ``X`` went through: ``"robust"``, ``"standard"`` or
    ``"none"``, read from the epochs themselves (median 0 and inter-quartile range 1,
    or mean 0 and standard deviation 1, in every non-flat epoch)."""
    X = _epochs_sample(X)
    if len(X) == 0:
        return "none"
    q25, med, q75 = np.percentile(X, [25, 50, 75], axis=1)
    if np.all(np.abs(med) < tol) and np.all(np.abs(q75 - q25 - 1) < tol):
        return "robust"
    if np.all(np.abs(X.mean(1)) < tol) and np.all(np.abs(X.std(1) - 1) < tol):
        return "standard"
    return "none"


def detect_unit(X):
    """``"uV"`` or ``"V"`` for unscaled EEG epochs, from their amplitude.

    EEG in microvolts has a per-epoch standard deviation of a few to hundreds;
    in volts, of about 1e-5. The median over epochs above 1e-3 reads as
    microvolts.
    """
    X = _epochs_sample(X)
    if len(X) == 0:
        return "uV"
    return "uV" if float(np.median(X.std(axis=1))) > 1e-3 else "V"


def _as_names(value, what):
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    names = tuple(value)
    if not names or not all(isinstance(v, str) and v for v in names):
        raise ValueError(f"{what} must be non-empty names, got {value!r}.")
    return names


@dataclass(frozen=True)
class Contract:
    """What a model was trained on: how to prepare a recording for it.

    Parameters
    ----------
    sfreq : float
        Sampling rate of the training epochs, Hz.
    n_chans, n_times : int
        Channels per epoch and samples per 30-s epoch.
    seq_len : int | None
        Epochs per training sequence (the default sequence length to stage with).
    channels : tuple of str | None
        Channel names, in the model's order, when ``fit`` saw them (windows).
    unit : {"uV", "mV", "V", "nV"}
        Unit of the model's input before scaling.
    scaling : {"none", "robust", "standard"}
        Per-epoch scaling of the training epochs (:func:`scale_epochs`).
    classes : tuple of str
        Class names in output order.
    version : str
        Version of braindecode-sleepkd that fitted the model.
    """

    sfreq: float
    n_chans: int
    n_times: int
    seq_len: int | None = None
    channels: tuple | None = None
    unit: str = "uV"
    scaling: str = "none"
    classes: tuple = SLEEP_STAGES
    version: str = "unknown"

    def __post_init__(self):
        set_ = object.__setattr__
        if not np.isfinite(self.sfreq) or self.sfreq <= 0:
            raise ValueError(f"sfreq must be a positive rate, got {self.sfreq!r}.")
        set_(self, "sfreq", float(self.sfreq))
        set_(self, "n_chans", int(self.n_chans))
        set_(self, "n_times", int(self.n_times))
        if not np.isclose(self.n_times / self.sfreq, EPOCH_S):
            raise ValueError(
                f"n_times={self.n_times} at {self.sfreq:g} Hz is not one "
                f"{EPOCH_S:g}-s epoch."
            )
        if self.seq_len is not None:
            set_(self, "seq_len", int(self.seq_len))
        set_(self, "channels", _as_names(self.channels, "channels"))
        if self.channels is not None and len(self.channels) != self.n_chans:
            raise ValueError(
                f"{len(self.channels)} channel names for n_chans={self.n_chans}."
            )
        set_(self, "unit", normalise_unit(self.unit))
        if self.scaling not in SCALINGS:
            raise ValueError(
                f"scaling must be one of {SCALINGS}, got {self.scaling!r}."
            )
        set_(self, "classes", _as_names(self.classes, "classes"))
        set_(self, "version", str(self.version))

    # ---------------------------------------------------------------- storage
    def to_dict(self):
        """A JSON-ready dict (lists for tuples), with the layout's version."""
        out = {"format": CONTRACT_FORMAT}
        for key, value in asdict(self).items():
            out[key] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data):
        """The contract written by :meth:`to_dict` (unknown keys are ignored)."""
        if not isinstance(data, dict):
            raise ValueError(f"A contract is a dict, got {type(data).__name__}.")
        fmt = data.get("format", CONTRACT_FORMAT)
        if fmt != CONTRACT_FORMAT:
            raise ValueError(
                f"Contract format {fmt!r} is not supported (this runtime reads "
                f"format {CONTRACT_FORMAT}); update braindecode-sleepkd-runtime."
            )
        names = {f.name for f in fields(cls)}
        missing = {"sfreq", "n_chans", "n_times"} - set(data)
        if missing:
            raise ValueError(f"The contract lacks {sorted(missing)}.")
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_metadata(self):
        """``{CONTRACT_KEY: json}``, for an ONNX file's ``metadata_props``."""
        return {CONTRACT_KEY: json.dumps(self.to_dict(), sort_keys=True)}

    @classmethod
    def from_metadata(cls, props):
        """The contract in ONNX ``metadata_props`` (a dict), or None if absent."""
        text = (props or {}).get(CONTRACT_KEY)
        if text is None:
            return None
        try:
            data = json.loads(text)
        except ValueError as err:
            raise ValueError(f"The model's contract is not valid JSON: {err}") from err
        return cls.from_dict(data)

    # ------------------------------------------------------------------- use
    def reconcile(self, *, sfreq=None, channels=None, scaling=None, override=False):
        """The contract to stage with, given the options a user passed.

        An option equal to the contract's value (or None) is fine. One that
        contradicts it raises :class:`ContractError` naming both values, unless
        ``override=True``: then it replaces the contract's value, with a warning.
        """
        given = {
            "sfreq": None if sfreq is None else float(sfreq),
            "channels": _as_names(channels, "channels"),
            "scaling": scaling,
        }
        changes = {}
        for name, value in given.items():
            mine = getattr(self, name)
            if value is None or mine is None or value == mine:
                if value is not None and mine is None:
                    changes[name] = value
                continue
            if name == "sfreq" and np.isclose(value, mine):
                continue
            if not override:
                raise ContractError(
                    f"The model was trained with {name}={mine!r} (its "
                    f"preprocessing contract) but {name}={value!r} was asked "
                    "for. Leave the option out to use the model's value, or pass "
                    "override=True (--override) to force yours."
                )
            warnings.warn(
                f"Overriding the model's contract: {name}={value!r} instead of "
                f"{mine!r}.",
                UserWarning,
                stacklevel=2,
            )
            changes[name] = value
        if "sfreq" in changes:
            changes["n_times"] = int(round(EPOCH_S * changes["sfreq"]))
        return replace(self, **changes) if changes else self

    def prepare(self, epochs, unit="uV"):
        """Epochs of a recording in ``unit`` -> the model's input (float32).

        Converts ``unit`` to the contract's unit, then applies its per-epoch
        scaling. ``epochs`` is ``(..., n_chans, n_times)``.
        """
        X = np.asarray(epochs, dtype=np.float32)
        if X.shape[-2:] != (self.n_chans, self.n_times):
            raise ContractError(
                f"The model takes epochs of {self.n_chans} channel(s) x "
                f"{self.n_times} samples ({self.sfreq:g} Hz x 30 s), got "
                f"{X.shape[-2]} x {X.shape[-1]}."
            )
        factor = unit_factor(unit, self.unit)
        if factor != 1.0:
            X = X * np.float32(factor)
        return scale_epochs(X, self.scaling)


def assumed_contract(n_chans, n_times, *, sfreq=None, seq_len=None, what="model"):
    """The contract assumed for a model that carries none, with a warning.

    Assumes what the package's estimator sees when trained as in its README:
    microvolts, no per-epoch scaling, ``sfreq = n_times / 30`` unless given.
    """
    sfreq = float(sfreq) if sfreq else n_times / EPOCH_S
    warnings.warn(
        f"The {what} carries no preprocessing contract (exported before "
        "braindecode-sleepkd 0.2, or a bare module); assumed: input in "
        f"microvolts, per-epoch scaling 'none', {sfreq:g} Hz, {n_chans} "
        "channel(s) in the order given. Pass scaler= (--scaler) if it was "
        "trained on scaled epochs, and re-export it to carry its contract.",
        UserWarning,
        stacklevel=3,
    )
    return Contract(sfreq=sfreq, n_chans=n_chans, n_times=n_times, seq_len=seq_len)
