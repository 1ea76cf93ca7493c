#!/usr/bin/env bash
# ci/test.sh: installs (ci/install.sh) and runs the whole test suite in parallel.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install.sh
exec python3 -m pytest -n 2 -q "$@"
