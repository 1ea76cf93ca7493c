#!/usr/bin/env bash
# ci/test.sh: installs (ci/install.sh) and runs the whole test suite in parallel, in the project's venv.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install.sh
exec "${TESTBED_VENV:-$PWD/.venv}/bin/python" -m pytest -n 2 -q "$@"
