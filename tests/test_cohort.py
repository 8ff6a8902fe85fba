"""A cohort of EDF nights -> cached teacher outputs -> a student and its card."""

import json
import warnings

import numpy as np
import pytest

from braindecode_sleepkd.cohort import (
    NightError,
    OnnxNightScorer,
    find_nights,
    read_hypnogram,
    read_night,
    score_cohort,
    write_night_edf,
    write_sequences,
)
from braindecode_sleepkd.cohort.simulate import write_simulated_cohort
from braindecode_sleepkd.teachers import EnsembleTeacher

SFREQ = 50.0


class CountingScorer:
    """Scores every epoch by its amplitude, and counts its calls."""

    name = "counting"

    def __init__(self, tag="a"):
        self.tag = tag
        self.calls = []

    def config(self):
        return dict(scorer=self.name, tag=self.tag)

    def score_night(self, X, sfreq):
        self.calls.append(len(X))
        power = np.log(X.std(axis=(1, 2)) + 1.0)
        logits = -((power[:, None] - np.linspace(1, 4, 5)) ** 2)
        e = np.exp(logits - logits.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nights")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        truth = write_simulated_cohort(
            folder, 5, n_scored=3, max_epochs=80, sfreq=SFREQ, channel="C4-M1"
        )
    return folder, truth


@pytest.fixture(scope="module")
def onnx_teacher(tmp_path_factory):
    pytest.importorskip("onnxruntime")
    import torch

    from braindecode_sleepkd.export import to_onnx
    from braindecode_sleepkd.models import preset

    torch.manual_seed(0)
    module = preset("deepsleepnet", "student", sfreq=SFREQ, lstm_units=8)
    path = tmp_path_factory.mktemp("teacher") / "teacher.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return to_onnx(module, path, n_chans=1, n_times=int(30 * SFREQ))


def test_night_round_trip_edf_and_hypnogram(cohort):
    folder, truth = cohort
    nights = find_nights(folder)
    assert [n.name for n in nights] == sorted(truth)
    assert [n.hypnogram is not None for n in nights] == [True] * 3 + [False] * 2
    X, y, sfreq = read_night(nights[0], "C4-M1")
    assert X.shape == (80, 1, 1500) and sfreq == SFREQ
    np.testing.assert_array_equal(y, truth[nights[0].name])
    _, y_unscored, _ = read_night(nights[4], "C4-M1")
    assert (y_unscored == -1).all()
    # EDF stores 16 bits: the written microvolts come back within one step
    x = np.full((2, 1500), 10.0)
    x[1] = np.linspace(-50, 50, 1500)
    path = write_night_edf(folder.parent / "one" / "n.edf", x, SFREQ, "Cz")
    got = read_night(find_nights(path.parent)[0], "Cz")[0]
    np.testing.assert_allclose(got[:, 0], x, atol=102 / 2**16 * 2)


def test_hypnogram_formats_and_errors(tmp_path):
    (tmp_path / "a.txt").write_text("W\nN1\nn2\nR\n?\n4\n\n")
    np.testing.assert_array_equal(
        read_hypnogram(tmp_path / "a.txt"), [0, 1, 2, 4, -1, 4]
    )
    (tmp_path / "b.csv").write_text("onset,stage,label\n0,N3,3\n30,REM,4\n")
    np.testing.assert_array_equal(read_hypnogram(tmp_path / "b.csv"), [3, 4])
    (tmp_path / "c.txt").write_text("W\nS5\nN2\nX\n")
    with pytest.raises(NightError, match=r"line 2: 'S5'; line 4: 'X'"):
        read_hypnogram(tmp_path / "c.txt")
    with pytest.raises(FileNotFoundError, match="No night matching"):
        find_nights(tmp_path)
    with pytest.raises(ValueError, match=r"\{stem\}"):
        (tmp_path / "x.edf").write_bytes(b"")
        find_nights(tmp_path, hypnogram="labels.txt")


def test_teacher_outputs_cached_and_not_recomputed(cohort, tmp_path):
    folder, truth = cohort
    nights = find_nights(folder)
    scorer = CountingScorer()
    first = score_cohort(
        scorer, nights, "C4-M1", cache_dir=tmp_path, n_jobs=1, progress=False
    )
    assert scorer.calls == [80] * 5 and first.n_cached == 0
    again = CountingScorer()
    second = score_cohort(
        again, nights, "C4-M1", cache_dir=tmp_path, n_jobs=1, progress=False
    )
    assert again.calls == [] and second.n_cached == 5
    for a, b in zip(first.nights, second.nights):
        np.testing.assert_array_equal(a["proba"], b["proba"])
    other = CountingScorer(tag="b")  # another configuration is scored anew
    score_cohort(other, nights, "C4-M1", cache_dir=tmp_path, n_jobs=1, progress=False)
    assert other.calls == [80] * 5


def test_parallel_scoring_matches_serial(cohort, onnx_teacher, tmp_path):
    nights = find_nights(cohort[0])
    scorer = OnnxNightScorer(onnx_teacher)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        serial = score_cohort(scorer, nights, "C4-M1", n_jobs=1, progress=False)
        parallel = score_cohort(scorer, nights, "C4-M1", n_jobs=2, progress=False)
    assert [r["name"] for r in parallel.nights] == [n.name for n in nights]
    for a, b in zip(serial.nights, parallel.nights):
        assert a["proba"].shape == (80, 5)
        np.testing.assert_allclose(a["proba"], b["proba"], atol=1e-6)


def test_bad_nights_skipped_with_reasons_or_refused(cohort, tmp_path):
    src = find_nights(cohort[0])[0].path
    good = tmp_path / "good.edf"
    good.write_bytes(src.read_bytes())
    (tmp_path / "cut.edf").write_bytes(src.read_bytes()[:-5000])
    write_night_edf(tmp_path / "other.edf", np.zeros((12, 1500)) + 1, SFREQ, "Fz")
    write_night_edf(tmp_path / "rate.edf", np.ones((12, 3000)), 2 * SFREQ, "C4-M1")
    out = score_cohort(CountingScorer(), find_nights(tmp_path), "C4-M1", progress=False)
    assert [r["name"] for r in out.nights] == ["good"]
    reasons = out.skipped.reasons
    assert set(reasons) == {"cut", "other", "rate"}
    assert "truncated" in reasons["cut"]
    assert "'C4-M1'" in reasons["other"] and "Fz" in reasons["other"]
    assert "100 Hz" in reasons["rate"] and "50 Hz" in reasons["rate"]
    assert out.skipped.summary().startswith("3 night(s) skipped")
    from braindecode_sleepkd.cohort import distill_cohort

    # distill resamples the 100-Hz night to the cohort's 50 Hz: 2 nights left
    with pytest.raises(NightError, match="--strict: 2 night"):
        distill_cohort(tmp_path, tmp_path / "o", CountingScorer(), "C4-M1", strict=True)
    scorer = CountingScorer()  # without resampling: refused before any scoring
    with pytest.raises(NightError, match=r"rate.*50 Hz: rate \(100 Hz\)"):
        distill_cohort(tmp_path, tmp_path / "o", scorer, "C4-M1", resample=False)
    assert scorer.calls == []


def test_night_at_another_rate_resampled_with_mne(tmp_path):
    t = np.arange(12 * 3000) / (2 * SFREQ)
    x = 40 * np.sin(2 * np.pi * 3.0 * t).reshape(12, 3000)  # 3 Hz, at 100 Hz
    write_night_edf(tmp_path / "fast.edf", x, 2 * SFREQ, "C4-M1")
    night = find_nights(tmp_path)[0]
    with pytest.raises(NightError, match="100 Hz, the cohort at 50 Hz"):
        read_night(night, "C4-M1", SFREQ)
    X, _, rate = read_night(night, "C4-M1", SFREQ, resample=True)
    assert rate == SFREQ and X.shape == (12, 1, 1500)
    expected = 40 * np.sin(2 * np.pi * 3.0 * np.arange(12 * 1500) / SFREQ)
    np.testing.assert_allclose(X.ravel()[100:-100], expected[100:-100], atol=1.0)


@pytest.mark.parametrize(
    "n_labels, outcome",
    [(80, None), (81, "last label unused"), (79, "last epoch unscored"),
     (78, "skipped"), (160, "skipped"), (50, "skipped")],
)  # fmt: skip
def test_hypnogram_length_checked_against_the_night(
    cohort, tmp_path, n_labels, outcome
):
    src = find_nights(cohort[0])[0].path
    (tmp_path / "n.edf").write_bytes(src.read_bytes())
    (tmp_path / "n.hypnogram.txt").write_text("N2\n" * n_labels)
    out = score_cohort(CountingScorer(), find_nights(tmp_path), "C4-M1", progress=False)
    if outcome == "skipped":
        assert out.nights == []
        reason = out.skipped.reasons["n"]
        assert f"has {n_labels} epochs, the night 80" in reason
        assert "at most one epoch" in reason
        return
    (rec,) = out.nights
    assert (rec["y"][: min(80, n_labels)] == 2).all()
    assert (rec["y"][n_labels:] == -1).all()
    if outcome is None:
        assert out.notes == {}
    else:
        assert outcome in out.notes["n"]


def test_sequences_on_disk_match_the_nights(cohort, tmp_path):
    folder, truth = cohort
    nights = find_nights(folder)
    scores = score_cohort(CountingScorer(), nights, "C4-M1", progress=False)
    store = write_sequences(
        tmp_path / "x.npy", scores.nights, {n.name: n for n in nights}, "C4-M1", 15
    )
    assert isinstance(store.X, np.memmap) and store.X.shape == (25, 15, 1, 1500)
    assert store.n_dropped == 5 * 5  # 80 epochs = 5 sequences of 15, 5 left
    X0 = read_night(nights[0], "C4-M1")[0][:15]
    med = np.median(X0, axis=-1, keepdims=True)
    np.testing.assert_allclose(np.median(store.X[0], axis=-1), 0, atol=1e-5)
    assert np.corrcoef(store.X[0].ravel(), (X0 - med).ravel())[0, 1] > 0.9
    np.testing.assert_array_equal(store.y[:5].ravel(), truth[nights[0].name][:75])
    assert (store.y[15:] == -1).all()  # nights 3 and 4 are unscored
    np.testing.assert_array_equal(store.night, np.repeat(np.arange(5), 5))


def test_ensemble_teacher_is_the_weighted_mean():
    a, b = CountingScorer("a"), CountingScorer("b")
    ens = EnsembleTeacher([a, b], weights=[3, 1])
    np.testing.assert_allclose(ens.weights_, [0.75, 0.25])
    pa, pb = np.eye(5)[[0, 1]], np.eye(5)[[2, 1]]
    np.testing.assert_allclose(
        ens.combine([pa, pb]), [[0.75, 0, 0.25, 0, 0], [0, 1, 0, 0, 0]]
    )
    assert ens.config()["members"] == [a.config(), b.config()]
    with pytest.raises(ValueError, match="at least 2 members"):
        EnsembleTeacher([a])
    with pytest.raises(ValueError, match="non-negative"):
        EnsembleTeacher([a, b], weights=[1, -1])

    class Fixed:
        def __init__(self, p):
            self.p = p

        def predict_proba(self, X, seq_len, seq_stride=None):
            return self.p

    p1, p2 = np.full((2, 3, 5), 0.2), np.eye(5)[[0, 0, 0]][None].repeat(2, 0)
    out = EnsembleTeacher([Fixed(p1), Fixed(p2)]).predict_proba(None, 3)
    np.testing.assert_allclose(out[0, 0], [0.6, 0.1, 0.1, 0.1, 0.1], atol=1e-6)


def test_sleepkd_distill_cli_writes_student_and_card(cohort, onnx_teacher, tmp_path):
    from braindecode_sleepkd.cli import main

    folder, truth = cohort
    out = tmp_path / "out"
    argv = [
        "distill", str(folder), "--teacher", str(onnx_teacher), "--channel", "C4-M1",
        "--out", str(out), "--max-epochs", "1", "--lstm-units", "8", "--quiet",
        "--n-jobs", "1", "--min-steps", "0",
    ]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(argv) == 0
    card = json.loads((out / "model_card.json").read_text())
    assert card["data"]["n_used"] == 5 and card["data"]["n_scored"] == 3
    assert card["data"]["n_validation"] == 1 and card["data"]["skipped"] == {}
    onnx = out / "student.onnx"
    assert card["student"]["size_mb"] == pytest.approx(onnx.stat().st_size / 1e6)
    scores = card["validation"]["scores"]
    assert set(scores) == {"teacher", "student", "student_alone"}
    assert all(0 <= s["accuracy"] <= 1 for s in scores.values())
    assert 0 <= card["validation"]["agreement"] <= 1
    k = {n: s["kappa"] for n, s in scores.items()}
    if k["teacher"] == k["student_alone"]:  # no gap to close
        assert card["validation"]["gap_closed"] is None
    else:
        gap = (k["student"] - k["student_alone"]) / (k["teacher"] - k["student_alone"])
        assert card["validation"]["gap_closed"] == pytest.approx(gap)
    valid = [
        n for n in find_nights(folder) if n.name in card["data"]["validation_nights"]
    ]
    X, y, sfreq = read_night(valid[0], "C4-M1")
    teacher = OnnxNightScorer(onnx_teacher).score_night(X, sfreq).argmax(1)
    assert scores["teacher"]["accuracy"] == pytest.approx((teacher == y).mean())
    assert "Model card" in (out / "model_card.md").read_text()
    assert card["command"].startswith("sleepkd distill")
    # the ONNX student carries its contract: robust scaling at 50 Hz, staged
    # by the torch-free runtime on a night of the folder
    from sleepkd_runtime.stage import stage_edf

    hyp = stage_edf(onnx, find_nights(folder)[0].path)
    assert len(hyp) == 80
    # the card scores the validation night as staging it does
    staged = stage_edf(onnx, valid[0].path).stages
    assert scores["student"]["accuracy"] == pytest.approx((staged == y).mean())
    (stage,) = card["student"]["stages"]  # validated on the held-out night
    assert stage.startswith("student: trained for 1 epochs, restored epoch 1")
    # 32 training sequences in one batch; the alone baseline: as many steps
    assert card["student"]["optimiser_steps"] == 1
    assert card["student"]["baseline_max_epochs"] == 1
    assert card["student"]["hard_weight"] == 1.0
    # a rerun reuses every cached teacher output and the finished training
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(argv) == 0
    again = json.loads((out / "model_card.json").read_text())
    assert again["teacher"]["n_cached"] == 5
    assert again["student"]["stages"][0].startswith("student: loaded from")
    assert again["validation"] == card["validation"]  # the same student
    assert "- student: loaded from" in (out / "model_card.md").read_text()
    # --no-resume trains afresh
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(argv + ["--no-resume"]) == 0
    fresh = json.loads((out / "model_card.json").read_text())
    assert fresh["student"]["stages"][0].startswith("student: trained for 1 epochs")


def test_yasa_scores_a_simulated_night(tmp_path):
    pytest.importorskip("yasa")
    from braindecode_sleepkd.cohort import YASANightScorer
    from braindecode_sleepkd.metrics import kappa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        truth = write_simulated_cohort(tmp_path, 1, 1, max_epochs=240, sfreq=100)
        X, y, sfreq = read_night(find_nights(tmp_path)[0], "EEG")
        proba = YASANightScorer().score_night(X, sfreq)
    assert proba.shape == (240, 5)
    np.testing.assert_allclose(proba.sum(1), 1, atol=1e-6)
    assert kappa(truth["night000"], proba.argmax(1)) > 0.3
    with pytest.raises(NightError, match="more than 80 Hz"):
        YASANightScorer().score_night(X[:, :, ::2], 50.0)


def test_training_passes_reach_the_steps_and_fair_baseline():
    from braindecode_sleepkd.cohort.distill import training_passes

    assert training_passes(24, 32, 20, 300) == 300  # 1 step a pass
    assert training_passes(640, 32, 20, 300) == 20  # 20 steps a pass: 400
    assert training_passes(100, 8, 1, 0) == 1
    # the student alone on 10 of the 100 sequences: 2 steps a pass, so that
    # its 13 * 20 = 260 steps equal the distilled student's
    steps = training_passes(100, 8, 20, 0) * 13
    assert training_passes(10, 8, 1, steps) * 2 == steps


def test_card_alarms_and_gap_only_over_the_majority_stage():
    from braindecode_sleepkd.cohort import ModelCard
    from braindecode_sleepkd.cohort.distill import (
        _evaluate,
        card_warnings,
        majority_accuracy,
    )
    from braindecode_sleepkd.cohort.store import SequenceStore

    y = np.array([[2, 2, 2, 2, 0, 4, 2, 2, 3, 1]])
    teacher = np.eye(5)[y].astype(np.float32)
    store = SequenceStore(np.zeros((1, 10, 1, 3)), y, teacher, np.zeros(1), 0)
    majority = majority_accuracy(np.array([[2, 2, 1]]), y)
    assert majority == pytest.approx(0.6)
    preds = {"student": y.copy(), "student_alone": np.full_like(y, 0)}
    v = _evaluate(store, preds, {}, majority)
    assert v["gap_closed"] is None and "does not beat" in v["gap_note"]
    assert v["top_stage"] == "N2" and v["top_stage_share"] == pytest.approx(0.6)
    warned = card_warnings(v)
    assert len(warned) == 1 and "gives stage N2 to 60%" in warned[0]
    preds["student_alone"] = y.copy()
    preds["student_alone"][0, :3] = 0  # accuracy 0.7 > 0.6: the gap is given
    v = _evaluate(store, preds, {}, majority)
    assert v["gap_closed"] is not None and "gap_note" not in v
    v["warnings"] = card_warnings({"agreement": 0.3})
    assert "on 30% of the validation epochs (less than half)" in v["warnings"][0]
    md = ModelCard(validation=v).to_markdown()
    assert "WARNING: the student agrees with its teacher on 30%" in md


def test_early_stopping_on_the_validation_night_restores_the_best(cohort, tmp_path):
    import pickle

    from braindecode_sleepkd.cohort import distill_cohort

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        card = distill_cohort(
            cohort[0], tmp_path, CountingScorer(), "C4-M1", max_epochs=25,
            min_steps=0, patience=2, student_kwargs=dict(lstm_units=8),
            baseline=False, progress=False, resume=False,
        )  # fmt: skip
    with open(tmp_path / "estimator.pkl", "rb") as f:
        clf = pickle.load(f)
    kappa = np.array(clf.history_[:, "valid_kappa"], dtype=float)
    best = int(np.nanargmax(kappa))
    assert len(kappa) == 25 or len(kappa) - 1 - best == 2  # stopped: 2 misses
    (stage,) = card.student["stages"]
    assert f"restored epoch {best + 1} (valid_kappa {kappa[best]:.3f})" in stage


def test_distill_on_a_dask_scheduler_gives_the_local_card(
    cohort, onnx_teacher, tmp_path
):
    distributed = pytest.importorskip("dask.distributed")
    from braindecode_sleepkd.cli import main

    argv = [
        "distill", str(cohort[0]), "--teacher", str(onnx_teacher), "--channel",
        "C4-M1", "--max-epochs", "1", "--min-steps", "0", "--lstm-units", "8",
        "--quiet", "--no-baseline",
    ]  # fmt: skip
    cards = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(argv + ["--out", str(tmp_path / "local")]) == 0
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster:
            remote = [
                "--out",
                str(tmp_path / "dask"),
                "--scheduler",
                cluster.scheduler_address,
            ]
            assert main(argv + remote) == 0
    for name in ("local", "dask"):
        cards[name] = json.loads((tmp_path / name / "model_card.json").read_text())
    assert cards["dask"]["teacher"]["n_cached"] == 0  # scored on the cluster
    for part in ("data", "validation"):
        assert cards["dask"][part] == cards["local"][part]
    assert (
        cards["dask"]["student"]["n_parameters"]
        == cards["local"]["student"]["n_parameters"]
    )
