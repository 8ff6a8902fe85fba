"""The presets built from one size table equal the presets main built before.

The reference values below were computed from main at commit 7820511 (before
``models/presets.py`` became one table, ``SIZE_TABLES``, with one builder,
``build_parts``) with ``preset(family, role, **signal)``: the parameter count,
the number of state-dict entries, the first 16 hex digits of the SHA-256 of the
``name:shape`` lines of the state dict, and, at ``torch.manual_seed(0)``, the sum
of the absolute values of all parameters (same construction order, so the same
seeded initial weights and the same seeded results).
"""

import hashlib

import pytest
import torch

from braindecode_sleepkd.models import FAMILIES, ROLES, preset
from braindecode_sleepkd.models.presets import SIZE_TABLES, SizeTable, build_parts

DEFAULT = {}
OTHER = {"n_chans": 2, "sfreq": 200, "n_classes": 4}

# (family, role): (parameters, state-dict entries, shape hash), from main 7820511
REFERENCE = {
    "default": {
        ("deepsleepnet", "teacher"): (457_157, 60, "ca3f52ecca21205d"),
        ("deepsleepnet", "assistant"): (251_685, 60, "1045c83ede7da7cf"),
        ("deepsleepnet", "student"): (97_333, 48, "ab3a831b11c3efa2"),
        ("salient", "teacher"): (342_757, 38, "1a506bca196b87e8"),
        ("salient", "assistant"): (145_389, 32, "d86d327cbda07e7d"),
        ("salient", "student"): (46_229, 30, "93a9997922ef0919"),
    },
    "other": {
        ("deepsleepnet", "teacher"): (500_100, 60, "7b047654dd17e73d"),
        ("deepsleepnet", "assistant"): (273_092, 60, "879378fc438cab29"),
        ("deepsleepnet", "student"): (108_004, 48, "4aa184b89fedd8df"),
        ("salient", "teacher"): (345_092, 38, "11a2857b651c7a9e"),
        ("salient", "assistant"): (147_140, 32, "46d427f5c72d4279"),
        ("salient", "student"): (47_396, 30, "58c06b4083e034e8"),
    },
}

# sum of |weights| at torch.manual_seed(0), default signal, from main 7820511
SEEDED_ABS_SUM = {
    ("deepsleepnet", "teacher"): 17719.68118374305,
    ("deepsleepnet", "assistant"): 11393.007886623354,
    ("deepsleepnet", "student"): 5663.072317210002,
    ("salient", "teacher"): 8882.229553264757,
    ("salient", "assistant"): 4651.100903429169,
    ("salient", "student"): 1942.1197162160624,
}

# the resolved sizes main stored as attributes (DeepSleepNetKD.SIZES, SalientKD.SIZES)
MAIN_SIZES = {
    ("deepsleepnet", "teacher"): dict(n_filters_1=32, n_filters_2=64, n_deep=3,
        small_stride_s=0.0625, large_stride_s=0.5, small_pools=(8, 4),
        large_pools=(4, 2), small_downsample=1, large_downsample=1, lstm_units=128,
        lstm_layers=1, dropout=0.25),
    ("deepsleepnet", "assistant"): dict(n_filters_1=16, n_filters_2=48, n_deep=3,
        small_stride_s=0.0625, large_stride_s=0.5, small_pools=(8, 4),
        large_pools=(4, 2), small_downsample=1, large_downsample=1, lstm_units=96,
        lstm_layers=1, dropout=0.25),
    ("deepsleepnet", "student"): dict(n_filters_1=8, n_filters_2=32, n_deep=2,
        small_stride_s=0.125, large_stride_s=0.5, small_pools=(8, 2),
        large_pools=(4, 2), small_downsample=1, large_downsample=1, lstm_units=64,
        lstm_layers=1, dropout=0.25),
    ("salient", "teacher"): dict(channels=(32, 64, 96, 128, 160), kernel_size=5,
        stem_stride_s=0.08, n_scales=2, seq_channels=128, seq_layers=2,
        seq_kernel_size=3, dropout=0.25),
    ("salient", "assistant"): dict(channels=(24, 48, 80, 112), kernel_size=5,
        stem_stride_s=0.08, n_scales=2, seq_channels=96, seq_layers=2,
        seq_kernel_size=3, dropout=0.25),
    ("salient", "student"): dict(channels=(16, 32, 48, 64), kernel_size=5,
        stem_stride_s=0.12, n_scales=2, seq_channels=64, seq_layers=1,
        seq_kernel_size=3, dropout=0.25),
}  # fmt: skip

CASES = [(f, r) for f in sorted(FAMILIES) for r in ROLES]


def _fingerprint(model):
    state = model.state_dict()
    lines = "\n".join(f"{k}:{tuple(v.shape)}" for k, v in state.items())
    digest = hashlib.sha256(lines.encode()).hexdigest()[:16]
    return sum(p.numel() for p in model.parameters()), len(state), digest


@pytest.mark.parametrize(
    "signal_name, signal", [("default", DEFAULT), ("other", OTHER)]
)
@pytest.mark.parametrize("family, role", CASES)
def test_every_preset_has_mains_layers(family, role, signal_name, signal):
    model = preset(family, role, **signal)
    assert _fingerprint(model) == REFERENCE[signal_name][family, role]
    assert model.n_times == 30 * signal.get("sfreq", 100)


@pytest.mark.parametrize("family, role", CASES)
def test_every_preset_has_mains_seeded_weights(family, role):
    torch.manual_seed(0)
    model = preset(family, role)
    total = sum(float(p.detach().double().abs().sum()) for p in model.parameters())
    assert total == pytest.approx(SEEDED_ABS_SUM[family, role], rel=1e-9)


@pytest.mark.parametrize("family, role", CASES)
def test_sizes_and_attributes_equal_mains(family, role):
    cls = FAMILIES[family]
    assert cls.FAMILY == family
    assert cls.SIZES[role] == MAIN_SIZES[family, role]
    model = cls(role=role)
    assert model.role == role
    assert {k: getattr(model, k) for k in MAIN_SIZES[family, role]} == (
        MAIN_SIZES[family, role]
    )


def test_one_table_per_family_with_a_row_per_role():
    assert set(SIZE_TABLES) == set(FAMILIES)
    for table in SIZE_TABLES.values():
        assert set(table.rows) == set(ROLES)
        assert not set(table.columns) & set(table.shared)


def test_sizes_are_fresh_copies():
    table = SIZE_TABLES["salient"]
    table.sizes("teacher")["kernel_size"] = 99
    table.by_role()["teacher"]["kernel_size"] = 99
    assert table.sizes("teacher")["kernel_size"] == 5


def test_build_parts_applies_overrides_and_keeps_none_defaults():
    (encoder, learner, classifier), signal, sizes = build_parts(
        "deepsleepnet", "student", 1, None, 50, 3, {"lstm_units": 24, "n_deep": None}
    )
    assert signal == dict(n_chans=1, n_times=1500, n_classes=3, sfreq=50)
    assert sizes["lstm_units"] == 24 and sizes["n_deep"] == 2
    assert learner.out_features == 48
    assert classifier(torch.randn(2, 4, 48)).shape == (2, 4, 3)


def test_build_parts_refuses_an_unknown_role():
    with pytest.raises(ValueError, match="'tutor' for family 'salient'.*student"):
        build_parts("salient", "tutor", 1, None, 100, 5, {})


def test_size_table_checks_its_rows():
    with pytest.raises(ValueError, match="one row per role"):
        SizeTable(shared={}, columns=("a",), rows={"teacher": (1,)})
    rows = {"teacher": (1,), "assistant": (1,), "student": (1, 2)}
    with pytest.raises(ValueError, match=r"one value per column \('a',\)"):
        SizeTable(shared={}, columns=("a",), rows=rows)


def test_list_sizes_reach_the_parts_as_tuples():
    # a JSON config gives lists; main converted widths and pools to tuples too
    model = preset("salient", "student", channels=[8, 16], seq_channels=12)
    assert model.epoch_encoder.channels == (8, 16)
    as_list = preset("deepsleepnet", "student", small_pools=[4, 2])
    as_tuple = preset("deepsleepnet", "student", small_pools=(4, 2))
    assert _fingerprint(as_list) == _fingerprint(as_tuple)
    assert as_list(torch.randn(1, 2, 1, 3000)).shape == (1, 2, 5)
