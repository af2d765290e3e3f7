#!/bin/bash
# Installs what building and testing need on a fresh Debian/Ubuntu machine (as root), and
# restores NuGet packages. Safe to run again: it installs only what is missing.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

# clang + zlib1g-dev: Native AOT linking; apache2-utils (ab), wrk: load; systemd-container:
# systemd-nspawn for the end-to-end tests; lintian, shellcheck: package and script checks.
packages=(clang zlib1g-dev apache2-utils wrk systemd-container lintian shellcheck curl)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

command -v dotnet >/dev/null || { echo "the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }
echo "==> dotnet restore" >&2
dotnet restore "$top/Service.sln" --nologo -v quiet >&2
