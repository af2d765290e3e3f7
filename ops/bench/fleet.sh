#!/bin/bash
# Fleet rollout figures (docs/benchmarks.md, "Fleet rollout"): 4 simulated hosts
# (ops/fleet/simulate.sh) on V1 behind HAProxy, then ops/ansible/rollout.yml to V2 under
# `ab -c 1000 -n N` through HAProxy (ab's default timeout), stopped as Ctrl-C stops it 3 s after
# the playbook returns (N only bounds it). Prints the rollout's wall time, each
# host's handover (from its journal), the rollout's overhead over their sum, ab's failed and
# non-2xx requests, and p99 latency through HAProxy before, during and after the rollout.
#   ops/bench/fleet.sh [V1 V2]     env: N (2000000)
# Hold the load lock: flock /tmp/gue-load.lock ops/bench/fleet.sh
# The work is done by the shared harness (src/Harness) through `UpgradeDemo bench-fleet`.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
v1=${1:-1.0.0} v2=${2:-2.0.0}
export DOTNET_CLI_USE_MSBUILD_SERVER=0 MSBUILDDISABLENODEREUSE=1 UseSharedCompilation=false DOTNET_NOLOGO=1

for v in "$v1" "$v2"; do
  [[ -f $top/build/graceful-upgrade-example_${v}_amd64.deb ]] || "$top/ops/fpm.sh" "$v" >/dev/null
done
dotnet build "$top/src/UpgradeDemo" -c Release --nologo -v quiet -o "$top/build/demo/bin" >&2
exec dotnet "$top/build/demo/bin/UpgradeDemo.dll" bench-fleet "$v1" "$v2"
