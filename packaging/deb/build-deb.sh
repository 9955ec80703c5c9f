#!/usr/bin/env bash
# Builds the Debian package from an existing release build, without compiling anything again:
#
#   packaging/deb/build-deb.sh BUILD_DIR [OUT_DIR]     e.g. packaging/deb/build-deb.sh build
#
# BUILD_DIR is a configured and built RelWithDebInfo or Release tree (tests/run.sh makes build/);
# a sanitizer build is refused, it is not what we ship. The package is written to OUT_DIR (default
# BUILD_DIR) as certsmith_VERSION_ARCH.deb and its path printed on the last line.
#
# Steps: `cmake --install` stages the files (cmake/Install.cmake says what goes where) with prefix
# /usr; the binary is stripped as dh_strip does (debug info, symbols, .comment and .note); man pages
# and the changelog are gzipped as Debian policy wants; Depends comes from dpkg-shlibdeps on the
# staged binary (the shlibs of the libraries it links); the maintainer scripts, conffiles and
# md5sums go into DEBIAN/; dpkg-deb builds the package with root:root ownership, so no fakeroot is
# needed. Needs cmake, binutils (strip), dpkg-dev (dpkg-shlibdeps) and gzip.
set -euo pipefail
umask 022

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "build-deb: $*" >&2; exit 1; }

[[ $# -ge 1 && $# -le 2 ]] || die "usage: $0 BUILD_DIR [OUT_DIR]"
build_dir=$(cd "$1" && pwd) || die "no such build directory: $1"
out_dir=$(cd "${2:-$build_dir}" && pwd) || die "no such output directory: $2"

cache=$build_dir/CMakeCache.txt
[[ -f $cache ]] || die "$build_dir is not a CMake build directory (no CMakeCache.txt)"
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$cache" | head -n1; }

build_type=$(cache_value CMAKE_BUILD_TYPE)
case "$build_type" in
  RelWithDebInfo | Release) ;;
  *) die "$build_dir is a '$build_type' build: package a RelWithDebInfo or Release build" ;;
esac
case "$(cache_value CERTSMITH_SANITIZE)" in
  ON | on | TRUE | true | 1) die "$build_dir is a sanitizer build: not a binary to ship" ;;
esac
[[ -x $build_dir/certsmith ]] || die "$build_dir/certsmith is missing: build it first"

version=$(cache_value CMAKE_PROJECT_VERSION)
[[ -n $version ]] || die "no CMAKE_PROJECT_VERSION in $cache"
# A native package: its changelog must describe the version being packaged.
changelog_version=$(sed -n '1s/^certsmith (\([^)]*\)).*/\1/p' "$here/changelog")
[[ $changelog_version == "$version" ]] ||
  die "packaging/deb/changelog starts at $changelog_version, the build is $version: add a changelog entry"
arch=$(dpkg --print-architecture)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/root

DESTDIR=$root cmake --install "$build_dir" --prefix /usr >/dev/null
doc=$root/usr/share/doc/certsmith
[[ -x $root/usr/bin/certsmith ]] || die "cmake --install staged no /usr/bin/certsmith"
strip --remove-section=.comment --remove-section=.note "$root/usr/bin/certsmith"
if [[ ! -d $root/usr/share/man ]]; then
  echo "build-deb: warning: no man pages staged (scdoc missing when $build_dir was configured?)" >&2
fi

# Debian policy 12.1 and 12.7: man pages and the changelog compressed with gzip -9, no timestamp (-n).
if [[ -d $root/usr/share/man ]]; then
  find "$root/usr/share/man" -type f ! -name '*.gz' -exec gzip -9n {} +
fi
gzip -9n <"$here/changelog" >"$doc/changelog.gz"
install -m 0644 "$here/copyright" "$doc/copyright"

mkdir -m 0755 "$root/DEBIAN"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$root/DEBIAN/"
# Every file shipped under /etc is a conffile: dpkg keeps the admin's edits on upgrade.
(cd "$root" && find etc -type f -printf '/%p\n' | sort) >"$root/DEBIAN/conffiles"
[[ -s $root/DEBIAN/conffiles ]] || rm "$root/DEBIAN/conffiles"

# dpkg-shlibdeps wants a debian/control next to it to know the package; a minimal one will do.
mkdir -p "$stage/src/debian"
printf 'Source: certsmith\n\nPackage: certsmith\nArchitecture: any\n' >"$stage/src/debian/control"
depends=$(cd "$stage/src" && dpkg-shlibdeps -O -e"$root/usr/bin/certsmith" | sed -n 's/^shlibs:Depends=//p')
[[ -n $depends ]] || die "dpkg-shlibdeps found no dependencies for certsmith"

installed_size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@DEPENDS@/$depends/" \
  -e "s/@INSTALLED_SIZE@/$installed_size/" "$here/control.in" >"$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
  >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

deb=$out_dir/certsmith_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
