#!/bin/bash
# Runs every test: unit, integration (real Kestrel, real processes, real load) and end-to-end
# (the real .deb in a real systemd booted with systemd-nspawn). Run as root on Debian/Ubuntu:
#   ops/test.sh
# It installs what it needs, builds each package version once, runs the static checks
# (ops/lint.sh: shellcheck, systemd-analyze verify, lintian, yamllint, ansible-lint), then
# the three test projects one after another (they share ports and CPU), and ends with one
# line: "N passed, N failed" (followed by "; lint failed" when a static check failed). Any
# failure fails the run.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

versions=(1.0.0 2.0.0 3.0.0 4.0.0 5.0.0)
# A version that cannot start, for the failure scenarios (same length as the others, so ab's
# response-length check stays meaningful): see ops/publish.sh --test-faults.
faulty=6.6.6
projects=(Service.UnitTests Service.IntegrationTests Service.EndToEndTests)

ops/install-deps.sh

echo "==> building each version once: ${versions[*]}, and $faulty with test faults" >&2
for version in "${versions[@]}" "$faulty"; do
  flags=()
  [ "$version" != "$faulty" ] || flags=(--test-faults)
  binary=$(ops/publish.sh "$version" "${flags[@]}")
  GUE_PREBUILT_BINARY=$binary ops/fpm.sh "$version" >/dev/null
done

echo "==> static checks (ops/lint.sh)" >&2
lint=ok
debs=()
for version in "${versions[@]}"; do debs+=("build/graceful-upgrade-example_${version}_amd64.deb"); done
ops/lint.sh "${debs[@]}" >&2 || lint=failed

results="$top/build/test-results"
rm -rf "$results"
mkdir -p "$results"
status=0
[ "$lint" = ok ] || status=1
for project in "${projects[@]}"; do
  echo "==> $project" >&2
  dotnet test "tests/$project" --nologo -c Release \
    --logger "trx;LogFileName=$project.trx" --logger "console;verbosity=normal" \
    --results-directory "$results" || status=1
done

# Totals from the test results themselves (the .trx files), not from console text.
passed=0 failed=0 skipped=0 total=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  attr() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  total=$((total + $(attr total)))
  passed=$((passed + $(attr passed)))
  failed=$((failed + $(attr failed) + $(attr error) + $(attr timeout) + $(attr aborted)))
  # A skipped test is in the total but not executed (the .trx's notExecuted counter stays 0).
  skipped=$((skipped + $(attr total) - $(attr executed)))
done
trx_files=("$results"/*.trx)
if [ ! -f "${trx_files[0]}" ] || [ "${#trx_files[@]}" -ne "${#projects[@]}" ]; then
  echo "some test project wrote no results" >&2
  status=1
fi
[ "$total" -gt 0 ] || { echo "no test ran" >&2; status=1; }
[ "$failed" -eq 0 ] || status=1

# What failed and why, right above the totals: the tail of a CI log is often all that is kept.
python3 ops/test/failures.py "$results"/*.trx || true

summary="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || summary="$summary, $skipped skipped"
[ "$lint" = ok ] || summary="$summary; lint failed"
echo "$summary"
exit "$status"
