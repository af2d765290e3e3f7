#!/bin/bash
# Benchmarks the published service side by side with a minimal Go net/http server on an
# SO_REUSEPORT socket (ops/bench/go-server): exec-to-ready, RSS, req/s, binary size.
#   ops/bench/compare-go.sh [PATH_TO_OUR_BINARY]    (default $BIN, else build/publish/1.0.0/..., published if missing)
# Env: RUNS (startup runs, 5), N (ab requests, 200000), C (ab concurrency, 100),
#      OURS_PORT (18090), GO_PORT (18091). A benchmark, not a test: always exits 0 once measured.
set -euo pipefail
# shellcheck source=ops/bench/lib.sh
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-5} N=${N:-200000} C=${C:-100} OURS_PORT=${OURS_PORT:-18090} GO_PORT=${GO_PORT:-18091}
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
bin=$(service_binary "${1:-}")
command -v go >/dev/null || apt-get install -y golang-go >&2
require_free_ports "$OURS_PORT" "$GO_PORT"

echo "building go-server and ready-probe..." >&2
(cd "$here/go-server" && go build -trimpath -ldflags='-s -w' -o "$work/go-server" .)
build_ready_probe

ours=("$bin" "--Service:Listen=127.0.0.1:$OURS_PORT")
gosrv=("$work/go-server" "-listen=127.0.0.1:$GO_PORT")

# --- exec-to-ready: ready-probe forks+execs the server, polls connect+GET / every 200 us,
# prints ms to the first 200, SIGKILLs it (probe_alternating in lib.sh).
probe_alternating "$RUNS" "$OURS_PORT" "$GO_PORT" "${ours[@]}" -- "${gosrv[@]}"
ours_t=("${probe_a[@]}") go_t=("${probe_b[@]}")
read -r ours_med ours_min ours_max < <(stats "${ours_t[@]}")
read -r go_med go_min go_max < <(stats "${go_t[@]}")

# --- load: fresh server, 10k warm-up requests, RSS, then keep-alive and close runs.
build_load_summary
load() {  # name port cmd... -> sets <name>_rss <name>_anon <name>_file <name>_hwm <name>_rps_k <name>_rps_c
  local name=$1 pid url="http://127.0.0.1:$2/"; shift 2
  start_server "$name" "$url" "$@"
  pid=$server_pid
  echo "load test: $name (pid $pid)..." >&2
  ab -q -n 10000 -c 10 "$url" >/dev/null
  printf -v "${name}_rss" '%s' "$(awk '/^VmRSS:/{print $2}' "/proc/$pid/status")"
  # VmRSS = RssAnon (heap, stacks, the runtime's data) + RssFile (the binary's and the
  # libraries' pages mapped from the page cache) + RssShmem: where a difference sits.
  printf -v "${name}_anon" '%s' "$(awk '/^RssAnon:/{print $2}' "/proc/$pid/status")"
  printf -v "${name}_file" '%s' "$(awk '/^RssFile:/{print $2}' "/proc/$pid/status")"
  printf -v "${name}_rps_k" '%s' "$(rps -k -c "$C" -n "$N" "$url")"
  printf -v "${name}_rps_c" '%s' "$(rps -c "$C" -n "$N" "$url")"
  printf -v "${name}_hwm" '%s' "$(awk '/^VmHWM:/{print $2}' "/proc/$pid/status")"
  stop_server
}
load1=$(cut -d' ' -f1-3 /proc/loadavg)
load ours "$OURS_PORT" "${ours[@]}"
load go "$GO_PORT" "${gosrv[@]}"
load2=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report
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
row "exec-to-ready median (ms)" "$ours_med" "$go_med" le 6 "<= 6x Go"
row "exec-to-ready min (ms)" "$ours_min" "$go_min" - 0 ""
row "exec-to-ready max (ms)" "$ours_max" "$go_max" - 0 ""
# load() assigns these through printf -v, which shellcheck cannot see.
# shellcheck disable=SC2154
{
  row "VmRSS after 10k requests (KiB)" "$ours_rss" "$go_rss" le 1.7 "<= 1.7x Go"
  row "  of it RssAnon (KiB)" "$ours_anon" "$go_anon" - 0 ""
  row "  of it RssFile (KiB)" "$ours_file" "$go_file" - 0 ""
  row "req/s keep-alive (ab -k)" "$ours_rps_k" "$go_rps_k" ge 1 ">= Go"
  row "req/s new connection each" "$ours_rps_c" "$go_rps_c" ge 1 ">= Go"
  row "VmHWM after all load (KiB)" "$ours_hwm" "$go_hwm" - 0 ""
}
row "binary size (MiB)" "$(size "$bin")" "$(size "$work/go-server")" - 0 ""
echo
echo "exec-to-ready runs (ms): ours ${ours_t[*]}; go ${go_t[*]}"
exit 0
