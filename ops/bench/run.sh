#!/bin/bash
# The benchmark command: runs ops/bench/compare-go.sh (exec-to-ready, RSS, req/s against a
# minimal Go server) and ops/bench/upgrades.sh (handover duration, exec-to-ready under systemd
# and failed requests over consecutive upgrades under ab -c 1000), and writes both outputs,
# with a description of the machine, to docs/benchmarks.md.
#   ops/bench/run.sh        (as root; builds 1.0.0 and 2.0.0 if their packages are missing)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/docs/benchmarks.md
"$top/ops/install-deps.sh"

for v in 1.0.0 2.0.0; do
  [[ -f $top/build/graceful-upgrade-example_${v}_amd64.deb ]] || "$top/ops/fpm.sh" "$v" >/dev/null
done

compare=$("$top/ops/bench/compare-go.sh" "$top/build/publish/1.0.0/graceful-upgrade-example")
upgrades=$("$top/ops/bench/upgrades.sh" 1.0.0 2.0.0)

{
  echo "# Benchmarks"
  echo
  echo "Written by \`ops/bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'). Machine: $(nproc) CPUs"
  echo "($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), $(free -g | awk '/^Mem:/{print $2}') GiB RAM,"
  # shellcheck source=/dev/null  # the machine's own, read at run time
  echo "Linux $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME"), .NET SDK $(dotnet --version)."
  echo "The machine is shared: compare ratios within one run rather than absolute figures across runs."
  echo
  echo "## The service against a minimal Go net/http server (ops/bench/compare-go.sh)"
  echo
  echo '```'
  echo "$compare"
  echo '```'
  echo
  echo "## Consecutive upgrades in a real systemd under ab -c 1000 (ops/bench/upgrades.sh)"
  echo
  echo '```'
  echo "$upgrades"
  echo '```'
} >"$out"
cat "$out"
