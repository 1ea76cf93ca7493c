#!/usr/bin/env bash
# ci/test.sh: installs (ci/install.sh) and runs the whole test suite in parallel, in the project's venv.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install.sh
python="${TESTBED_VENV:-$PWD/.venv}/bin/python"
if [ $# -gt 0 ]; then
  exec "$python" -m pytest -n 2 -q "$@"
fi
# Tests that saturate a core for minutes (fuzzing, sanitizer reruns) would starve the timing-sensitive ones
# (rates, ping losses) if they ran beside them: they run second, on their own.
status=0
"$python" -m pytest -n 2 -q -m "not cpu_hog" || status=$?
"$python" -m pytest -n 2 -q -m cpu_hog || status=$?
exit "$status"
