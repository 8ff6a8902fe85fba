"""Oracles of a cohort run: what a user would lose if the store, the split or the
card were silently wrong (nights that do not divide into sequences)."""

import hashlib
import json
import pickle
import warnings

import numpy as np
import pytest
from sleepkd_runtime.contract import scale_epochs
from varied_nights import EpochScorer, mean_over_sequences, write_varied_nights

from braindecode_sleepkd.cohort import (
    distill_cohort,
    find_nights,
    read_night,
    score_cohort,
    write_night_edf,
    write_sequences,
)
from braindecode_sleepkd.cohort.distill import split_nights
from braindecode_sleepkd.cohort.nights import Night

SFREQ, CHANNEL, SEQ_LEN = 50.0, "EEG", 10


@pytest.mark.parametrize("seq_len", [7, 10])
def test_store_holds_each_epochs_own_teacher_output_and_label(tmp_path, seq_len):
    truth = write_varied_nights(tmp_path / "n", sfreq=SFREQ, n_scored=3)
    nights = find_nights(tmp_path / "n")
    scorer = EpochScorer()
    scores = score_cohort(scorer, nights, CHANNEL, n_jobs=1, progress=False)
    assert scorer.rates == [SFREQ] * len(nights)
    store = write_sequences(
        tmp_path / "new" / "folder" / "s.npy",
        scores.nights,
        {n.name: n for n in nights},
        CHANNEL,
        seq_len,
        "robust",
    )
    assert store.X.dtype == np.float32 and store.proba.dtype == np.float32
    lengths = [len(truth[n.name]) for n in nights]
    assert all(n % seq_len for n in lengths)  # the fixture: no night divides
    assert store.n_dropped == sum(n % seq_len for n in lengths)
    for i, night in enumerate(nights):
        X, y, sfreq = read_night(night, CHANNEL)
        k = len(y) // seq_len * seq_len
        mine = store.night == i
        assert mine.sum() == len(y) // seq_len, night.name
        expected = EpochScorer().score_night(X, sfreq)[:k]
        got = store.proba[mine].reshape(k, 5)
        np.testing.assert_allclose(
            got, expected, atol=1e-6, err_msg=f"{night.name}: teacher outputs"
        )
        labels = truth[night.name][:k] if i < 3 else np.full(k, -1)
        np.testing.assert_array_equal(store.y[mine].reshape(k), labels, night.name)
        np.testing.assert_allclose(
            store.X[mine].reshape(k, 1, -1),
            scale_epochs(X[:k], "robust"),
            atol=1e-5,
            err_msg=f"{night.name}: epochs",
        )


@pytest.mark.parametrize("n_scored", [0, 1, 2, 5, 8])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_split_nights_is_a_partition(n_scored, seed):
    records = [
        dict(y=np.array([0, 1]) if i < n_scored else np.array([-1, -1]))
        for i in range(8)
    ]
    train, valid = split_nights(records, valid_share=0.25, seed=seed)
    assert not set(train) & set(valid), (train, valid)
    assert sorted(train + valid) == list(range(8))
    if n_scored:  # labelled nights validate when there are some
        assert all(i < n_scored for i in valid), valid


def _epoch_keys(X):
    """A hash of every epoch's samples (by content, not by name)."""
    X = np.asarray(X, dtype=np.float32).reshape(-1, X.shape[-2] * X.shape[-1])
    return {hashlib.sha1(np.round(x, 4).tobytes()).hexdigest() for x in X}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One non-strict run over 4 good nights and 2 unusable ones."""
    folder = tmp_path_factory.mktemp("cohort")
    truth = write_varied_nights(folder, sfreq=SFREQ, channel=CHANNEL, n_scored=3)
    good = (folder / "night0.edf").read_bytes()
    (folder / "cut.edf").write_bytes(good[:-3000])
    write_night_edf(folder / "other.edf", np.ones((12, 1500)), SFREQ, "Fz")
    out = tmp_path_factory.mktemp("out")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        card = distill_cohort(
            folder,
            out,
            EpochScorer(),
            CHANNEL,
            strategy="dist",
            student_kwargs=dict(lstm_units=8),
            max_epochs=1,
            seq_len=SEQ_LEN,
            valid_share=0.34,
            n_jobs=1,
            progress=False,
            resume=False,
        )
    return folder, out, card, truth


def test_training_and_validation_nights_are_disjoint_by_content(run):
    folder, out, card, truth = run
    valid_names = card.data["validation_nights"]
    assert len(valid_names) == 1 and valid_names[0] in truth
    # the training sequences, then the validation nights' (out/sequences/fit.npy)
    fit = np.load(out / "sequences" / "fit.npy")
    n_valid = sum(
        len(read_night(night, CHANNEL)[0]) // SEQ_LEN
        for night in find_nights(folder)
        if night.name in valid_names
    )
    train, valid = _epoch_keys(fit[:-n_valid]), _epoch_keys(fit[-n_valid:])
    assert not train & valid, f"{len(train & valid)} epochs both train and validate"
    for night in find_nights(folder):
        if night.name not in truth:
            continue
        X = read_night(night, CHANNEL)[0]
        k = len(X) // SEQ_LEN * SEQ_LEN
        keys = _epoch_keys(scale_epochs(X[:k], "robust"))
        where = "valid" if night.name in valid_names else "train"
        assert keys <= (valid if where == "valid" else train), (night.name, where)
        assert not keys & (train if where == "valid" else valid), night.name


def test_unusable_nights_are_listed_with_their_reasons_in_both_cards(run):
    _, out, card, truth = run
    data = json.loads((out / "model_card.json").read_text())["data"]
    skipped = data["skipped"]
    assert set(skipped) == {"cut", "other"}
    assert "truncated" in skipped["cut"]
    assert "'EEG'" in skipped["other"] and "Fz" in skipped["other"]
    assert data["n_found"] == 6 and data["n_used"] == 4
    md = (out / "model_card.md").read_text()
    for name, why in skipped.items():
        assert f"{name}: {why}" in md, f"{name} missing from model_card.md"


def test_cohort_student_staged_by_the_runtime_as_predict_proba(run, tmp_path):
    """The student's contract scales every epoch: the runtime must too."""
    from sleepkd_runtime.stage import stage_edf

    folder, out, _, _ = run
    with open(out / "estimator.pkl", "rb") as f:
        clf = pickle.load(f)
    assert clf.contract_.scaling == "robust"
    night = folder / "night1.edf"  # 37 epochs: sequences overlap at the end
    X = read_night(Night(night), CHANNEL)[0]
    hyp = stage_edf(out / "student.onnx", night, stride=SEQ_LEN)
    prepared = scale_epochs(X, "robust")
    expected = mean_over_sequences(clf.predict_proba, prepared, SEQ_LEN, SEQ_LEN)
    np.testing.assert_allclose(hyp.proba, expected, atol=2e-4)
    np.testing.assert_array_equal(hyp.stages, expected.argmax(1))


def test_cohort_student_in_int8_staged_as_its_own_predict_proba(run, tmp_path):
    from sleepkd_runtime.model import OnnxStudent
    from sleepkd_runtime.stage import stage_edf

    from braindecode_sleepkd.export import quantize_onnx

    folder, out, _, _ = run
    int8 = quantize_onnx(out / "student.onnx", tmp_path / "student.int8.onnx")["path"]
    model = OnnxStudent(int8)
    assert model.contract.scaling == "robust"
    night = folder / "night2.edf"  # 41 epochs
    hyp = stage_edf(int8, night, stride=SEQ_LEN)
    prepared = scale_epochs(read_night(Night(night), CHANNEL)[0], "robust")
    expected = mean_over_sequences(model.predict_proba, prepared, SEQ_LEN, SEQ_LEN)
    np.testing.assert_allclose(hyp.proba, expected, atol=1e-5)
    np.testing.assert_array_equal(hyp.stages, expected.argmax(1))


def test_cache_key_tells_apart_what_changes_the_teacher_output(monkeypatch, tmp_path):
    import braindecode_sleepkd
    from braindecode_sleepkd.cohort.scoring import cache_key

    X = np.random.default_rng(0).standard_normal((3, 1, 50))
    config = dict(scorer="s", path=tmp_path, weights=[1, 2])
    key = cache_key(X, 50.0, config)
    assert len(key) == 24 and int(key, 16) >= 0
    # the same samples and settings, however given, share the key
    assert cache_key(X.astype(np.float32), 50, config) == key
    assert cache_key(X, 50.0, dict(reversed(config.items()))) == key
    # another rate, configuration or package version: another key
    assert cache_key(X, 100.0, config) != key
    assert cache_key(X, 50.0, {**config, "weights": [2, 1]}) != key
    assert cache_key(X[:, :, ::-1], 50.0, config) != key
    monkeypatch.setattr(braindecode_sleepkd, "__version__", "0.0.0-other")
    assert cache_key(X, 50.0, config) != key


def test_cohort_student_contract_names_its_channel(run):
    from sleepkd_runtime.contract import ContractError
    from sleepkd_runtime.stage import stage_edf

    folder, out, _, _ = run
    night = folder / "night0.edf"
    with pytest.raises(ContractError, match=r"channels=\('EEG',\).*\('Fz',\)"):
        stage_edf(out / "student.onnx", night, "Fz")
    assert len(stage_edf(out / "student.onnx", night)) == 23


class _Ensemble:
    """Two members scoring alike but for a factor; their mean is the output."""

    name = "pair"

    def __init__(self):
        self.members = [EpochScorer(), _Sharper()]

    def config(self):
        return dict(scorer=self.name)

    def combine(self, probas):
        return np.mean(probas, axis=0)


class _Sharper(EpochScorer):
    name = "sharper"

    def score_night(self, X, sfreq):
        p = super().score_night(X, sfreq) ** 2
        return p / p.sum(1, keepdims=True)


class _Unnormalised(EpochScorer):
    def score_night(self, X, sfreq):
        return 2 * super().score_night(X, sfreq)


def test_ensemble_members_kept_and_bad_outputs_refused(tmp_path):
    from braindecode_sleepkd.cohort.scoring import score_one

    write_varied_nights(tmp_path, lengths=(23,), sfreq=SFREQ)
    night = find_nights(tmp_path)[0]
    X, _, sfreq = read_night(night, CHANNEL)
    rec = score_one(night, _Ensemble(), CHANNEL)
    a, b = EpochScorer().score_night(X, sfreq), _Sharper().score_night(X, sfreq)
    assert len(rec["members"]) == 2
    np.testing.assert_allclose(rec["members"][1], b, atol=1e-6)
    np.testing.assert_allclose(rec["proba"], (a + b) / 2, atol=1e-6)
    bad = score_one(night, _Unnormalised(), CHANNEL)
    assert "rows summing to 1" in bad["skipped"] and "(23, 5)" in bad["skipped"]


class _AlmostNormalised(EpochScorer):
    def score_night(self, X, sfreq):
        return (1 + 5e-4) * super().score_night(X, sfreq)


def test_score_records_and_cohort_rate_progress_and_time(tmp_path, capsys):
    import time

    from braindecode_sleepkd.cohort.scoring import score_one

    write_varied_nights(tmp_path, lengths=(12, 11, 13), sfreq=100.0)
    write_night_edf(tmp_path / "slow.edf", np.ones((12, 1500)), SFREQ, CHANNEL)
    nights = find_nights(tmp_path)
    start = time.perf_counter()
    rec = score_one(nights[0], EpochScorer(), CHANNEL)
    assert rec["members"] is None and rec["proba"].dtype == np.float32
    assert 0 <= rec["seconds"] <= time.perf_counter() - start
    assert "skipped" not in score_one(nights[0], _AlmostNormalised(), CHANNEL)
    start = time.perf_counter()
    out = score_cohort(EpochScorer(), nights, CHANNEL, n_jobs=1)
    assert 0 <= out.seconds <= time.perf_counter() - start
    assert out.sfreq == 100.0 and [r["name"] for r in out.nights] == [
        "night0", "night1", "night2"
    ]  # fmt: skip
    assert "100 Hz" in out.skipped.reasons["slow"]
    err = capsys.readouterr().err
    assert "teacher epochwise" in err and "4/4" in err and "night/s" in err
    score_cohort(EpochScorer(), nights, CHANNEL, n_jobs=1, progress=False)
    assert capsys.readouterr().err == ""
