#!/bin/bash
# SPDX-License-Identifier: ISC
# Behaviours the other scripts do not cover, each checked on what a real
# peer saw: named's query log (what ctstub forwarded), dig's answers (TTLs,
# rcodes, Extended DNS Errors) and ctstub's own log and process state.
#   - a client's EDNS Client Subnet and cookie are not forwarded;
#   - served TTLs count down, also when raised by cache-min-ttl;
#   - NODATA is cached; a reload keeps the cache unless a cache setting
#     changed, which starts an empty one;
#   - an upstream's SERVFAIL is an answer: no failover, never cached;
#   - `user root` keeps ctstub running as root, with a warning;
#   - TLS below 1.2 is refused; a server that never speaks TLS times the
#     handshake out ("TLS handshake timed out").
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki

# A zone of short TTLs, a zone named cannot load (its queries get
# SERVFAIL), and named's query log (to stderr, i.e. named.log, under -g).
mkdir -p "$TMP/zones"
cat >"$TMP/zones/ttl.test.zone" <<'EOF'
$TTL 300
@	IN SOA	ns.ttl.test. hostmaster.ttl.test. ( 1 3600 600 86400 300 )
	IN NS	ns.ttl.test.
ns	IN A	127.0.0.1
short	2 IN A	192.0.2.2
EOF
NAMED_EXTRA_CONF="logging { category queries { default_stderr; }; };
zone \"ttl.test.\" { type primary; file \"$TMP/zones/ttl.test.zone\"; };
zone \"broken.test.\" { type primary; file \"$TMP/zones/missing.zone\"; };"
start_named good
NAMED_LOG=$TMP/named/named.log
GOOD="upstream dot://127.0.0.1:$(dot_port good)"

# --- helpers (candidates for lib.sh) ---
# wait_until TENTHS CMD...: until CMD succeeds, at most TENTHS * 0.1 s.
wait_until() {
	local n=$1 i
	shift
	for i in $(seq "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}
# querylog NAME TYPE: named's query log lines for NAME TYPE.
querylog() { grep -F "query: $1 IN $2 " "$NAMED_LOG"; }
# queries_seen NAME TYPE: how many times named was asked NAME TYPE.
queries_seen() { querylog "$1" "$2" | grep -c .; }
# seen_at_least N NAME TYPE
seen_at_least() { [ "$(queries_seen "$2" "$3")" -ge "$1" ]; }
# ttl_of DIG-OUTPUT: the TTL of the first answer record.
ttl_of() { grep -v '^;' <<<"$1" | awk 'NF { print $2; exit }'; }
# reloads_logged_over LOG N: LOG has more than N "reloaded" lines.
reloads_logged_over() { [ "$(grep -c 'reloaded ' "$1")" -gt "$2" ]; }
# reload NAME: SIGHUP ctstub NAME and wait for one more "reloaded" line.
reload() {
	local log=$TMP/$1.log n
	n=$(grep -c 'reloaded ' "$log")
	kill -HUP "${CTSTUB_PIDS[$1]}"
	wait_until 100 reloads_logged_over "$log" "$n"
}

# --- EDNS Client Subnet and cookies stay with the client ---
# Control: named logs both when a client sends them (else the checks below
# could not see them).
OUT=$(q 127.0.0.1 "$PORT_PLAIN" +subnet=192.0.2.0/24 +cookie a11.example.test A)
LINE=$(querylog a11.example.test A)
check "control: named logs a client's ECS" "got: $LINE" \
    grep -qF "[ECS 192.0.2.0/24/0]" <<<"$LINE"
check "control: named logs a client's cookie (flag K)" "got: $LINE" \
    grep -qE " IN A [-+][A-Z()0-9]*K" <<<"$LINE"
# no_client_options NAME: named got NAME A once, without ECS and cookie.
no_client_options() {
	local name=$1 label=$2 line
	line=$(querylog "$name" A)
	expect_eq "$label: named asked once" 1 "$(grep -c . <<<"$line")"
	check "$label: no ECS forwarded" "got: $line" \
	    test -n "$line" -a "${line/\[ECS/}" = "$line"
	check "$label: no cookie forwarded" "got: $line" \
	    grep -qE " IN A [-+][A-JL-UW-Z()0-9]* \(" <<<"$line"
}
add_ctstub ecs "$GOOD" "cache-size 0"
OUT=$(q 127.0.0.1 "${CT_PORTS[ecs]}" +subnet=198.51.100.0/24 +cookie \
    a12.example.test A)
expect_eq "ECS and cookie over DoT: answered" "NOERROR 198.51.100.12" \
    "$(status_of "$OUT") $(answer_of "$OUT" | awk '{ print $NF }')"
no_client_options a12.example.test "ECS and cookie over DoT"
add_ctstub ecsdoh "upstream https://127.0.0.1:$(doh_port good)/dns-query" \
    "cache-size 0"
OUT=$(q 127.0.0.1 "${CT_PORTS[ecsdoh]}" +subnet=198.51.100.0/24 +cookie \
    a13.example.test A)
expect_eq "ECS and cookie over DoH: answered" "NOERROR 198.51.100.13" \
    "$(status_of "$OUT") $(answer_of "$OUT" | awk '{ print $NF }')"
no_client_options a13.example.test "ECS and cookie over DoH"
stop_ctstub ecs
stop_ctstub ecsdoh

# --- TTLs count down on the wire ---
# countdown LABEL PORT NAME TTL0: the first answer has TTL0; 2.2 s later the
# answer comes from the cache (named asked once) with TTL0 minus the time
# it spent there: at most TTL0 - 2, at least TTL0 - (elapsed + 1).
countdown() {
	local label=$1 port=$2 name=$3 ttl0=$4 t0 out1 out2 ttl s
	t0=$(now_ms)
	out1=$(q 127.0.0.1 "$port" "$name" A)
	expect_eq "$label: first answer, TTL $ttl0" "NOERROR $ttl0" \
	    "$(status_of "$out1") $(ttl_of "$out1")"
	sleep 2.2	# time must pass for a TTL to count down
	out2=$(q 127.0.0.1 "$port" "$name" A)
	s=$(( ($(elapsed_ms "$t0") + 999) / 1000 ))
	ttl=$(ttl_of "$out2")
	expect_eq "$label: second answer from the cache" "NOERROR 1" \
	    "$(status_of "$out2") $(queries_seen "$name" A)"
	check "$label: TTL counted down by its time in the cache" \
	    "$ttl0 -> $ttl after ${s} s or less" test "${ttl:-999}" -le $((ttl0 - 2)) -a \
	    "${ttl:-0}" -ge $((ttl0 - s - 1))
}
add_ctstub ttl "$GOOD"
countdown "TTL" "${CT_PORTS[ttl]}" www.example.test 300
# A record of TTL 2 under cache-min-ttl 60: served as 60 and kept past its
# own 2 s, still counting down from 60; and one of TTL 300 under
# cache-max-ttl 100 served as 100.
# DAEMON BUG (reported to the lead): docs/configuration.md says TTLs are
# "raised (served and kept)" / lowered, but the first answer, the one that
# comes from the upstream, is forwarded with its own TTL (2, or 300): only
# the cached copy is raised or lowered (src/cache.c applies the bounds when
# it stores). The "first answer" checks below fail until that is fixed.
add_ctstub minttl "$GOOD" "cache-min-ttl 60"
countdown "cache-min-ttl 60 on TTL 2" "${CT_PORTS[minttl]}" short.ttl.test 60
stop_ctstub minttl
add_ctstub maxttl "$GOOD" "cache-max-ttl 100"
countdown "cache-max-ttl 100 on TTL 300" "${CT_PORTS[maxttl]}" \
    mail.example.test 100
stop_ctstub maxttl

# --- NODATA cached; the cache across reloads ---
# nodata LABEL N: www.example.test TXT through ctstub ttl is NODATA (no
# answer, the zone's SOA) and named has been asked N times in all.
nodata() {
	local out
	out=$(q 127.0.0.1 "${CT_PORTS[ttl]}" +authority www.example.test TXT)
	expect_eq "$1: NODATA (NOERROR, no answer, the SOA)" \
	    "NOERROR 0 example.test." "$(status_of "$out") $(grep -c \
	    'IN[[:space:]]*TXT' <<<"$out") $(awk '$4 == "SOA" { print $1 }' \
	    <<<"$out")"
	expect_eq "$1: named asked $2 time(s) in all" "$2" \
	    "$(queries_seen www.example.test TXT)"
}
nodata "NODATA, first" 1
nodata "NODATA, again: from the cache" 1
check "reload, same cache settings" "see $TMP/ttl.log" reload ttl
nodata "NODATA after a reload that kept the cache settings: still cached" 1
echo "cache-max-ttl 3600" >>"$TMP/ttl.conf"
check "reload, cache-max-ttl changed" "see $TMP/ttl.log" reload ttl
check "reload, cache-max-ttl changed: logs a new empty cache" \
    "see $TMP/ttl.log" grep -qF \
    "reload: cache settings changed; the cache starts empty" "$TMP/ttl.log"
nodata "NODATA after a cache settings change: asked again" 2
stop_ctstub ttl

# --- an upstream SERVFAIL is an answer: no failover, not cached ---
# First upstream: named, which answers SERVFAIL for broken.test (its zone
# file is missing). Second: the DoT test server, which logs every query.
next_port
DOT2_PORT=$PORT
start_dotserver second "$DOT2_PORT" good ok
add_ctstub sf "$GOOD" "upstream dot://127.0.0.1:$DOT2_PORT"
OUT=$(q 127.0.0.1 "${CT_PORTS[sf]}" x.broken.test A)
expect_eq "upstream SERVFAIL: the client gets SERVFAIL" SERVFAIL \
    "$(status_of "$OUT")"
expect_eq "upstream SERVFAIL: named asked once (no failover through the second)" \
    1 "$(queries_seen x.broken.test A)"
expect_eq "upstream SERVFAIL: the second upstream got nothing" "" \
    "$(grep -F 'broken.test' "$TMP/dot-second.log")"
OUT=$(q 127.0.0.1 "${CT_PORTS[sf]}" x.broken.test A)
expect_eq "upstream SERVFAIL: not cached (named asked again)" "SERVFAIL 2" \
    "$(status_of "$OUT") $(queries_seen x.broken.test A)"
# The second upstream does answer (the checks above could see it).
stop_ctstub sf
add_ctstub second "upstream dot://127.0.0.1:$DOT2_PORT"
OUT=$(q 127.0.0.1 "${CT_PORTS[second]}" a15.example.test A)
check "control: the second upstream answers and logs queries" \
    "see $TMP/dot-second.log" grep -qF "a15.example.test" "$TMP/dot-second.log"
stop_ctstub second

# --- user root ---
if [ "$(id -u)" -eq 0 ]; then
	add_ctstub asroot "$GOOD" "user root"
	pid=${CTSTUB_PIDS[asroot]}
	same_as_direct "user root: serves" 127.0.0.1 "${CT_PORTS[asroot]}" \
	    a16.example.test A
	expect_eq "user root: still uid 0" 0 \
	    "$(awk '/^Uid:/ { print $3 }' "/proc/$pid/status")"
	check "user root: warns that it stays root" "see $TMP/asroot.log" \
	    grep -qF "running as root, as the configuration says" \
	    "$TMP/asroot.log"
	check "user root: no privilege drop" "see $TMP/asroot.log" \
	    test "$(grep -c 'running as user' "$TMP/asroot.log")" -eq 0
	stop_ctstub asroot
else
	skip "user root" "needs root"
fi

# --- TLS below 1.2 refused ---
# openssl s_server limited to TLS 1.1 (security level 0 allows it) with the
# good leaf; -www: it needs no input.
next_port
OLD_PORT=$PORT
start_bg "$TMP/tls11.log" openssl s_server -accept "127.0.0.1:$OLD_PORT" \
    -cert "$PKI/good.pem" -cert_chain "$PKI/inter.pem" -key "$PKI/good.key" \
    -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' -www
TLS11_PID=$PID
wait_port tcp 127.0.0.1 "$OLD_PORT" "$PID" ||
    bail "$TEST_NAME: openssl s_server -tls1_1 starts" "see $TMP/tls11.log"
OUT=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$OLD_PORT" \
    -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' 2>&1)
check "control: the server completes a TLS 1.1 handshake" \
    "$(oneline "$OUT")" grep -qE '^New, TLSv1(\.0)?, Cipher is [A-Z]' <<<"$OUT"
add_ctstub tls11 "upstream dot://127.0.0.1:$OLD_PORT"
OUT=$(q 127.0.0.1 "${CT_PORTS[tls11]}" a17.example.test A)
expect_eq "TLS 1.1 server: SERVFAIL" SERVFAIL "$(status_of "$OUT")"
EDE=$(ede_of "$OUT")
check "TLS 1.1 server: refused for the protocol version" "got: $EDE" \
    grep -qE "^upstream 127\.0\.0\.1:$OLD_PORT failed: .*(protocol version|unsupported protocol)" \
    <<<"$EDE"
stop_ctstub tls11
stop_proc "$TLS11_PID"

# --- TLS handshake timeout ---
# A TCP listener that accepts and never says a word: the handshake has half
# of `timeout` (here 1 s of 2 s).
next_port
MUTE_PORT=$PORT
start_bg "$TMP/mute.log" "$PY" -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
held = []
while True:
    c, _ = s.accept(); held.append(c)
    print("accepted", flush=True)' "$MUTE_PORT"
wait_port tcp 127.0.0.1 "$MUTE_PORT" "$PID" ||
    bail "$TEST_NAME: mute listener starts" "see $TMP/mute.log"
add_ctstub mute "upstream dot://127.0.0.1:$MUTE_PORT" "timeout 2000"
t0=$(now_ms)
OUT=$(q 127.0.0.1 "${CT_PORTS[mute]}" a18.example.test A)
ms=$(elapsed_ms "$t0")
expect_eq "mute server: SERVFAIL" SERVFAIL "$(status_of "$OUT")"
expect_eq "mute server: the EDE says the handshake timed out" \
    "upstream 127.0.0.1:$MUTE_PORT failed: TLS handshake timed out" \
    "$(ede_of "$OUT")"
check "mute server: answered after the 1 s handshake timeout" "${ms} ms" \
    test "$ms" -ge 900
check "mute server: the connection was made" "see $TMP/mute.log" \
    grep -q accepted "$TMP/mute.log"
stop_ctstub mute

done_testing
