#!/bin/sh
# SPDX-License-Identifier: ISC
# tools/cross-build.sh [ARCH]: cross-builds ctstub for a Debian architecture
# (default arm64) with Debian multiarch, as a check that the plain Makefile
# cross-compiles (CC and PKG_CONFIG), and prints the stripped size. Not part
# of `make check` or CI.
#
# As root it first adds the architecture and installs the cross toolchain
# and the target's -dev packages that Debian 12 can install next to the
# host's (Multi-Arch: same). libevent-dev cannot be: installing its ARCH
# version removes the host's, so it is downloaded and unpacked into
# build-ARCH/sysroot instead, leaving the host untouched. When
# qemu-user-static is present (or installable) it also runs
# `ctstub -n -f conf/ctstub.conf` under qemu: parse only, nothing is sent.
# Build dir: build-ARCH. Environment: SKIP_APT=1 installs nothing.
set -eu
ARCH=${1:-arm64}
case $ARCH in
arm64) TRIPLET=aarch64-linux-gnu QEMU=qemu-aarch64-static ;;
armhf) TRIPLET=arm-linux-gnueabihf QEMU=qemu-arm-static ;;
*) echo "cross-build: unknown architecture '$ARCH'" >&2; exit 2 ;;
esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=build-$ARCH
SYSROOT=$ROOT/$BUILD/sysroot
LIBDIR=usr/lib/$TRIPLET
MA_DEV="libssl-dev libnghttp2-dev libc-ares-dev libjansson-dev"
EVENT_LIBS="libevent-2.1-7 libevent-core-2.1-7 libevent-openssl-2.1-7"

log() { echo "cross-build: $*" >&2; }
apt_install() {
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends --no-remove "$@" >/dev/null
}

if [ "${SKIP_APT:-0}" != 1 ] && [ "$(id -u)" -eq 0 ]; then
	dpkg --print-foreign-architectures | grep -qx "$ARCH" || {
		dpkg --add-architecture "$ARCH"
		apt-get update -q >/dev/null
	}
	pkgs="crossbuild-essential-$ARCH"
	for p in $MA_DEV $EVENT_LIBS; do pkgs="$pkgs $p:$ARCH"; done
	log "installing $pkgs"
	# shellcheck disable=SC2086 # a list of package names
	apt_install $pkgs
	# libevent-dev:ARCH into the private sysroot only
	rm -rf "$SYSROOT" "$BUILD/debs"
	mkdir -p "$BUILD/debs"
	(cd "$BUILD/debs" &&
	    apt-get -q -o APT::Sandbox::User=root download \
	    "libevent-dev:$ARCH" >/dev/null)
	dpkg -x "$BUILD"/debs/libevent-dev_*.deb "$SYSROOT"
	# its .pc files name /usr; its .so links point at the installed .so.7
	sed -i "s|^prefix=.*|prefix=$SYSROOT/usr|" "$SYSROOT/$LIBDIR"/pkgconfig/*.pc
	for so in "$SYSROOT/$LIBDIR"/*.so; do
		ln -sf "/$LIBDIR/$(readlink "$so")" "$so"
	done
fi
[ -d "$SYSROOT" ] || { log "no $SYSROOT: run as root once"; exit 1; }

PKGC="env PKG_CONFIG_LIBDIR=$SYSROOT/$LIBDIR/pkgconfig:/$LIBDIR/pkgconfig:/usr/share/pkgconfig pkg-config"
$PKGC --exists openssl libevent libevent_openssl libnghttp2 libcares jansson ||
    { log "target .pc files missing"; exit 1; }

rm -f "$BUILD"/*.o "$BUILD/ctstub"
make BUILD="$BUILD" CC="$TRIPLET-gcc" PKG_CONFIG="$PKGC" all
cp "$BUILD/ctstub" "$BUILD/ctstub.stripped"
"$TRIPLET-strip" "$BUILD/ctstub.stripped"
file "$BUILD/ctstub.stripped"
echo "$ARCH stripped size: $(wc -c <"$BUILD/ctstub.stripped") bytes"

if ! command -v "$QEMU" >/dev/null 2>&1 && [ "${SKIP_APT:-0}" != 1 ] &&
    [ "$(id -u)" -eq 0 ]; then
	apt_install qemu-user-static || log "qemu-user-static not installable"
fi
if command -v "$QEMU" >/dev/null 2>&1; then
	# the target's loader and libraries are installed under / (multiarch)
	rc=0
	"$QEMU" -L "/usr/$TRIPLET" "$BUILD/ctstub" -n -f conf/ctstub.conf || rc=$?
	echo "$ARCH: ctstub -n under $QEMU: exit status $rc"
	exit "$rc"
fi
log "no $QEMU: not run"
