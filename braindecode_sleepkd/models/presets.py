"""The two SleepKD model families, each in teacher / assistant / student sizes.

Parameter counts below are for ``n_chans=1, sfreq=100, n_classes=5`` and are
checked by ``tests/test_models.py``.
"""

import math

from .classifier import EpochClassifier
from .deepsleepnet_encoder import DeepSleepNetEncoder
from .salient_encoder import SalientEncoder
from .sequence import SleepSequenceModel
from .sequence_learners import BiLSTMLearner, TemporalConvLearner

ROLES = ("teacher", "assistant", "student")


def _resolve(family, table, role, overrides):
    if role not in table:
        raise ValueError(
            f"Unknown role {role!r} for family {family!r}; valid roles are "
            f"{list(ROLES)}."
        )
    sizes = dict(table[role])
    sizes.update({k: v for k, v in overrides.items() if v is not None})
    return sizes


def _signal_args(n_chans, n_times, sfreq):
    if sfreq is None or not sfreq > 0 or not math.isfinite(sfreq):
        raise ValueError(f"sfreq must be a positive number, got {sfreq!r}.")
    if n_times is None:
        n_times = int(round(30 * sfreq))
    for name, value in (("n_chans", n_chans), ("n_times", n_times)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")
    return int(n_chans), int(n_times), sfreq


class DeepSleepNetKD(SleepSequenceModel):
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
        Chooses the default sizes below.
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

    ``None`` means the role's default (``DeepSleepNetKD.SIZES[role]``).
    """

    SIZES = {
        "teacher": dict(
            n_filters_1=32,
            n_filters_2=64,
            n_deep=3,
            small_stride_s=1 / 16,
            large_stride_s=1 / 2,
            small_pools=(8, 4),
            large_pools=(4, 2),
            small_downsample=1,
            large_downsample=1,
            lstm_units=128,
            lstm_layers=1,
            dropout=0.25,
        ),
        "assistant": dict(
            n_filters_1=16,
            n_filters_2=48,
            n_deep=3,
            small_stride_s=1 / 16,
            large_stride_s=1 / 2,
            small_pools=(8, 4),
            large_pools=(4, 2),
            small_downsample=1,
            large_downsample=1,
            lstm_units=96,
            lstm_layers=1,
            dropout=0.25,
        ),
        "student": dict(
            n_filters_1=8,
            n_filters_2=32,
            n_deep=2,
            small_stride_s=1 / 8,
            large_stride_s=1 / 2,
            small_pools=(8, 2),
            large_pools=(4, 2),
            small_downsample=1,
            large_downsample=1,
            lstm_units=64,
            lstm_layers=1,
            dropout=0.25,
        ),
    }

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
        n_chans, n_times, sfreq = _signal_args(n_chans, n_times, sfreq)
        sizes = _resolve(
            "deepsleepnet",
            self.SIZES,
            role,
            dict(
                n_filters_1=n_filters_1,
                n_filters_2=n_filters_2,
                n_deep=n_deep,
                small_stride_s=small_stride_s,
                large_stride_s=large_stride_s,
                small_pools=small_pools,
                large_pools=large_pools,
                small_downsample=small_downsample,
                large_downsample=large_downsample,
                lstm_units=lstm_units,
                lstm_layers=lstm_layers,
                dropout=dropout,
            ),
        )
        encoder = DeepSleepNetEncoder(
            n_chans=n_chans,
            sfreq=sfreq,
            n_filters_1=sizes["n_filters_1"],
            n_filters_2=sizes["n_filters_2"],
            n_deep=sizes["n_deep"],
            small_stride_s=sizes["small_stride_s"],
            large_stride_s=sizes["large_stride_s"],
            small_pools=tuple(sizes["small_pools"]),
            large_pools=tuple(sizes["large_pools"]),
            small_downsample=sizes["small_downsample"],
            large_downsample=sizes["large_downsample"],
        )
        learner = BiLSTMLearner(
            encoder.out_features,
            units=sizes["lstm_units"],
            n_layers=sizes["lstm_layers"],
            dropout=sizes["dropout"],
        )
        classifier = EpochClassifier(
            learner.out_features, n_classes, dropout=sizes["dropout"]
        )
        super().__init__(
            encoder,
            learner,
            classifier,
            n_chans=n_chans,
            n_times=n_times,
            n_classes=n_classes,
            sfreq=sfreq,
        )
        self.role = role
        for key, value in sizes.items():
            setattr(self, key, value)


class SalientKD(SleepSequenceModel):
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
        Chooses the default sizes below.
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

    ``None`` means the role's default (``SalientKD.SIZES[role]``).
    """

    SIZES = {
        "teacher": dict(
            channels=(32, 64, 96, 128, 160),
            kernel_size=5,
            stem_stride_s=0.08,
            n_scales=2,
            seq_channels=128,
            seq_layers=2,
            seq_kernel_size=3,
            dropout=0.25,
        ),
        "assistant": dict(
            channels=(24, 48, 80, 112),
            kernel_size=5,
            stem_stride_s=0.08,
            n_scales=2,
            seq_channels=96,
            seq_layers=2,
            seq_kernel_size=3,
            dropout=0.25,
        ),
        "student": dict(
            channels=(16, 32, 48, 64),
            kernel_size=5,
            stem_stride_s=0.12,
            n_scales=2,
            seq_channels=64,
            seq_layers=1,
            seq_kernel_size=3,
            dropout=0.25,
        ),
    }

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
        n_chans, n_times, sfreq = _signal_args(n_chans, n_times, sfreq)
        sizes = _resolve(
            "salient",
            self.SIZES,
            role,
            dict(
                channels=channels,
                kernel_size=kernel_size,
                stem_stride_s=stem_stride_s,
                n_scales=n_scales,
                seq_channels=seq_channels,
                seq_layers=seq_layers,
                seq_kernel_size=seq_kernel_size,
                dropout=dropout,
            ),
        )
        encoder = SalientEncoder(
            n_chans=n_chans,
            sfreq=sfreq,
            channels=tuple(sizes["channels"]),
            kernel_size=sizes["kernel_size"],
            stem_stride_s=sizes["stem_stride_s"],
            n_scales=sizes["n_scales"],
        )
        learner = TemporalConvLearner(
            encoder.out_features,
            channels=sizes["seq_channels"],
            n_layers=sizes["seq_layers"],
            kernel_size=sizes["seq_kernel_size"],
            dropout=sizes["dropout"],
        )
        classifier = EpochClassifier(
            learner.out_features, n_classes, dropout=sizes["dropout"]
        )
        super().__init__(
            encoder,
            learner,
            classifier,
            n_chans=n_chans,
            n_times=n_times,
            n_classes=n_classes,
            sfreq=sfreq,
        )
        self.role = role
        for key, value in sizes.items():
            setattr(self, key, value)


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
