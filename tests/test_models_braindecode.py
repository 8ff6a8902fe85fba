"""braindecode models and custom modules as epoch encoders."""

import warnings

import pytest
import torch
from torch import nn

from braindecode_sleepkd.models import (
    BraindecodeEncoder,
    SleepSequenceModel,
    from_braindecode,
    make_sleep_model,
)
from braindecode_sleepkd.models.braindecode_encoder import infer_out_features

# Small settings so the tests stay fast; the defaults are the published sizes.
SMALL = {
    "SleepStagerChambon2018": {},
    "AttnSleep": {"n_tce": 1, "after_reduced_cnn_size": 8, "d_ff": 16},
    "DeepSleepNet": {
        "bilstm_hidden_size": 8,
        "small_n_filters_1": 4,
        "small_n_filters_2": 4,
        "large_n_filters_1": 4,
        "large_n_filters_2": 4,
    },
}


@pytest.fixture(autouse=True)
def _quiet():
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


@pytest.mark.parametrize("name", sorted(SMALL))
@pytest.mark.parametrize("seq_len", [1, 4])
def test_braindecode_encoders(name, seq_len):
    model = from_braindecode(
        name,
        n_chans=1,
        n_times=3000,
        sfreq=100,
        sequence_kwargs={"units": 8},
        **SMALL[name],
    )
    assert isinstance(model, SleepSequenceModel)
    x = torch.randn(2, seq_len, 1, 3000)
    feats = model.forward_features(x)
    assert feats.logits.shape == (2, seq_len, 5)
    assert feats.epoch_features.shape == (2, seq_len, model.epoch_encoder.out_features)
    feats.logits.sum().backward()
    # AttnSleep's attention keeps one unused conv (as in the original code), so
    # only require gradients everywhere outside braindecode's own modules.
    for name, p in model.named_parameters():
        assert p.grad is not None or name.startswith("epoch_encoder.model.")
    grads = [p.grad is not None for p in model.epoch_encoder.parameters()]
    assert sum(grads) >= len(grads) - 2


def test_chambon_multichannel_and_class_input():
    from braindecode.models import SleepStagerChambon2018

    model = from_braindecode(
        SleepStagerChambon2018, 2, 1500, 50, sequence_learner="tcn", n_classes=4
    )
    assert model(torch.randn(1, 3, 2, 1500)).shape == (1, 3, 4)


def test_instance_with_final_layer_is_stripped():
    from braindecode.models import SleepStagerChambon2018

    net = SleepStagerChambon2018(n_chans=1, sfreq=100, n_times=3000, n_outputs=5)
    enc = BraindecodeEncoder(net, 1, 3000, 100)
    assert isinstance(enc.model.final_layer, nn.Identity)
    assert enc(torch.randn(2, 1, 3000)).shape == (2, enc.out_features)
    assert enc.out_features == net.len_last_layer


def test_attnsleep_errors_are_clear():
    with pytest.raises(ValueError, match="n_chans=1"):
        BraindecodeEncoder("AttnSleep", 2, 3000, 100)
    with pytest.raises(ValueError, match="100 Hz.*d_model"):
        BraindecodeEncoder("AttnSleep", 1, 6000, 200)


def test_unknown_braindecode_name():
    with pytest.raises(ValueError, match="no model 'NotAModel'"):
        BraindecodeEncoder("NotAModel", 1, 3000, 100)


def test_custom_module_encoder():
    encoder = nn.Sequential(
        nn.Conv1d(2, 4, 25, stride=5), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(1)
    )
    assert infer_out_features(encoder, 2, 1500) == 4
    model = make_sleep_model(encoder, 2, 1500, sfreq=50, units=3, dropout=0.1)
    assert model(torch.randn(2, 5, 2, 1500)).shape == (2, 5, 5)
    assert model.sequence_learner.out_features == 6


def test_custom_encoder_with_time_axis():
    encoder = nn.Sequential(nn.Conv1d(1, 4, 25, stride=25), nn.AdaptiveAvgPool1d(7))
    assert infer_out_features(encoder, 1, 1500) == (4, 7)
    model = make_sleep_model(encoder, 1, 1500, sequence_learner="identity")
    feats = model.forward_features(torch.randn(2, 3, 1, 1500))
    assert feats.epoch_features.shape == (2, 3, 4, 7)
    assert feats.sequence_features.shape == (2, 3, 4)
