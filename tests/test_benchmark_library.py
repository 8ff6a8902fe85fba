"""The evaluation family (splits, stats, writer), the experiments' rows and tables."""

import json

import numpy as np
import pytest
import torch
from lib import tables
from lib.rows import fit_rows

from braindecode_sleepkd.datasets import simulate_sleep_eeg
from braindecode_sleepkd.distill import ConsistentViews
from braindecode_sleepkd.evaluation.runner import augmentation
from braindecode_sleepkd.evaluation.splits import held_out_split, leave_one_subject_out
from braindecode_sleepkd.evaluation.stats import (
    compare_pairs,
    gap_closed,
    paired_by_key,
    pooled_scores,
)
from braindecode_sleepkd.evaluation.writer import read_results, write_results


@pytest.fixture(scope="module")
def windows():
    sim = simulate_sleep_eeg(n_recordings=3, max_epochs_per_recording=80, sfreq=50)
    sim.set_description({"subject": [1, 2, 3]}, overwrite=True)
    return sim


def test_leave_one_subject_out_holds_each_subject_out_once_per_seed(windows):
    units = list(leave_one_subject_out(windows, seeds=[0, 1]))
    assert [(u.seed, u.subject) for u in units] == [
        (s, k) for s in (0, 1) for k in (1, 2, 3)
    ]
    for u in units:
        assert list(u.test.description["subject"]) == [u.subject]
        assert sorted(u.train.description["subject"]) == sorted({1, 2, 3} - {u.subject})
        assert len(u.train) + len(u.test) == len(windows)


def test_leave_one_subject_out_refuses_two_recordings_of_a_subject(windows):
    windows.set_description({"subject": [1, 1, 3]}, overwrite=True)
    try:
        with pytest.raises(ValueError, match="one recording per subject"):
            next(leave_one_subject_out(windows, [0]))
    finally:
        windows.set_description({"subject": [1, 2, 3]}, overwrite=True)


def test_held_out_split_is_disjoint_seeded_and_checked():
    subjects = np.repeat(np.arange(10), 3)
    test, lab, rest = held_out_split(subjects, seed=4, n_test=2, n_labelled=4)
    assert (len(test), len(lab), len(rest)) == (2, 4, 4)
    assert sorted(np.concatenate([test, lab, rest])) == list(range(10))
    again = held_out_split(subjects, seed=4, n_test=2, n_labelled=4)
    assert all((a == b).all() for a, b in zip((test, lab, rest), again))
    with pytest.raises(ValueError, match="do not fit in the 10 subjects"):
        held_out_split(subjects, seed=0, n_test=7, n_labelled=4)


def test_paired_stats_known_answer():
    a = {"s1": 0.5, "s2": 0.7, "s3": 0.9, "s4": 0.6}
    b = {"s1": 0.4, "s2": 0.5, "s3": 0.6, "s4": 0.6, "s5": 0.1}  # s5 unpaired
    out = paired_by_key(a, b, diffs=True)
    d = np.array([0.1, 0.2, 0.3, 0.0])
    assert out["n"] == 4 and out["n_positive"] == 3
    assert out["mean_diff"] == pytest.approx(0.15)
    half = 3.182446305284263 * d.std(ddof=1) / 2  # t(0.975, 3) * sd / sqrt(4)
    assert out["ci_low"] == pytest.approx(0.15 - half)
    assert out["ci_high"] == pytest.approx(0.15 + half)
    assert out["diffs"] == pytest.approx(d.tolist())
    pairs = compare_pairs({"x": a, "ref": b}, [("x", "ref"), ("missing", "ref")])
    assert list(pairs) == ["x - ref"]
    assert pairs["x - ref"]["mean_diff"] == pytest.approx(0.15)


def test_gap_closed_share():
    assert gap_closed(0.7, 0.5, 0.9) == pytest.approx(0.5)
    assert gap_closed(0.4, 0.5, 0.9) == pytest.approx(-0.25)
    # over units: mean(distilled - alone) / mean(teacher - alone), NaN-aware
    share = gap_closed([0.6, 0.8, np.nan], [0.5, 0.5, 0.5], [0.7, 0.9, 0.8])
    assert share == pytest.approx(((0.1 + 0.3) / 2) / ((0.2 + 0.4 + 0.3) / 3))
    assert np.isnan(gap_closed(0.7, 0.5, 0.5))  # no gap to close
    with pytest.raises(ValueError, match="same units"):
        gap_closed([0.1, 0.2], [0.1], [0.3, 0.4])


def test_pooled_scores_concatenate_subjects_per_seed():
    labels = {1: np.array([0, 1, 2]), 2: np.array([2, 2])}
    preds = {0: {1: [0, 1, 2], 2: [2, 2]}, 1: {1: [0, 0, 0], 2: [2, 2]}}
    out = pooled_scores(labels, preds, [1, 2])
    assert out[0]["accuracy"] == 1.0 and out[0]["n_epochs"] == 5
    assert out[1]["accuracy"] == pytest.approx(3 / 5)


def test_fit_rows_resumes_and_saves_every_record(tmp_path):
    calls, saved = [], []

    def fit(unit, row):
        calls.append((unit, row))
        return {"score": unit * 10 + len(row)}

    def key(unit, row):
        return f"{unit}|{row}"

    runs = fit_rows([1, 2], ["a", "bb"], fit, key=key, save=saved.append, log=None)
    assert list(runs) == ["1|a", "1|bb", "2|a", "2|bb"]
    assert runs["2|bb"]["score"] == 22 and runs["2|bb"]["seconds"] >= 0
    assert len(saved) == 4
    calls.clear()
    done = {"1|a": runs["1|a"], "2|a": runs["2|a"]}
    fit_rows([1, 2], lambda u: ["a", "bb"], fit, key=key, runs=done, log=None)
    assert calls == [(1, "bb"), (2, "bb")]  # only the missing rows are fitted


def test_writer_round_trip_json_and_markdown(tmp_path):
    res = {"runs": {"a": {"kappa": np.float64(0.25), "n": np.int64(3)}}, "x": [1]}
    md = tables.header("Title", "python x.py --y 1")
    md += tables.table(["row", "kappa"], [["a", "0.250"]], align=["---", "---:"])
    path = write_results(tmp_path, "bench", res, md, indent=2)
    assert path == tmp_path / "bench.json"
    expected = {"runs": {"a": {"kappa": 0.25, "n": 3}}, "x": [1]}
    assert read_results(tmp_path, "bench") == expected
    assert json.loads(path.read_text())["runs"]["a"]["n"] == 3
    text = (tmp_path / "bench.md").read_text()
    assert text.splitlines()[0] == "# Title"
    assert "| row | kappa |\n|---|---:|\n| a | 0.250 |" in text
    write_results(tmp_path, "bench", {"s": 1}, "# other", json_name="bench_summary")
    assert read_results(tmp_path, "bench_summary") == {"s": 1}
    assert read_results(tmp_path, "none") == {}
    with pytest.raises(ValueError, match="a row of 1 cells under 2 columns"):
        tables.table(["a", "b"], [["only"]])


def test_pair_line_and_paired_table_format():
    cmp = dict(mean_diff=0.012, ci_low=-0.02, ci_high=0.044, boot_low=-0.01)
    cmp.update(boot_high=0.03, p_wilcoxon=0.5, n=4, n_positive=3)
    line = tables.pair_line("a - b", cmp, "units positive", 100, 1, " points")
    assert line == "- a - b: +1.2 [-2.0, +4.4] points (3 of 4 units positive)"
    rows = tables.paired_table({"a - b": cmp})
    cells = ["a - b", "4", "+0.012", "[-0.020, +0.044]", "[-0.010, +0.030]", "0.500"]
    assert rows[2] == "| " + " | ".join([*cells, "3/4"]) + " |"


def test_benchmark_augmentation_is_consistent_views_shift_and_scale():
    assert augmentation(False, 0) is None
    views = augmentation(True, seed=3)
    assert isinstance(views, ConsistentViews)
    assert (views.max_shift, views.scale, views.mixup_alpha) == (1 / 30, (0.8, 1.2), 0)
    x = torch.randn(4, 2, 1, 300)  # 2 epochs of 300 samples: <= 10 samples shift
    y = torch.zeros(4, 2, dtype=torch.long)
    xv, yv = views(x, y)
    assert torch.equal(yv, y)  # no mixup: labels unchanged
    for i in range(4):
        flat, view = x[i, :, 0].reshape(-1), xv[i, :, 0].reshape(-1)
        fits = []
        for k in range(-10, 11):
            rolled = torch.roll(flat, k)
            factor = (view @ rolled) / (rolled @ rolled)
            if torch.allclose(view, factor * rolled, atol=1e-5):
                fits.append(float(factor))
        assert len(fits) == 1 and 0.8 <= fits[0] <= 1.2


def test_window_proba_averages_overlapping_sequences(windows):
    from braindecode.datasets import BaseConcatDataset

    from braindecode_sleepkd.datasets import sequence_starts
    from braindecode_sleepkd.evaluation.windows import window_proba

    one = BaseConcatDataset([windows.datasets[0]])
    starts, _ = sequence_starts(one, 10, 5)
    proba = np.zeros((len(starts), 10, 5))
    for i in range(len(starts)):  # sequence i votes for stage i % 5
        proba[i, :, i % 5] = 1.0
    out = window_proba(proba, one, 10, 5)
    assert out.shape == (len(one), 5)
    assert np.allclose(out.sum(1), 1.0)
    covering = [i for i, s in enumerate(starts) if s <= 7 < s + 10]
    expected = np.bincount([i % 5 for i in covering], minlength=5) / len(covering)
    assert np.allclose(out[7], expected)
    with pytest.raises(ValueError, match="sequence outputs for the"):
        window_proba(proba[:-1], one, 10, 5)


def test_records_table_formats_columns():
    rows = [{"m": "a", "x": 1234.5, "n": 3}, {"m": "b", "x": 0.25, "n": 10}]
    lines = tables.records_table(rows, ["m", ("value", "x", ",.1f"), "n"])
    assert lines[0] == "| m | value | n |" and lines[1] == "|---|---|---|"
    assert lines[2:] == ["| a | 1,234.5 | 3 |", "| b | 0.2 | 10 |"]


def test_child_result_reads_the_last_result_line():
    from lib.cost import child_result

    code = "import sys; print('RESULT 1'); print('noise'); print('RESULT', sys.argv[1])"
    assert child_result(code, 7) == ["7"]
    with pytest.raises(RuntimeError, match="no RESULT line"):
        child_result("print('nothing')")
