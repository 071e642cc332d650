#!/usr/bin/env bash
# Builds the native DPDK addon (native/) with node-gyp against the local Node headers (offline),
# only when a native source is newer than the built addon.
set -euo pipefail
cd "$(dirname "$0")/../native"
[ -f binding.gyp ] || exit 0
# NF library + native NF binaries (incremental; native/Makefile)
[ -f Makefile ] && make -s -j 2 >/dev/null
out=build/Release/rackvisor_native.node
if [ -f "$out" ] && [ -z "$(find . -path ./build -prune -o \( -name '*.cc' -o -name '*.h' -o -name '*.hpp' -o -name 'binding.gyp' \) -newer "$out" -print -quit)" ]; then
  exit 0
fi
echo "[setup] building native addon (node-gyp, DPDK $(pkg-config --modversion libdpdk 2>/dev/null || echo '?'))"
if [ ! -f build/Makefile ]; then
  ../node_modules/.bin/node-gyp configure --nodedir=/usr >/dev/null
fi
../node_modules/.bin/node-gyp build --nodedir=/usr -j 2
