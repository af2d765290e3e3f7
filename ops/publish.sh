#!/bin/bash
# Publishes the service as one Native AOT executable stamped with VERSION:
#   ops/publish.sh VERSION [--test-faults]   -> build/publish/VERSION/graceful-upgrade-example
# --test-faults compiles a test-only build (-p:TestFaults=true) that misbehaves on request
# through GUE_TEST_FAULT; the end-to-end tests install it as a version that cannot start.
# It is never packaged for release.
set -euo pipefail

version=${1:?usage: ops/publish.sh VERSION [--test-faults]}
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/build/publish/$version"

faults=false
if [ "${2:-}" = --test-faults ]; then
  faults=true
fi

rm -rf "$out"
# Each version gets its own intermediate directory: an AOT build stamped with another
# version (or with test faults) must never be reused for this one.
dotnet publish "$top/src/Service/Service.csproj" -c Release -r linux-x64 --nologo -v quiet \
  -p:Version="$version" -p:TestFaults="$faults" \
  -p:IntermediateOutputPath="$top/build/obj/$version/" -p:OutputPath="$top/build/bin/$version/" \
  -o "$out" >&2
rm -f "$out"/*.dbg "$out"/*.json
echo "$out/graceful-upgrade-example"
