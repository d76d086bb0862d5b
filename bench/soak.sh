#!/bin/bash
# SPDX-License-Identifier: ISC
# Soak test (not part of make check; make soak): SOAK_SECONDS (600) of
# dnsperf load through ctstub (no cache unless SOAK_CACHE_SIZE) while its
# upstream, named over DoT, is restarted every SOAK_RESTART (30) seconds. Passes when ctstub never
# crashes, every query is answered (NOERROR, or SERVFAIL while the upstream
# is down: dnsperf loses none), and its memory stays flat (VmRSS at the end
# within SOAK_RSS_SLACK_KB of the first sample after a minute of load, or
# a third of the run if shorter).
# Loopback only. Output: ok/not ok lines and the usual summary line.
# shellcheck source=../tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"
SECONDS_TOTAL=${SOAK_SECONDS:-600}
RESTART_EVERY=${SOAK_RESTART:-30}
RSS_SLACK_KB=${SOAK_RSS_SLACK_KB:-1024}
need_ctstub
mint_pki
NAMED_EXTRA_CONF="zone \"bulk.test.\" { type primary;
    file \"$ROOT/tests/named/bulk.test.zone\"; };"
start_named good
# no cache: every query crosses to the upstream that keeps restarting
start_ctstub soak "$CTSTUB_PORT0" \
    "upstream dot://127.0.0.1:$(dot_port good)" "timeout 2000" \
    "cache-size ${SOAK_CACHE_SIZE:-0}"
CPID=${CTSTUB_PIDS[soak]}

# a mix of names: bulk.test answers (1,000), example.test ones, NXDOMAIN
for i in $(seq 1000); do
	echo "b$i.bulk.test TXT"
	echo "www.example.test A"
	echo "nx$i.example.test A"
done >"$TMP/soak.queries"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

dnsperf -s 127.0.0.1 -p "$CTSTUB_PORT0" -d "$TMP/soak.queries" \
    -l "$SECONDS_TOTAL" -c 20 -q 200 -Q 3000 -t 5 \
    >"$TMP/dnsperf-soak.log" 2>&1 &
perf_pid=$!
start=$(date +%s)
restarts=0
rss_first=
warm=$((SECONDS_TOTAL / 3 < 60 ? SECONDS_TOTAL / 3 : 60))
while alive "$perf_pid"; do
	sleep 10
	elapsed=$(($(date +%s) - start))
	alive "$CPID" || break
	[ -z "$rss_first" ] && [ "$elapsed" -ge "$warm" ] &&
	    rss_first=$(rss_kb "$CPID")
	if [ $((elapsed / RESTART_EVERY)) -gt "$restarts" ] &&
	    [ "$elapsed" -lt "$SECONDS_TOTAL" ]; then
		restarts=$((restarts + 1))
		stop_proc "$NAMED_PID"
		start_named good
	fi
	echo "# ${elapsed}s: VmRSS $(rss_kb "$CPID") kB, $restarts restarts"
done
wait "$perf_pid"
dnsperf_read "$TMP/dnsperf-soak.log"
rss_last=$(rss_kb "$CPID")

check "soak: ctstub alive after ${SECONDS_TOTAL}s" "see $TMP/soak.log" \
    alive "$CPID"
check "soak: the upstream was restarted" "$restarts restarts" \
    test "$restarts" -ge $((SECONDS_TOTAL / RESTART_EVERY - 2))
expect_eq "soak: dnsperf lost no query" 0 "$DP_LOST"
check "soak: every query got NOERROR, NXDOMAIN or SERVFAIL" \
    "sent $DP_SENT, completed $DP_DONE" test "$DP_DONE" -eq "$DP_SENT" \
    -a "$DP_SENT" -gt 0
check "soak: memory flat (VmRSS ${rss_first:-?} -> ${rss_last:-?} kB)" \
    "more than $RSS_SLACK_KB kB of growth" \
    test -n "$rss_first" -a -n "$rss_last" -a \
    "$((${rss_last:-0} - ${rss_first:-0}))" -le "$RSS_SLACK_KB"
grep -E "Queries (sent|completed|lost)|Response codes|Queries per second" \
    "$TMP/dnsperf-soak.log" | sed 's/^/# /'
stop_ctstub soak
done_testing
