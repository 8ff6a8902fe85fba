"""Peak memory of loading sleep data as 30-s windows, each case a fresh process.

A case reports its epochs, seconds and peak resident set size (``ru_maxrss``,
imports included): the DREAMS sample; Sleep-EDF-20 scale (39 nights, ~41 k
epochs at 100 Hz) simulated from the real hypnograms as windows, sequences and
arrays; ``SleepEDF`` on two real hypnograms with PSG files written at 100 Hz
(the real PSG files are not available offline). Used by
``benchmarks/data_memory.py``.
"""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

from .cost import child_result
from .tables import records_table

COLUMNS = ["case", ("epochs", "n_epochs", ""), "seconds"]
COLUMNS += [("peak RSS (MB)", "peak_rss_mb", "")]
#: Case -> code that loads the data and sets ``n_epochs``.
CASES = {
    "baseline_imports": """
import braindecode_sleepkd.datasets
n_epochs = 0
""",
    "dreams_sample": """
from braindecode_sleepkd.datasets import load_sample
ds = load_sample()
n_epochs = len(ds)
""",
    "simulated_sedf20_windows": """
from braindecode_sleepkd.datasets import simulate_sleep_eeg
ds = simulate_sleep_eeg(n_recordings=39, sfreq=100.0, seed=0)
n_epochs = len(ds)
""",
    "simulated_sedf20_sequences": """
from braindecode_sleepkd.datasets import make_sequences, simulate_sleep_eeg
ds = simulate_sleep_eeg(n_recordings=39, sfreq=100.0, seed=0)
X, y, groups = make_sequences(ds, 20)
del ds
n_epochs = X.shape[0] * X.shape[1]
""",
    "simulated_sedf20_arrays": """
from braindecode_sleepkd.datasets import simulate_sleep_eeg
X, y, groups = simulate_sleep_eeg(n_recordings=39, seed=0, return_arrays=True)
n_epochs = len(X)
""",
    "sleep_edf_2_nights": """
import shutil, tempfile
from pathlib import Path
import mne, numpy as np
from edfio import Edf, EdfSignal
from braindecode_sleepkd.datasets import SleepEDF, data_path
from braindecode_sleepkd.datasets.hypnograms import sleep_period
hyp_dir = data_path("sleep-edf-hypnograms")
tmp = Path(tempfile.mkdtemp())
rng = np.random.default_rng(0)
for name in ("SC4001EC", "SC4002EC"):
    ann = mne.read_annotations(hyp_dir / f"{name}-Hypnogram.edf")
    n = int(np.ceil(sleep_period(ann, 30)[1] + 600)) * 100
    sig = [EdfSignal(rng.normal(0, 20, n), sampling_frequency=100, label=lab,
                     physical_dimension="uV", physical_range=(-500, 500))
           for lab in ("EEG Fpz-Cz", "EEG Pz-Oz")]
    Edf(sig).write(tmp / f"{name[:7]}0-PSG.edf")
    del sig
    shutil.copy(hyp_dir / f"{name}-Hypnogram.edf", tmp)
import resource, gc; gc.collect()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
ds = SleepEDF(0, [1, 2], path=tmp)
n_epochs = len(ds)
shutil.rmtree(tmp)
print("WRITE_PEAK_MB", before / 1024)
""",
}
#: The child around a case: its seconds and ``ru_maxrss`` on a ``RESULT`` line.
RUNNER = """
import resource, time, warnings
warnings.simplefilter("ignore")
t0 = time.time()
{code}
print("RESULT", n_epochs, time.time() - t0,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def run_case(name, code=None):
    """Run case ``name`` (code: ``CASES[name]``) in a child; its row.

    Returns
    -------
    dict
        ``case``, ``n_epochs``, ``seconds`` (0.1 s) and ``peak_rss_mb`` (MB).
    """
    code = CASES[name] if code is None else code
    n_epochs, seconds, peak = child_result(RUNNER.format(code=code))
    res = dict(case=name, n_epochs=int(n_epochs), seconds=round(float(seconds), 1))
    res["peak_rss_mb"] = round(float(peak))
    return res


def report(results):
    """The Markdown lines of ``{"meta": ..., "results": rows}``."""
    meta = results["meta"]
    return [
        "# Peak memory of data loading",
        "",
        f"`{meta['command']}` on {meta['date']} (Python {meta['python']}, "
        f"{meta['machine']}, CPU). Peak RSS of a fresh process, imports included.",
        "",
        *records_table(results["results"], COLUMNS, ["---", "---:", "---:", "---:"]),
        "",
    ]
