#!/bin/bash
# The static checks CI runs (ops/test.sh calls this; any finding fails the run):
#   ShellCheck            every shell script under ops/ (maintainer scripts as POSIX sh,
#                         which is what dpkg runs them with)
#   systemd-analyze verify  the unit template as the package installs it
#   lintian               each .deb given, no error or warning; every override in
#                         ops/package/lintian-overrides must carry a comment saying why
#   yamllint, ansible-lint  ops/ansible/ (the fleet rollout), with the repository's .yamllint;
#                         yamllint --strict (warnings count), ansible-lint's production profile
#
#   ops/lint.sh DEB...
#
# Prints each check and its result, and ends with "lint: N checks, N failed".
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
NAME=graceful-upgrade-example

[[ $# -ge 1 ]] || { echo "usage: ops/lint.sh DEB..." >&2; exit 2; }
checks=0 failed=0
# check LABEL CMD...: runs CMD; a non-zero exit or (for verify) any output is a finding.
check() {
  local label=$1 out rc=0
  shift
  checks=$((checks + 1))
  out=$("$@" 2>&1) || rc=$?
  if [[ $rc -eq 0 ]]; then
    echo "ok    $label"
  else
    failed=$((failed + 1))
    echo "FAIL  $label"
    while IFS= read -r line; do echo "      $line"; done <<<"$out"
  fi
}

# --- shellcheck: found by their first line, so a new script cannot be missed.
shells=()
while IFS= read -r -d '' file; do
  case $(head -n1 "$file") in
    '#!/bin/sh'*) shells+=("sh:$file") ;;
    '#!/bin/bash'* | '#!/usr/bin/env bash'*) shells+=("bash:$file") ;;
  esac
done < <(find ops -type f -print0 | sort -z)
[[ ${#shells[@]} -gt 0 ]] || { echo "lint: no shell script found under ops/" >&2; exit 1; }
# -x: follow what a script sources (ops/bench/lib.sh, named by a "shellcheck source=" line), so
# that the variables it defines count as defined.
for entry in "${shells[@]}"; do
  dialect=${entry%%:*} file=${entry#*:}
  check "shellcheck -x -s $dialect $file" shellcheck -x -s "$dialect" "$file"
done

# --- systemd-analyze verify: in a root that holds the package's files and the host's own
# units (sysinit.target etc.), so that ExecStart= and every dependency resolve.
verify_unit() {
  local deb=$1 root out
  root=$(mktemp -d)
  trap 'rm -rf "$root"' RETURN
  dpkg-deb -x "$deb" "$root"
  cp -rn /lib/systemd/system/. "$root/lib/systemd/system/"
  # verify warns (unknown key, bad value) with exit status 0: any output is a finding.
  out=$(systemd-analyze verify --root="$root" "$NAME@1.service" 2>&1) || { echo "$out"; return 1; }
  [[ -z $out ]] || { echo "$out"; return 1; }
}
check "systemd-analyze verify $NAME@.service (from $(basename "$1"))" verify_unit "$1"

# --- lintian
overrides_have_reasons() {
  awk 'NF && !/^#/ && prev !~ /^#/ { print "override without a comment saying why (line " NR "): " $0; bad = 1 }
       { prev = $0 } END { exit bad }' ops/package/lintian-overrides
}
check "every lintian override has a written reason" overrides_have_reasons
for deb in "$@"; do
  check "lintian $(basename "$deb")" lintian --fail-on error,warning --display-info "$deb"
done

# --- Ansible. --offline: ansible-lint would otherwise fetch its schemas from the internet.
check "yamllint --strict ops/ansible" yamllint --strict ops/ansible
check "ansible-lint --profile production ops/ansible" \
  ansible-lint --offline --profile production --nocolor -q ops/ansible

echo "lint: $checks checks, $failed failed"
[[ $failed -eq 0 ]]
