"""The two SleepKD model families, each in teacher / assistant / student sizes.

The sizes are data: ``SIZE_TABLES`` holds one table per family (the sizes
shared by every role, then one row per role), ``PARTS`` the classes each family
is made of, and :func:`build_parts` is the one builder that turns a family, a
role and the signal into the model's parts.

Parameter counts below are for ``n_chans=1, sfreq=100, n_classes=5`` and are
checked by ``tests/test_models.py`` and ``tests/test_presets_table.py``.
"""

import math
from dataclasses import dataclass

from .classifier import EpochClassifier
from .deepsleepnet_encoder import DeepSleepNetEncoder
from .salient_encoder import SalientEncoder
from .sequence import SleepSequenceModel
from .sequence_learners import BiLSTMLearner, TemporalConvLearner

ROLES = ("teacher", "assistant", "student")


@dataclass(frozen=True)
class SizeTable:
    """Default sizes of one family: what every role shares, and one row per role.

    Parameters
    ----------
    shared : dict
        Sizes that are the same for every role.
    columns : tuple of str
        Names of the sizes that differ by role, in the order of each row.
    rows : dict
        ``{role: tuple of values}``, one value per column, for every role of
        :data:`ROLES`.
    """

    shared: dict
    columns: tuple
    rows: dict

    def __post_init__(self):
        if set(self.rows) != set(ROLES):
            raise ValueError(f"A size table needs one row per role of {ROLES}.")
        if any(len(row) != len(self.columns) for row in self.rows.values()):
            raise ValueError(f"Each row needs one value per column {self.columns}.")

    @property
    def names(self):
        """All size names of the family (the columns, then the shared ones)."""
        return (*self.columns, *self.shared)

    def sizes(self, role):
        """The default sizes of ``role`` as one dict."""
        return {**dict(zip(self.columns, self.rows[role])), **self.shared}

    def by_role(self):
        """``{role: sizes}`` for every role (a fresh copy)."""
        return {role: self.sizes(role) for role in ROLES}


#: Default sizes per family and role, the single source of the presets' sizes:
#: per family, the sizes every role shares, then one row per role.
SIZE_TABLES = {
    "deepsleepnet": SizeTable(
        shared=dict(
            large_stride_s=1 / 2,
            large_pools=(4, 2),
            small_downsample=1,
            large_downsample=1,
            lstm_layers=1,
            dropout=0.25,
        ),
        columns=(
            "n_filters_1",
            "n_filters_2",
            "n_deep",
            "small_stride_s",
            "small_pools",
            "lstm_units",
        ),
        rows={
            "teacher": (32, 64, 3, 1 / 16, (8, 4), 128),
            "assistant": (16, 48, 3, 1 / 16, (8, 4), 96),
            "student": (8, 32, 2, 1 / 8, (8, 2), 64),
        },
    ),
    "salient": SizeTable(
        shared=dict(kernel_size=5, n_scales=2, seq_kernel_size=3, dropout=0.25),
        columns=("channels", "stem_stride_s", "seq_channels", "seq_layers"),
        rows={
            "teacher": ((32, 64, 96, 128, 160), 0.08, 128, 2),
            "assistant": ((24, 48, 80, 112), 0.08, 96, 2),
            "student": ((16, 32, 48, 64), 0.12, 64, 1),
        },
    ),
}


def _signal_args(n_chans, n_times, sfreq):
    if sfreq is None or not sfreq > 0 or not math.isfinite(sfreq):
        raise ValueError(f"sfreq must be a positive number, got {sfreq!r}.")
    if n_times is None:
        n_times = int(round(30 * sfreq))
    for name, value in (("n_chans", n_chans), ("n_times", n_times)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")
    return int(n_chans), int(n_times), sfreq


#: The parts of each family: the epoch encoder, the sequence learner and which
#: sizes the learner takes (``{learner argument: size name}``). The encoder takes
#: every other size under its own name; the classifier takes ``dropout``.
PARTS = {
    "deepsleepnet": (
        DeepSleepNetEncoder,
        BiLSTMLearner,
        dict(units="lstm_units", n_layers="lstm_layers", dropout="dropout"),
    ),
    "salient": (
        SalientEncoder,
        TemporalConvLearner,
        dict(
            channels="seq_channels",
            n_layers="seq_layers",
            kernel_size="seq_kernel_size",
            dropout="dropout",
        ),
    ),
}


def _as_arg(value):
    # widths and pool sizes may come as lists (e.g. from a JSON config)
    return tuple(value) if isinstance(value, list) else value


def build_parts(family, role, n_chans, n_times, sfreq, n_classes, overrides):
    """The one preset builder: sizes from the table, then the three parts.

    Parameters
    ----------
    family : {"deepsleepnet", "salient"}
        Key of ``SIZE_TABLES``.
    role : {"teacher", "assistant", "student"}
        Row of the family's table.
    n_chans, n_times, sfreq, n_classes
        The signal and the classes (``n_times=None``: ``30 * sfreq``).
    overrides : dict
        Sizes to use instead of the row's; ``None`` values keep the default.

    Returns
    -------
    parts : tuple
        ``(encoder, learner, classifier)``, built in that order.
    signal : dict
        The checked ``n_chans``, ``n_times``, ``n_classes`` and ``sfreq``.
    sizes : dict
        The resolved sizes.

    Raises
    ------
    ValueError
        On an unknown role or a bad signal argument.
    """
    n_chans, n_times, sfreq = _signal_args(n_chans, n_times, sfreq)
    if role not in ROLES:
        raise ValueError(
            f"Unknown role {role!r} for family {family!r}; valid roles are "
            f"{list(ROLES)}."
        )
    sizes = SIZE_TABLES[family].sizes(role)
    sizes.update({k: v for k, v in overrides.items() if v is not None})
    encoder_cls, learner_cls, learner_sizes = PARTS[family]
    taken = set(learner_sizes.values())
    encoder = encoder_cls(
        n_chans=n_chans,
        sfreq=sfreq,
        **{k: _as_arg(v) for k, v in sizes.items() if k not in taken},
    )
    learner = learner_cls(
        encoder.out_features,
        **{arg: _as_arg(sizes[name]) for arg, name in learner_sizes.items()},
    )
    classifier = EpochClassifier(
        learner.out_features, n_classes, dropout=sizes["dropout"]
    )
    signal = dict(n_chans=n_chans, n_times=n_times, n_classes=n_classes, sfreq=sfreq)
    return (encoder, learner, classifier), signal, sizes


class _FamilyModel(SleepSequenceModel):
    """A preset family: its ``__init__`` passes its arguments to :meth:`_build`.

    A subclass names its row of ``SIZE_TABLES`` (``family=...`` in the class
    statement) and gets ``FAMILY`` and ``SIZES`` (``{role: default sizes}``).
    """

    FAMILY = None
    SIZES = {}

    def __init_subclass__(cls, family, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.FAMILY = family
        cls.SIZES = SIZE_TABLES[family].by_role()

    def _build(self, arguments):
        table = SIZE_TABLES[self.FAMILY]
        parts, signal, sizes = build_parts(
            self.FAMILY,
            arguments["role"],
            arguments["n_chans"],
            arguments["n_times"],
            arguments["sfreq"],
            arguments["n_classes"],
            {name: arguments[name] for name in table.names},
        )
        super().__init__(*parts, **signal)
        self.role = arguments["role"]
        for key, value in sizes.items():
            setattr(self, key, value)


class DeepSleepNetKD(_FamilyModel, family="deepsleepnet"):
    """DeepSleepNet-like family: two-branch CNN + BiLSTM with residual shortcut.

    Epoch Learning is a :class:`DeepSleepNetEncoder`, Sequence Learning a
    :class:`BiLSTMLearner` (``2 * lstm_units`` features), then a per-epoch linear
    classifier. The assistant has fewer LSTM units than the teacher; the student
    fewer still, a narrower CNN and a cheaper first layer (larger stride at full
    resolution), which is what makes it fast on a CPU.

    Parameter counts (``n_chans=1, sfreq=100, n_classes=5``): teacher 457,157;
    assistant 251,685; student 97,333 (21.3 % of the teacher).

    Parameters
    ----------
    n_chans : int, default=1
        EEG/EOG channels per epoch.
    n_times : int | None, default=None
        Samples per epoch; ``30 * sfreq`` when None.
    sfreq : float, default=100
        Sampling frequency in Hz.
    n_classes : int, default=5
        Sleep stages.
    role : {"teacher", "assistant", "student"}, default="teacher"
        Chooses the default sizes, ``DeepSleepNetKD.SIZES[role]`` (from
        ``SIZE_TABLES``); a size left ``None`` takes that default.
    n_filters_1, n_filters_2, n_deep : int | None
        CNN widths and depth (see :class:`DeepSleepNetEncoder`).
    small_stride_s, large_stride_s : float | None
        First-layer strides in seconds of the small and large branch.
    small_pools, large_pools : tuple of int | None
        Max-pool sizes of each branch.
    small_downsample, large_downsample : int | None
        Average-pool factor on the input of each branch (cheap first layer).
    lstm_units, lstm_layers : int | None
        BiLSTM units per direction and layers.
    dropout : float | None
        Dropout on the epoch features and on the sequence features.
    """

    def __init__(
        self,
        n_chans=1,
        n_times=None,
        sfreq=100,
        n_classes=5,
        role="teacher",
        n_filters_1=None,
        n_filters_2=None,
        n_deep=None,
        small_stride_s=None,
        large_stride_s=None,
        small_pools=None,
        large_pools=None,
        small_downsample=None,
        large_downsample=None,
        lstm_units=None,
        lstm_layers=None,
        dropout=None,
    ):
        self._build(locals())


class SalientKD(_FamilyModel, family="salient"):
    """Fully convolutional family (U-Sleep / SalientSleepNet spirit).

    Epoch Learning is a :class:`SalientEncoder` (strided stem, pooled conv blocks,
    multi-scale readout), Sequence Learning a :class:`TemporalConvLearner`
    (dilated convolutions over the sequence axis), then a per-epoch linear
    classifier. No recurrent layer anywhere. The assistant has fewer convolution
    layers and channels than the teacher; the student fewer still.

    Parameter counts (``n_chans=1, sfreq=100, n_classes=5``): teacher 342,757;
    assistant 145,389; student 46,229 (13.5 % of the teacher).

    Parameters
    ----------
    n_chans : int, default=1
        EEG/EOG channels per epoch.
    n_times : int | None, default=None
        Samples per epoch; ``30 * sfreq`` when None.
    sfreq : float, default=100
        Sampling frequency in Hz.
    n_classes : int, default=5
        Sleep stages.
    role : {"teacher", "assistant", "student"}, default="teacher"
        Chooses the default sizes, ``SalientKD.SIZES[role]`` (from
        ``SIZE_TABLES``); a size left ``None`` takes that default.
    channels : tuple of int | None
        Encoder widths, one convolution layer each (see :class:`SalientEncoder`).
    kernel_size : int | None
        Kernel size of the encoder blocks.
    stem_stride_s : float | None
        Stem stride in seconds.
    n_scales : int | None
        Time scales in the encoder's readout.
    seq_channels, seq_layers, seq_kernel_size : int | None
        Width, depth and kernel size of the temporal convolution over the sequence.
    dropout : float | None
        Dropout on the epoch features and on the sequence features.
    """

    def __init__(
        self,
        n_chans=1,
        n_times=None,
        sfreq=100,
        n_classes=5,
        role="teacher",
        channels=None,
        kernel_size=None,
        stem_stride_s=None,
        n_scales=None,
        seq_channels=None,
        seq_layers=None,
        seq_kernel_size=None,
        dropout=None,
    ):
        self._build(locals())


FAMILIES = {"deepsleepnet": DeepSleepNetKD, "salient": SalientKD}


def preset(family, role, n_chans=1, sfreq=100, n_classes=5, n_times=None, **kwargs):
    """Build a teacher, assistant or student of a model family.

    Parameter counts at ``n_chans=1, sfreq=100, n_classes=5``:

    ============  =========  =========  =======
    family        teacher    assistant  student
    ============  =========  =========  =======
    deepsleepnet  457,157    251,685    97,333
    salient       342,757    145,389    46,229
    ============  =========  =========  =======

    Parameters
    ----------
    family : {"deepsleepnet", "salient"}
        Architecture family (:class:`DeepSleepNetKD` or :class:`SalientKD`).
    role : {"teacher", "assistant", "student"}
        Size of the model.
    n_chans : int, default=1
        Channels per epoch.
    sfreq : float, default=100
        Sampling frequency in Hz.
    n_classes : int, default=5
        Sleep stages.
    n_times : int | None, default=None
        Samples per epoch; ``30 * sfreq`` when None.
    **kwargs
        Override the role's default sizes (e.g. ``lstm_units=64``, ``dropout=0.1``).

    Returns
    -------
    SleepSequenceModel
        An instance of the family's class.
    """
    key = str(family).lower()
    if key not in FAMILIES:
        raise ValueError(
            f"Unknown model family {family!r}; valid families are {sorted(FAMILIES)}."
        )
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; valid roles are {list(ROLES)}.")
    return FAMILIES[key](
        n_chans=n_chans,
        n_times=n_times,
        sfreq=sfreq,
        n_classes=n_classes,
        role=role,
        **kwargs,
    )
