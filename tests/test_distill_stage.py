"""The distillation stage on its own: frozen guides, weighted terms, every option."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import TinySleepNet, make_data

from braindecode_sleepkd.distill.alignment import pool_pair, pool_to
from braindecode_sleepkd.distill.guides import StoredOutputs
from braindecode_sleepkd.distill.losses import HardCELoss
from braindecode_sleepkd.distill.stage import DistillationStage
from braindecode_sleepkd.distill.strategies import make_strategy


def _models(seed=0, student_pool=4, teacher_pool=4):
    torch.manual_seed(seed)
    teacher = TinySleepNet(width=16, units=12, pool=teacher_pool)
    student = TinySleepNet(width=4, units=4, pool=student_pool)
    return teacher, student


def _stage(name, teacher_pool=4, student_pool=4, **params):
    teacher, student = _models(teacher_pool=teacher_pool, student_pool=student_pool)
    strategy = make_strategy(name, **params)
    stage = DistillationStage(student, {"teacher": teacher}, strategy, HardCELoss())
    X, y, _ = make_data(n_seq=8)
    x = torch.as_tensor(X)
    stage.build_alignments(x[:1])
    return stage, x, torch.as_tensor(y)


def test_guides_stay_frozen_in_eval_and_only_the_learner_learns():
    stage, x, y = _stage("sleepkd")
    stage.train(True)
    assert not stage.guides["teacher"].training and stage.learner.training
    assert all(not p.requires_grad for p in stage.guides.parameters())
    names = [n for n, _ in stage.named_learnable_parameters("student")]
    assert names and all(
        n.startswith(("student.", "alignments.student.")) for n in names
    )
    n_learner = sum(1 for _ in stage.learner.parameters())
    n_align = sum(1 for _ in stage.alignments.parameters())
    assert len(names) == n_learner + n_align and n_align > 0
    out = stage(x, y)
    sum(out.terms.values()).backward()
    assert all(p.grad is None for p in stage.guides.parameters())
    # the alignment (Phi) is trained with the learner
    assert all(
        p.grad is not None and p.grad.abs().sum() > 0
        for p in stage.alignments.parameters()
    )


def test_kd_terms_are_the_weights_times_terms_computed_by_hand():
    stage, x, y = _stage("kd", gamma_soft=0.7, delta_hard=0.2, temperature=2.0)
    stage.train(False)
    out = stage(x, y)
    s = stage.learner.forward_features(x).logits.reshape(-1, 5)
    with torch.no_grad():
        t = stage.guides["teacher"].forward_features(x).logits.reshape(-1, 5)
    kl = (
        F.kl_div(
            F.log_softmax(s / 2, -1),
            F.log_softmax(t / 2, -1),
            log_target=True,
            reduction="batchmean",
        )
        * 4
    )
    ce = F.cross_entropy(s, y.reshape(-1))
    torch.testing.assert_close(out.terms["soft"], 0.7 * kl)
    torch.testing.assert_close(out.terms["hard"], 0.2 * ce)
    torch.testing.assert_close(out.guide_logits.reshape(-1, 5), t)


def test_cached_and_live_guides_give_the_same_terms():
    stage, x, y = _stage("sleepkd")
    stage.train(False)
    live = stage(x, y, torch.arange(len(x)))
    assert stage.build_cache(x.numpy(), batch_size=3, max_gb=1.0)
    assert set(stage.cache) == {"teacher"}
    cached = stage(x, y, torch.arange(len(x)))
    for name in live.terms:
        torch.testing.assert_close(cached.terms[name], live.terms[name])


def test_one_to_call_moves_learner_guides_alignments_and_cache():
    stage, x, y = _stage("sleepkd")
    stage.build_cache(x.numpy(), batch_size=4, max_gb=1.0)
    stage.to(torch.float64)
    tensors = [*stage.parameters(), *stage.buffers()]
    floats = [t for t in tensors if t.is_floating_point()]
    assert floats and all(t.dtype == torch.float64 for t in floats)
    assert stage.cache["teacher"].buffer_device() == torch.device("cpu")


def test_normalize_features_false_is_the_raw_mse_of_aligned_features():
    stage, x, y = _stage(
        "sleepkd", normalize_features=False, align="teacher_to_student"
    )
    stage.train(False)
    out = stage(x, y)
    small = stage.learner.forward_features(x)
    with torch.no_grad():
        big = stage.guides["teacher"].forward_features(x)
    want = F.mse_loss(
        small.sequence_features, stage.alignments["seq"](big.sequence_features)
    )
    torch.testing.assert_close(out.terms["seq"], 0.2 * want)


def test_pool_alignment_has_no_parameters_and_max_pools_the_guide():
    stage, x, y = _stage("sleepkd", normalize_features=False, align="pool")
    assert len(stage.alignments) == 0
    stage.train(False)
    out = stage(x, y)
    small = stage.learner.forward_features(x)
    with torch.no_grad():
        big = stage.guides["teacher"].forward_features(x)
    # teacher sequence features are 24-d, the student's 8-d: max over blocks of 3
    pooled = big.sequence_features.reshape(*big.sequence_features.shape[:2], 8, 3).amax(
        -1
    )
    torch.testing.assert_close(
        pool_to(big.sequence_features, small.sequence_features), pooled
    )
    torch.testing.assert_close(
        out.terms["seq"], 0.2 * F.mse_loss(small.sequence_features, pooled)
    )


def test_pool_pair_averages_the_learners_time_axis_onto_a_flat_guide():
    small = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)
    big = torch.randn(2, 3, 8)
    with pytest.raises(ValueError, match="without a time axis onto features with one"):
        pool_to(big, small)
    small_p, big_p = pool_pair(small, big)
    torch.testing.assert_close(small_p, small.mean(-1))
    torch.testing.assert_close(big_p, big.reshape(2, 3, 4, 2).amax(-1))


def test_unknown_align_is_refused():
    with pytest.raises(ValueError, match="align must be one of .*'pool'"):
        make_strategy("sleepkd", align="sideways")


def test_fitnets_hint_level_picks_the_feature():
    stage, x, y = _stage("fitnets", hint_level="epoch_features")
    assert stage.strategy.feature_levels == {"hint": "epoch_features"}
    align = stage.alignments["hint"]
    assert tuple(align.out_shape[1:]) == (16, 4)  # the teacher's epoch features
    assert "hint" in stage(x, y).terms


def test_nst_resamples_the_teachers_time_axis():
    stage, x, y = _stage("nst", teacher_pool=8, student_pool=4)
    stage.train(False)
    terms = stage(x, y).terms
    assert torch.isfinite(terms["nst"]) and terms["nst"] > 0


def test_dkd_replaces_the_soft_term():
    stage, x, y = _stage("dkd", dkd_weight=0.5)
    terms = stage(x, y).terms
    assert set(terms) == {"dkd", "hard"}


def test_dgkd_drop_rate_one_keeps_exactly_one_guide_per_batch():
    teacher, student = _models()
    torch.manual_seed(1)
    assistant = TinySleepNet(width=8, units=8)
    strategy = make_strategy("dgkd", drop_rate=1.0, gamma_soft=1.0, delta_hard=0.0)
    stage = DistillationStage(
        student, {"teacher": teacher, "assistant": assistant}, strategy, HardCELoss()
    )
    X, y, _ = make_data(n_seq=4)
    x, y = torch.as_tensor(X), torch.as_tensor(y)
    stage.train(True)
    soft = float(stage(x, y).terms["soft"])
    with torch.no_grad():
        s = student.forward_features(x).logits
        single = [
            float(strategy.soft_loss(s, g.forward_features(x).logits))
            for g in (teacher, assistant)
        ]
    assert min(abs(soft - v) for v in single) < 1e-5  # one guide, never their mean
    stage.train(False)  # evaluation: both guides, their mean
    with torch.no_grad():
        s = student.forward_features(x).logits
        both = [
            float(strategy.soft_loss(s, g.forward_features(x).logits))
            for g in (teacher, assistant)
        ]
    assert float(stage(x, y).terms["soft"]) == pytest.approx(np.mean(both), abs=1e-5)


def test_stored_guides_need_indices():
    guide = StoredOutputs(logits=torch.zeros(8, 6, 5))
    student = _models()[1]
    stage = DistillationStage(
        student, {"teacher": guide}, make_strategy("kd"), HardCELoss()
    )
    X, y, _ = make_data(n_seq=8)
    with pytest.raises(ValueError, match="item indices"):
        stage(torch.as_tensor(X), torch.as_tensor(y))
    out = stage(torch.as_tensor(X), torch.as_tensor(y), torch.arange(8))
    assert set(out.terms) == {"soft", "hard"}
