#!/bin/bash
# Regenerates src/Service/aot-order.txt: the managed methods that run while the service starts
# and serves, which Native AOT lays out first and together (IlcOrderFile in Service.csproj), so
# that they share a few hundred KiB of pages instead of touching most of the 5 MB of code
# (docs/benchmarks.md, "Memory").
#   ops/aot/order.sh          (root; several minutes: the kernel adds and removes one uprobe per method)
# Publishes a build with symbols, puts a uprobe on the entry of every managed method, runs the
# build through start-up, 10,000 requests with and without keep-alive, each endpoint and a
# stop, and keeps the methods whose probe fired. A method missing from the file still works;
# it is only placed among the cold code.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
tracefs=/sys/kernel/tracing
mounted=false
cleanup() {
  [[ -n ${pid:-} ]] && kill "$pid" 2>/dev/null
  if [[ -e $tracefs/events/gue_order/enable ]]; then
    echo 0 >"$tracefs/events/gue_order/enable"
    grep -v '^p:gue_order/' "$tracefs/uprobe_events" >"$work/keep" || true
    echo >"$tracefs/uprobe_events"
    while read -r line; do echo "$line" >>"$tracefs/uprobe_events"; done <"$work/keep"
  fi
  $mounted && umount "$tracefs"
  rm -rf "$work"
}
trap cleanup EXIT
[[ -e $tracefs/uprobe_events ]] || { mount -t tracefs nodev "$tracefs"; mounted=true; }
if grep -q '^p:gue_order/' "$tracefs/uprobe_events"; then echo "uprobes gue_order/* already exist" >&2; exit 1; fi

dotnet publish "$top/src/Service/Service.csproj" -c Release -r linux-x64 --nologo -v quiet -p:Version=1.0.0 \
  -p:StripSymbols=false -p:IlcOrderFile= -p:IntermediateOutputPath="$work/obj/" -p:OutputPath="$work/bin/" -o "$work/out" >&2
bin=$work/out/graceful-upgrade-example
# Managed code lives in the __managedcode and __unbox sections; its symbols are the names
# ILC's order file takes. One uprobe per method entry, written one per write(2).
python3 - "$bin" >"$work/methods" <<'PY'
import subprocess, sys
sections = {}
for line in subprocess.run(["readelf", "-SW", sys.argv[1]], capture_output=True, text=True).stdout.splitlines():
    f = line.replace("[ ", "[").split()
    if len(f) > 5 and f[1] in ("__managedcode", "__unbox"):
        sections[f[1]] = (int(f[3], 16), int(f[5], 16))
lo, hi = sections["__managedcode"][0], sum(sections["__unbox"])
seen = set()
for line in subprocess.run(["nm", "--defined-only", sys.argv[1]], capture_output=True, text=True).stdout.splitlines():
    f = line.split()
    if len(f) == 3 and f[1] in "tT" and lo <= int(f[0], 16) < hi and f[0] not in seen:
        seen.add(f[0])
        print(f[0], f[2])
PY
python3 - "$bin" "$work/methods" "$tracefs/uprobe_events" <<'PY'
import os, sys
fd = os.open(sys.argv[3], os.O_WRONLY | os.O_APPEND)
for i, line in enumerate(open(sys.argv[2]), 1):
    os.write(fd, f"p:gue_order/m{i} {sys.argv[1]}:0x{line.split()[0]}\n".encode())
PY
echo 1 >"$tracefs/events/gue_order/enable"

GRACEFUL_UPGRADE_EXAMPLE_CONFIG=/nonexistent "$bin" --Service:Listen=127.0.0.1:18097 >"$work/service.log" 2>&1 &
pid=$!
for ((i = 0; i < 600; i++)); do curl -fso /dev/null http://127.0.0.1:18097/readyz && break; sleep 0.1; done
ab -q -n 10000 -c 10 http://127.0.0.1:18097/ >/dev/null
ab -q -k -n 10000 -c 10 http://127.0.0.1:18097/ >/dev/null
for path in / /version /healthz /readyz /nope; do curl -so /dev/null "http://127.0.0.1:18097$path"; done
curl -so /dev/null -X POST http://127.0.0.1:18097/
kill -TERM "$pid"; wait "$pid" || true; pid=

# uprobe_profile: "<file> <event> <hits>"; event mN is line N of the method list.
awk '$3 > 0 {sub(/^m/, "", $2); print $2}' "$tracefs/uprobe_profile" | sort -n \
  | awk 'NR == FNR {hit[$1]; next} FNR in hit {print $2}' - "$work/methods" >"$top/src/Service/aot-order.txt"
echo "src/Service/aot-order.txt: $(wc -l <"$top/src/Service/aot-order.txt") of $(wc -l <"$work/methods") methods ran" >&2
