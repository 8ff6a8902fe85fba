"""FeatureAlignment (Phi / FitNets regressor) shapes, values and gradients."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from braindecode_sleepkd.distill.alignment import FeatureAlignment, build_alignment
from braindecode_sleepkd.distill.losses import FeatureMSELoss, FitNetsHintLoss


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.mark.parametrize(
    "in_shape, out_shape, proj_type",
    [
        ((20, 128), (20, 32), nn.Linear),  # 3-D -> 3-D, different d
        ((20, 32), (20, 32), nn.Linear),  # same shape: still learnable
        ((20, 128, 30), (20, 64, 15), nn.Conv1d),  # 4-D, shrink time
        ((20, 16, 10), (20, 8, 25), nn.Conv1d),  # 4-D, grow time
        ((20, 16, 10), (20, 8, 10), nn.Conv1d),  # 4-D, same n_steps
        ((20, 128, 30), (20, 32), nn.Linear),  # 4-D -> 3-D: time averaged away
    ],
)
@pytest.mark.parametrize("seq_len", [1, 20, 7])
def test_output_shapes(in_shape, out_shape, proj_type, seq_len):
    phi = FeatureAlignment(in_shape, out_shape)
    assert isinstance(phi.proj, proj_type)
    out = phi(torch.randn(3, seq_len, *in_shape[1:]))
    assert out.shape == (3, seq_len, *out_shape[1:])
    assert phi.in_shape == in_shape and phi.out_shape == out_shape


@settings(max_examples=25, deadline=None)
@given(
    d_in=st.integers(1, 9),
    d_out=st.integers(1, 9),
    n_in=st.one_of(st.none(), st.integers(1, 12)),
    n_out=st.one_of(st.none(), st.integers(1, 12)),
    seq_len=st.integers(1, 4),
    resample=st.sampled_from(["auto", "linear", "avgpool"]),
)
def test_property_shapes_and_finite(d_in, d_out, n_in, n_out, seq_len, resample):
    in_shape = (3, d_in) if n_in is None else (3, d_in, n_in)
    out_shape = (3, d_out) if n_out is None or n_in is None else (3, d_out, n_out)
    phi = FeatureAlignment(in_shape, out_shape, resample=resample)
    x = torch.randn(2, seq_len, *in_shape[1:]) * 1e4
    out = phi(x)
    assert out.shape == (2, seq_len, *out_shape[1:])
    assert torch.isfinite(out).all()


def test_3d_to_4d_is_refused_with_a_hint():
    with pytest.raises(ValueError, match=r"mean\(-1\)"):
        FeatureAlignment((20, 16), (20, 8, 10))


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"in_shape": (20,), "out_shape": (20, 8)}, ValueError),
        ({"in_shape": (20, 0), "out_shape": (20, 8)}, ValueError),
        ({"in_shape": (20, 8, 3, 2), "out_shape": (20, 8)}, ValueError),
        ({"in_shape": 5, "out_shape": (20, 8)}, TypeError),
        ({"in_shape": (20, 8), "out_shape": (20, 8), "resample": "cubic"}, ValueError),
    ],
)
def test_invalid_arguments(kwargs, error):
    with pytest.raises(error):
        FeatureAlignment(**kwargs)


def test_wrong_input_shape_is_refused():
    phi = FeatureAlignment((20, 16, 10), (20, 8, 5))
    with pytest.raises(ValueError, match=r"\(batch, seq_len, 16, 10\)"):
        phi(torch.randn(2, 20, 16, 11))
    with pytest.raises(ValueError):
        phi(torch.randn(2, 20, 16))


def test_identity_if_same():
    phi = FeatureAlignment((20, 8, 5), (10, 8, 5), identity_if_same=True)
    assert isinstance(phi.proj, nn.Identity) and not list(phi.parameters())
    x = torch.randn(2, 3, 8, 5)
    assert torch.equal(phi(x), x)
    # different shapes stay learnable even with the flag
    phi = FeatureAlignment((20, 8), (20, 4), identity_if_same=True)
    assert isinstance(phi.proj, nn.Linear)


def _unit_projection(phi):
    """Make the projection an identity map on the feature axis (d_in == d_out)."""
    with torch.no_grad():
        weight = phi.proj.weight
        weight.zero_()
        idx = torch.arange(weight.shape[0])
        weight[idx, idx, ...] = 1.0
        phi.proj.bias.zero_()
    return phi


def test_time_resampling_values():
    x = torch.tensor([0.0, 2.0, 4.0, 8.0]).reshape(1, 1, 1, 4)
    down = _unit_projection(FeatureAlignment((1, 1, 4), (1, 1, 2)))
    torch.testing.assert_close(down(x).flatten(), torch.tensor([1.0, 6.0]))
    x = torch.tensor([0.0, 1.0]).reshape(1, 1, 1, 2)
    up = _unit_projection(FeatureAlignment((1, 1, 2), (1, 1, 4)))
    # linear, align_corners=False: sample points -0.25, 0.25, 0.75, 1.25 (clamped)
    torch.testing.assert_close(up(x).flatten(), torch.tensor([0.0, 0.25, 0.75, 1.0]))
    pool_up = _unit_projection(
        FeatureAlignment((1, 1, 2), (1, 1, 4), resample="avgpool")
    )
    torch.testing.assert_close(pool_up(x).flatten(), torch.tensor([0.0, 0.0, 1.0, 1.0]))
    lin_down = _unit_projection(
        FeatureAlignment((1, 1, 4), (1, 1, 2), resample="linear")
    )
    x = torch.tensor([0.0, 2.0, 4.0, 8.0]).reshape(1, 1, 1, 4)
    torch.testing.assert_close(lin_down(x).flatten(), torch.tensor([1.0, 6.0]))


def test_projection_values_4d_to_3d_and_4d():
    x = torch.randn(2, 3, 4, 6)
    phi = FeatureAlignment((3, 4, 6), (3, 5))
    expected = x.mean(-1) @ phi.proj.weight.T + phi.proj.bias
    torch.testing.assert_close(phi(x), expected)
    phi = FeatureAlignment((3, 4, 6), (3, 5, 6))
    weight = phi.proj.weight[..., 0]  # (5, 4)
    expected = torch.einsum("oi,blit->blot", weight, x) + phi.proj.bias[:, None]
    torch.testing.assert_close(phi(x), expected)


def test_sequence_positions_are_independent():
    phi = FeatureAlignment((5, 8, 6), (5, 4, 3))
    x = torch.randn(2, 5, 8, 6)
    out = phi(x)
    torch.testing.assert_close(phi(x[:, 2:3]), out[:, 2:3])


def test_deterministic_init_given_seed():
    torch.manual_seed(123)
    a = FeatureAlignment((20, 16, 10), (20, 8, 5))
    torch.manual_seed(123)
    b = FeatureAlignment((20, 16, 10), (20, 8, 5))
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


@pytest.mark.parametrize(
    "big_shape, small_shape",
    [
        ((2, 5, 16), (2, 5, 8)),
        ((2, 5, 16, 10), (2, 5, 8, 4)),
        ((2, 5, 16, 10), (2, 5, 8)),
    ],
)
def test_gradients_reach_alignment_and_small_model_only(big_shape, small_shape):
    with torch.no_grad():  # the bigger model is frozen
        big = torch.randn(big_shape)
    small = torch.randn(small_shape, requires_grad=True)
    phi = build_alignment(big, small)
    loss = FeatureMSELoss()(phi(big), small)
    loss.backward()
    assert small.grad is not None and big.grad is None
    for name, param in phi.named_parameters():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all() and param.grad.abs().sum() > 0


def test_fitnets_regressor_direction():
    teacher = torch.randn(2, 5, 32, 10)
    student = torch.randn(2, 5, 8, 5, requires_grad=True)
    regressor = build_alignment(student, teacher)  # student -> teacher
    assert regressor.in_shape == (5, 8, 5) and regressor.out_shape == (5, 32, 10)
    loss = FitNetsHintLoss()(regressor(student), teacher)
    loss.backward()
    assert student.grad is not None and regressor.proj.weight.grad is not None


def test_build_alignment_sizing_device_and_dtype():
    big = torch.randn(2, 7, 128, 30, dtype=torch.float64)
    small = torch.randn(2, 7, 32, 15)
    phi = build_alignment(big, small, resample="linear")
    assert phi.in_shape == (7, 128, 30) and phi.out_shape == (7, 32, 15)
    assert phi.resample == "linear"
    assert phi.proj.in_channels == 128 and phi.proj.out_channels == 32
    assert phi.proj.weight.dtype == torch.float64
    assert phi(big).shape == small.shape
    assert phi(torch.randn(4, 3, 128, 30, dtype=torch.float64)).shape == (4, 3, 32, 15)
    with pytest.raises(ValueError, match="batched"):
        build_alignment(torch.randn(7, 128), small)
    assert "in_shape=(7, 128, 30)" in repr(phi)


def test_alignment_trains_to_match():
    """A few optimiser steps reduce the aligned feature loss (learnable Phi)."""
    big = torch.randn(8, 4, 16, 6)
    small = torch.einsum("oi,blit->blot", torch.randn(8, 16), big)[
        ..., ::2
    ].contiguous()
    phi = build_alignment(big, small)
    opt = torch.optim.Adam(phi.parameters(), lr=0.05)
    loss_fn = FeatureMSELoss()
    first = loss_fn(phi(big), small).item()
    for _ in range(50):
        opt.zero_grad()
        loss = loss_fn(phi(big), small)
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first
