#!/bin/bash
# SPDX-License-Identifier: ISC
# Portal mode (issue 15, the bad day): `ctstub portal` sends every query
# in plain DNS to the network's server for a limited time, so that a
# captive portal's login page resolves.
#   - off at start: queries go over DoT (the DoT named logs them);
#   - refused without a server (none given, none found) and with a bad
#     --for or --server, and never started by any of these;
#   - on command: answers come from a second named over plain DNS, the
#     DoT named sees nothing; the log, status (text, JSON, verdict, exit
#     status) and metrics say so; a reload keeps it;
#   - `--off` ends it, and `--for 3s` ends by itself: one log line each,
#     status and metrics say so, and no answer from the portal's server
#     stays in the cache.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki

NAMED_EXTRA_CONF="logging { category queries { default_stderr; }; };"
start_named good
DOT_LOG=$TMP/named/named.log
PP=$((NAMED_PORT0 + 40))	# the "network's" server: plain DNS only
zone_file portal.test "login IN A 10.99.0.1"
plain_named portal "$PP" "" portal.test
PORTAL_LOG=$TMP/portal/named.log

start_ctstub p "upstream dot://127.0.0.1:$(dot_port good)"
P=${CT_PORTS[p]}
SOCK=$TMP/run/p.sock
LOG=$TMP/p.log

# ans NAME: the A records ctstub answers for NAME, one line.
ans() {
	answer_of "$(q 127.0.0.1 "$P" "$1" A)" | awk '{ $1 = $1; print }'
}
# field KEY: status JSON's portal.KEY.
field() {
	"$CTSTUB" status -s "$SOCK" --json |
	    "$PY" -c "import json,sys; print(json.load(sys.stdin)['portal']['$1'])"
}
# metric NAME: its value in the metrics.
metric() {
	control_cmd "$SOCK" metrics | awk -v m="$1" '$1 == m { print $2 }'
}
# queries LOG NAME: how many queries for NAME named logged.
queries() { log_count "$1" "query: $2 IN"; }
# shellcheck disable=SC2317 # run by wait_for
state_is() { [ "$(field state)" = "$1" ]; }

# --- off at start ------------------------------------------------------
expect_eq "off at start: status" off "$(field state)"
expect_eq "off at start: ctstub_portal_active" 0 "$(metric ctstub_portal_active)"
expect_eq "off at start: ctstub_portal_starts_total" 0 \
    "$(metric ctstub_portal_starts_total)"
expect_eq "off at start: a1 over DoT" "a1.example.test. IN A 198.51.100.1" \
    "$(ans a1.example.test)"
check "off at start: the DoT named saw a1" "see $DOT_LOG" \
    wait_log "$DOT_LOG" "query: a1.example.test IN A"
expect_eq "off at start: the portal's server saw nothing" 0 \
    "$(log_count "$PORTAL_LOG" "query:")"

# --- refusals: never started by any of them ---------------------------
printf 'nameserver 127.0.0.53\noptions edns0\n' >"$TMP/resolv.conf"
OUT=$(PATH=/nonexistent CTSTUB_PORTAL_RESOLV_CONF=$TMP/resolv.conf \
    "$CTSTUB" portal -s "$SOCK" 2>&1)
expect_eq "no server found: exit 1" 1 "$?"
check "no server found: asks for --server" "got [$OUT]" \
    grep -qF "ctstub portal --server IP" <<<"$OUT"
OUT=$(PATH=/nonexistent CTSTUB_PORTAL_RESOLV_CONF=$TMP/none \
    "$CTSTUB" portal -s "$SOCK" 2>&1)
expect_eq "no resolv.conf, no nmcli: exit 1" 1 "$?"
for bad in 5 0s 31m 1h 5mm m; do
	OUT=$("$CTSTUB" portal -s "$SOCK" --for "$bad" \
	    --server "127.0.0.1:$PP" 2>&1)
	expect_eq "--for $bad: exit 2" 2 "$?"
	check "--for $bad: says why" "got [$OUT]" grep -qF "90s or 5m" <<<"$OUT"
done
OUT=$("$CTSTUB" portal -s "$SOCK" --server 127.0.0.1:99999 2>&1)
expect_eq "--server with a bad port: exit 1" 1 "$?"
check "--server with a bad port: says why" "got [$OUT]" \
    grep -qF "expected IP, IP:PORT or [IPv6]:PORT" <<<"$OUT"
OUT=$("$CTSTUB" portal -s "$SOCK" --off --for 1m 2>&1)
expect_eq "--off with --for: usage, exit 2" 2 "$?"
expect_eq "still off after the refusals" off "$(field state)"
expect_eq "no start logged" 0 "$(log_count "$LOG" "portal mode on")"

# --- on command ----------------------------------------------------------
BEFORE=$(log_count "$DOT_LOG" "query:")
OUT=$("$CTSTUB" portal -s "$SOCK" --for 30s --server "127.0.0.1:$PP" 2>&1)
expect_eq "portal --for 30s: exit 0" 0 "$?"
check "portal: the reply says on" "got [$OUT]" \
    grep -qF "portal mode on: plain DNS to 127.0.0.1:$PP for 30 s" <<<"$OUT"
expect_eq "on: one warning line" 1 "$(log_count "$LOG" \
    "portal mode on: every query not served locally goes in plain DNS (unencrypted, unauthenticated) to 127.0.0.1:$PP for 30 s")"
expect_eq "on: the login name from the network's server" \
    "login.portal.test. IN A 10.99.0.1" "$(ans login.portal.test)"
q 127.0.0.1 "$P" a2.example.test A >/dev/null
check "on: the portal's server saw a2 too" "see $PORTAL_LOG" \
    wait_log "$PORTAL_LOG" "query: a2.example.test IN A"
expect_eq "on: the DoT named saw nothing" "$BEFORE" \
    "$(log_count "$DOT_LOG" "query:")"
expect_eq "on: status state" on "$(field state)"
expect_eq "on: status server" "127.0.0.1:$PP" "$(field server)"
LEFT=$(field seconds_left)
check "on: status seconds_left in 1..30" "got [$LEFT]" \
    test "$LEFT" -ge 1 -a "$LEFT" -le 30
TEXT=$("$CTSTUB" status -s "$SOCK" 2>&1)
expect_eq "on: status exits 1 (degraded)" 1 "$?"
check "on: the verdict says portal mode" "got [$(head -n 1 <<<"$TEXT")]" \
    grep -qF "degraded: portal mode on: every query in plain DNS to 127.0.0.1:$PP" \
    <<<"$(head -n 1 <<<"$TEXT")"
check "on: status text" "got [$TEXT]" \
    grep -qF "PORTAL MODE ON: plain DNS to 127.0.0.1:$PP" <<<"$TEXT"
expect_eq "on: ctstub_portal_active" 1 "$(metric ctstub_portal_active)"
expect_eq "on: ctstub_portal_starts_total" 1 \
    "$(metric ctstub_portal_starts_total)"
OUT=$(control_cmd "$SOCK" reload)
check "on: a reload succeeds" "got [$OUT]" grep -qF '"ok": true' <<<"$OUT"
expect_eq "on: a reload keeps it" on "$(field state)"
expect_eq "on after the reload: still the network's server" \
    "login.portal.test. IN A 10.99.0.1" "$(ans login.portal.test)"

# --- --off ends it ---------------------------------------------------------
OUT=$("$CTSTUB" portal -s "$SOCK" --off 2>&1)
expect_eq "--off: exit 0" 0 "$?"
expect_eq "--off: one line in the log" 1 "$(log_count "$LOG" \
    "portal mode off (ended by the user)")"
expect_eq "--off: status state" off "$(field state)"
expect_eq "--off: status last_end" "ended by the user" "$(field last_end)"
expect_eq "--off: ctstub_portal_active" 0 "$(metric ctstub_portal_active)"
N=$(queries "$DOT_LOG" login.portal.test)
check "--off: the portal's answer is not cached" "got [$(ans login.portal.test)]" \
    test -z "$(ans login.portal.test)"
check "--off: login.portal.test went over DoT" "see $DOT_LOG" \
    wait_count "$DOT_LOG" "query: login.portal.test IN" $((N + 1))
OUT=$("$CTSTUB" portal -s "$SOCK" --off 2>&1)
check "--off again: nothing to end" "got [$OUT]" \
    grep -qF "portal mode was not on" <<<"$OUT"

# --- --for 3s ends by itself -----------------------------------------------
"$CTSTUB" portal -s "$SOCK" --for 3s --server "127.0.0.1:$PP" >/dev/null
expect_eq "--for 3s: on" on "$(field state)"
expect_eq "--for 3s: the network's server answers" \
    "login.portal.test. IN A 10.99.0.1" "$(ans login.portal.test)"
check "--for 3s: ends by itself" "see $LOG" \
    wait_log "$LOG" "portal mode off (expired)"
expect_eq "expired: one line in the log" 1 \
    "$(log_count "$LOG" "portal mode off (expired)")"
expect_eq "expired: status state" off "$(field state)"
expect_eq "expired: status last_end" expired "$(field last_end)"
expect_eq "expired: status starts" 2 "$(field starts)"
expect_eq "expired: ctstub_portal_active" 0 "$(metric ctstub_portal_active)"
expect_eq "expired: ctstub_portal_starts_total" 2 \
    "$(metric ctstub_portal_starts_total)"
TEXT=$("$CTSTUB" status -s "$SOCK" 2>&1)
expect_eq "expired: status exits 0 again" 0 "$?"
N=$(queries "$DOT_LOG" login.portal.test)
check "expired: the portal's answer is not cached" \
    "got [$(ans login.portal.test)]" test -z "$(ans login.portal.test)"
check "expired: login.portal.test went over DoT" "see $DOT_LOG" \
    wait_count "$DOT_LOG" "query: login.portal.test IN" $((N + 1))
expect_eq "two starts logged in all" 2 "$(log_count "$LOG" "portal mode on")"

# --- the server found in systemd-resolved's file -----------------------------
# The client asks a stand-in control socket that records the command and
# answers ok: the documentation addresses (RFC 5737, RFC 3849) the client
# finds never reach a daemon, so nothing can be sent to them.
FAKE_SOCK=$TMP/fake-control.sock
start_bg "$TMP/fake-control.log" "$PY" -u -c "
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(4); print('ready', flush=True)
while True:
    c, _ = s.accept()
    line = c.makefile('rb').readline().decode().strip()
    print('command:', line, flush=True)
    c.sendall((json.dumps({'ok': True, 'message': 'recorded'}) + '\\n').encode())
    c.close()
" "$FAKE_SOCK"
wait_log "$TMP/fake-control.log" ready || bail "$TEST_NAME: fake control"
printf 'nameserver 127.0.0.53\nnameserver ::1\nnameserver 192.0.2.53\n' \
    >"$TMP/resolv.conf"
PATH=/nonexistent CTSTUB_PORTAL_RESOLV_CONF=$TMP/resolv.conf \
    "$CTSTUB" portal -s "$FAKE_SOCK" --for 1m >/dev/null 2>&1
check "found: the first non-loopback nameserver" "see $TMP/fake-control.log" \
    wait_log "$TMP/fake-control.log" "command: portal on 60 192.0.2.53"
printf 'nameserver 2001:db8::53\n' >"$TMP/resolv.conf"
PATH=/nonexistent CTSTUB_PORTAL_RESOLV_CONF=$TMP/resolv.conf \
    "$CTSTUB" portal -s "$FAKE_SOCK" --for 1m >/dev/null 2>&1
check "found: an IPv6 nameserver, bracketed" "see $TMP/fake-control.log" \
    wait_log "$TMP/fake-control.log" "command: portal on 60 [2001:db8::53]"
expect_eq "found: the daemon never heard of them" "0 0" \
    "$(log_count "$LOG" 192.0.2.53) $(log_count "$LOG" 2001:db8::53)"


# --- a query in flight when it ends moves to the encrypted upstreams ------
SILENT=$((NAMED_PORT0 + 41))	# takes datagrams, never answers
start_bg "$TMP/silent.log" "$PY" -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', $SILENT))
time.sleep(600)"
wait_port udp 127.0.0.1 "$SILENT" "$PID" || bail "silent server" "see $TMP/silent.log"
SILENT_PID=$PID
"$CTSTUB" portal -s "$SOCK" --for 1s --server "127.0.0.1:$SILENT" >/dev/null
expect_eq "in flight at the end: DoT's answer" \
    "a3.example.test. IN A 198.51.100.3" "$(ans a3.example.test)"
check "in flight at the end: it expired first" "see $LOG" \
    wait_count "$LOG" "portal mode off (expired)" 2
stop_proc "$SILENT_PID" TERM

stop_ctstub p
done_testing
