"""The cohort benchmarks' library: training budget, cohort folders, DREAMS summary."""

import numpy as np
import pytest
from lib import cohort, cohort_dreams


def test_passes_give_every_cohort_enough_steps():
    # 200 unscored nights of 300 epochs: 187.5 steps per pass, so 5 passes
    assert cohort.passes(0, 200, 300, 5, 400) == 5
    # 10 unscored nights (a quarter validates): 7.5 nights -> 7.03 steps a pass
    assert cohort.passes(0, 10, 300, 5, 400) == 57
    # 4 scored (one validates) + 10 unscored: 13 nights -> 12.2 steps a pass
    assert cohort.passes(4, 10, 300, 5, 400) == 33


def test_cohort_folder_links_the_first_scored_and_unscored_nights(tmp_path):
    (tmp_path / "all").mkdir()
    for i in range(8):
        (tmp_path / "all" / f"night{i:03d}.edf").write_text("x")
    for i in range(3):
        (tmp_path / "all" / f"night{i:03d}.hypnogram.txt").write_text("0\n")
    folder = cohort.cohort_folder(tmp_path, 2, 3, pool_scored=3)
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "night000.edf", "night000.hypnogram.txt", "night001.edf",
        "night001.hypnogram.txt", "night003.edf", "night004.edf", "night005.edf",
    ]  # fmt: skip
    assert all(p.is_symlink() for p in folder.iterdir())


def test_dreams_summary_pools_per_seed_and_pairs_per_night():
    labels = {1: np.array([0, 1, 2, 2]), 2: np.array([2, 3, 3, 4])}
    good, bad = {1: [0, 1, 2, 2], 2: [2, 3, 3, 4]}, {1: [2, 2, 2, 2], 2: [2, 2, 2, 2]}
    runs = {
        f"yasa/{seed}/{s}": {"teacher": good[s], "student": good[s],
                             "student_alone": bad[s]}
        for seed in (0, 1) for s in (1, 2)
    }  # fmt: skip
    t = cohort_dreams.summarize(runs, labels)["yasa"]
    assert t["pooled"]["teacher"] == [1.0, 1.0]
    assert t["ratio"] == 1.0 and t["gap_closed"] == pytest.approx(1.0)
    assert t["student - alone"]["n"] == 4 and t["student - alone"]["mean_diff"] > 0
    assert t["student - teacher"]["mean_diff"] == 0


def test_memory_sampler_sees_an_allocation_and_not_a_mapped_read(tmp_path):
    np.save(tmp_path / "big.npy", np.ones((64, 1024, 1024), dtype=np.uint8))
    with cohort.MemorySampler(interval=0.01) as before:
        pass
    with cohort.MemorySampler(interval=0.01) as held:
        a = np.ones((256, 1024, 1024), dtype=np.uint8)  # 256 MB in memory
        a[::4096] = 2
        del a
    with cohort.MemorySampler(interval=0.01) as mapped:
        m = np.load(tmp_path / "big.npy", mmap_mode="c")
        assert int(m.sum(dtype=np.int64)) == 64 * 1024 * 1024  # every page read
        del m
    assert held.peak["RssAnon"] - before.peak["RssAnon"] > 200
    assert mapped.peak["RssAnon"] - before.peak["RssAnon"] < 32
