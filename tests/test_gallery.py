"""The helpers the gallery examples share: fit settings, role routing, hypnograms."""

from types import SimpleNamespace

import mne
import numpy as np
import pytest
from _helpers import (
    SAMPLE_FIT,
    compare_hypnograms,
    role_params,
    sample_fit_params,
    sample_sequences,
    student_stages,
)

from braindecode_sleepkd.datasets._windows import (
    annotate_epochs,
    make_windows,
    raw_dataset,
)
from braindecode_sleepkd.estimator import SleepKDClassifier
from braindecode_sleepkd.staging import plot_hypnograms


def test_sample_fit_params_are_the_gallery_settings():
    params = sample_fit_params(10, 12)
    assert params == dict(
        seq_len=10, max_epochs=12, batch_size=8, lr=3e-3, random_state=0, verbose=0
    )
    clf = SleepKDClassifier("salient", None, "salient", **params)
    assert (clf.seq_len, clf.max_epochs, clf.batch_size, clf.lr) == (10, 12, 8, 3e-3)


def test_sample_fit_params_overrides_and_extras_do_not_touch_the_defaults():
    params = sample_fit_params(5, 1, lr=1e-3, strategy="kd")
    assert params["lr"] == 1e-3 and params["strategy"] == "kd"
    assert SAMPLE_FIT["lr"] == 3e-3 and "strategy" not in SAMPLE_FIT


@pytest.mark.parametrize(
    "seq_len, max_epochs, match",
    [(0, 1, "seq_len must be a whole number >= 1, got 0"),
     (10, 1.5, "max_epochs must be a whole number >= 1, got 1.5"),
     (True, 1, "seq_len must be a whole number >= 1, got True")],
)  # fmt: skip
def test_sample_fit_params_refuses_bad_counts(seq_len, max_epochs, match):
    with pytest.raises(ValueError, match=match):
        sample_fit_params(seq_len, max_epochs)


def test_role_params_routes_sizes_to_the_estimator():
    sizes = {"teacher": dict(channels=(16, 32)), "student": dict(seq_channels=8)}
    params = role_params(sizes)
    assert params == {"teacher__channels": (16, 32), "student__seq_channels": 8}
    clf = SleepKDClassifier("salient", None, "salient", **params)
    assert clf.get_params()["student__seq_channels"] == 8


def test_role_params_refuses_an_unknown_role():
    with pytest.raises(ValueError, match=r"Unknown role\(s\) \['tutor'\].*teacher"):
        role_params({"tutor": {"channels": (8,)}})


def test_plot_hypnograms_one_panel_each_in_hypnogram_order():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    expert = np.array([0, 1, 2, 3, 4, 2])
    student = np.array([[0, 2, 2], [3, 4, 4]])  # any shape: flattened
    fig = plot_hypnograms(
        {"Expert": expert, "Student": student}, unit="min", title="night"
    )
    axes = fig.axes
    assert [ax.get_title(loc="left") for ax in axes] == ["Expert", "Student"]
    assert [t.get_text() for t in axes[0].get_yticklabels()] == [
        "W", "REM", "N1", "N2", "N3"
    ]  # fmt: skip
    assert axes[0].yaxis_inverted()
    assert axes[-1].get_xlabel() == "time (min)"
    # W, N1, N2, N3, REM -> rows 0, 2, 3, 4, 1; 30-s epochs -> 0.5 min apart
    line = axes[0].lines[0]
    np.testing.assert_array_equal(line.get_ydata(), [0, 2, 3, 4, 1, 3])
    np.testing.assert_allclose(line.get_xdata(), np.arange(6) * 0.5)
    np.testing.assert_array_equal(axes[1].lines[0].get_ydata(), [0, 3, 3, 4, 1, 1])
    assert fig._suptitle.get_text() == "night"
    plt.close(fig)


@pytest.mark.parametrize(
    "kwargs, match",
    [(dict(hypnograms={}), "at least one hypnogram"),
     (dict(hypnograms={"x": [0, 5]}), "'x' has 1 values outside the stages 0..4"),
     (dict(hypnograms={"x": [0, -1, -1]}), "has 2 values outside"),
     (dict(hypnograms={"x": [0]}, unit="s"), "unit must be one of"),
     (dict(hypnograms={"x": [0]}, epoch_sec=0), "epoch_sec must be > 0")],
)  # fmt: skip
def test_plot_hypnograms_refuses_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_hypnograms(**kwargs)


@pytest.mark.needs_data("dreams-spindles")
def test_sample_sequences_are_the_sample_cut_into_sequences():
    from braindecode_sleepkd.datasets import load_sample, make_sequences

    X, y, subjects = sample_sequences(50.0, 10, subject_ids=(1, 3))
    X_ref, y_ref, subjects_ref = make_sequences(
        load_sample(sfreq=50.0, subject_ids=[1, 3]), seq_len=10
    )
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(subjects, subjects_ref)
    assert X.shape[1:] == (10, 1, 1500)


def test_student_stages_average_the_sequences_holding_each_window():
    sfreq, n = 10.0, 5
    raw = mne.io.RawArray(
        np.zeros((1, int(n * 30 * sfreq))), mne.create_info(1, sfreq, "eeg"), verbose=0
    )
    annotate_epochs(raw, np.zeros(n, int))
    windows = make_windows([raw_dataset(raw, dict(subject=0, recording=1))])
    # sequences of 3 with stride 2 start at windows 0 and 2 (window 2 in both)
    proba = np.zeros((2, 3, 5))
    proba[0, :, 1] = 1.0  # first sequence: N1
    proba[1, :, 3] = 1.0  # second: N3
    proba[0, 2, 1], proba[1, 0, 3] = 0.6, 0.4  # window 2: N1 by 0.3 to 0.2
    clf = SimpleNamespace(seq_len=3, seq_stride=2, predict_proba=lambda w: proba)
    np.testing.assert_array_equal(student_stages(clf, windows), [1, 1, 1, 3, 3])


def test_compare_hypnograms_prints_kappas_and_puts_the_expert_first(capsys):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    expert = np.array([0, 1, 2, 3, 4, 2])
    fig = compare_hypnograms(
        expert, {"Teacher": expert, "Student": [0, 1, 2, 2, 4, 2]}, title="night"
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Teacher: kappa 1.00 against the expert"
    assert lines[1].startswith("Student: kappa 0.") and len(lines) == 2
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == ["Expert", "Teacher", "Student"]
    assert fig.axes[-1].get_xlabel() == "time (min)"
    plt.close(fig)
