"""Distillation losses against hand computations, plus their properties."""

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from braindecode_sleepkd.distill.losses import (
    DKDLoss,
    FeatureMSELoss,
    FitNetsHintLoss,
    HardCELoss,
    NSTLoss,
    SoftKLLoss,
)

PROPERTY = settings(max_examples=25, deadline=None)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def _t(a, requires_grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=requires_grad)


# --- independent numpy references ------------------------------------------------


def _np_softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _np_kl(p, q):
    return float(np.sum(p * (np.log(p) - np.log(q)), axis=-1).mean())


def _np_dkd(zs, zt, y, alpha, beta, temp):
    """Literal transcription of mdistiller's ``dkd_loss`` (per-epoch rows)."""
    zs, zt = zs.reshape(-1, zs.shape[-1]), zt.reshape(-1, zt.shape[-1])
    y = y.reshape(-1)
    gt = np.eye(zs.shape[1])[y]
    other = 1.0 - gt
    ps, pt = _np_softmax(zs / temp), _np_softmax(zt / temp)

    def cat_mask(p):
        return np.stack([(p * gt).sum(1), (p * other).sum(1)], axis=1)

    bs, bt = cat_mask(ps), cat_mask(pt)
    tckd = np.sum(bt * (np.log(bt) - np.log(bs))) * temp**2 / len(y)
    pt2 = _np_softmax(zt / temp - 1000.0 * gt)
    # mdistiller's kl_div(..., size_average=False) treats 0 * log 0 as 0
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ps2 = np.log(_np_softmax(zs / temp - 1000.0 * gt))
        terms = np.where(pt2 > 0, pt2 * (np.log(pt2) - log_ps2), 0.0)
    nckd = terms.sum() * temp**2 / len(y)
    return alpha * tckd + beta * nckd


def _np_nst(fs, ft, degree=2, c=0.0):
    """Loop-based MMD^2 with a polynomial kernel over L2-normalised neurons."""
    total = 0.0
    for s, t in zip(fs, ft):
        # (seq_len, d[, n]) -> one row per neuron over all positions
        s = np.moveaxis(s, 1, 0).reshape(s.shape[1], -1)
        t = np.moveaxis(t, 1, 0).reshape(t.shape[1], -1)
        s = s / np.maximum(np.linalg.norm(s, axis=1, keepdims=True), 1e-12)
        t = t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-12)

        def k(a, b):
            return np.mean([(x @ y + c) ** degree for x in a for y in b])

        total += k(s, s) + k(t, t) - 2 * k(s, t)
    return total / len(fs)


# --- HardCELoss --------------------------------------------------------------------


def test_hard_ce_literal_value():
    logits = _t([[[1.0, 2.0, 3.0]]])
    y = torch.tensor([[2]])
    # -log(e^3 / (e^1 + e^2 + e^3)) = log(1 + e^-1 + e^-2)
    assert HardCELoss()(logits, y).item() == pytest.approx(0.4076059644, abs=1e-9)


def test_hard_ce_matches_numpy_mean_over_epochs():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(2, 3, 5)) * 3
    y = rng.integers(0, 5, size=(2, 3))
    p = _np_softmax(z)
    expected = -np.mean(np.log(np.take_along_axis(p, y[..., None], -1)))
    got = HardCELoss()(_t(z), torch.from_numpy(y)).item()
    assert got == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("weighted", [False, True])
def test_hard_ce_one_hot_probabilities_equal_int_labels(weighted):
    logits = torch.randn(3, 4, 5)
    y = torch.randint(0, 5, (3, 4))
    weight = torch.tensor([1.0, 2.0, 0.5, 3.0, 1.5]) if weighted else None
    loss = HardCELoss(weight=weight)
    onehot = F.one_hot(y, 5).float()
    torch.testing.assert_close(loss(logits, onehot), loss(logits, y))
    expected = F.cross_entropy(logits.reshape(-1, 5), y.reshape(-1), weight=weight)
    torch.testing.assert_close(loss(logits, y), expected)


def test_hard_ce_soft_targets_average_of_scorers():
    logits = torch.randn(2, 3, 5, dtype=torch.float64)
    y1, y2 = torch.randint(0, 5, (2, 3)), torch.randint(0, 5, (2, 3))
    probs = (F.one_hot(y1, 5) + F.one_hot(y2, 5)).double() / 2
    loss = HardCELoss()
    expected = (loss(logits, y1) + loss(logits, y2)) / 2
    torch.testing.assert_close(loss(logits, probs), expected)


def test_hard_ce_ignore_index_and_bad_targets():
    logits = torch.randn(1, 3, 4)
    y = torch.tensor([[1, -1, 2]])  # -1: an unscored epoch
    expected = HardCELoss()(logits[:, [0, 2]], y[:, [0, 2]])
    torch.testing.assert_close(HardCELoss()(logits, y), expected)
    # the same with probability targets: an all-zero row is unscored
    probs = F.one_hot(torch.tensor([[1, 0, 2]]), 4).float()
    probs[0, 1] = 0
    torch.testing.assert_close(HardCELoss()(logits, probs), expected)
    # a batch of unscored epochs only: 0, with a zero gradient, never NaN
    z = logits.clone().requires_grad_(True)
    loss = HardCELoss()(z, torch.full((1, 3), -1))
    loss.backward()
    assert loss.item() == 0.0 and torch.equal(z.grad, torch.zeros_like(z))
    with pytest.raises(ValueError, match="Targets"):
        HardCELoss()(logits, torch.zeros(1, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="Targets"):
        HardCELoss()(logits, torch.zeros(1, 3))


def test_hard_ce_weight_is_a_buffer():
    loss = HardCELoss(weight=[1.0, 2.0])
    assert "weight" in dict(loss.named_buffers())
    assert loss.to(torch.float64).weight.dtype == torch.float64


# --- SoftKLLoss --------------------------------------------------------------------


def test_soft_kl_literal_value():
    # p_t = (3/4, 1/4), p_s = (1/2, 1/2)
    s, t = _t([[[0.0, 0.0]]]), _t([[[math.log(3.0), 0.0]]])
    expected = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)  # 0.1308120...
    assert SoftKLLoss()(s, t).item() == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(0.130812035, abs=1e-9)


@pytest.mark.parametrize("temperature", [1.0, 2.0, 4.0])
def test_soft_kl_matches_numpy(temperature):
    rng = np.random.default_rng(1)
    zs, zt = rng.normal(size=(2, 3, 5)) * 2, rng.normal(size=(2, 3, 5)) * 2
    flat = (zs.reshape(-1, 5) / temperature, zt.reshape(-1, 5) / temperature)
    expected = _np_kl(_np_softmax(flat[1]), _np_softmax(flat[0])) * temperature**2
    got = SoftKLLoss(temperature=temperature)(_t(zs), _t(zt)).item()
    assert got == pytest.approx(expected, rel=1e-10)


def test_soft_kl_temperature_scaling():
    s, t = torch.randn(2, 3, 5, dtype=torch.float64), torch.randn(2, 3, 5).double()
    for temp in (0.5, 3.0):
        torch.testing.assert_close(
            SoftKLLoss(temperature=temp)(s, t),
            temp**2 * SoftKLLoss()(s / temp, t / temp),
        )
    # high-temperature limit (Hinton et al.): T^2 KL -> mean_i sum_c (d - mean d)^2/2C
    d = (t - s).reshape(-1, 5)
    limit = ((d - d.mean(-1, keepdim=True)) ** 2).sum(-1).mean() / (2 * 5)
    high = SoftKLLoss(temperature=1000.0)(s, t)
    assert high.item() == pytest.approx(limit.item(), rel=1e-2)


def test_soft_kl_rejects_bad_args():
    with pytest.raises(ValueError, match="temperature"):
        SoftKLLoss(temperature=0)
    with pytest.raises(ValueError, match="same shape"):
        SoftKLLoss()(torch.randn(2, 3, 5), torch.randn(2, 3, 4))


# --- FeatureMSELoss / FitNetsHintLoss ---------------------------------------------


def test_feature_mse_literal_values():
    assert FeatureMSELoss()(torch.ones(2, 3, 4), torch.zeros(2, 3, 4)).item() == 1.0
    s, t = _t([[[3.0, 4.0]]]), _t([[[40.0, 30.0]]])
    # raw: ((3-40)^2 + (4-30)^2) / 2
    assert FeatureMSELoss()(s, t).item() == pytest.approx((37**2 + 26**2) / 2)
    # normalised: (.6,.8) vs (.8,.6) -> (0.04 + 0.04) / 2
    assert FeatureMSELoss(normalize=True)(s, t).item() == pytest.approx(0.04)


def test_feature_mse_normalize_is_scale_invariant_and_4d():
    s = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    t = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    loss = FeatureMSELoss(normalize=True)
    torch.testing.assert_close(loss(s, t), loss(7.0 * s, 0.1 * t))
    manual = F.normalize(s.flatten(2), dim=-1) - F.normalize(t.flatten(2), dim=-1)
    torch.testing.assert_close(loss(s, t), (manual**2).mean())


def test_feature_mse_shape_mismatch_mentions_alignment():
    with pytest.raises(ValueError, match="FeatureAlignment"):
        FeatureMSELoss()(torch.randn(2, 3, 4), torch.randn(2, 3, 5))


def test_fitnets_hint_is_feature_mse():
    s, t = torch.randn(2, 3, 4), torch.randn(2, 3, 4)
    assert issubclass(FitNetsHintLoss, FeatureMSELoss)
    torch.testing.assert_close(FitNetsHintLoss()(s, t), F.mse_loss(s, t))
    assert "Romero" in FitNetsHintLoss.__doc__


# --- NSTLoss -------------------------------------------------------------------------


def test_nst_literal_values():
    # one neuron over two positions (seq_len=2)
    s = _t([[[1.0], [0.0]]])
    assert NSTLoss()(s, _t([[[0.0], [1.0]]])).item() == pytest.approx(2.0)
    assert NSTLoss()(s, _t([[[1.0], [1.0]]])).item() == pytest.approx(1.0)
    assert NSTLoss(kernel="linear")(s, _t([[[1.0], [1.0]]])).item() == pytest.approx(
        2 - 2 / math.sqrt(2)
    )


@pytest.mark.parametrize(
    "s_shape, t_shape", [((2, 3, 4), (2, 3, 6)), ((2, 3, 4, 5), (2, 3, 7, 5))]
)
@pytest.mark.parametrize("degree, c", [(2, 0.0), (3, 0.5)])
def test_nst_matches_loop_reference(s_shape, t_shape, degree, c):
    rng = np.random.default_rng(2)
    fs, ft = rng.normal(size=s_shape), rng.normal(size=t_shape)
    expected = _np_nst(fs, ft, degree=degree, c=c)
    got = NSTLoss(degree=degree, c=c)(_t(fs), _t(ft)).item()
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_nst_gaussian_kernel_and_errors():
    f = torch.randn(2, 3, 4, dtype=torch.float64)
    assert NSTLoss(kernel="gaussian")(f, f).item() == pytest.approx(0.0, abs=1e-12)
    assert NSTLoss(kernel="gaussian")(f, torch.randn(2, 3, 5).double()).item() > 0
    with pytest.raises(ValueError, match="kernel"):
        NSTLoss(kernel="rbf")
    with pytest.raises(ValueError, match="c must be"):
        NSTLoss(c=-1.0)
    with pytest.raises(ValueError, match="position axis"):
        NSTLoss()(torch.randn(2, 3, 4), torch.randn(2, 4, 4))
    with pytest.raises(ValueError, match="position axis"):
        NSTLoss()(torch.randn(2, 3, 4, 5), torch.randn(2, 3, 4, 6))


@PROPERTY
@given(
    feats=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=3, max_dims=4, min_side=1, max_side=5),
        elements=st.floats(-100, 100),
    ),
    seed=st.integers(0, 2**16),
)
def test_nst_channel_permutation_invariance(feats, seed):
    gen = torch.Generator().manual_seed(seed)
    f = torch.from_numpy(feats)
    teacher = torch.randn(f.shape[:2] + (3,) + f.shape[3:], generator=gen).double()
    perm_s = torch.randperm(f.shape[2], generator=gen)
    perm_t = torch.randperm(3, generator=gen)
    loss = NSTLoss()
    base = loss(f, teacher)
    torch.testing.assert_close(loss(f[:, :, perm_s], teacher[:, :, perm_t]), base)
    # zero at identity, also with permuted channels
    assert abs(loss(f, f[:, :, perm_s]).item()) < 1e-9


# --- DKDLoss -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "alpha, beta, temperature", [(1.0, 8.0, 4.0), (0.5, 2.0, 1.0), (1.0, 0.0, 2.0)]
)
def test_dkd_matches_mdistiller_formula(alpha, beta, temperature):
    rng = np.random.default_rng(3)
    zs, zt = rng.normal(size=(2, 3, 5)) * 3, rng.normal(size=(2, 3, 5)) * 3
    y = rng.integers(0, 5, size=(2, 3))
    expected = _np_dkd(zs, zt, y, alpha, beta, temperature)
    loss = DKDLoss(alpha=alpha, beta=beta, temperature=temperature)
    got = loss(_t(zs), _t(zt), torch.from_numpy(y)).item()
    assert got == pytest.approx(expected, rel=1e-9)


def test_dkd_reformulates_kd():
    # Zhao et al. Eq. (4): KD = TCKD + (1 - p^t_target) * NCKD, for one epoch
    s, t = torch.randn(1, 1, 5).double(), torch.randn(1, 1, 5).double()
    y = torch.tensor([[2]])
    temp = 2.0
    p_target = torch.softmax(t[0, 0] / temp, -1)[2].item()
    dkd = DKDLoss(alpha=1.0, beta=1.0 - p_target, temperature=temp)(s, t, y)
    torch.testing.assert_close(dkd, SoftKLLoss(temperature=temp)(s, t))


def test_dkd_probability_target_uses_argmax():
    s, t = torch.randn(2, 3, 5), torch.randn(2, 3, 5)
    probs = torch.softmax(torch.randn(2, 3, 5) * 3, -1)
    loss = DKDLoss()
    torch.testing.assert_close(loss(s, t, probs), loss(s, t, probs.argmax(-1)))


def test_dkd_zero_when_student_equals_teacher():
    z = torch.randn(4, 3, 5) * 5
    y = torch.randint(0, 5, (4, 3))
    assert DKDLoss()(z, z.clone(), y).item() == pytest.approx(0.0, abs=1e-6)


def test_dkd_two_classes_has_no_nckd():
    s, t = torch.randn(2, 3, 2).double(), torch.randn(2, 3, 2).double()
    y = torch.randint(0, 2, (2, 3))
    torch.testing.assert_close(
        DKDLoss(alpha=1.0, beta=100.0, temperature=3.0)(s, t, y),
        SoftKLLoss(temperature=3.0)(s, t),
    )
    with pytest.raises(ValueError, match="two classes"):
        DKDLoss()(torch.randn(2, 3, 1), torch.randn(2, 3, 1), torch.zeros(2, 3).long())


# --- common properties ----------------------------------------------------------------

LOGIT_LOSSES = {
    "soft_kl": (SoftKLLoss(temperature=4.0), False),
    "dkd": (DKDLoss(), True),
    "hard_ce": (HardCELoss(), None),
}


def _call(name, loss, s, t, y):
    if name == "dkd":
        return loss(s, t, y)
    if name == "hard_ce":
        return loss(s, y)
    return loss(s, t)


@pytest.mark.parametrize("name", sorted(LOGIT_LOSSES))
def test_logit_losses_finite_for_extreme_logits(name):
    loss, _ = LOGIT_LOSSES[name]
    sign = torch.randint(0, 2, (2, 3, 5)).float() * 2 - 1
    s = (1e4 * sign).requires_grad_()
    t = -1e4 * torch.randint(0, 2, (2, 3, 5)).float()
    y = torch.randint(0, 5, (2, 3))
    out = _call(name, loss, s, t, y)
    out.backward()
    assert torch.isfinite(out) and out.ndim == 0
    assert torch.isfinite(s.grad).all()
    # probability targets too
    if name == "hard_ce":
        loss(s, F.one_hot(y, 5).float()).backward()
        assert torch.isfinite(s.grad).all()


@pytest.mark.parametrize(
    "loss, s_shape, t_shape",
    [
        (SoftKLLoss(temperature=2.0), (2, 3, 5), (2, 3, 5)),
        (DKDLoss(), (2, 3, 5), (2, 3, 5)),
        (NSTLoss(), (2, 3, 4, 6), (2, 3, 8, 6)),
    ],
    ids=["soft_kl", "dkd", "nst"],
)
def test_teacher_is_detached(loss, s_shape, t_shape):
    s = torch.randn(s_shape, requires_grad=True)
    t = torch.randn(t_shape, requires_grad=True)
    args = (
        (s, t, torch.randint(0, 5, s_shape[:2]))
        if isinstance(loss, DKDLoss)
        else (s, t)
    )
    loss(*args).backward()
    assert s.grad is not None and torch.isfinite(s.grad).all()
    assert t.grad is None


def test_feature_mse_gradients_reach_student_not_frozen_teacher():
    s = torch.randn(2, 3, 4, requires_grad=True)
    with torch.no_grad():
        t = torch.randn(2, 3, 4) * 2
    FeatureMSELoss()(s, t).backward()
    assert s.grad is not None and t.grad is None
    torch.testing.assert_close(s.grad, 2 * (s - t).detach() / s.numel())


_logits = hnp.arrays(
    np.float32,
    st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(2, 6)),
    elements=st.floats(-50, 50, width=32),
)


@PROPERTY
@given(zs=_logits, data=st.data())
def test_property_logit_losses_non_negative_and_zero_at_identity(zs, data):
    zt = data.draw(
        hnp.arrays(np.float32, zs.shape, elements=st.floats(-50, 50, width=32))
    )
    y = torch.from_numpy(
        data.draw(
            hnp.arrays(np.int64, zs.shape[:2], elements=st.integers(0, zs.shape[2] - 1))
        )
    )
    s, t = torch.from_numpy(zs), torch.from_numpy(zt)
    temp = data.draw(st.sampled_from([1.0, 4.0]))
    for loss, args in (
        (SoftKLLoss(temperature=temp), (s, t)),
        (DKDLoss(temperature=temp), (s, t, y)),
    ):
        value = loss(*args)
        assert torch.isfinite(value) and value.item() >= -1e-4
        same = loss(s, s, y) if isinstance(loss, DKDLoss) else loss(s, s)
        assert abs(same.item()) < 1e-4


@PROPERTY
@given(
    shape=st.tuples(
        st.integers(1, 3), st.integers(1, 4), st.integers(1, 5), st.integers(1, 4)
    ),
    four_d=st.booleans(),
    scale=st.sampled_from([1e-3, 1.0, 1e4]),
    data=st.data(),
)
def test_property_feature_losses_non_negative_zero_at_identity_finite(
    shape, four_d, scale, data
):
    shape = shape if four_d else shape[:3]
    elements = st.floats(-1, 1, width=32)
    fs = torch.from_numpy(data.draw(hnp.arrays(np.float32, shape, elements=elements)))
    ft = torch.from_numpy(data.draw(hnp.arrays(np.float32, shape, elements=elements)))
    fs, ft = fs * scale, ft * scale
    for loss in (FeatureMSELoss(), FeatureMSELoss(normalize=True), NSTLoss()):
        value = loss(fs, ft)
        assert torch.isfinite(value) and value.item() >= -1e-5
        assert abs(loss(fs, fs).item()) < 1e-5


# --- registry -----------------------------------------------------------------
