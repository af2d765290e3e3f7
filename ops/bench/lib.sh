# shellcheck shell=bash
# Shared by the load benchmarks on loopback (compare-go.sh, https.sh); sourced, not run.
# Sets: here, top, work (a temp dir), pids (servers to kill on exit); defines the helpers below.
# ab's output is read by the shared harness (src/Harness, LoadResult, through
# `UpgradeDemo load-summary`), not parsed here; ab always runs with its default 30 s timeout.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
export GRACEFUL_UPGRADE_EXAMPLE_CONFIG=/nonexistent

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

# The published binary to measure: $1 if given, else $BIN, else build/publish/1.0.0/...,
# published if missing.
service_binary() {
  local bin=${1:-${BIN:-$top/build/publish/1.0.0/graceful-upgrade-example}}
  [[ -x $bin ]] || bin=$("$top/ops/publish.sh" 1.0.0)
  echo "$bin"
}

require_free_ports() {
  for port in "$@"; do
    # With SO_REUSEPORT a stray listener would silently take part of the load: refuse to run.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port is in use" >&2; exit 1; fi
  done
}

# TIME_WAIT sockets left on a port by an earlier load run (60 s each) make every connect() to
# it search for a free 4-tuple: measured here, 14,000 of them raised the Go server's
# exec-to-ready from 3 to 14 ms, which flatters any ratio to Go. Wait them out (deadline 90 s).
wait_for_no_time_wait() {  # port...
  local filter="" port i n
  for port in "$@"; do filter+="${filter:+ or }dport = :$port or sport = :$port"; done
  for ((i = 0; i < 90; i++)); do
    n=$(ss -Htan state time-wait "( $filter )" | wc -l)
    ((n == 0)) && return 0
    ((i == 0)) && echo "waiting for $n TIME_WAIT socket(s) on port(s) $* to expire..." >&2
    sleep 1
  done
  echo "ports $* still have $n TIME_WAIT socket(s) after 90 s: start-up figures would be skewed" >&2
  exit 1
}

build_ready_probe() { gcc -O2 -o "$work/ready-probe" "$here/ready-probe.c"; }

# exec-to-ready of two commands: ready-probe fork+execs one, polls its port until the first
# 200 and prints the ms. One untimed warm-up each (page cache), then RUNS runs that alternate,
# so both meet the same noise of the shared machine. Sets probe_a and probe_b (ms per run).
probe_alternating() {  # runs port_a port_b cmd_a... -- cmd_b...
  local runs=$1 port_a=$2 port_b=$3 a=() b=() i
  shift 3
  while [[ $1 != -- ]]; do a+=("$1"); shift; done
  shift
  b=("$@")
  wait_for_no_time_wait "$port_a" "$port_b"
  "$work/ready-probe" "$port_a" "${a[@]}" >/dev/null
  "$work/ready-probe" "$port_b" "${b[@]}" >/dev/null
  probe_a=() probe_b=()
  for ((i = 0; i < runs; i++)); do
    probe_a+=("$("$work/ready-probe" "$port_a" "${a[@]}")")
    probe_b+=("$("$work/ready-probe" "$port_b" "${b[@]}")")
  done
}

# median min max of the arguments, one decimal
stats() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.1f %.1f %.1f\n", m, v[1], v[NR]}'; }

build_load_summary() { dotnet build "$top/src/UpgradeDemo" -c Release --nologo -v quiet -o "$top/build/demo/bin" >&2; }
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

# Starts a server in the background (output to $work/NAME.log) and waits for a 200 on URL;
# sets server_pid.
start_server() {  # name url cmd...
  local name=$1 url=$2; shift 2
  "$@" >"$work/$name.log" 2>&1 &
  server_pid=$!; pids+=("$server_pid")
  for ((i = 0; i < 2000; i++)); do curl -kfso /dev/null "$url" && return 0; sleep 0.01; done
  echo "$name did not answer $url within 20 s" >&2; exit 1
}

stop_server() { kill -TERM "$server_pid"; wait "$server_pid" || true; pids=(); }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a/b; else print "n/a" }'; }
