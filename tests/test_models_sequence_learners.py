"""Sequence learners: (batch, seq_len, d_in) -> (batch, seq_len, out_features)."""

import pytest
import torch
from torch import nn

from braindecode_sleepkd.models import (
    SEQUENCE_LEARNERS,
    BiLSTMLearner,
    GRULearner,
    IdentityLearner,
    make_sequence_learner,
)

KWARGS = {
    "bilstm": {"units": 8},
    "gru": {"units": 8},
    "transformer": {"d_model": 8, "n_heads": 2},
    "identity": {},
    "tcn": {"channels": 8, "n_layers": 3},
}


@pytest.mark.parametrize("name", sorted(SEQUENCE_LEARNERS))
@pytest.mark.parametrize("seq_len", [1, 2, 20])
def test_shapes_and_gradients(name, seq_len):
    torch.manual_seed(0)
    learner = make_sequence_learner(name, 12, dropout=0.1, **KWARGS[name])
    x = torch.randn(3, seq_len, 12, requires_grad=True)
    out = learner(x)
    assert out.shape == (3, seq_len, learner.out_features)
    out.sum().backward()
    assert x.grad is not None
    for p in learner.parameters():
        assert p.grad is not None


def test_out_features():
    assert BiLSTMLearner(10, units=7).out_features == 14
    assert GRULearner(10, units=7, bidirectional=False).out_features == 7
    assert IdentityLearner(10).out_features == 10


@pytest.mark.parametrize("name", ["bilstm", "gru", "transformer", "tcn"])
def test_learners_mix_information_along_the_sequence(name):
    torch.manual_seed(0)
    learner = make_sequence_learner(name, 4, **KWARGS[name]).eval()
    x = torch.randn(1, 5, 4)
    y = x.clone()
    y[0, 4] += 1.0
    with torch.no_grad():
        assert not torch.allclose(learner(x)[0, 3], learner(y)[0, 3])


def test_bilstm_skip_is_optional():
    assert BiLSTMLearner(4, units=3, skip=False).skip is None


def test_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError, match="bilstm.*gru.*identity.*tcn.*transformer"):
        make_sequence_learner("mamba", 4)


def test_module_instance_passthrough():
    learner = IdentityLearner(4)
    assert make_sequence_learner(learner, 4) is learner
    with pytest.raises(ValueError, match="out_features"):
        make_sequence_learner(nn.Identity(), 4)


def test_bad_settings():
    with pytest.raises(ValueError, match="divide"):
        make_sequence_learner("transformer", 4, d_model=6, n_heads=4)
    with pytest.raises(ValueError, match="odd"):
        make_sequence_learner("tcn", 4, kernel_size=2)
