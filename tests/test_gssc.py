"""The GSSC teacher: loading, preprocessing parity, feature levels, the estimator.

Tests that need ``gssc`` (an AGPL-3.0 optional extra) are skipped when it is not
installed; the preprocessing and the missing-extra error are tested without it.
"""

import copy
import importlib.util
import sys
import warnings

import mne
import numpy as np
import pytest
import torch

from braindecode_sleepkd.datasets import load_sample, make_sequences
from braindecode_sleepkd.distill import strategies
from braindecode_sleepkd.teachers import gssc as gssc_module
from braindecode_sleepkd.teachers.gssc_preprocessing import (
    fft_resample,
    gssc_epochs,
    gssc_preprocess,
)

HAS_GSSC = importlib.util.find_spec("gssc") is not None
needs_gssc = pytest.mark.skipif(
    not HAS_GSSC,
    reason="gssc is not installed (optional extra, AGPL-3.0): "
    "pip install braindecode-sleepkd[gssc]",
)


def _sample_or_skip(**kwargs):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_sample(sfreq=100, **kwargs)
    except FileNotFoundError:
        pytest.skip("the DREAMS sample is not on this machine")


@pytest.fixture(scope="module")
def teacher():
    if not HAS_GSSC:
        pytest.skip("gssc is not installed")
    return gssc_module.GSSCTeacher()


@pytest.fixture(scope="module")
def excerpt1():
    """DREAMS excerpt 1 (100 Hz, 60 epochs): raw windows and GSSC-preprocessed."""
    windows = _sample_or_skip(subject_ids=[1])
    return windows, gssc_preprocess(windows)


# --------------------------------------------------------------- no gssc needed
def test_missing_extra_gives_install_command(monkeypatch):
    for name in [m for m in sys.modules if m == "gssc" or m.startswith("gssc.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "gssc", None)  # import gssc -> ImportError
    with pytest.raises(ImportError) as info:
        gssc_module.GSSCTeacher()
    msg = str(info.value)
    assert "pip install braindecode-sleepkd[gssc]" in msg
    assert "AGPL-3.0" in msg and "'gssc'" in msg


@pytest.mark.parametrize(
    "kwargs",
    [dict(epoch_level="pooled"), dict(head="crf"), dict(memory=-1), dict(memory="a")],
)
def test_bad_options_are_refused_before_loading(kwargs, monkeypatch):
    def fail():
        raise AssertionError("networks loaded before the options were checked")

    monkeypatch.setattr(gssc_module, "load_gssc_networks", fail)
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        gssc_module.GSSCTeacher(**kwargs)


@pytest.mark.parametrize(("n_in", "sfreq"), [(3000, 100), (3001, 100), (6001, 200)])
def test_fft_resample_is_mne_epochs_resample(n_in, sfreq):
    x = np.random.default_rng(n_in).standard_normal((2, n_in))
    epochs = mne.EpochsArray(x[None], mne.create_info(2, sfreq, "eeg"), verbose=False)
    ref = epochs.resample(2560 / 30, verbose=False).get_data()[0]
    ratio = (2560 / 30) / sfreq
    out = fft_resample(torch.as_tensor(x), ratio).numpy()
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, atol=1e-10)


def test_gssc_epochs_are_gssc_epochs_of_30s_plus_one_sample():
    """Epoch i is resampled with the first sample of epoch i + 1, then cut."""
    sfreq, n_epochs = 100, 4
    x = np.random.default_rng(0).standard_normal(n_epochs * 3000)
    raw = mne.io.RawArray(x[None], mne.create_info(1, sfreq, "eeg"), verbose=False)
    events = mne.make_fixed_length_events(raw, duration=30.0)
    ep = mne.Epochs(raw, events, tmin=0, tmax=30, baseline=None, verbose=False)
    ref = ep.load_data().resample(2560 / 30, verbose=False).get_data()[..., :2560]
    seq = torch.as_tensor(x.reshape(1, n_epochs, 1, 3000))
    out = gssc_epochs(seq).numpy()
    assert out.shape == (n_epochs, 1, 2560)
    # MNE drops the last epoch (it lacks the extra sample); ours keeps it
    assert len(ref) == n_epochs - 1
    np.testing.assert_allclose(out[: len(ref)], ref, atol=1e-10)


def test_gssc_preprocess_filters_and_standardises(excerpt1):
    windows, prep = excerpt1
    raw0, raw1 = windows.datasets[0].raw, prep.datasets[0].raw
    assert raw1.info["highpass"] == pytest.approx(0.3)
    assert raw1.info["lowpass"] == pytest.approx(30.0)
    data = raw1.get_data()
    assert abs(data.mean()) < 1e-6 and data.std() == pytest.approx(1.0, abs=1e-6)
    # a copy: the raw behind the windows is untouched, in volts (about 1e-5 V)
    assert raw0.info["highpass"] == 0.0 and 1e-6 < raw0.get_data().std() < 1e-3
    assert bool(prep.datasets[0].description["gssc_preprocessed"])
    # z-scores have no unit: make_sequences passes them on unchanged
    assert prep.datasets[0].description["unit"] == "unitless"
    assert windows.datasets[0].description["unit"] == "V"
    assert len(prep) == len(windows)
    # power above 30 Hz is gone
    psd, freqs = mne.time_frequency.psd_array_welch(data, 100.0, verbose=False)
    assert psd[0, freqs > 35].sum() / psd[0].sum() < 1e-4
    with pytest.raises(ValueError, match="already preprocessed"):
        gssc_preprocess(prep)
    with pytest.raises(TypeError, match="braindecode windows"):
        gssc_preprocess(np.zeros((3, 1, 3000)))


def test_gssc_preprocess_only_high_passes_a_recording_already_below_30_hz():
    windows = _sample_or_skip(subject_ids=[3])  # recorded at 50 Hz
    raw = windows.datasets[0].raw
    assert raw.info["lowpass"] <= 25.0
    prep = gssc_preprocess(windows)
    info = prep.datasets[0].raw.info
    assert info["highpass"] == pytest.approx(0.3)
    assert info["lowpass"] == raw.info["lowpass"]


# ------------------------------------------------------------------ needs gssc
@needs_gssc
def test_weights_load_with_weights_only_and_equal_the_stock_files():
    from importlib.resources import files

    folder = files("gssc.nets")
    for name in gssc_module.CHECKPOINTS.values():
        path = folder.joinpath(name)
        with pytest.raises(Exception, match="[Ww]eights only load failed"):
            torch.load(path)  # the reason for read_gssc_state_dict
        ours = gssc_module.read_gssc_state_dict(path)
        stock = torch.load(path, weights_only=False).state_dict()  # reference
        assert list(ours) == list(stock)
        assert all(torch.equal(ours[k], stock[k]) for k in stock)


@needs_gssc
def test_reader_refuses_code_it_does_not_know(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pt"
    torch.save({"x": Evil()}, path)
    with pytest.raises(ValueError, match=r"builtins\.print.*refusing"):
        gssc_module.read_gssc_state_dict(path)


@needs_gssc
def test_teacher_is_frozen_and_counts_its_parameters(teacher):
    n = sum(p.numel() for p in teacher.parameters())
    # EEG branch 4,344,016 + EEG mixer 658,432 + epoch head 793,605 + GRU 5,917,189
    assert n == 11_713_242
    assert not any(p.requires_grad for p in teacher.parameters())
    assert not teacher.training


@needs_gssc
def test_feature_shapes(teacher):
    x = torch.randn(2, 3, 1, 3000)
    with torch.no_grad():
        out = teacher.forward_features(x)
        assert out.logits.shape == (2, 3, 5)
        assert out.epoch_features.shape == (2, 3, 512)
        assert out.sequence_features.shape == (2, 3, 512)
        assert torch.allclose(out.logits.exp().sum(-1), torch.ones(2, 3), atol=1e-5)
        for level, shape in (("resnet", (256, 5)), (40, (144, 20)), (1, (16, 2560))):
            other = copy.deepcopy(teacher)
            other.epoch_level = level
            assert other.forward_features(x[:, :2]).epoch_features.shape[2:] == shape
        other = copy.deepcopy(teacher)
        other.head = "epoch"
        epoch_out = other.forward_features(x)
    assert torch.equal(epoch_out.epoch_features, out.epoch_features)
    assert not torch.allclose(epoch_out.logits, out.logits)
    with pytest.raises(ValueError, match="n_chans=1"):
        teacher.forward_features(torch.randn(1, 2, 2, 3000))


@needs_gssc
def test_features_equal_the_stock_networks_on_a_real_excerpt(teacher, excerpt1):
    from importlib.resources import files

    X, _, _ = make_sequences(excerpt1[1], seq_len=60)
    x = torch.as_tensor(X)
    signal = torch.load(files("gssc.nets") / "sig_net_v1.pt", weights_only=False)
    context = torch.load(files("gssc.nets") / "gru_net_v1.pt", weights_only=False)
    signal.eval(), context.eval()
    with torch.no_grad():
        out = teacher.forward_features(x)
        epochs = teacher.prepare_input(x)
        reps = signal({"eeg": epochs}, rep_output="rep_only")  # (60, 512, 1)
        y, _ = context(reps.swapaxes(-1, 1), torch.zeros(10, 1, 256))
        _, dec = signal({"eeg": epochs}, rep_output=True)
        states, _ = context.gru(reps.swapaxes(-1, 1), torch.zeros(10, 1, 256))
        per_epoch = copy.deepcopy(teacher)
        per_epoch.head = "epoch"
        epoch_logits = per_epoch.forward_features(x).logits
    assert torch.equal(out.epoch_features[0], reps[..., 0])
    assert torch.equal(out.logits[0], y[:, 0])
    assert torch.equal(out.sequence_features[0], states[:, 0])
    assert torch.equal(epoch_logits[0], dec[..., 0])


@needs_gssc
def test_preprocessing_matches_gssc_mne_infer_stages(teacher, excerpt1):
    """Filter, epochs, resampling and z-score against gssc's own code."""
    from gssc.utils import epo_arr_zscore, prepare_inst

    windows, prep = excerpt1
    raw = windows.datasets[0].raw.copy()
    raw.filter(0.3, 30.0, verbose=False)  # what mne_infer(filter=True) does here
    with mne.utils.use_log_level("error"):
        epo, _ = prepare_inst(raw, 2560, "back")
        stock = epo_arr_zscore(epo.get_data() * 1e6)[..., :2560]
    # gssc's prepare_inst loses the last epoch of an exactly 1800-s recording
    assert raw.times[-1] + 1 / 100 == 1800.0 and len(stock) == 59
    X, _, _ = make_sequences(prep, seq_len=60)
    x = torch.as_tensor(X)
    ours = teacher.prepare_input(x).numpy()
    assert ours.shape == (60, 1, 2560)
    diff = ours[:59] - stock
    # left: the z-score's mean/std, over the 85.33-Hz epochs there, the raw here
    assert np.sqrt((diff**2).mean()) < 0.005
    assert np.abs(diff).max() < 0.05
    with torch.no_grad():
        ours_pred = teacher(x)[0].argmax(-1).numpy()
        stock_in = torch.as_tensor(stock[None, :, :, :], dtype=torch.float32)
        ref = copy.deepcopy(teacher)
        ref.memory = False  # do not store outputs of another input
        ref.prepare_input = lambda _: stock_in[0]
        stock_pred = ref(x[:, :59])[0].argmax(-1).numpy()
    assert (ours_pred[:59] == stock_pred).mean() >= 0.98


@needs_gssc
def test_memory_is_shared_by_copies_and_skipped_in_training(teacher, monkeypatch):
    fresh = copy.deepcopy(teacher)
    fresh.clear_memory()
    calls = []
    compute = type(fresh)._compute

    def counting(self, x):
        calls.append(len(x))
        return compute(self, x)

    monkeypatch.setattr(type(fresh), "_compute", counting)
    x = torch.randn(3, 2, 1, 3000)
    with torch.no_grad():
        first = fresh.forward_features(x)
        again = copy.deepcopy(fresh).forward_features(torch.cat([x[1:], x[:1]]))
    assert calls == [3]
    assert torch.equal(again.logits, torch.cat([first.logits[1:], first.logits[:1]]))
    assert len(teacher._memory) >= 3  # copies share the store
    fresh.forward_features(x)  # gradients enabled: computed
    assert calls == [3, 3]
    small = copy.deepcopy(fresh)
    small._memory = gssc_module._SharedMemory(2)  # keeps the 2 most recent
    with torch.no_grad():
        small.forward_features(x)
        assert len(small._memory) == 2
        small.forward_features(x[2:])  # the last one: still there
        assert calls == [3, 3, 3]
        small.forward_features(x[:1])  # the first one was dropped
    assert calls == [3, 3, 3, 1]
    fresh.clear_memory()


@needs_gssc
def test_warns_once_on_a_signal_that_is_not_standardised(teacher):
    fresh = copy.deepcopy(teacher)
    fresh._warned = False
    with torch.no_grad(), pytest.warns(UserWarning, match="gssc_preprocess"):
        fresh.forward_features(50 * torch.randn(1, 2, 1, 3000))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("error")
        fresh.forward_features(50 * torch.randn(1, 2, 1, 3000))


# -------------------------------------------------------------- the estimator
@pytest.fixture(scope="module")
def two_excerpts():
    """DREAMS excerpts 1 and 4 (120 epochs), preprocessed for GSSC."""
    return gssc_preprocess(_sample_or_skip(subject_ids=[1, 4]))


def _clf(teacher, strategy="sleepkd", **kwargs):
    from helpers import TinySleepNet, tiny_clf

    params = dict(
        strategy=strategy,
        teacher_pretrained=True,
        seq_len=10,
        batch_size=4,
        assistant__width=16,
        assistant__units=16,
        student__width=8,
        student__units=8,
    )
    return tiny_clf(teacher=teacher, assistant=TinySleepNet, **{**params, **kwargs})


@needs_gssc
@pytest.mark.slow
def test_estimator_distils_gssc_at_every_level(teacher, two_excerpts):
    before = {k: v.clone() for k, v in teacher.state_dict().items()}
    clf = _clf(teacher, max_epochs=3, recipe="paper").fit(two_excerpts)
    assert clf.stages_[0] == "teacher: pretrained, not trained"
    assert clf.stages_[1:] == ["assistant: trained for 3 epochs"] + [
        "student: trained for 3 epochs"
    ]
    # Phi maps the small models' features into GSSC's 512-d spaces
    phi = clf.alignments_["assistant"]
    assert phi["epoch"].in_shape == (10, 16, 4) and phi["epoch"].out_shape == (10, 512)
    assert phi["seq"].in_shape == (10, 32) and phi["seq"].out_shape == (10, 512)
    assert clf.alignments_["student"]["epoch"].out_shape == (10, 16, 4)
    hist = clf.histories_["assistant"]
    terms = {"epoch", "seq", "soft", "hard"}
    assert terms <= {k[len("train_loss_") :] for k in hist[-1] if "train_loss_" in k}
    for term in ("epoch", "seq"):
        values = hist[:, f"train_loss_{term}"]
        assert values[-1] < values[0], (term, values)
    # the teacher is frozen: its weights are unchanged
    after = clf.teacher_.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    proba = clf.predict_proba(two_excerpts)
    assert proba.shape == (12, 10, 5)
    np.testing.assert_allclose(proba.sum(-1), 1, atol=1e-5)


@needs_gssc
def test_function_matching_pools_onto_gssc_flat_epoch_embedding(teacher, two_excerpts):
    # GSSC's epoch embedding is (batch, seq, 512) without a time axis, the
    # small models' (batch, seq, width, steps): the max-pool alignment of the
    # raw-feature recipes average the learner's steps away, no parameters
    clf = _clf(teacher, recipe="function_matching").fit(two_excerpts)
    assert clf.recipe == "function_matching" and clf.strategy_.align == "pool"
    assert len(clf.alignments_["assistant"]) == 0
    row = clf.histories_["assistant"][-1]
    assert {"train_loss_epoch", "train_loss_seq", "train_loss_soft"} <= set(row)
    assert "train_loss_hard" not in row
    assert np.isfinite(row["train_loss_epoch"]) and row["train_loss_epoch"] > 0


@needs_gssc
@pytest.mark.slow
@pytest.mark.parametrize("strategy", sorted(set(strategies()) - {"sleepkd"}))
def test_every_strategy_runs_with_a_gssc_teacher(teacher, two_excerpts, strategy):
    clf = _clf(teacher, strategy=strategy).fit(two_excerpts)
    assert clf.predict(two_excerpts).shape == (12, 10)
    assert np.isfinite(clf.history_[-1, "train_loss"])


@needs_gssc
@pytest.mark.slow
def test_gssc_teacher_with_the_cache_off_and_a_checkpoint(
    teacher, two_excerpts, tmp_path
):
    cached = _clf(teacher).fit(two_excerpts).predict_proba(two_excerpts)
    live = _clf(teacher, cache_teacher=False).fit(two_excerpts)
    np.testing.assert_allclose(live.predict_proba(two_excerpts), cached, atol=1e-5)
    first = _clf(teacher, checkpoint_dir=tmp_path).fit(two_excerpts)
    again = _clf(teacher, checkpoint_dir=tmp_path).fit(two_excerpts)
    assert any("loaded from" in s for s in again.stages_)
    np.testing.assert_array_equal(
        again.predict_proba(two_excerpts), first.predict_proba(two_excerpts)
    )
