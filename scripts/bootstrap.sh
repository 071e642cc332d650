#!/usr/bin/env bash
# One idempotent set-up for a fresh Debian 12 machine, called first by `npm test` and `npm run lab`:
#   1. the Debian packages the project needs (installed only when missing),
#   2. npm dependencies (npm ci, only when package-lock.json changed),
#   3. the TypeScript build (dist/) and the native DPDK addon (only when sources changed),
#   4. hugepages reserved for the host managers.
# A second run finds everything in place and returns in a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
t0=$(date +%s.%N)
step() { printf '[setup] %s\n' "$*"; }
elapsed() { printf '%.1fs' "$(echo "$(date +%s.%N) - $t0" | bc 2>/dev/null || echo 0)"; }

PACKAGES=(openvswitch-switch zookeeper dpdk dpdk-dev libdpdk-dev pkg-config iproute2 ethtool iputils-ping
  netcat-openbsd tshark python3-scapy mininet python3-os-ken iperf3 tcpdump bc)

# 1. Debian packages -------------------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "[setup] missing Debian packages: ${missing[*]} — run this as root (apt-get install)." >&2
    exit 1
  fi
  step "installing Debian packages: ${missing[*]} (a few minutes on a fresh machine)"
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null
  apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "${missing[@]}" >/tmp/rackvisor-apt.log 2>&1 \
    || { echo "[setup] apt-get install failed; see /tmp/rackvisor-apt.log" >&2; tail -20 /tmp/rackvisor-apt.log >&2; exit 1; }
fi
# The Debian openvswitch-switch package may start a system OVS; labs use their own private one.

# 2. npm dependencies ------------------------------------------------------------------------
lockhash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.rackvisor-lock ] || [ "$(cat node_modules/.rackvisor-lock)" != "$lockhash" ]; then
  step "npm ci"
  # node-gyp builds (the zookeeper client's bundled C library) must use the local Node headers: offline.
  npm_config_nodedir=/usr npm ci --no-audit --no-fund --loglevel=error
  echo "$lockhash" > node_modules/.rackvisor-lock
fi

# 3. builds ----------------------------------------------------------------------------------
SRC_DIRS=(cli openflow vxlan cluster native host controller northbound-api labs bench)
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find "${SRC_DIRS[@]}" tsconfig.json tsconfig.build.json package.json -newer "$stamp" \
     \( -name '*.ts' -o -name '*.json' -o -name '*.yaml' \) -not -path 'native/build/*' -print -quit 2>/dev/null)" ]; then
  step "building TypeScript (dist/)"
  npx tsc -p tsconfig.build.json
  mkdir -p dist && touch "$stamp"
fi
bash scripts/build-native.sh

# 4. hugepages -------------------------------------------------------------------------------
want=${RACKVISOR_HUGEPAGES:-1024}
have=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
if [ "$have" -lt "$want" ]; then
  step "reserving $want hugepages of 2 MiB (had $have)"
  echo "$want" > /proc/sys/vm/nr_hugepages || true
  got=$(cat /proc/sys/vm/nr_hugepages)
  [ "$got" -ge "$want" ] || echo "[setup] warning: only $got hugepages could be reserved (wanted $want)" >&2
fi
step "ready ($(elapsed))"
