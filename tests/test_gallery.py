"""The helpers the gallery examples share: fit settings, role routing, hypnograms."""

import numpy as np
import pytest

from braindecode_sleepkd.estimator import SleepKDClassifier
from braindecode_sleepkd.gallery import SAMPLE_FIT, role_params, sample_fit_params
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
