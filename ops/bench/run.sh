#!/bin/bash
# The benchmark command: runs each benchmark script below and writes their outputs, with a
# description of the machine and the commit measured, to docs/benchmarks.md.
#   ops/bench/run.sh        (as root; builds 1.0.0 and 2.0.0 if their packages are missing)
# Env: BEFORE_BUILD=DIR BEFORE_COMMIT=HASH  also measure an older build (DIR holds
#        publish/1.0.0/graceful-upgrade-example and the 1.0.0 and 2.0.0 packages, e.g. another
#        worktree's build/) for the sections that compare builds; each such section then shows
#        "before" (HASH) and "after" (this commit).
#      BENCH_LOCK (/tmp/gue-load.lock): each script runs holding this lock, one at a time, so
#        that no other load shares the machine and no single hold is long; "none" if the
#        caller holds it already.
# One more benchmark is one more `section` line at the end.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/docs/benchmarks.md
lock=${BENCH_LOCK:-/tmp/gue-load.lock}
"$top/ops/install-deps.sh"

for v in 1.0.0 2.0.0; do
  [[ -f $top/build/graceful-upgrade-example_${v}_amd64.deb ]] || "$top/ops/fpm.sh" "$v" >/dev/null
done
bin=$top/build/publish/1.0.0/graceful-upgrade-example
[[ -x $bin ]] || bin=$("$top/ops/publish.sh" 1.0.0)
after=$(git -C "$top" rev-parse --short HEAD)$([[ -z $(git -C "$top" status --porcelain -- src ops) ]] || echo "+uncommitted")

body=$(mktemp)
trap 'rm -f "$body"' EXIT

locked() { if [[ $lock == none ]]; then "$@"; else flock "$lock" "$@"; fi; }

# section TITLE SCRIPT [ARGS...]: one "## TITLE (ops/bench/SCRIPT)" with the script's output.
section() {
  local title=$1 script=$2; shift 2
  echo "running ops/bench/$script $*..." >&2
  {
    echo
    echo "## $title (ops/bench/$script)"
    echo
    echo '```'
    locked "$top/ops/bench/$script" "$@"
    echo '```'
  } >>"$body"
}

# compared TITLE SCRIPT: the section for this commit's build, and for BEFORE_BUILD's if given.
# The scripts take the binary to measure as BIN and the packages' directory as DEBS.
compared() {
  local title=$1 script=$2
  if [[ -n ${BEFORE_BUILD:-} ]]; then
    BIN=$BEFORE_BUILD/publish/1.0.0/graceful-upgrade-example DEBS=$BEFORE_BUILD \
      section "$title, before: ${BEFORE_COMMIT:-$BEFORE_BUILD}" "$script"
    BIN=$bin section "$title, after: $after" "$script"
  else
    BIN=$bin section "$title, $after" "$script"
  fi
}

compared "The service against a minimal Go net/http server" compare-go.sh
compared "HTTPS beside plain HTTP" https.sh
compared "Handover overhead: idle dpkg -i with and without the handover" overhead.sh
section "Consecutive upgrades in a real systemd under ab -c 1000" upgrades.sh 1.0.0 2.0.0
section "Fleet rollout: 4 hosts behind HAProxy, ansible-playbook under ab -c 1000" fleet.sh 1.0.0 2.0.0

{
  echo "# Benchmarks"
  echo
  echo "Written by \`ops/bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') at commit $after. Machine: $(nproc) CPUs"
  echo "($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), $(free -g | awk '/^Mem:/{print $2}') GiB RAM,"
  # shellcheck source=/dev/null  # the machine's own, read at run time
  echo "Linux $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME"), .NET SDK $(dotnet --version)."
  echo "The machine is shared: compare ratios within one run rather than absolute figures across runs."
  if [[ -n ${BEFORE_BUILD:-} ]]; then
    echo "Sections marked \"before\" measure the build of commit ${BEFORE_COMMIT:-$BEFORE_BUILD}, \"after\" this commit's."
  fi
  cat "$body"
} >"$out"
cat "$out"
