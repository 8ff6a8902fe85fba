"""Fixtures that vary: nights whose lengths do not divide into sequences, and
hypnograms with every stage, so that a shifted or dropped epoch changes an
asserted value rather than a shape.

Every epoch of these nights differs from its neighbours (its own noise and an
amplitude that drifts through the night), and :class:`EpochScorer` gives each
epoch its own probabilities, so an output moved by one epoch no longer equals
the expected one.
"""

import numpy as np

from braindecode_sleepkd.cohort import write_night_edf

#: Epochs per night: none a multiple of 10 (the sequence length used), nor of 7.
LENGTHS = (23, 37, 41, 26)


def every_stage_hypnogram(n_epochs, seed=0):
    """Labels 0..4 in runs of 1 to 4 epochs, every stage present, stage changing.

    Parameters
    ----------
    n_epochs : int
        At least 10 (two runs of each stage).
    seed : int

    Returns
    -------
    np.ndarray of int64, shape (n_epochs,)
    """
    if n_epochs < 10:
        raise ValueError(f"n_epochs must be at least 10, got {n_epochs}.")
    rng = np.random.default_rng(seed)
    labels, stage = [], int(rng.integers(5))
    while len(labels) < n_epochs:
        labels += [stage] * int(rng.integers(1, 5))
        stage = (stage + int(rng.integers(1, 5))) % 5  # always another stage
    labels = np.asarray(labels[:n_epochs], dtype=np.int64)
    labels[:5] = rng.permutation(5)  # every stage, whatever the draws
    return labels


def night_signal(labels, sfreq, seed=0):
    """Microvolts ``(n_epochs, 1, n_times)``: a stage-dependent rhythm, noise and
    an amplitude that drifts from epoch to epoch (no two epochs alike)."""
    rng = np.random.default_rng(seed)
    n_times = int(round(30 * sfreq))
    t = np.arange(n_times) / sfreq
    freq = 1.0 + 2.0 * np.asarray(labels)[:, None]
    gain = 20.0 + 5.0 * np.sin(np.arange(len(labels)) / 3.0)[:, None]
    X = gain * np.sin(2 * np.pi * freq * t) + 10 * rng.standard_normal(freq.shape)
    X = X + 8 * rng.standard_normal((len(labels), n_times))
    return X[:, None, :].astype(np.float64)


def write_varied_nights(
    folder, lengths=LENGTHS, *, sfreq=50.0, channel="EEG", n_scored=None, seed=0
):
    """Write nights of the given lengths (every stage in each) as EDF files.

    Parameters
    ----------
    folder : str | Path
    lengths : sequence of int
        Epochs of each night, ``night0.edf``, ``night1.edf``, ...
    sfreq : float
    channel : str
    n_scored : int | None
        The first nights written with their hypnograms (None: all).
    seed : int

    Returns
    -------
    truth : dict
        Night name -> its labels.
    """
    n_scored = len(lengths) if n_scored is None else n_scored
    truth = {}
    for i, n in enumerate(lengths):
        y = every_stage_hypnogram(n, seed=seed + i)
        X = night_signal(y, sfreq, seed=seed + 100 + i)
        write_night_edf(
            f"{folder}/night{i}.edf", X, sfreq, channel, y=y if i < n_scored else None
        )
        truth[f"night{i}"] = y
    return truth


class EpochScorer:
    """A night scorer whose probabilities differ from epoch to epoch.

    Each epoch's logits come from its own samples (spread, first samples), so
    the output of epoch ``k`` tells ``k`` from its neighbours.
    """

    name = "epochwise"

    def __init__(self):
        self.rates = []

    def config(self):
        return dict(scorer=self.name)

    def score_night(self, X, sfreq):
        self.rates.append(sfreq)
        X = np.asarray(X, dtype=np.float64)
        feats = np.stack(
            [np.log(X.std(axis=(1, 2)) + 1.0)] + [X[:, 0, k] / 30.0 for k in range(4)],
            axis=1,
        )
        z = feats - feats.max(1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(1, keepdims=True)


def mean_over_sequences(predict_proba, X, seq_len, stride):
    """The expected staging of prepared epochs ``X``, computed epoch by epoch.

    Sequences start every ``stride`` epochs plus one ending on the last epoch;
    each epoch's probabilities are the mean over the sequences that hold it.
    ``predict_proba`` gets all the sequences at once (int8 models quantise
    their activations per batch). Written independently of the runtime's
    sliding code, as the oracle.
    """
    n = len(X)
    starts = list(range(0, n - seq_len + 1, stride))
    if starts[-1] != n - seq_len:
        starts.append(n - seq_len)
    seqs = np.stack([X[s : s + seq_len] for s in starts])  # one batch, as staged
    probas = np.asarray(predict_proba(seqs)).reshape(len(starts), seq_len, -1)
    out = np.zeros((n, probas.shape[-1]))
    for s, p in zip(starts, probas):
        for j in range(seq_len):
            out[s + j] += p[j] / sum(t <= s + j < t + seq_len for t in starts)
    return out


def strip_contract(path, out):
    """A copy of the ONNX file ``path`` without its preprocessing contract (an
    older export), written to ``out``."""
    import onnx
    from sleepkd_runtime.contract import CONTRACT_KEY

    proto = onnx.load(str(path))
    keep = [p for p in proto.metadata_props if p.key != CONTRACT_KEY]
    del proto.metadata_props[:]
    proto.metadata_props.extend(keep)
    onnx.save(proto, str(out))
    return out
