"""ONNX / TorchScript export of the student, parity with torch, and the CLI."""

import pickle
import sys

import numpy as np
import pytest
import torch
from helpers import TinySleepNet, tiny_clf
from sklearn.exceptions import NotFittedError

from braindecode_sleepkd import export as ex
from braindecode_sleepkd.cli import main
from braindecode_sleepkd.estimator import SleepKDClassifier

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")


class ExportTinyNet(TinySleepNet):
    """TinySleepNet without AdaptiveAvgPool1d (which ONNX cannot make dynamic)."""

    def __init__(self, **kwargs):
        super().__init__(pool=None, **kwargs)


def _preset(family):
    models = pytest.importorskip("braindecode_sleepkd.models")
    if not hasattr(models, "preset"):
        pytest.skip("model presets are not available")
    return models.preset(family, "student")


#: sizes of the shared ``data`` fixture (tests/conftest.py)
DATA = dict(n_seq=16, seq_len=6)


@pytest.fixture(scope="module")
def fitted(data):
    X, y, _ = data
    clf = tiny_clf(teacher=ExportTinyNet, student=ExportTinyNet, student__width=4)
    return clf.fit(X, y)


def test_onnx_parity_fitted_estimator(fitted, data, tmp_path):
    X, _, _ = data
    path = ex.to_onnx(fitted, tmp_path / "student.onnx")
    assert path.is_file()
    diff = ex.check_onnx(path, X, fitted)
    assert isinstance(diff, float)
    assert diff < ex.ONNX_ATOL
    # dynamic batch and sequence axes: other shapes than at export
    rng = np.random.default_rng(0)
    for shape in [(1, 1), (5, 11), (64, 6)]:
        Xo = rng.standard_normal((*shape, 1, 300)).astype(np.float32)
        assert ex.check_onnx(path, Xo, fitted) < ex.ONNX_ATOL
    # the estimator is left as it was
    assert not fitted.module_.training
    assert fitted.predict(X).shape == (16, 6)


def test_onnx_metadata_and_checker(fitted, tmp_path):
    import onnx

    path = ex.to_onnx(fitted, tmp_path / "m.onnx", opset=17)
    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    props = {p.key: p.value for p in model.metadata_props}
    assert props["n_chans"] == "1" and props["n_times"] == "300"
    assert props["seq_len"] == "dynamic"
    assert [i.name for i in model.graph.input] == ["x"]
    assert [o.name for o in model.graph.output] == ["logits"]


def test_onnx_fixed_seq_len(fitted, data, tmp_path):
    X, _, _ = data
    path = ex.to_onnx(fitted.module_, tmp_path / "fixed.onnx", seq_len=6)
    assert ex.check_onnx(path, X, fitted) < ex.ONNX_ATOL
    with pytest.raises(ex.ExportError, match="fixed seq_len"):
        ex.check_onnx(path, X[:, :4], fitted)


@pytest.mark.parametrize("family", ["deepsleepnet", "salient"])
def test_onnx_and_trace_presets(family, tmp_path):
    model = _preset(family)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((3, 7, model.n_chans, model.n_times)).astype(np.float32)
    path = ex.to_onnx(model, tmp_path / f"{family}.onnx")
    assert ex.check_onnx(path, X, model) < ex.ONNX_ATOL
    ts = ex.to_torchscript(model, tmp_path / f"{family}.pt")
    loaded = torch.jit.load(str(ts))
    with torch.no_grad():
        got = loaded(torch.from_numpy(X))
        want = model.eval()(torch.from_numpy(X))
    assert float((got - want).abs().max()) < 1e-5


def test_torchscript_trace_estimator(fitted, data, tmp_path):
    X, _, _ = data
    path = ex.to_torchscript(fitted, tmp_path / "student.pt")
    loaded = torch.jit.load(str(path))
    with torch.no_grad():
        logits = loaded(torch.from_numpy(X[:, :3]))
    proba = torch.softmax(logits, -1).numpy()
    np.testing.assert_allclose(proba, fitted.predict_proba(X[:, :3]), atol=1e-5)


@pytest.mark.parametrize("family", ["deepsleepnet", "salient"])
def test_torch_export_of_both_student_families(family, tmp_path):
    from braindecode_sleepkd import preset

    module = preset(family, "student").eval()
    path = ex.to_torchscript(module, tmp_path / "s.pt2", method="export", seq_len=4)
    program = torch.export.load(str(path)).module()
    x = torch.randn(3, 4, 1, 3000)
    with torch.no_grad():
        diff = (program(x) - module(x)).abs().max().item()
    assert diff < 1e-5


def test_save_and_load_student(fitted, data, tmp_path):
    X, _, _ = data
    path = ex.save_student(fitted, tmp_path / "student.pt")
    module = ex.load_student(path)
    with torch.no_grad():
        got = torch.softmax(module(torch.from_numpy(X)), -1).numpy()
    np.testing.assert_allclose(got, fitted.predict_proba(X), atol=1e-6)
    torch.save({"weights": 1}, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="state_dict"):
        ex.load_student(tmp_path / "bad.pt")


# ---------------------------------------------------------------------- errors
def test_unfitted_estimator_is_refused(tmp_path):
    clf = SleepKDClassifier(ExportTinyNet, None, ExportTinyNet)
    with pytest.raises(NotFittedError, match="not fitted"):
        ex.to_onnx(clf, tmp_path / "a.onnx")
    with pytest.raises(NotFittedError, match="not fitted"):
        ex.to_torchscript(clf, tmp_path / "a.pt")
    with pytest.raises(TypeError, match="torch.nn.Module"):
        ex.to_onnx(object(), tmp_path / "a.onnx")


def test_unwritable_path(fitted, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(ex.ExportError, match="Cannot write"):
        ex.to_onnx(fitted, blocker / "student.onnx")
    with pytest.raises(ex.ExportError, match="directory"):
        ex.to_onnx(fitted, tmp_path)
    # a missing folder is created
    assert ex.to_onnx(fitted, tmp_path / "new" / "dir" / "s.onnx").is_file()


@pytest.mark.parametrize("missing", ["onnx", "onnxruntime"])
def test_missing_optional_dependency(fitted, tmp_path, monkeypatch, missing):
    monkeypatch.setitem(sys.modules, missing, None)
    with pytest.raises(ImportError, match=r"braindecode-sleepkd\[export\]"):
        ex.to_onnx(fitted, tmp_path / "a.onnx")


def test_architecture_without_dynamic_axes_is_explained(tmp_path):
    # AdaptiveAvgPool1d needs a static input length, which the exporter loses.
    with pytest.raises(ex.ExportError, match="seq_len=<int>"):
        ex.to_onnx(TinySleepNet(), tmp_path / "tiny.onnx")
    assert not (tmp_path / "tiny.onnx").exists()


# ------------------------------------------------------------------------- CLI
def test_cli_export_pickle_and_pt(fitted, tmp_path, capsys):
    ckpt = tmp_path / "clf.pkl"
    with open(ckpt, "wb") as f:
        pickle.dump(fitted, f)
    out = tmp_path / "student.onnx"
    assert main(["export", "--checkpoint", str(ckpt), "--out", str(out)]) == 0
    assert out.is_file()
    assert "checked against torch" in capsys.readouterr().out
    X = np.random.default_rng(2).standard_normal((2, 4, 1, 300)).astype(np.float32)
    assert ex.check_onnx(out, X, fitted) < ex.ONNX_ATOL

    pt = ex.save_student(fitted, tmp_path / "student.pt")
    out2 = tmp_path / "fixed.onnx"
    args = ["export", "--checkpoint", str(pt), "--out", str(out2), "--seq-len", "6"]
    assert main(args) == 0
    assert "fixed at 6" in capsys.readouterr().out
    ts = tmp_path / "student.ts"
    assert main(["export", "--checkpoint", str(ckpt), "--out", str(ts)]) == 0
    assert torch.jit.load(str(ts)) is not None


def test_cli_export_errors(tmp_path, capsys):
    rc = main(["export", "--checkpoint", str(tmp_path / "nope.pkl"), "--out", "a.pt"])
    assert rc == 2
    assert "does not exist" in capsys.readouterr().err
    ckpt = tmp_path / "unfitted.pkl"
    with open(ckpt, "wb") as f:
        pickle.dump(SleepKDClassifier(ExportTinyNet, None, ExportTinyNet), f)
    rc = main(["export", "--checkpoint", str(ckpt), "--out", str(tmp_path / "a.onnx")])
    assert rc == 2
    assert "not fitted" in capsys.readouterr().err
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"not a pickle")
    rc = main(["export", "--checkpoint", str(bad), "--out", str(tmp_path / "b.onnx")])
    assert rc == 2
    assert "cannot" in capsys.readouterr().err.lower()


def test_cli_export_opset_and_format_by_extension(fitted, tmp_path, capsys):
    import onnx

    ckpt = tmp_path / "clf.pkl"
    with open(ckpt, "wb") as f:
        pickle.dump(fitted, f)
    out = tmp_path / "s11.onnx"
    assert (
        main(["export", "--checkpoint", str(ckpt), "--out", str(out), "--opset", "11"])
        == 0
    )
    assert "(onnx;" in capsys.readouterr().out
    assert onnx.load(str(out)).opset_import[0].version == 11
    for bad in ("5", str(ex.MAX_OPSET + 1)):
        rc = main(
            ["export", "--checkpoint", str(ckpt), "--out", str(out), "--opset", bad]
        )
        err = capsys.readouterr().err
        assert rc == 2
        assert err.count("\n") == 1  # one line, no IR dump
        assert f"opset {bad} is not supported" in err
        assert f"{ex.MIN_OPSET} to {ex.MAX_OPSET}" in err
    txt = tmp_path / "a.txt"
    assert main(["export", "--checkpoint", str(ckpt), "--out", str(txt)]) == 2
    err = capsys.readouterr().err
    assert "unknown extension '.txt'" in err and ".onnx (onnx)" in err
    assert not txt.exists()
    pth = tmp_path / "s.pth"
    assert main(["export", "--checkpoint", str(ckpt), "--out", str(pth)]) == 0
    assert "(torchscript;" in capsys.readouterr().out
    assert torch.jit.load(str(pth)) is not None


def test_to_onnx_refuses_opset_before_writing(tmp_path):
    path = tmp_path / "s.onnx"
    with pytest.raises(ValueError, match="supported opsets are 10 to"):
        ex.to_onnx(ExportTinyNet(), path, opset=7, n_chans=1, n_times=300)
    assert not path.exists()
    with pytest.raises(ValueError, match="seq_len must be a positive int"):
        ex.to_onnx(ExportTinyNet(), path, seq_len=2.5, n_chans=1, n_times=300)
