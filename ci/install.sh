#!/usr/bin/env bash
# ci/install.sh: installs what testbed needs on a fresh Debian 12 machine, then the package itself.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
need=()
for pkg in make gcc iproute2 iputils-ping iperf3 libseccomp-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -e '.[test]'
# pyenv only makes new console scripts (testbed) visible after a rehash.
if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
