#!/usr/bin/env bash
# Creates the Python environment that regenerates tests/reference/vectors.
# For people only: CI never calls this, the C++ tests read the committed vectors.
#
#   tests/reference/setup_venv.sh                      # venv in build/reference-venv
#   REFERENCE_VENV=/tmp/venv tests/reference/setup_venv.sh
#   REFERENCE_TORCH_CPU=1 tests/reference/setup_venv.sh  # CPU-only torch wheel (smaller)
#   build/reference-venv/bin/python tests/reference/make_vectors.py
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${REFERENCE_VENV:-build/reference-venv}"
python="${PYTHON:-python3}"

"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --upgrade pip
if [[ "${REFERENCE_TORCH_CPU:-0}" == "1" ]]; then
  torch_pin="$(grep -E '^torch==' "$here/requirements.txt")"
  "$venv/bin/python" -m pip install --index-url https://download.pytorch.org/whl/cpu "$torch_pin"
fi
"$venv/bin/python" -m pip install -r "$here/requirements.txt"
"$venv/bin/python" -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'
echo "ready: $venv/bin/python $here/make_vectors.py"
