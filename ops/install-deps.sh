#!/bin/bash
# Installs what building and testing need on a fresh Debian/Ubuntu machine (as root), and
# restores NuGet packages. Safe to run again: it installs only what is missing.
#   ops/install-deps.sh [--log FILE]
# Prints one line per step. With --log, what apt-get, dpkg and dotnet print goes to FILE
# (appended) instead of the terminal, and a failure names the file; without it, all of it shows
# (ops/test.sh, CI).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
log=""
if [ "${1:-}" = --log ]; then
  [ $# -ge 2 ] || { echo "install-deps.sh: --log needs a file" >&2; exit 2; }
  log=$2
fi

# Runs a step's command, its output to the log when there is one.
run() {
  local what=$1
  shift
  echo "==> $what" >&2
  if [ -z "$log" ]; then
    "$@" >&2
  elif ! { echo "==> $what"; "$@"; } >>"$log" 2>&1; then
    echo "install-deps.sh: $what failed; the last lines of $log:" >&2
    tail -n 15 "$log" | sed 's/^/    /' >&2
    exit 1
  fi
}

# clang + zlib1g-dev: Native AOT linking; apache2-utils (ab), wrk, nghttp2-client (h2load):
# load; systemd-container: systemd-nspawn for the end-to-end tests; lintian, shellcheck:
# package and script checks; openssl: the certificates the HTTPS tests make; ansible-core,
# openssh-server/-client: the fleet rollout (ops/ansible) into boxes over SSH, python3-apt
# for its apt module on those hosts (the boxes share this machine's root); ansible-lint,
# yamllint: its static checks; dpkg-dev (dpkg-scanpackages), apt-utils (apt-ftparchive), gnupg:
# ops/repo/publish.sh's signed apt repository; python3: the plain HTTP server that serves it;
# haproxy: the fleet simulation's load balancer (ops/fleet/simulate.sh).
packages=(clang zlib1g-dev apache2-utils wrk nghttp2-client systemd-container lintian shellcheck curl openssl
  ansible-core ansible-lint yamllint python3-apt openssh-server openssh-client dpkg-dev apt-utils gnupg python3 haproxy)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  run "apt-get update" apt-get update -qq
  run "installing ${missing[*]} (apt-get)" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v dotnet >/dev/null || { echo "the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }
run "dotnet restore" dotnet restore "$top/Service.sln" --nologo -v quiet
