"""Model families, presets, encoders and the SleepSequenceModel contract."""

import numpy as np
import pytest
import torch

from braindecode_sleepkd.models import (
    FAMILIES,
    DeepSleepNetEncoder,
    DeepSleepNetKD,
    SalientEncoder,
    SalientKD,
    SleepFeatures,
    SleepSequenceModel,
    preset,
)

ROLES = ("teacher", "assistant", "student")
PAPER_TEACHER_PARAMS = 474_662

# Exact counts at n_chans=1, sfreq=100, n_classes=5 (also in the docstrings and in
# docs/models.rst): a change here is a change of the public presets.
EXPECTED_PARAMS = {
    ("deepsleepnet", "teacher"): 457_157,
    ("deepsleepnet", "assistant"): 251_685,
    ("deepsleepnet", "student"): 97_333,
    ("salient", "teacher"): 342_757,
    ("salient", "assistant"): 145_389,
    ("salient", "student"): 46_229,
}


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def n_params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "seq_len, n_chans, sfreq", [(1, 1, 100), (20, 2, 200), (3, 1, 50), (20, 1, 100)]
)
def test_output_shapes(family, role, seq_len, n_chans, sfreq):
    model = preset(family, role, n_chans=n_chans, sfreq=sfreq).eval()
    n_times = 30 * sfreq
    assert model.n_times == n_times
    x = torch.randn(2, seq_len, n_chans, n_times)
    with torch.no_grad():
        feats = model.forward_features(x)
        logits = model(x)
    assert isinstance(feats, SleepFeatures)
    assert logits.shape == (2, seq_len, 5)
    assert feats.epoch_features.shape == (
        2,
        seq_len,
        model.epoch_encoder.out_features,
    )
    assert feats.sequence_features.shape == (
        2,
        seq_len,
        model.sequence_learner.out_features,
    )
    torch.testing.assert_close(feats.logits, logits)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_param_counts_and_ratios(family):
    counts = {r: n_params(preset(family, r)) for r in ROLES}
    for role, count in counts.items():
        assert count == EXPECTED_PARAMS[family, role]
    assert counts["student"] <= 0.30 * counts["teacher"]
    assert counts["student"] < counts["assistant"] < counts["teacher"]
    if family == "deepsleepnet":
        ratio = counts["teacher"] / PAPER_TEACHER_PARAMS
        assert 0.5 <= ratio <= 2.0


def test_deepsleepnet_roles_shrink_lstm_and_cnn():
    t, a, s = (preset("deepsleepnet", r) for r in ROLES)
    assert t.lstm_units > a.lstm_units > s.lstm_units
    assert s.n_filters_2 < t.n_filters_2 and s.n_filters_1 < t.n_filters_1


def test_salient_roles_shrink_layers_and_channels():
    t, a, s = (preset("salient", r) for r in ROLES)
    assert len(t.channels) > len(a.channels)
    assert max(a.channels) > max(s.channels)
    for model in (t, a, s):
        names = {type(m).__name__ for m in model.modules()}
        assert not names & {"LSTM", "GRU", "RNN"}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_gradients_reach_every_parameter(family):
    model = preset(family, "student", sfreq=50).train()
    x = torch.randn(2, 3, 1, 1500)
    model(x).sum().backward()
    missing = [
        name
        for name, p in model.named_parameters()
        if p.grad is None or not torch.isfinite(p.grad).all() or p.grad.abs().sum() == 0
    ]
    assert not missing


def test_family_class_is_sleep_sequence_model_with_overrides():
    model = DeepSleepNetKD(
        n_chans=1, n_times=3000, sfreq=100, n_classes=5, role="student", lstm_units=24
    )
    assert isinstance(model, SleepSequenceModel)
    assert model.role == "student" and model.lstm_units == 24
    assert model.sequence_learner.out_features == 48
    assert (model.n_chans, model.n_times, model.n_classes, model.sfreq) == (
        1,
        3000,
        5,
        100,
    )
    model = SalientKD(role="assistant", channels=(8, 16), seq_channels=12, n_classes=4)
    assert model.channels == (8, 16) and model.sequence_learner.out_features == 12
    assert model(torch.randn(1, 2, 1, 3000)).shape == (1, 2, 4)


def test_preset_overrides_and_default_n_times():
    model = preset("deepsleepnet", "teacher", sfreq=200, lstm_units=16, dropout=0.1)
    assert model.n_times == 6000 and model.lstm_units == 16 and model.dropout == 0.1
    assert isinstance(preset("salient", "student"), SalientKD)


def test_preset_errors_list_valid_names():
    with pytest.raises(ValueError, match="deepsleepnet.*salient"):
        preset("resnet", "teacher")
    with pytest.raises(ValueError, match="teacher.*assistant.*student"):
        preset("salient", "professor")
    with pytest.raises(ValueError, match="teacher.*assistant.*student"):
        DeepSleepNetKD(role="tutor")
    with pytest.raises(TypeError):
        DeepSleepNetKD(lstm_unit=3)


class TestBadInputs:
    model = preset("salient", "student", n_chans=2, sfreq=50)

    def test_wrong_ndim(self):
        with pytest.raises(ValueError, match="4 dimensions, got 3"):
            self.model(torch.randn(2, 2, 1500))

    def test_wrong_n_chans(self):
        with pytest.raises(ValueError, match="n_chans=2"):
            self.model(torch.randn(1, 2, 3, 1500))

    def test_wrong_n_times(self):
        with pytest.raises(ValueError, match="n_times=1500"):
            self.model(torch.randn(1, 2, 2, 3000))

    def test_nan_count(self):
        x = torch.randn(1, 2, 2, 1500)
        x[0, 0, 0, :3] = float("nan")
        x[0, 1, 1, 7] = float("inf")
        with pytest.raises(ValueError, match="4 non-finite"):
            self.model(x)

    def test_large_finite_values_pass(self):
        x = torch.full((1, 2, 2, 1500), 3e38)
        with torch.no_grad():  # the sum overflows; the exact recount finds none
            self.model.eval()(x)


@pytest.mark.parametrize("sfreq, n_times", [(100, 3000), (200, 6000), (50, 1500)])
def test_encoders_any_rate(sfreq, n_times):
    x = torch.randn(3, 2, n_times)
    for enc in (
        DeepSleepNetEncoder(n_chans=2, sfreq=sfreq, n_filters_1=4, n_filters_2=6),
        SalientEncoder(n_chans=2, sfreq=sfreq, channels=(4, 6, 8)),
        DeepSleepNetEncoder(n_chans=2, sfreq=sfreq, large_downsample=4),
    ):
        assert enc(x).shape == (3, enc.out_features)


def test_encoders_have_no_dropout():
    for family in FAMILIES:
        enc = preset(family, "teacher").epoch_encoder
        assert not any(isinstance(m, torch.nn.Dropout) for m in enc.modules())


def _learnable_data(n_seq, seq_len, sfreq, n_times, seed):
    """Sines whose frequency encodes the stage, in noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 5, size=(n_seq, seq_len))
    t = np.arange(n_times) / sfreq
    freqs = np.array([1.0, 3.0, 6.0, 10.0, 15.0])
    phase = rng.uniform(0, 2 * np.pi, size=(n_seq, seq_len, 1))
    x = np.sin(2 * np.pi * freqs[y][..., None] * t + phase)
    x = x + 0.5 * rng.standard_normal(x.shape)
    x = torch.as_tensor(x[:, :, None, :], dtype=torch.float32)
    return x, torch.as_tensor(y)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_eval_mode_predicts_training_data_like_train_mode(family):
    """Guards against dropout-before-BN style train/eval mismatches."""
    sfreq, n_times = 50, 1500
    x, y = _learnable_data(32, 4, sfreq, n_times, seed=0)
    model = preset(family, "student", sfreq=sfreq, dropout=0.25)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    model.train()
    for _ in range(40):
        idx = torch.randint(0, len(x), (8,), generator=gen)
        loss = torch.nn.functional.cross_entropy(
            model(x[idx]).reshape(-1, 5), y[idx].reshape(-1)
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        acc_eval = (model.eval()(x).argmax(-1) == y).float().mean().item()
        acc_train = (model.train()(x).argmax(-1) == y).float().mean().item()
    assert acc_train > 0.5
    assert acc_eval >= acc_train - 0.1
