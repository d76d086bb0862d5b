#!/bin/sh
# SPDX-License-Identifier: ISC
# tools/deps.sh build|check: make sure the Debian packages needed to build
# ctstub (build) or to build and test it (check) are installed. Quiet when
# they are. As root, installs what is missing; otherwise prints the command.
# tools/deps.sh pkg-config PKG...: before compiling (make runs it), checks
# that $PKG_CONFIG finds each pkg-config package; when some are missing,
# shows pkg-config's own error, names them with their Debian packages and
# exits 1.
set -eu

BUILD_PKGS="gcc make pkg-config libssl-dev libnghttp2-dev libc-ares-dev
  libevent-dev libjansson-dev zlib1g-dev ca-certificates"
CHECK_PKGS="bind9 bind9-dnsutils knot-dnsutils dnsperf haproxy openssl
  iproute2 procps tcpdump python3 python3-h2 python3-cryptography clang libclang-rt-14-dev tshark
  systemd man-db groff-base busybox binutils util-linux dnsmasq-base"

usage() { echo "usage: $0 build|check|pkg-config PKG..." >&2; exit 2; }

debian_of() { # pkg-config name: the Debian package that ships its .pc
	case $1 in
	openssl) echo libssl-dev ;;
	libevent | libevent_openssl) echo libevent-dev ;;
	libnghttp2) echo libnghttp2-dev ;;
	libcares) echo libc-ares-dev ;;
	jansson) echo libjansson-dev ;;
	zlib) echo zlib1g-dev ;;
	*) echo "?" ;;
	esac
}

pkg_config_check() { # PKG...
	pc=${PKG_CONFIG:-pkg-config}
	if ! command -v "$pc" >/dev/null 2>&1; then
		echo "ctstub: '$pc' is not installed (Debian: pkg-config)," \
		    "so the libraries cannot be found;" \
		    "'make deps-build' installs the build packages" >&2
		exit 1
	fi
	lost= debs=
	for pkg; do
		"$pc" --exists "$pkg" 2>/dev/null && continue
		lost="$lost $pkg"
		deb=$(debian_of "$pkg")
		case " $debs " in *" $deb "*) ;; *) debs="$debs $deb" ;; esac
	done
	[ -n "$lost" ] || exit 0
	# shellcheck disable=SC2086 # one argument per package
	"$pc" --print-errors --exists $lost || true
	echo "ctstub: missing pkg-config package(s):$lost" \
	    "(Debian:$debs); 'make deps-build' installs them" >&2
	exit 1
}

missing() { # PKG...: prints those not installed for this architecture
	arch=$(dpkg --print-architecture)
	for pkg; do
		# one line per installed architecture (multiarch: foreign ones too)
		dpkg-query -W -f='${Architecture} ${db:Status-Status}\n' "$pkg" \
		    2>/dev/null | grep -qxE "($arch|all) installed" || echo "$pkg"
	done
}

apt_install() { # PKG...
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends "$@"
}

# Installing bind9 may start the system named (Debian policy); the tests
# run their own, so stop the service. Only the service is touched.
stop_system_named() {
	systemctl stop named >/dev/null 2>&1 ||
	    service named stop >/dev/null 2>&1 || true
}

case ${1:-} in
build) pkgs=$BUILD_PKGS ;;
check) pkgs="$BUILD_PKGS $CHECK_PKGS" ;;
pkg-config) shift; pkg_config_check "$@" ;;
*) usage ;;
esac

# shellcheck disable=SC2086 # word splitting of the lists is intended
need=$(missing $pkgs | tr '\n' ' ')
[ -n "$need" ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "$0: missing packages; install them with:" >&2
	echo "sudo apt-get install -y --no-install-recommends $need" >&2
	exit 1
fi

echo "$0: installing $need" >&2
# shellcheck disable=SC2086
apt_install $need || { apt-get update -q && apt_install $need; }
case " $need " in *" bind9 "*) stop_system_named ;; esac
