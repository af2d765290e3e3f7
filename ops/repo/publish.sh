#!/bin/bash
# Adds packages to a signed apt repository in REPO_DIR (created if absent); every version is
# kept, so rolling back is installing the older version.
#
#   ops/repo/publish.sh REPO_DIR DEB...
#
# Signs with the key named by GUE_REPO_SIGNING_KEY (fingerprint or user id) from the caller's
# GnuPG home (GNUPGHOME, default ~/.gnupg); when that is unset, with the only secret key there.
# Layout, served as is by any static HTTP server:
#   pool/main/g/graceful-upgrade-example/NAME_VERSION_ARCH.deb
#   dists/stable/{InRelease,Release,Release.gpg}           suite and codename stable
#   dists/stable/main/binary-amd64/{Packages,Packages.gz}  component main, arch amd64
#   graceful-upgrade-example-archive-keyring.gpg           the public key, binary, for signed-by
# Clients: deb [signed-by=/usr/share/keyrings/graceful-upgrade-example-archive-keyring.gpg] URL stable main
#
# Nothing is written until every input has passed: a version already in the repository, a file
# that is not a sound .deb, a .deb of another package or no usable key each stop it with one
# line naming the cause and the file, and the repository stays exactly as it was. The new pool
# files and indexes are made in a staging directory inside REPO_DIR (same filesystem, so moving
# them in is a rename). dists is a symlink to one generation of the indexes, switched by one
# rename, so a reader sees the whole old or the whole new generation; the indexes are also
# served by hash (Acquire-By-Hash) and the previous generation's by-hash files are kept, so an
# apt client that read the old InRelease still gets the Packages that InRelease names.
set -euo pipefail
umask 022

readonly NAME=graceful-upgrade-example SUITE=stable COMPONENT=main ARCH=amd64
readonly KEYRING=$NAME-archive-keyring.gpg
readonly POOL=pool/$COMPONENT/${NAME:0:1}/$NAME
readonly INDEX=$COMPONENT/binary-$ARCH
# dpkg-deb's field names, not shell expansions.
# shellcheck disable=SC2016
readonly FIELDS='${Package} ${Version} ${Architecture}\n'
# How long a second publish.sh on the same repository waits for the first to finish.
readonly LOCK_DEADLINE=120

die() { echo "publish.sh: $*" >&2; exit 1; }

[[ $# -ge 2 && -n $1 ]] || die "usage: ops/repo/publish.sh REPO_DIR DEB..."
repo=$1
shift
for tool in dpkg-deb dpkg-scanpackages apt-ftparchive gpg gpgv flock; do
  command -v "$tool" >/dev/null || die "$tool not found (ops/install-deps.sh installs dpkg-dev, apt-utils and gnupg)"
done

# --- The signing key: exactly one secret key that can sign. -------------------------------
# gpg's colon listing, not its prose: field 12 of a sec line is the whole key's usable
# capabilities, and an upper-case S there means some (sub)key can sign now (not expired,
# revoked or missing its secret part).
home=${GNUPGHOME:-$HOME/.gnupg}
named=${GUE_REPO_SIGNING_KEY:-}
if [[ -n $named ]]; then
  listing=$(gpg --batch --with-colons --list-secret-keys -- "$named" 2>/dev/null) || listing=""
else
  listing=$(gpg --batch --with-colons --list-secret-keys 2>/dev/null) || listing=""
fi
# One line per primary key: its fingerprint and capabilities.
keys=$(awk -F: '$1 == "sec" { caps = $12; want = 1; next }
  $1 == "fpr" && want { print $10, caps; want = 0 }' <<<"$listing")
case $(grep -c . <<<"$keys" || true) in
  0) die "$home: no usable key: no secret key${named:+ matches GUE_REPO_SIGNING_KEY=$named}" ;;
  1) ;;
  *) die "$home: no usable key: ${named:+GUE_REPO_SIGNING_KEY=$named matches }several secret keys ($(cut -d' ' -f1 <<<"$keys" | paste -sd' ')); set GUE_REPO_SIGNING_KEY to one fingerprint" ;;
esac
read -r fingerprint caps <<<"$keys"
[[ $caps == *S* ]] || die "$home: no usable key: $fingerprint cannot sign (expired, revoked, or no secret signing key)"

# --- The packages: each a sound .deb of this package, each version new. ---------------------
declare -A given=()  # pool file name -> the argument it came from
debs=() packages=() versions=() arches=() targets=()
for deb in "$@"; do
  [[ -f $deb && -r $deb ]] || die "$deb: not a readable file"
  # --fsys-tarfile decompresses the whole payload, whose checksums catch corruption that the
  # control member alone would not show; tar then reads every header of it.
  if ! reason=$({ dpkg-deb --show --showformat="$FIELDS" -- "$deb" >/dev/null \
    && dpkg-deb --fsys-tarfile -- "$deb" | tar -tf - >/dev/null; } 2>&1); then
    die "$deb: corrupt or not a .deb ($(head -n1 <<<"$reason"))"
  fi
  read -r package version arch < <(dpkg-deb --show --showformat="$FIELDS" -- "$deb")
  [[ $package == "$NAME" ]] || die "$deb: a .deb of '$package', not of $NAME"
  [[ $arch == "$ARCH" ]] || die "$deb: architecture '$arch'; this repository holds $ARCH only"
  # Debian's pool naming: the version without its epoch.
  file=${package}_${version#*:}_$arch.deb
  [[ -z ${given[$file]:-} ]] || die "$deb: $package $version ($arch) is given twice (also as ${given[$file]})"
  given[$file]=$deb
  debs+=("$deb") packages+=("$package") versions+=("$version") arches+=("$arch") targets+=("$file")
done

# --- The repository: locked, then checked against what it holds. ---------------------------
# The directories from $1 up to the first that exists, deepest first: what mkdir -p will make.
missing_dirs() {
  local dir=$1
  while [[ -n $dir && $dir != . && $dir != / && ! -d $dir ]]; do echo "$dir"; dir=$(dirname -- "$dir"); done
}
[[ -d $repo || ! -e $repo ]] || die "$repo: exists and is not a directory"
mapfile -t made_dirs < <(missing_dirs "$repo")
mkdir -p -- "$repo"
repo=$(cd -- "$repo" && pwd)
stage="" moved=() new_generation="" new_keyring=""
# Undoes whatever was done, in reverse, unless the switch of dists was reached.
cleanup() {
  local status=$?
  if [[ -n $stage ]]; then rm -rf -- "$stage"; fi
  if ((status != 0)); then
    local file
    for file in "${moved[@]}"; do rm -f -- "$file"; done
    if [[ -n $new_generation ]]; then rm -rf -- "$new_generation"; fi
    if [[ -n $new_keyring ]]; then rm -f -- "$new_keyring"; fi
    local dir
    for dir in "${made_dirs[@]}"; do rmdir -- "$dir" 2>/dev/null || true; done
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A lock on the directory itself, not a lock file, so that publishing adds nothing but the
# packages; two publishers on one repository take turns.
exec {lock}<"$repo"
flock -w "$LOCK_DEADLINE" "$lock" || die "$repo: another publish.sh held the repository for ${LOCK_DEADLINE}s"

if [[ -e $repo/dists && ! -L $repo/dists ]]; then
  die "$repo/dists: a directory, not the symlink publish.sh switches; this repository was not made by publish.sh"
fi
old_generation=""
if [[ -L $repo/dists ]]; then old_generation=$repo/$(readlink "$repo/dists"); fi
old_packages=$repo/dists/$SUITE/$INDEX/Packages
for i in "${!debs[@]}"; do
  package=${packages[$i]} version=${versions[$i]} arch=${arches[$i]}
  listed=""
  if [[ -f $old_packages ]]; then
    listed=$(awk -v p="$package" -v v="$version" -v a="$arch" '
      /^Package:/ { pk = $2 } /^Version:/ { ve = $2 } /^Architecture:/ { ar = $2 }
      /^$/ { if (pk == p && ve == v && ar == a) found = 1; pk = ve = ar = "" }
      END { if (pk == p && ve == v && ar == a) found = 1; if (found) print "yes" }' "$old_packages")
  fi
  if [[ -n $listed || -e $repo/$POOL/${targets[$i]} ]]; then
    die "${debs[$i]}: $package $version ($arch) is already in the repository $repo"
  fi
done

# The key must be the one clients already trust: a repository re-signed with another key
# would make every host's apt-get update fail.
if [[ -f $repo/$KEYRING ]]; then
  trusted=$(gpg --batch --with-colons --show-keys -- "$repo/$KEYRING" 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
  [[ $trusted == "$fingerprint" ]] \
    || die "$repo/$KEYRING: no usable key: the repository's clients trust ${trusted:-an unreadable key}, not the signing key $fingerprint"
fi

# --- Staging: the complete next generation, beside the repository's files. ------------------
stage=$(mktemp -d -- "$repo/.publish.XXXXXX")
generation=.dists-$(date -u +%Y%m%dT%H%M%S)-$$
mkdir -p -- "$stage/pool" "$stage/$generation/$SUITE/$INDEX"
# The index is made from every package: the pool's (hard links, no copies) and the new ones.
if [[ -d $repo/pool ]]; then cp -al -- "$repo/pool/." "$stage/pool/"; fi
mkdir -p -- "$stage/$POOL"
for i in "${!debs[@]}"; do
  cp -- "${debs[$i]}" "$stage/$POOL/${targets[$i]}"
done
(cd "$stage" && dpkg-scanpackages --multiversion --arch "$ARCH" pool /dev/null 2>/dev/null) >"$stage/$generation/$SUITE/$INDEX/Packages" \
  || die "$repo: dpkg-scanpackages failed on the pool"
gzip -9n <"$stage/$generation/$SUITE/$INDEX/Packages" >"$stage/$generation/$SUITE/$INDEX/Packages.gz"

# The previous generation's by-hash files, for clients between its InRelease and its Packages.
dists=$stage/$generation/$SUITE
if [[ -n $old_generation && -d $old_generation/$SUITE/$INDEX/by-hash ]]; then
  cp -al -- "$old_generation/$SUITE/$INDEX/by-hash" "$dists/$INDEX/"
fi
# Release is written outside the tree it describes: apt-ftparchive would list itself.
apt-ftparchive -o APT::FTPArchive::DoByHash=true \
  -o APT::FTPArchive::Release::MD5=false -o APT::FTPArchive::Release::SHA1=false \
  -o APT::FTPArchive::Release::Origin="$NAME" -o APT::FTPArchive::Release::Label="$NAME" \
  -o APT::FTPArchive::Release::Suite="$SUITE" -o APT::FTPArchive::Release::Codename="$SUITE" \
  -o APT::FTPArchive::Release::Components="$COMPONENT" -o APT::FTPArchive::Release::Architectures="$ARCH" \
  release "$dists" >"$stage/Release" || die "$repo: apt-ftparchive release failed"
mv -- "$stage/Release" "$dists/Release"
# Only the by-hash files that this or the previous Release names stay.
for hashed in "$dists/$INDEX"/by-hash/*/*; do
  hash=${hashed##*/}
  grep -qF -- "$hash" "$dists/Release" "$old_generation/$SUITE/Release" 2>/dev/null || rm -f -- "$hashed"
done

signing=(gpg --batch --yes --quiet --local-user "$fingerprint" --digest-algo SHA512)
"${signing[@]}" --clearsign -o "$dists/InRelease" "$dists/Release" \
  || die "$home: no usable key: gpg could not sign with $fingerprint (see gpg's message above)"
"${signing[@]}" --armor --detach-sign -o "$dists/Release.gpg" "$dists/Release" \
  || die "$home: no usable key: gpg could not sign with $fingerprint (see gpg's message above)"
gpg --batch --export -- "$fingerprint" >"$stage/$KEYRING"
# What apt will do, before anything is moved: the signatures check out against the keyring
# that clients install.
if ! gpgv --quiet --keyring "$stage/$KEYRING" "$dists/InRelease" 2>/dev/null \
  || ! gpgv --quiet --keyring "$stage/$KEYRING" "$dists/Release.gpg" "$dists/Release" 2>/dev/null; then
  die "$repo: the signatures by $fingerprint do not verify against its exported public key"
fi
ln -s -- "$generation" "$stage/dists"

# --- Into place: pool files, then one rename that switches dists. ---------------------------
mv -T -- "$stage/$generation" "$repo/$generation"
new_generation=$repo/$generation
# From here on only renames: a Ctrl-C waits for them, so that it never lands between the switch
# of dists and the forgetting of what the cleanup would undo.
trap '' INT TERM
mapfile -t pool_dirs < <(missing_dirs "$repo/$POOL")
made_dirs=("${pool_dirs[@]}" "${made_dirs[@]}")
mkdir -p -- "$repo/$POOL"
for file in "${targets[@]}"; do
  mv -T -- "$stage/$POOL/$file" "$repo/$POOL/$file"
  moved+=("$repo/$POOL/$file")
done
if [[ ! -f $repo/$KEYRING ]]; then
  mv -T -- "$stage/$KEYRING" "$repo/$KEYRING"
  new_keyring=$repo/$KEYRING
fi
mv -T -- "$stage/dists" "$repo/dists"
moved=() made_dirs=() new_generation="" new_keyring=""
# Readers that resolved the old symlink keep their open files; new ones see the new generation.
# Also swept (under the lock, so no other publisher's): what a killed publish.sh left behind.
for leftover in "$repo"/.dists-* "$repo"/.publish.*; do
  [[ ! -e $leftover || $leftover == "$repo/$generation" || $leftover == "$stage" ]] || rm -rf -- "$leftover"
done

echo "publish.sh: $repo: added $NAME ${versions[*]}, signed by $fingerprint" >&2
for file in "${targets[@]}"; do echo "$repo/$POOL/$file"; done
