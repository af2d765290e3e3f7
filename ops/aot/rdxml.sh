#!/bin/bash
# Regenerates src/Service/rd.xml, the closed generic types that dependency injection builds
# while the service starts, so that Native AOT compiles them instead of the runtime's type
# loader building them at every start (docs/benchmarks.md, "Start-up").
#   ops/aot/rdxml.sh
# Runs the service's JIT build once with plain HTTP and once with HTTPS, each until it is
# ready, with the DI event source traced to a file; the traced call sites name every closed
# type. Run it after a change to what the service registers or resolves; a type missing from
# rd.xml still works, it only costs start-up time again.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet build "$top/src/Service/Service.csproj" -c Debug --nologo -v quiet -o "$work/jit" >&2
# The project turns EventSource off for the AOT build; the trace needs it on in this one.
sed -i 's/"System.Diagnostics.Tracing.EventSource.IsSupported": false/"System.Diagnostics.Tracing.EventSource.IsSupported": true/' \
  "$work/jit/graceful-upgrade-example.runtimeconfig.json"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

trace() {  # name args...: runs the JIT build until GET /readyz answers 200, then stops it
  local name=$1 pid i; shift
  DOTNET_EnableEventPipe=1 DOTNET_EventPipeOutputPath="$work/$name.nettrace" \
  DOTNET_EventPipeConfig='Microsoft-Extensions-DependencyInjection:0xFFFFFFFFFFFFFFFF:5' \
  GRACEFUL_UPGRADE_EXAMPLE_CONFIG=/nonexistent \
    dotnet "$work/jit/graceful-upgrade-example.dll" --Service:Listen=127.0.0.1:18095 "$@" >"$work/$name.log" 2>&1 &
  pid=$!
  for ((i = 0; i < 300; i++)); do
    curl -fso /dev/null http://127.0.0.1:18095/readyz && break
    sleep 0.1
  done
  curl -fso /dev/null http://127.0.0.1:18095/ || { cat "$work/$name.log" >&2; kill "$pid"; exit 1; }
  kill -TERM "$pid"
  wait "$pid" || true
}
trace http
trace https --Service:Https:Listen=127.0.0.1:18096 \
  "--Service:Https:CertificateFile=$work/cert.pem" "--Service:Https:KeyFile=$work/key.pem"

# The call sites are JSON inside UTF-16 event payloads; open generics (T, TOptions) are skipped.
cat "$work"/*.nettrace | strings -el \
  | grep -oE '"(implementationType|serviceType|itemType)": "[^"]*`[^"]*"' \
  | sed -E 's/^"[a-zA-Z]+": "//; s/"$//' | grep -vE '\[(T|TOptions|TCategoryName)\]' | sort -u >"$work/types.txt"
runtime_dir() {  # NAME: the newest 10.x shared framework of that name, e.g. .../Microsoft.NETCore.App/10.0.12
  dotnet --list-runtimes | awk -v name="$1" '$1 == name && $2 ~ /^10\./ {v = $2; d = $3} END {gsub(/[][]/, "", d); print d "/" v}'
}
dotnet run "$top/ops/aot/RdXmlFromTrace.cs" -- "$work/types.txt" "$work/rd.xml" "$work/jit" \
  "$(runtime_dir Microsoft.NETCore.App)" "$(runtime_dir Microsoft.AspNetCore.App)" >&2
mv "$work/rd.xml" "$top/src/Service/rd.xml"
echo "src/Service/rd.xml: $(grep -c '<Type ' "$top/src/Service/rd.xml") types from $(wc -l <"$work/types.txt") traced names" >&2
