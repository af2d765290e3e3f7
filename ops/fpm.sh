#!/bin/bash
# Builds build/graceful-upgrade-example_VERSION_amd64.deb and prints its path as the last line
# of stdout (everything else goes to stderr).
#
#   ops/fpm.sh VERSION
#
# With fpm on PATH the package is built by fpm; without it (our machines) by dpkg-deb, from
# the same staged tree and the same maintainer scripts. Reproducible: the same source and
# VERSION give a byte-identical .deb (SOURCE_DATE_EPOCH, default: the time of the last
# commit that touched src/ or ops/).
# GUE_PREBUILT_BINARY=/path skips ops/publish.sh and packages that binary, which must have
# been published with -p:Version=VERSION (the version is baked into it).
set -euo pipefail
umask 022

NAME=graceful-upgrade-example
MAINTAINER=${GUE_MAINTAINER:-graceful-upgrade-example maintainers <maintainers@example.org>}
SUMMARY="HTTP service that upgrades without dropping a connection"
DESCRIPTION="$SUMMARY
 Each installed version runs as its own systemd instance,
 $NAME@VERSION.service, and all instances share one TCP
 port through SO_REUSEPORT. Installing a new version starts the new instance,
 waits until it has passed its self-check, then drains and stops the old one,
 so clients see no failed request."

die() { echo "fpm.sh: $*" >&2; exit 1; }

version=${1:-}
[[ $# -eq 1 && -n $version ]] || die "usage: ops/fpm.sh VERSION"
dpkg --validate-version -- "$version" || die "'$version' is not a Debian version"
# The version is also the binary's X-App-Version and the systemd instance name.
[[ $version != *:* ]] || die "'$version': epochs are not supported"

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build
# The last commit that changed what goes into the package, so a docs commit changes nothing.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct -- src ops)}
stage=$build/stage-$version
tree=$stage/tree
out=$build/${NAME}_${version}_amd64.deb
rm -rf "$stage" "$out"
mkdir -p "$stage"

if [[ -n ${GUE_PREBUILT_BINARY:-} ]]; then
  binary=$GUE_PREBUILT_BINARY
  [[ -x $binary ]] || die "GUE_PREBUILT_BINARY=$binary is not an executable"
  echo "fpm.sh: packaging the prebuilt $binary" >&2
else
  # One publish path for everything (tests, demo, packages): ops/publish.sh.
  binary=$("$root/ops/publish.sh" "$version")
fi

# The package tree. The binary has one fixed path for every version: dpkg replaces it by
# rename, and a running old instance keeps its own inode.
doc=$tree/usr/share/doc/$NAME
install -D -m 0755 "$binary" "$tree/usr/lib/$NAME/$NAME"
install -D -m 0755 "$root/ops/package/reload" "$tree/usr/lib/$NAME/reload"
install -D -m 0644 "$root/ops/systemd/$NAME@.service" "$tree/lib/systemd/system/$NAME@.service"
install -D -m 0644 "$root/ops/package/sysctl.conf" "$tree/usr/lib/sysctl.d/$NAME.conf"
install -D -m 0644 "$root/ops/package/config.json" "$tree/etc/$NAME/config.json"
install -D -m 0644 "$root/ops/package/needrestart.conf" "$tree/etc/needrestart/conf.d/$NAME.conf"
install -D -m 0644 "$root/ops/package/copyright" "$doc/copyright"
install -D -m 0644 "$root/ops/package/lintian-overrides" "$tree/usr/share/lintian/overrides/$NAME"
# Native versions (no "-revision") have changelog.gz, others changelog.Debian.gz.
changelog=changelog.gz
[[ $version != *-* ]] || changelog=changelog.Debian.gz
printf '%s (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- %s  %s\n' \
  "$NAME" "$version" "$version" "$MAINTAINER" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")" >"$stage/changelog"
gzip -9n <"$stage/changelog" >"$doc/$changelog"

mkdir -p "$stage/scripts"
for script in preinst postinst prerm postrm; do
  install -m 0755 "$root/ops/maintainer/$script" "$stage/scripts/$script"
done

libc=$(objdump -T "$binary" | grep -o 'GLIBC_[0-9.]*' | sort -Vu | tail -n1)
depends=("libc6 (>= ${libc#GLIBC_})" "adduser")
conffiles=("/etc/$NAME/config.json" "/etc/needrestart/conf.d/$NAME.conf")

# Normalise everything that would make two builds differ.
find "$tree" -type d -exec chmod 0755 {} +
find "$tree" -type f ! -path "*/usr/lib/$NAME/$NAME" ! -path "*/usr/lib/$NAME/reload" -exec chmod 0644 {} +
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

if command -v fpm >/dev/null; then
  echo "fpm.sh: building with fpm" >&2
  fpm_args=(-s dir -t deb -n "$NAME" -v "$version" -a amd64 -p "$out" -C "$tree"
    --maintainer "$MAINTAINER" --category net --deb-priority optional
    --description "$DESCRIPTION" --license "see /usr/share/doc/$NAME/copyright"
    --deb-no-default-config-files --deb-changelog "$stage/changelog"
    --source-date-epoch-default "$SOURCE_DATE_EPOCH"
    --before-install "$stage/scripts/preinst" --after-install "$stage/scripts/postinst"
    --before-remove "$stage/scripts/prerm" --after-remove "$stage/scripts/postrm")
  for dep in "${depends[@]}"; do fpm_args+=(--depends "$dep"); done
  for file in "${conffiles[@]}"; do fpm_args+=(--config-files "$file"); done
  (cd "$tree" && fpm "${fpm_args[@]}" etc lib usr) >&2
else
  echo "fpm.sh: fpm not found; building with dpkg-deb" >&2
  deb=$stage/deb
  cp -a "$tree" "$deb"
  mkdir -m 0755 "$deb/DEBIAN"
  cp -a "$stage/scripts/." "$deb/DEBIAN/"
  printf '%s\n' "${conffiles[@]}" >"$deb/DEBIAN/conffiles"
  # md5sums of everything but the conffiles, whose sums dpkg keeps itself.
  (cd "$deb" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' \
    | LC_ALL=C sort -z | xargs -0 md5sum) >"$deb/DEBIAN/md5sums"
  installed_size=$(du -s -k --apparent-size --exclude=DEBIAN "$deb" | cut -f1)
  {
    echo "Package: $NAME"
    echo "Version: $version"
    echo "Architecture: amd64"
    echo "Maintainer: $MAINTAINER"
    echo "Installed-Size: $installed_size"
    printf 'Depends: %s' "${depends[0]}"; printf ', %s' "${depends[@]:1}"; echo
    echo "Section: net"
    echo "Priority: optional"
    echo "Description: $DESCRIPTION"
  } >"$deb/DEBIAN/control"
  chmod 0644 "$deb/DEBIAN/control" "$deb/DEBIAN/conffiles" "$deb/DEBIAN/md5sums"
  find "$deb" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  dpkg-deb --root-owner-group -Zxz --build "$deb" "$out" >&2
fi

echo "$out"
