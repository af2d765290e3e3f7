#!/bin/bash
# Creates a passphrase-less ed25519 signing key for ops/repo/publish.sh and prints its
# fingerprint (the only line on stdout).
#
#   ops/repo/new-key.sh GNUPGHOME_DIR [NAME]
#
# For the fleet simulation and the tests: a key without a passphrase can sign unattended, which
# is what they need and what a production archive key must not be. Operators bring their own
# key (docs/fleet.md, "Publishing packages"). GNUPGHOME_DIR is created if absent.
set -euo pipefail
umask 077

die() { echo "new-key.sh: $*" >&2; exit 1; }

[[ $# -ge 1 && $# -le 2 && -n $1 ]] || die "usage: ops/repo/new-key.sh GNUPGHOME_DIR [NAME]"
home=$1
name=${2:-graceful-upgrade-example repository}
command -v gpg >/dev/null || die "gpg not found (ops/install-deps.sh installs gnupg)"

mkdir -p -- "$home"
# gpg warns about, and some versions refuse, a home that others can read.
chmod 0700 -- "$home"
export GNUPGHOME=$home

# The fingerprint comes from gpg's machine-readable status line (KEY_CREATED P FPR), not from
# its human output. "sign" only: an archive key certifies nothing and encrypts nothing.
status=$(gpg --batch --quiet --status-fd 3 --pinentry-mode loopback --passphrase '' \
  --quick-gen-key "$name" ed25519 sign never 3>&1 1>&2) \
  || die "gpg could not create the key '$name' in $home (see gpg's message above)"
fingerprint=$(awk '$2 == "KEY_CREATED" { print $4 }' <<<"$status")
[[ -n $fingerprint ]] || die "gpg reported no created key in $home"
echo "$fingerprint"
