"""data_fingerprint: a content hash of X that reads a memory-mapped X in place."""

import hashlib

import numpy as np
from lib.cohort import MemorySampler

from braindecode_sleepkd.checkpoint import data_fingerprint


def test_fingerprint_is_the_sha256_of_the_bytes():
    X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    y = np.array([[0, 1, 2], [3, 4, 0]])
    h = hashlib.sha256()
    for arr in (X, y):
        h.update(b"|")
        h.update(f"{arr.dtype}{arr.shape}".encode())
        h.update(arr.tobytes())
    h.update(b"|")
    assert data_fingerprint(X, y)["sha256"] == h.hexdigest()
    assert data_fingerprint(X[:, ::-1], y)["sha256"] != h.hexdigest()  # strided


def test_fingerprint_of_a_memory_mapped_X_holds_no_copy(tmp_path):
    np.save(tmp_path / "X.npy", np.ones((256, 1024, 1024), dtype=np.uint8))
    X = np.load(tmp_path / "X.npy", mmap_mode="c")
    y = np.zeros(256)
    with MemorySampler(interval=0.01) as before:
        pass
    with MemorySampler(interval=0.01) as hashing:
        data_fingerprint(X, y)
    assert hashing.peak["RssAnon"] - before.peak["RssAnon"] < 64  # MB; X is 256
