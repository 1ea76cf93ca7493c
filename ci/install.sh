#!/usr/bin/env bash
# ci/install.sh: installs testbed as root on a fresh Debian 12 or Ubuntu 24.04: Debian packages, a project venv, `testbed` on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
venv=${TESTBED_VENV:-$repo/.venv}
bin_dir=${TESTBED_BIN_DIR:-/usr/local/bin}
export DEBIAN_FRONTEND=noninteractive

# What the build (gcc, make), the venv (python3-venv) and the labs (iproute2 is only for people's own
# inspection; ping, iperf3 as traffic) need. A minimal Debian has none of python3-venv, gcc or ping.
# libseccomp-dev and libcap-ng-dev: the monitor confines itself after setup (monitor/tender/sandbox/).
# liburing-dev: the impairment relay (tb-wire) reads and writes its TAPs in batches through io_uring.
# openssh-client: a lab over several hosts reaches their agents through ssh (docs/scale-out.md).
packages=(python3 python3-venv gcc libc6-dev libseccomp-dev libcap-ng-dev liburing-dev make iproute2 iputils-ping iperf3 ca-certificates openssh-client)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install: Debian packages: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The system interpreter is externally managed (PEP 668): the project lives in its own venv, made from
# /usr/bin/python3 so that whatever Python a user has in front of it (pyenv, conda) does not leak in.
if [ ! -x "$venv/bin/python" ]; then
  echo "install: venv $venv"
  /usr/bin/python3 -m venv "$venv"
fi

# pip only when the declared dependencies or the build hook changed: a re-run then takes a second
# (make rebuilds whatever C changed; the editable install picks Python changes up by itself).
fingerprint=$(cat pyproject.toml hatch_build.py | sha256sum | cut -d' ' -f1)
stamp=$venv/.testbed-installed
if [ "$(cat "$stamp" 2>/dev/null)" != "$fingerprint" ]; then
  echo "install: pip install -e '.[test]' into $venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]'
  echo "$fingerprint" >"$stamp"
else
  make -s -C monitor -j"$(nproc)" OUT="$repo/testbed/_bin"
fi

mkdir -p "$bin_dir"
ln -sfn "$venv/bin/testbed" "$bin_dir/testbed"
echo "install: ok: $bin_dir/testbed -> $venv/bin/testbed"
