#!/bin/bash
# SPDX-License-Identifier: ISC
# One slow name must not take the upstream down (issue 11 item 4): the DoT
# fault server answers every name but slow.bulk.test, which it never
# answers (its authoritative servers are dead, say). dnsperf asks other
# names at 1,000 qps while the slow name is asked again and again.
#   one upstream: no SERVFAIL for the other names, no reconnect, the slow
#     name SERVFAIL at the full timeout;
#   two upstreams (ordered): only the slow query moves on to the second
#     upstream at half the timeout; the first keeps its one connection.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
command -v dnsperf >/dev/null || bail "$TEST_NAME: dnsperf installed" "missing"
mint_pki
# shellcheck disable=SC2034 # read by start_named
NAMED_EXTRA_CONF="zone \"bulk.test.\" { type primary;
	file \"$ROOT/tests/named/bulk.test.zone\"; };"
start_named good

SLOW=slow.bulk.test
TIMEOUT_MS=4000	# half: 2 s, room for a slow dig start
for i in $(seq 1000); do echo "b$i.bulk.test TXT"; done >"$TMP/bulk.queries"

# ask_slow NAME COUNT: COUNT queries for names under the slow one (each
# its own, so none joins another in flight), 0.4 s apart, each in the
# background; the results in $TMP/NAME-slow.N: "STATUS MS EDE".
ask_slow() {
	local i pids=
	for i in $(seq "$2"); do
		(
			start=$(now_ms)
			out=$(q 127.0.0.1 "${CT_PORTS[$1]}" "s$i.$SLOW" A)
			echo "$(status_of "$out") $(elapsed_ms "$start") $(ede_of "$out")"
		) >"$TMP/$1-slow.$i" &
		pids="$pids $!"
		sleep 0.4
	done
	# shellcheck disable=SC2086 # one pid per word
	wait $pids
}

# load NAME: dnsperf at 1,000 qps for 4 s, with the slow name asked 8
# times meanwhile; DP_* from the report.
load() {
	dnsperf -s 127.0.0.1 -p "${CT_PORTS[$1]}" -d "$TMP/bulk.queries" \
	    -l 4 -Q 1000 -t 5 >"$TMP/dnsperf-$1.log" 2>&1 &
	local perf=$!
	ask_slow "$1" 8
	wait "$perf"
	dnsperf_read "$TMP/dnsperf-$1.log"
}

# conns NAME: connections the fault server NAME accepted.
conns() { grep -c ': open, ' "$TMP/dot-$1.log"; }

# --- one upstream ----------------------------------------------------------
start_dotserver one $((NAMED_PORT0 + 30)) good never "$SLOW"
add_ctstub -v one "upstream dot://127.0.0.1:$((NAMED_PORT0 + 30))" \
    "cache-size 0" "timeout $TIMEOUT_MS"
load one
check "one upstream: dnsperf sent at least 2,000 queries" "sent $DP_SENT" \
    test "${DP_SENT:-0}" -ge 2000
expect_eq "one upstream: other names: no SERVFAIL" 0 "$DP_SERVFAIL"
expect_eq "one upstream: other names: none lost" 0 "$DP_LOST"
expect_eq "one upstream: other names: all NOERROR" "$DP_DONE" "$DP_NOERROR"
expect_eq "one upstream: one connection, no reconnect" 1 "$(conns one)"
bad=
for f in "$TMP"/one-slow.*; do
	read -r st ms ede <"$f"
	[ "$st" = SERVFAIL ] && [ "$ms" -ge $((TIMEOUT_MS - 100)) ] &&
	    [ "$ms" -lt $((TIMEOUT_MS + 3000)) ] &&
	    [ "$ede" = "no answer from upstream 127.0.0.1:$((NAMED_PORT0 + 30)) within $TIMEOUT_MS ms" ] ||
	    bad="$bad [$(cat "$f")]"
done
expect_eq "one upstream: the slow name: SERVFAIL at the full timeout" "" "$bad"
check "one upstream: not failed, not in back-off" "see $TMP/one.log" \
    eval "! grep -q 'upstream .* failed' '$TMP/one.log'"
stop_ctstub one

# --- two upstreams: the slow query alone moves on ---------------------------
start_dotserver two $((NAMED_PORT0 + 31)) good never "$SLOW"
add_ctstub -v two "upstream dot://127.0.0.1:$((NAMED_PORT0 + 31))" \
    "upstream dot://127.0.0.1:$(dot_port good)" "upstream-strategy ordered" \
    "cache-size 0" "timeout $TIMEOUT_MS"
load two
expect_eq "two upstreams: other names: no SERVFAIL" 0 "$DP_SERVFAIL"
expect_eq "two upstreams: other names: none lost" 0 "$DP_LOST"
expect_eq "two upstreams: the first keeps its one connection" 1 "$(conns two)"
bad=
for f in "$TMP"/two-slow.*; do
	read -r st ms _ <"$f"
	# the zone has no such name: named says NXDOMAIN after the failover
	[ "$st" = NXDOMAIN ] && [ "$ms" -ge $((TIMEOUT_MS / 2 - 100)) ] &&
	    [ "$ms" -lt "$TIMEOUT_MS" ] || bad="$bad [$(cat "$f")]"
done
expect_eq "two upstreams: the slow name answered by the second after half the timeout" "" "$bad"
other=$(grep -c "answered by 127.0.0.1:$(dot_port good)" "$TMP/two.log")
check "two upstreams: the second answered the slow name (8 times)" \
    "it answered $other" test "$other" -ge 8
check "two upstreams: the first not failed" "see $TMP/two.log" \
    eval "! grep -q 'upstream .* failed' '$TMP/two.log'"
stop_ctstub two

# --- DoH: a connection detached on GOAWAY with a query never answered -------
# (issue 11 item 8) It must close once its last query is gone, and never
# outlive its upstream: neither a reload (the old upstreams are freed one
# timeout later) nor the shutdown may leave it behind (ASan: use after
# free when the server finally closes, leaks at exit).
H2=$((NAMED_PORT0 + 32))
start_fault_server h2 h2server.py hold "$H2" good goaway-hold 1
h2_pid=$PID
add_ctstub -v doh "upstream https://127.0.0.1:$H2/dns-query" \
    "cache-size 0" "timeout $TIMEOUT_MS"
out=$(q 127.0.0.1 "${CT_PORTS[doh]}" www.example.test A)
expect_eq "GOAWAY held: SERVFAIL at the timeout" SERVFAIL "$(status_of "$out")"
check "GOAWAY held: ctstub saw the GOAWAY" "see $TMP/doh.log" \
    wait_log "$TMP/doh.log" "GOAWAY, last stream 1"
check "GOAWAY held: the idle detached connection is closed" \
    "see $TMP/h2-hold.log" wait_log "$TMP/h2-hold.log" "conn 1: closed by the client"
kill -HUP "${CTSTUB_PIDS[doh]}"
check "GOAWAY held: reloaded" "see $TMP/doh.log" \
    wait_log "$TMP/doh.log" "reload"
sleep $((TIMEOUT_MS / 1000 + 2))	# the old upstreams are freed by then
stop_proc "$h2_pid"			# the server closes whatever is left
q 127.0.0.1 "${CT_PORTS[doh]}" www.example.test A >/dev/null
check "GOAWAY held: ctstub alive after the server's close" \
    "see $TMP/doh.log" alive "${CTSTUB_PIDS[doh]}"
mv "$TMP/h2-hold.log" "$TMP/h2-hold.run1.log"
start_fault_server h2 h2server.py hold "$H2" good goaway-hold 1
check "GOAWAY held: the upstream is back (probe)" "see $TMP/doh.log" \
    wait_log "$TMP/doh.log" "upstream 127.0.0.1:$H2 is up again"
q 127.0.0.1 "${CT_PORTS[doh]}" +time=8 mail.example.test A >/dev/null &
pending=$!
check "GOAWAY held: a query waits on a detached connection" \
    "see $TMP/h2-hold.log" wait_log "$TMP/h2-hold.log" "GOAWAY at request 1"
stop_ctstub doh				# no leak, no use after free
wait "$pending"

# A query on a detached connection reaches half its timeout: the stall
# closes that connection (before: up->conn, a newer connection or none)
# and the query moves on to the second upstream.
add_ctstub -v doh2 "upstream https://127.0.0.1:$H2/dns-query" \
    "upstream dot://127.0.0.1:$(dot_port good)" "upstream-strategy ordered" \
    "cache-size 0" "timeout $TIMEOUT_MS"
start=$(now_ms)
out=$(q 127.0.0.1 "${CT_PORTS[doh2]}" txt.example.test TXT)
ms=$(elapsed_ms "$start")
expect_eq "GOAWAY held, two upstreams: answered by the second" NOERROR \
    "$(status_of "$out")"
check "GOAWAY held, two upstreams: at half the timeout, not the full one" \
    "took $ms ms" test "$ms" -lt "$TIMEOUT_MS"
stop_ctstub doh2
done_testing
