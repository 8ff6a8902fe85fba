"""ONNX parity checked by this test's own onnxruntime session, not by check_onnx.

The student is exported with the package (``to_onnx(..., check=False)``, so its
own comparison is not used), then the file is opened here with
``onnxruntime.InferenceSession`` and its logits are compared with the torch
student called directly, and with the estimator's ``predict_proba`` and
``predict``.
"""

import numpy as np
import pytest
import torch
from helpers import TinySleepNet, make_data

from braindecode_sleepkd import export as ex
from braindecode_sleepkd.estimator import SleepKDClassifier

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

ATOL = 1e-4


class DynamicTinyNet(TinySleepNet):
    """TinySleepNet without its AdaptiveAvgPool1d (dynamic axes in ONNX)."""

    def __init__(self, **kwargs):
        super().__init__(pool=None, **kwargs)


def _session(path):
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def _torch_logits(module, X):
    module.eval()
    with torch.no_grad():
        return module(torch.from_numpy(X)).numpy()


@pytest.fixture(scope="module")
def fitted():
    X, y, _ = make_data(n_seq=24, seq_len=6, seed=1)
    clf = SleepKDClassifier(
        DynamicTinyNet,
        None,
        DynamicTinyNet,
        student__width=4,
        max_epochs=3,
        random_state=0,
        verbose=0,
    )
    return clf.fit(X, y), X


def test_onnxruntime_session_matches_torch_student(fitted, tmp_path):
    clf, X = fitted
    path = ex.to_onnx(clf, tmp_path / "student.onnx", check=False)
    sess = _session(path)
    assert [i.name for i in sess.get_inputs()] == ["x"]
    assert [o.name for o in sess.get_outputs()] == ["logits"]
    rng = np.random.default_rng(0)
    # the training data and other batch / sequence sizes than at export
    inputs = [X] + [
        (20 * rng.standard_normal((b, s, 1, 300))).astype(np.float32)
        for b, s in [(1, 1), (5, 11), (33, 6)]
    ]
    for Xi in inputs:
        onnx_logits = sess.run(["logits"], {"x": Xi})[0]
        torch_logits = _torch_logits(clf.module_, Xi)
        assert onnx_logits.shape == torch_logits.shape == (*Xi.shape[:2], 5)
        np.testing.assert_allclose(onnx_logits, torch_logits, atol=ATOL, rtol=0)
        # the logits are not trivial (a constant model would match anything)
        assert torch_logits.std() > 1e-2
    onnx_logits = sess.run(["logits"], {"x": X})[0]
    e = np.exp(onnx_logits - onnx_logits.max(-1, keepdims=True))
    np.testing.assert_allclose(
        e / e.sum(-1, keepdims=True), clf.predict_proba(X), atol=1e-5
    )
    np.testing.assert_array_equal(onnx_logits.argmax(-1), clf.predict(X))


def test_onnxruntime_session_matches_a_preset_student(tmp_path):
    from braindecode_sleepkd.models import preset

    torch.manual_seed(0)
    student = preset("salient", "student", n_times=3000).eval()
    path = ex.to_onnx(student, tmp_path / "salient.onnx", seq_len=4, check=False)
    X = (30 * np.random.default_rng(1).standard_normal((2, 4, 1, 3000))).astype(
        np.float32
    )
    onnx_logits = _session(path).run(["logits"], {"x": X})[0]
    np.testing.assert_allclose(onnx_logits, _torch_logits(student, X), atol=ATOL)
