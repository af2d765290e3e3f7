#!/bin/bash
# The shared entry of the box benchmarks into the harness (src/Harness through UpgradeDemo):
#   ops/bench/harness.sh COMMAND V1 V2      (COMMAND: bench-upgrades, bench-overhead)
# Builds the two versions' packages if missing and the UpgradeDemo tool, then runs COMMAND.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
command=${1:?usage: ops/bench/harness.sh COMMAND V1 V2} v1=${2:-1.0.0} v2=${3:-2.0.0}
export DOTNET_CLI_USE_MSBUILD_SERVER=0 MSBUILDDISABLENODEREUSE=1 UseSharedCompilation=false DOTNET_NOLOGO=1

for v in "$v1" "$v2"; do
  [[ -f $top/build/graceful-upgrade-example_${v}_amd64.deb ]] || "$top/ops/fpm.sh" "$v" >/dev/null
done
dotnet build "$top/src/UpgradeDemo" -c Release --nologo -v quiet -o "$top/build/demo/bin" >&2
exec dotnet "$top/build/demo/bin/UpgradeDemo.dll" "$command" "$v1" "$v2"
