"""The staged night: stages, probabilities and ways to take them elsewhere."""

# Authors: braindecode-sleepkd developers
# License: BSD-3-Clause

import datetime

import numpy as np

from .constants import AASM_EVENT_NAMES, EPOCH_S, SLEEP_STAGES


class Hypnogram:
    """One stage and one probability vector per scored 30-s epoch.

    Parameters
    ----------
    proba : np.ndarray, shape (n_epochs, n_classes)
        Combined probabilities (mean over the sequences covering each epoch).
    onsets : np.ndarray, shape (n_epochs,)
        Epoch onsets in seconds from the start of the recording.
    n_covering : np.ndarray of int, shape (n_epochs,)
        Sequences that covered each epoch.
    start : datetime.datetime | None
        Clock time of the recording's start (its EDF header), which the CSV's
        ``clock`` column and the EDF+ header keep; None when unknown.

    Attributes
    ----------
    stages : np.ndarray of int
        ``proba.argmax(1)``: 0=W, 1=N1, 2=N2, 3=N3, 4=REM.
    """

    def __init__(self, proba, onsets, n_covering=None, start=None):
        self.proba = np.asarray(proba, dtype=np.float64)
        self.onsets = np.asarray(onsets, dtype=np.float64)
        self.stages = self.proba.argmax(axis=1)
        self.n_covering = n_covering
        self.start = start

    @property
    def clock(self):
        """ISO 8601 clock time of every epoch's onset ("" when ``start`` is None)."""
        if self.start is None:
            return [""] * len(self)
        return [
            (self.start + datetime.timedelta(seconds=float(o))).isoformat()
            for o in self.onsets
        ]

    def __len__(self):
        return len(self.stages)

    @property
    def stage_names(self):
        """Stage name of every epoch (``"W"``, ``"N1"``, ...)."""
        names = np.asarray(SLEEP_STAGES[: self.proba.shape[1]])
        return names[self.stages]

    def to_dataframe(self):
        """Table with ``onset`` (s), ``clock`` (ISO 8601), ``stage`` (name),
        ``label`` and ``p_<stage>``."""
        import pandas as pd

        table = pd.DataFrame(
            {
                "onset": self.onsets,
                "clock": self.clock,
                "stage": self.stage_names,
                "label": self.stages,
            }
        )
        for k, name in enumerate(SLEEP_STAGES[: self.proba.shape[1]]):
            table[f"p_{name}"] = self.proba[:, k]
        return table

    def to_csv(self, fname):
        """Write :meth:`to_dataframe`'s table as CSV, without pandas."""
        names = SLEEP_STAGES[: self.proba.shape[1]]
        header = ",".join(
            ["onset", "clock", "stage", "label"] + [f"p_{n}" for n in names]
        )
        rows = [
            ",".join(
                [repr(float(o)), c, str(s), str(int(k))] + [repr(float(v)) for v in p]
            )
            for o, c, s, k, p in zip(
                self.onsets, self.clock, self.stage_names, self.stages, self.proba
            )
        ]
        with open(fname, "w", encoding="utf-8") as f:
            f.write("\n".join([header, *rows]) + "\n")
        return fname

    def to_annotations(self, orig_time=None):
        """:class:`mne.Annotations` with one ``Sleep stage X`` per epoch."""
        import mne

        return mne.Annotations(
            self.onsets,
            np.full(len(self), EPOCH_S),
            np.asarray(AASM_EVENT_NAMES)[self.stages],
            orig_time=orig_time,
        )

    def to_edf_annotations(self, fname):
        """Write the stages as an EDF+ annotations file (needs ``edfio``).

        Its header starts at ``start`` (the recording's date and time), so the
        stages line up with the recording in PSG software.
        """
        from edfio import Edf, EdfAnnotation, Recording

        names = np.asarray(AASM_EVENT_NAMES)[self.stages]
        clock = {}
        if self.start is not None:
            clock = dict(
                recording=Recording(startdate=self.start.date()),
                starttime=self.start.time().replace(microsecond=0),
            )
        edf = Edf(
            [],
            **clock,
            annotations=[
                EdfAnnotation(float(o), EPOCH_S, str(d))
                for o, d in zip(self.onsets, names)
            ],
        )
        edf.write(fname)
        return fname

    def statistics(self, backend="auto"):
        """Sleep statistics (see :func:`.sleep_statistics`)."""
        from .statistics import sleep_statistics

        return sleep_statistics(self.stages, backend=backend)
