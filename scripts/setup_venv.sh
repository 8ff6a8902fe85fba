#!/usr/bin/env bash
# Create (or update) the project's virtual environment in .venv/ with pinned versions.
#
# - torch 2.13.0: the CPU wheel (pip finds it on local disk where one is provided;
#   elsewhere it downloads the PyPI build for your platform).
# - everything else: requirements/constraints.txt, so every machine gets the same set.
# - torchaudio: braindecode imports it at import time, but no torchaudio release is
#   built against torch 2.13, and loading its compiled extension fails. torchaudio
#   supports running without its extension (it only loads it when the file exists);
#   we remove the incompatible binaries so the pure-Python code paths are used.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
VENV=.venv
STAMP=$VENV/.sleepkd-installed
want=$(cat pyproject.toml runtime/pyproject.toml requirements/constraints.txt scripts/setup_venv.sh | sha256sum | cut -c1-16)

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] \
   && "$VENV/bin/python" -c "import braindecode_sleepkd, braindecode, sleepkd_runtime" 2>/dev/null; then
  exit 0
fi

start=$(date +%s)
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
"${PIP[@]}" install --upgrade "pip>=24" 2>&1 | grep -v "is ignored" || true
"${PIP[@]}" install -c requirements/constraints.txt "torch==2.13.0" 2>&1 | grep -v "is ignored" || true
# the torch-free staging runtime is a separate small distribution in runtime/
# (what a device installs); the package depends on it, so it goes in first
"${PIP[@]}" install -c requirements/constraints.txt -e ./runtime 2>&1 | grep -v "is ignored" || true
"${PIP[@]}" install -c requirements/constraints.txt -e ".[all]" 2>&1 | grep -v "is ignored" || true
# GSSC (AGPL-3.0) is an optional extra of the package; the dev/CI environment
# installs it so that the GSSC teacher's tests run (it is never imported by the
# package unless a GSSCTeacher is built).
"${PIP[@]}" install -c requirements/constraints.txt -e ".[gssc]" 2>&1 | grep -v "is ignored" || true

"$VENV/bin/python" - <<'PY'
import importlib.util
import pathlib

spec = importlib.util.find_spec("torchaudio")
if spec is not None:
    lib = pathlib.Path(spec.origin).parent / "lib"
    removed = [p.name for p in lib.glob("*.so")]
    for p in lib.glob("*.so"):
        p.unlink()
    if removed:
        print("torchaudio: using pure-Python mode, removed", ", ".join(removed))
PY

"$VENV/bin/python" -c "import braindecode, braindecode_sleepkd, torch; \
print('braindecode', braindecode.__version__, '| torch', torch.__version__, \
'| braindecode_sleepkd', braindecode_sleepkd.__version__)"
echo "$want" > "$STAMP"
echo "environment ready in $(( $(date +%s) - start )) s ($(du -sh $VENV | cut -f1))"
