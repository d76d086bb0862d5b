#!/bin/bash
# SPDX-License-Identifier: ISC
# tools/router-mem.sh: the size and memory figures of docs/openwrt.md, on
# this machine (they are x86_64/glibc figures when run on Debian).
#
# 1. Builds ctstub twice the way the OpenWrt package links it (libevent_core,
#    not all of libevent): CFLAGS=-Os and the Makefile's default (-O2 -g);
#    prints each binary's size as built and stripped.
# 2. Starts a local BIND (tests' PKI, the benchmark zone bench.test; plain
#    DNS, DoT and DoH on 127.0.0.1) and, for a DoT and then a DoH upstream,
#    the -Os ctstub with its default cache (2,000 answers / 1 MiB): VmRSS
#    when idle (started, nothing asked), after one query (upstream
#    connected), during and after ROUTER_MEM_SECONDS (30) of dnsperf at
#    ROUTER_MEM_QPS (3000) over ROUTER_MEM_NAMES (50000) distinct names
#    (every query a cache miss: the cache stays full and keeps evicting),
#    VmHWM (peak) and VmRSS 10 s after the load.
# Loopback only (ports 41053-41054, 41443, 41853). Work dir:
# ROUTER_MEM_WORK (default tests/tmp/router-mem). Prints a Markdown report,
# also written to WORK/report.md. Needs named, dnsperf, dig, pkg-config.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
WORK=${ROUTER_MEM_WORK:-$ROOT/tests/tmp/router-mem}
LOAD_SECONDS=${ROUTER_MEM_SECONDS:-30}
QPS=${ROUTER_MEM_QPS:-3000}
NAMES=${ROUTER_MEM_NAMES:-50000}
UP_ADDR=127.0.0.1
UDP_PORT=41053
DOT_PORT=41853
DOH_PORT=41443
STUB_PORT=41054
OWRT_PKGS="openssl libevent_core libevent_openssl libnghttp2 libcares jansson"
PIDS=

die() { echo "router-mem: $*" >&2; exit 1; }
log() { echo "router-mem: $*" >&2; }

cleanup() {
	local pid
	for pid in $PIDS; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

for t in named named-checkconf dnsperf dig pkg-config strip ss; do
	command -v "$t" >/dev/null || die "$t is missing"
done
for port in $UDP_PORT $DOT_PORT $DOH_PORT $STUB_PORT; do
	ss -Hlntu | awk '{ print $5 }' | grep -qx "$UP_ADDR:$port" &&
	    die "$UP_ADDR:$port is in use"
done
rm -rf "$WORK"
mkdir -p "$WORK/named"

# --- builds
build() { # DIR MAKE-ARGS...
	local dir=$1
	shift
	make -s BUILD="$dir" PKGS="$OWRT_PKGS" "$@" >"$dir.log" 2>&1 ||
	    die "build failed, see $dir.log"
}
log "building (-Os and default flags)"
build "$WORK/build-Os" CFLAGS=-Os "$WORK/build-Os/ctstub"
build "$WORK/build-O2" "$WORK/build-O2/ctstub" "$WORK/build-O2/mkpki"
for b in Os O2; do
	cp "$WORK/build-$b/ctstub" "$WORK/ctstub-$b"
	strip "$WORK/ctstub-$b"
done
CTSTUB=$WORK/ctstub-Os

# --- upstream
PKI=$WORK/pki
"$WORK/build-O2/mkpki" "$PKI" >/dev/null || die "mkpki failed"
sh bench/mkzone.sh "$NAMES" >"$WORK/named/bench.test.zone"
awk -v n="$NAMES" 'BEGIN { for (i = 0; i < n; i++)
    printf "n%d.bench.test A\n", i }' >"$WORK/names.txt"
sed -e "s|@WORK@|$WORK|g" -e "s|@PKI@|$PKI|g" -e "s|@UP_ADDR@|$UP_ADDR|g" \
    -e "s|@UDP_PORT@|$UDP_PORT|g" -e "s|@DOT_PORT@|$DOT_PORT|g" \
    -e "s|@DOH_PORT@|$DOH_PORT|g" bench/conf/named.conf.in \
    >"$WORK/named/named.conf"
named-checkconf "$WORK/named/named.conf" || die "named.conf rejected"
named -g -c "$WORK/named/named.conf" >"$WORK/named/named.log" 2>&1 &
PIDS="$PIDS $!"
listening() { ss -Hlntu | awk '{ print $5 }' | grep -qx "$UP_ADDR:$1"; }
all_listening() {
	local p
	for p; do listening "$p" || return 1; done
}
for _ in $(seq 100); do
	all_listening $UDP_PORT $DOT_PORT $DOH_PORT && break
	sleep 0.1
done
answers() { # PORT: the upstream's answer for n42 is there
	[ "$(dig @$UP_ADDR -p "$1" +short +tries=1 +time=3 n42.bench.test A)" \
	    = 198.18.0.42 ]
}
for _ in $(seq 50); do answers $UDP_PORT && break; sleep 0.2; done
answers $UDP_PORT || die "named does not answer, see $WORK/named/named.log"

# --- memory of the running daemon
kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# measure LABEL UPSTREAM [CONFIG-LINE...]: one row of the memory table.
measure() {
	local label=$1 upstream=$2 tag=${1//[^A-Za-z0-9]/_} pid idle idle_anon first
	local peak_seen end after hwm anon rss qps lost conf
	shift 2
	conf=$WORK/$tag.conf
	{
		echo "listen $UP_ADDR $STUB_PORT"
		echo "upstream $upstream"
		echo "ca-file $PKI/root.pem"
		echo "ct-log-list $PKI/ct-logs.json"
		echo "control off"
		[ "$(id -u)" -ne 0 ] || echo "user nobody"
		printf '%s\n' "$@"
	} >"$conf"
	"$CTSTUB" -d -f "$conf" >"$WORK/$tag.log" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	for _ in $(seq 100); do listening $STUB_PORT && break; sleep 0.1; done
	listening $STUB_PORT || die "ctstub did not start, see $WORK/$tag.log"
	sleep 2
	idle=$(kib "$pid" VmRSS)
	idle_anon=$(kib "$pid" RssAnon)
	[ "$(dig @$UP_ADDR -p $STUB_PORT +short +tries=1 +time=5 n1.bench.test A)" \
	    = 198.18.0.1 ] || die "ctstub ($label) does not answer"
	sleep 1
	first=$(kib "$pid" VmRSS)
	peak_seen=0
	dnsperf -s $UP_ADDR -p $STUB_PORT -d "$WORK/names.txt" -l "$LOAD_SECONDS" \
	    -Q "$QPS" -c 10 -t 5 >"$WORK/$tag.dnsperf" 2>&1 &
	local dp=$!
	while kill -0 "$dp" 2>/dev/null; do
		rss=$(kib "$pid" VmRSS)
		[ "$rss" -gt "$peak_seen" ] && peak_seen=$rss
		sleep 1
	done
	wait "$dp"
	end=$(kib "$pid" VmRSS)
	anon=$(kib "$pid" RssAnon)
	hwm=$(kib "$pid" VmHWM)
	sleep 10
	after=$(kib "$pid" VmRSS)
	qps=$(awk '/Queries per second:/ { printf "%.0f", $4 }' "$WORK/$tag.dnsperf")
	lost=$(awk '/Queries lost:/ { print $3 }' "$WORK/$tag.dnsperf")
	kill "$pid"
	wait "$pid" 2>/dev/null
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
	echo "| $label | $(mib "$idle") ($(mib "$idle_anon") anon) | $(mib "$first") | $qps qps, $lost lost |" \
	    "$(mib "$end") ($(mib "$anon") anon) | $(mib "$hwm") | $(mib "$after") |"
}

size_row() { # LABEL BUILT STRIPPED
	echo "| $1 | $(wc -c <"$2") | $(wc -c <"$3") |"
}

{
	# shellcheck disable=SC1091 # only PRETTY_NAME
	echo "Measured $(date -u +%Y-%m-%d) on $(uname -m), $(. /etc/os-release &&
	    echo "$PRETTY_NAME"), $(cc --version | head -n 1),"
	echo "ctstub $(git describe --always --dirty 2>/dev/null), by tools/router-mem.sh."
	echo
	echo "| build (linked as the package links it) | bytes | stripped |"
	echo "|---|---|---|"
	size_row "-Os" "$WORK/build-Os/ctstub" "$WORK/ctstub-Os"
	size_row "default (-O2 -g)" "$WORK/build-O2/ctstub" "$WORK/ctstub-O2"
	echo
	echo "Memory of the -Os build (MiB; VmRSS unless said; default cache):"
	echo
	echo "| upstream | idle | after 1st query | load ($LOAD_SECONDS s asked at $QPS qps) | at end of load | peak (VmHWM) | 10 s later |"
	echo "|---|---|---|---|---|---|---|"
	measure DoT "dot://$UP_ADDR:$DOT_PORT"
	measure DoH "https://$UP_ADDR:$DOH_PORT/dns-query"
	measure "DoT, cache-size 10000" "dot://$UP_ADDR:$DOT_PORT" \
	    "cache-size 10000" "cache-max-bytes 4194304"
	echo
	echo "Shared libraries it loads here (bytes on disk; OpenWrt's differ):"
	echo
	ldd "$CTSTUB" | awk '$3 ~ /^\// { print $3 }' | while read -r lib; do
		echo "- $(basename "$lib"): $(wc -c <"$(readlink -f "$lib")")"
	done
} | tee "$WORK/report.md"
