#!/bin/bash
# Upgrade figures in a real systemd (ops/systemd-box): for each of UPGRADES consecutive
# upgrades, alternating between two versions, under `ab -c 1000 -n N`:
#   - the handover duration: wall time of `dpkg -i` (start NEW, READY=1, stop and drain OLD);
#   - the new instance's exec-to-ready, from systemd's own timestamps
#     (ExecMainStartTimestampMonotonic to ActiveEnterTimestampMonotonic);
#   - ab's failed requests and non-2xx responses, and its longest request (ab waits up to
#     120 s for an answer, so a SYN the kernel dropped shows as a 1+2+4... s delay here);
#   - the kernel's counters for this handover: queued connections moved to the new instance
#     (TcpExtTCPMigrateReqSuccess), ones that could not be (…Failure), SYN retransmissions;
# then the same handover idle (no load), IDLE times. Prints one line per run and a summary.
#   ops/bench/upgrades.sh [V1 V2]     env: UPGRADES (10), N (100000), IDLE (5)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
v1=${1:-1.0.0} v2=${2:-2.0.0}
UPGRADES=${UPGRADES:-10} N=${N:-100000} IDLE=${IDLE:-5}
box=gue-bench-$$
work=$(mktemp -d)
old_migrate=$(cat /proc/sys/net/ipv4/tcp_migrate_req)
ab_pid=

cleanup() {
  [[ -z $ab_pid ]] || kill "$ab_pid" 2>/dev/null || true
  "$top/ops/systemd-box" stop "$box" >/dev/null 2>&1 || true
  echo "$old_migrate" >/proc/sys/net/ipv4/tcp_migrate_req
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

deb() {
  local path=$top/build/graceful-upgrade-example_$1_amd64.deb
  [[ -f $path ]] || path=$("$top/ops/fpm.sh" "$1" | tail -n1)
  echo "$path"
}
in_box() { "$top/ops/systemd-box" exec "$box" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# exec-to-ready of an instance, in ms, from systemd's monotonic timestamps (microseconds).
ready_ms() {
  in_box systemctl show -p ExecMainStartTimestampMonotonic -p ActiveEnterTimestampMonotonic --value \
    "graceful-upgrade-example@$1.service" | awk 'NR==1{s=$1} NR==2{a=$1} END{printf "%.1f", (a-s)/1000}'
}
# Absolute values of the kernel's TCP counters named, one per line, in that order.
counters() { nstat -asz "$@" | awk 'NR > 1 {print $2}'; }
readonly COUNTERS=(TcpExtTCPMigrateReqSuccess TcpExtTCPMigrateReqFailure TcpExtTCPSynRetrans)
stats() { sort -n | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "median %s, range %s..%s (n=%d)", m, v[1], v[NR], NR}'; }

echo 1 >/proc/sys/net/ipv4/tcp_migrate_req
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
"$top/ops/systemd-box" start "$box" >/dev/null
for v in "$v1" "$v2"; do "$top/ops/systemd-box" copy "$box" "$(deb "$v")" "/srv/$v.deb"; done
in_box dpkg -i "/srv/$v1.deb" >/dev/null

current=$v1
printf '%-4s %-16s %12s %14s %8s %8s %11s %9s %9s %9s\n' run upgrade handover_ms exec_ready_ms failed non2xx longest_ms migrated mig_fail syn_rtx
for ((i = 1; i <= UPGRADES; i++)); do
  next=$([[ $current == "$v1" ]] && echo "$v2" || echo "$v1")
  mapfile -t before < <(counters "${COUNTERS[@]}")
  ab -r -s 120 -c 1000 -n "$N" http://127.0.0.1:8080/ >"$work/ab.out" 2>"$work/ab.err" &
  ab_pid=$!
  # Upgrade once ab has done about a third of its requests.
  until grep -q "Completed $((N * 3 / 10)) requests" "$work/ab.err" 2>/dev/null; do
    kill -0 "$ab_pid" 2>/dev/null || break
    sleep 0.05
  done
  t0=$(now_ms)
  in_box dpkg -i "/srv/$next.deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; exit 1; }
  handover=$(($(now_ms) - t0))
  wait "$ab_pid" || true
  ab_pid=
  failed=$(awk '/^Failed requests:/{print $3}' "$work/ab.out")
  non2xx=$(awk '/^Non-2xx responses:/{print $3}' "$work/ab.out")
  longest=$(awk '/100%/{print $2}' "$work/ab.out")
  mapfile -t after < <(counters "${COUNTERS[@]}")
  ready=$(ready_ms "$next")
  printf '%-4s %-16s %12s %14s %8s %8s %11s %9s %9s %9s\n' "$i" "$current->$next" "$handover" "$ready" "${failed:-?}" "${non2xx:-0}" \
    "${longest:-?}" $((after[0] - before[0])) $((after[1] - before[1])) $((after[2] - before[2]))
  echo "${longest:-9999999}" >>"$work/longest"
  echo "$handover" >>"$work/handover"; echo "$ready" >>"$work/ready"; echo "${failed:-9999999}" >>"$work/failed"
  current=$next
done

for ((i = 1; i <= IDLE; i++)); do
  next=$([[ $current == "$v1" ]] && echo "$v2" || echo "$v1")
  t0=$(now_ms)
  in_box dpkg -i "/srv/$next.deb" >/dev/null 2>&1
  echo $(($(now_ms) - t0)) >>"$work/idle"
  ready_ms "$next" >>"$work/ready"; echo >>"$work/ready"
  current=$next
done

echo
echo "handover under ab -c 1000 (dpkg -i wall time, ms): $(stats <"$work/handover")"
echo "handover idle (dpkg -i wall time, ms):            $(stats <"$work/idle")"
echo "exec-to-ready under systemd (ms, all upgrades):   $(grep . "$work/ready" | stats)"
echo "failed requests per upgrade:                      $(stats <"$work/failed"), total $(awk "{s+=\$1} END {print s}" "$work/failed")"
echo "longest request per upgrade run (ms):             $(stats <"$work/longest")"
