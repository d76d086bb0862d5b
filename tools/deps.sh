#!/bin/sh
# SPDX-License-Identifier: ISC
# tools/deps.sh build|check: make sure the Debian packages needed to build
# ctstub (build) or to build and test it (check) are installed. Quiet when
# they are. As root, installs what is missing; otherwise prints the command.
set -eu

BUILD_PKGS="gcc make pkg-config libssl-dev libnghttp2-dev libc-ares-dev
  libevent-dev libjansson-dev ca-certificates"
CHECK_PKGS="bind9 bind9-dnsutils knot-dnsutils dnsperf haproxy openssl
  iproute2 procps tcpdump python3 python3-h2 clang libclang-rt-14-dev tshark
  systemd man-db groff-base busybox binutils util-linux"

usage() { echo "usage: $0 build|check" >&2; exit 2; }

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
