#!/bin/bash
# Benchmarks the published service side by side with a minimal Go net/http server on an
# SO_REUSEPORT socket (ops/bench/go-server): exec-to-ready, RSS, req/s, binary size.
#   ops/bench/compare-go.sh [PATH_TO_OUR_BINARY]    (default build/publish/1.0.0/..., published if missing)
# Env: RUNS (startup runs, 5), N (ab requests, 200000), C (ab concurrency, 100),
#      OURS_PORT (18090), GO_PORT (18091). A benchmark, not a test: always exits 0 once measured.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
RUNS=${RUNS:-5} N=${N:-200000} C=${C:-100} OURS_PORT=${OURS_PORT:-18090} GO_PORT=${GO_PORT:-18091}
export GRACEFUL_UPGRADE_EXAMPLE_CONFIG=/nonexistent GOFLAGS=-mod=mod GOTOOLCHAIN=local

bin=${1:-$top/build/publish/1.0.0/graceful-upgrade-example}
[[ -x $bin ]] || bin=$("$top/ops/publish.sh" 1.0.0)

command -v go >/dev/null || apt-get install -y golang-go >&2
command -v ab >/dev/null || apt-get install -y apache2-utils >&2
command -v gcc >/dev/null || apt-get install -y gcc >&2
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work=$(mktemp -d)
pids=()
# shellcheck disable=SC2317  # called by the EXIT trap, which shellcheck does not follow
cleanup() {
  for p in ${pids[@]+"${pids[@]}"}; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for port in "$OURS_PORT" "$GO_PORT"; do
  # With SO_REUSEPORT a stray listener would silently take part of the load: refuse to run.
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port is in use" >&2; exit 1; fi
done

echo "building go-server and ready-probe..." >&2
(cd "$here/go-server" && go build -trimpath -ldflags='-s -w' -o "$work/go-server" .)
gcc -O2 -o "$work/ready-probe" "$here/ready-probe.c"

ours=("$bin" "--Service:Listen=127.0.0.1:$OURS_PORT")
gosrv=("$work/go-server" "-listen=127.0.0.1:$GO_PORT")

# --- exec-to-ready: ready-probe forks+execs the server, polls connect+GET / every 200 us,
# prints ms to the first 200, SIGKILLs it. One untimed warm-up each, then runs alternate.
"$work/ready-probe" "$OURS_PORT" "${ours[@]}" >/dev/null
"$work/ready-probe" "$GO_PORT" "${gosrv[@]}" >/dev/null
ours_t=() go_t=()
for ((i = 0; i < RUNS; i++)); do
  ours_t+=("$("$work/ready-probe" "$OURS_PORT" "${ours[@]}")")
  go_t+=("$("$work/ready-probe" "$GO_PORT" "${gosrv[@]}")")
done
stats() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.1f %.1f %.1f\n", m, v[1], v[NR]}'; }
read -r ours_med ours_min ours_max < <(stats "${ours_t[@]}")
read -r go_med go_min go_max < <(stats "${go_t[@]}")

# --- load: fresh server, 10k warm-up requests, RSS, then keep-alive and close runs.
# ab's output is read by the shared harness (src/Harness, LoadResult), not parsed here.
dotnet build "$top/src/UpgradeDemo" -c Release --nologo -v quiet -o "$top/build/demo/bin" >&2
summary() { dotnet "$top/build/demo/bin/UpgradeDemo.dll" load-summary "$@"; }
rps() {  # ab args... -> req/s (or n/a); warns on an aborted run and on failed / non-2xx requests
  local s
  ab -q "$@" >"$work/ab.out" 2>&1 || true
  s=$(summary ab "$work/ab.out")
  if [[ -n $(sed -n 's/^aborted=//p' <<<"$s") ]]; then
    echo "ab $* aborted: $(sed -n 's/^aborted=//p' <<<"$s")" >&2; echo n/a; return
  fi
  [[ $(sed -n 's/^passed=//p' <<<"$s") == yes ]] || echo "warning: ab $*: $(grep -E '^(failed|non2xx)=' <<<"$s" | tr '\n' ' ')" >&2
  sed -n 's/^rps=//p' <<<"$s"
}
load() {  # name port cmd... -> sets <name>_rss <name>_hwm <name>_rps_k <name>_rps_c
  local name=$1 port=$2 pid url="http://127.0.0.1:$2/"; shift 2
  "$@" >"$work/$name.log" 2>&1 &
  pid=$!; pids+=("$pid")
  for ((i = 0; i < 2000; i++)); do curl -fso /dev/null "$url" && break; sleep 0.01; done
  echo "load test: $name (pid $pid)..." >&2
  ab -q -n 10000 -c 10 "$url" >/dev/null
  printf -v "${name}_rss" '%s' "$(awk '/^VmRSS:/{print $2}' "/proc/$pid/status")"
  printf -v "${name}_rps_k" '%s' "$(rps -k -c "$C" -n "$N" "$url")"
  printf -v "${name}_rps_c" '%s' "$(rps -c "$C" -n "$N" "$url")"
  printf -v "${name}_hwm" '%s' "$(awk '/^VmHWM:/{print $2}' "/proc/$pid/status")"
  kill -TERM "$pid"; wait "$pid" || true
  pids=()
}
load1=$(cut -d' ' -f1-3 /proc/loadavg)
load ours "$OURS_PORT" "${ours[@]}"
load go "$GO_PORT" "${gosrv[@]}"
load2=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a/b; else print "n/a" }'; }
verdict() {  # ratio op limit
  awk -v r="$1" -v op="$2" -v l="$3" 'BEGIN { if (op == "-") print ""; else if (r == "n/a") print "n/a"; else if ((op == "le" && r <= l) || (op == "ge" && r >= l)) print "PASS"; else print "MISS" }'
}
row() {  # label ours go op limit target-text
  local r; r=$(ratio "$2" "$3")
  printf '%-34s %12s %12s %8s  %-12s %s\n' "$1" "$2" "$3" "$r" "$6" "$(verdict "$r" "$4" "$5")" | sed 's/ *$//'
}
size() { stat -c %s "$1" | awk '{printf "%.1f", $1/1048576}'; }

echo
echo "compare-go: $(nproc) CPUs, $(uname -r), go $(go env GOVERSION), ab -c $C -n $N, startup runs $RUNS"
echo "ours: $bin"
echo "go:   ops/bench/go-server (go build -trimpath -ldflags='-s -w')"
echo "load average before/after load tests: $load1 / $load2"
echo
printf '%-34s %12s %12s %8s  %-12s %s\n' figure ours go ours/go target result
row "exec-to-ready median (ms)" "$ours_med" "$go_med" le 2 "<= 2x Go"
row "exec-to-ready min (ms)" "$ours_min" "$go_min" - 0 ""
row "exec-to-ready max (ms)" "$ours_max" "$go_max" - 0 ""
# load() assigns these through printf -v, which shellcheck cannot see.
# shellcheck disable=SC2154
{
  row "VmRSS after 10k requests (KiB)" "$ours_rss" "$go_rss" le 1.5 "<= 1.5x Go"
  row "req/s keep-alive (ab -k)" "$ours_rps_k" "$go_rps_k" ge 1 ">= Go"
  row "req/s new connection each" "$ours_rps_c" "$go_rps_c" ge 1 ">= Go"
  row "VmHWM after all load (KiB)" "$ours_hwm" "$go_hwm" - 0 ""
}
row "binary size (MiB)" "$(size "$bin")" "$(size "$work/go-server")" - 0 ""
echo
echo "exec-to-ready runs (ms): ours ${ours_t[*]}; go ${go_t[*]}"
exit 0
