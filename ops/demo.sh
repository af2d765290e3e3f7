#!/bin/bash
# The upgrade, seen: a zero-downtime upgrade under the original experiment's load, in one
# command. On a fresh Debian/Ubuntu machine, as root:
#
#   ops/demo.sh [--requests N] [--chart FILE] [--rebuild]
#   ops/demo.sh --fleet [--requests N] [--chart FILE] [--rebuild]
#
# --fleet: the same two versions rolled out across a fleet instead (docs/fleet.md): 4 simulated
# hosts behind HAProxy on 127.0.0.1:8080 (ops/fleet/simulate.sh, its state in build/demo/fleet),
# V1 installed by ops/ansible/rollout.yml, then ab -c 1000 through HAProxy and, 5 s in, the
# rollout of V2 with the playbook; ab is stopped 3 s after the playbook returns (its -n N,
# default 2000000, only bounds it); live per-host progress, each host's
# handover, PASS or FAIL, and the chart (default build/demo/fleet.svg).
#
# 1. installs what is missing (ops/install-deps.sh);
# 2. builds the packages of two versions, GUE_DEMO_V1 (1.0.0) and GUE_DEMO_V2 (2.0.0), reusing
#    build/graceful-upgrade-example_VERSION_amd64.deb when present (--rebuild or
#    GUE_DEMO_REBUILD=1 builds them again);
# 3. runs src/UpgradeDemo, which sets net.ipv4.tcp_migrate_req=1 on the host (and puts the old
#    value back), boots a throwaway systemd (ops/systemd-box), installs V1 in it, runs
#    ab -c 1000 -n N (default 200000) against 127.0.0.1:8080 and, a quarter of the way in,
#    dpkg -i V2 in the box; live progress, then a report ending in PASS or FAIL, and an SVG
#    chart (default build/demo/upgrade.svg).
#
# Steps 1 and 2 print one line each; what apt, dpkg and the builds print goes to
# build/demo/demo.log, which an error message points to.
#
# Everything it started goes away on exit, failure, Ctrl-C or SIGTERM: the demo process and
# what it started, the box (its container, mounts and files), the sysctl change. Only one demo
# runs at a time, and it waits (up to GUE_DEMO_PORT_WAIT seconds, 600) for port 8080 to be free
# rather than touch whatever holds it. Exit code: the demo's (0 PASS, 1 FAIL, 2 could not run,
# 130 interrupted).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

readonly PORT=8080 DEMO_STOP_DEADLINE=90
readonly LOCK=/run/graceful-upgrade-example-demo.lock
v1=${GUE_DEMO_V1:-1.0.0}
v2=${GUE_DEMO_V2:-2.0.0}
rebuild=${GUE_DEMO_REBUILD:-0}
port_wait=${GUE_DEMO_PORT_WAIT:-600}
log=$top/build/demo/demo.log
demo_args=()
fleet=0
fleet_dir=$top/build/demo/fleet

die() { echo "demo.sh: $*" >&2; exit 2; }
say() { echo "==> $*" >&2; }

# One line on the terminal; the command's own output into the log. On failure, the last
# lines of the log and where the rest is.
step() {
  local what=$1
  shift
  say "$what"
  echo "==> $what: $*" >>"$log"
  if ! "$@" >>"$log" 2>&1; then
    echo "demo.sh: $what failed; the last lines of $log:" >&2
    tail -n 15 "$log" | sed 's/^/    /' >&2
    exit 2
  fi
}

while [[ $# -gt 0 ]]; do
  case $1 in
    --requests)
      [[ $# -ge 2 ]] || die "$1 needs a value"
      demo_args+=("$1" "$2")
      shift 2 ;;
    --chart)
      [[ $# -ge 2 ]] || die "$1 needs a value"
      demo_args+=("$1" "$(realpath -m -- "$2")")   # relative to where the user is, not the repo
      shift 2 ;;
    --rebuild) rebuild=1; shift ;;
    --fleet) fleet=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ $EUID -eq 0 ]] || die "run as root: it boots a systemd container and installs packages in it"
cd "$top"
mkdir -p "$(dirname "$log")"
: >"$log"

# Builds leave no compiler or MSBuild servers running behind the demo.
export DOTNET_CLI_USE_MSBUILD_SERVER=0 MSBUILDDISABLENODEREUSE=1 UseSharedCompilation=false
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

# One demo at a time. Fd 9 holds the lock; the long-lived children get `9>&-` so that none of
# them can keep holding it.
exec 9>"$LOCK"
flock -n 9 || die "another demo is running (lock $LOCK)"

demo_pid=""

# shellcheck disable=SC2317  # only ever called by the traps below
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n $demo_pid ]] && kill -0 "$demo_pid" 2>/dev/null; then
    say "stopping the demo (pid $demo_pid)"
    kill -TERM "$demo_pid" 2>/dev/null || true
    local deadline=$((SECONDS + DEMO_STOP_DEADLINE))
    while kill -0 "$demo_pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  fi
  if [[ -n $demo_pid ]]; then
    # The demo ran in its own session (setsid): its process group is the demo and everything
    # it started (ab, nsenter). Whatever of it outlived the demo, e.g. after a crash, goes now.
    if kill -0 -- "-$demo_pid" 2>/dev/null; then
      kill -KILL -- "-$demo_pid" 2>/dev/null || true
    fi
    # The fleet demo takes its fleet down itself; this is for one that could not.
    if [[ -f $fleet_dir/pids ]]; then
      say "tearing down the fleet in $fleet_dir"
      ops/fleet/simulate.sh down "$fleet_dir" >>"$log" 2>&1 || status=$((status ? status : 2))
    fi
    # The demo throws its box away itself; this is for a demo that could not (killed, crashed).
    # Its box is named after its pid (SystemdBox.StartAsync("demo")).
    if [[ -e /dev/shm/gue-demo-$demo_pid ]]; then
      say "tearing down box gue-demo-$demo_pid"
      ops/systemd-box stop "gue-demo-$demo_pid" >>"$log" 2>&1 || status=$((status ? status : 2))
    fi
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ops/install-deps.sh --log "$log"

# shellcheck disable=SC2317  # called through step
build_package() {
  local binary
  binary=$(ops/publish.sh "$1")
  GUE_PREBUILT_BINARY=$binary ops/fpm.sh "$1"
}

debs=()
for version in "$v1" "$v2"; do
  deb=$top/build/graceful-upgrade-example_${version}_amd64.deb
  if [[ -f $deb && $rebuild != 1 ]]; then
    say "reusing $deb"
  else
    step "building $version (Native AOT publish, then the package)" build_package "$version"
  fi
  debs+=("$deb")
done

step "building src/UpgradeDemo" dotnet build src/UpgradeDemo -c Release --nologo -v quiet -o build/demo/bin

# Another engineer's service or test may hold the port: wait for it, never stop it.
deadline=$((SECONDS + port_wait)) said=0
while [[ -n $(ss -Hltn "sport = :$PORT") ]]; do
  ((SECONDS < deadline)) || die "port $PORT still in use after ${port_wait}s: $(ss -Hltnp "sport = :$PORT" | head -n1)"
  ((said)) || say "port $PORT is in use; waiting up to ${port_wait}s for it to be free"
  said=1
  sleep 5
done

mode=()
if ((fleet)); then
  # A fleet left by a demo killed with SIGKILL (no trap ran) goes first.
  [[ ! -f $fleet_dir/pids ]] || step "tearing down the fleet a previous demo left" ops/fleet/simulate.sh down "$fleet_dir"
  rm -rf "$fleet_dir"
  mode=(--fleet "$fleet_dir" --requests 2000000 --chart "$top/build/demo/fleet.svg")
fi
# Later options win: the user's --requests and --chart override the fleet's defaults.
setsid dotnet build/demo/bin/UpgradeDemo.dll ${mode[@]+"${mode[@]}"} --from "${debs[0]}" --to "${debs[1]}" \
  ${demo_args[@]+"${demo_args[@]}"} 9>&- &
demo_pid=$!
status=0
wait "$demo_pid" || status=$?
exit "$status"
