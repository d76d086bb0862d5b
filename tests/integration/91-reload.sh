#!/bin/bash
# SPDX-License-Identifier: ISC
# Reload (SIGHUP and the control socket) and CT log list upkeep: a good new
# configuration or list takes over, a bad one is logged and the running one
# stays, and no query is lost while it happens. ctstub loglist show and
# install with good, malformed, older and tampered lists.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki
start_named good wrong-ip

P=$CTSTUB_PORT0
CONF=$TMP/r.conf
SOCK=$TMP/run/r.sock
LISTS=$TMP/lists
mkdir -p "$LISTS"
cp "$PKI/ct-logs.json" "$LISTS/ct-logs.json"
GOOD="upstream dot://127.0.0.1:$(dot_port good)"
GOOD_DOH="upstream https://127.0.0.1:$(doh_port good)/dns-query"
WRONG="upstream dot://127.0.0.1:$(dot_port wrong-ip)"

# write_conf LINE...: the configuration ctstub r reads, with LINEs.
write_conf() {
	{
		echo "listen 127.0.0.1 $P"
		echo "control $SOCK"
		echo "local-zone test. forward"
		echo "ca-file $PKI/root.pem"
		echo "ct-log-list $LISTS/ct-logs.json"
		echo "timeout 3000"
		echo "cache-size 0"
		[ "$(id -u)" -ne 0 ] || echo "user nobody"
		printf '%s\n' "$@"
	} >"$CONF"
}

# reload_and_wait N: SIGHUP, then wait (10 s at most) for the Nth reload
# line in the log.
reload_and_wait() {
	kill -HUP "$CTSTUB_PID"
	for _ in $(seq 100); do
		[ "$(grep -cE 'reloaded|reload failed' "$TMP/r.log")" -ge "$1" ] &&
		    return 0
		sleep 0.1
	done
	return 1
}

js() { # EXPR on ctstub status --json as d
	"$CTSTUB" status -s "$SOCK" --json |
	    "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

write_conf "$GOOD"
start_bg "$TMP/r.log" "$CTSTUB" -d -f "$CONF"
CTSTUB_PID=$PID
CTSTUB_PIDS[r]=$PID
wait_port udp 127.0.0.1 "$P" "$PID" || bail "ctstub r starts" "see $TMP/r.log"
same_as_direct "before any reload" 127.0.0.1 "$P" www.example.test A

# A good new configuration takes over.
write_conf "$WRONG"
check "SIGHUP: reloaded" "see $TMP/r.log" reload_and_wait 1
OUT=$(q 127.0.0.1 "$P" a1.example.test A)
expect_eq "new upstream in force: SERVFAIL" SERVFAIL "$(status_of "$OUT")"
check "new upstream in force: the wrong-ip reason" "got: $(ede_of "$OUT")" \
    grep -qF "does not match IP" <<<"$(ede_of "$OUT")"
expect_eq "status shows the new upstream" "127.0.0.1:$(dot_port wrong-ip)" \
    "$(js 'd["upstreams"][0]["address"]')"

# A bad configuration is refused with file:line, and the running one stays.
write_conf "$WRONG" "frobnicate yes"
BAD_LINE=$(wc -l <"$CONF")
check "bad config: reload refused" "see $TMP/r.log" reload_and_wait 2
check "bad config: file:line error logged" "see $TMP/r.log" \
    grep -qF "reload: $CONF:$BAD_LINE: unknown directive 'frobnicate'" "$TMP/r.log"
check "bad config: says the running one stays" "see $TMP/r.log" \
    grep -qF "reload failed, the running configuration stays" "$TMP/r.log"
check "bad config: still running" "exited" alive "$CTSTUB_PID"
# Any SERVFAIL would do for "still serves": the reason must be the
# wrong-ip upstream's, which only the previous configuration has.
OUT=$(q 127.0.0.1 "$P" a2.example.test A)
expect_eq "bad config: the previous one still serves: SERVFAIL" SERVFAIL \
    "$(status_of "$OUT")"
expect_eq "bad config: the previous one still serves: the wrong-ip reason" \
    "upstream 127.0.0.1:$(dot_port wrong-ip) rejected: certificate does not match IP 127.0.0.1" \
    "$(ede_of "$OUT")"
expect_eq "status counts the failed reload" "1 1" \
    "$(js 'd["counters"]["reloads"], d["counters"]["reload_failures"]' | tr -d '(),')"

# Back to a good upstream.
write_conf "$GOOD"
check "good again: reloaded" "see $TMP/r.log" reload_and_wait 3
same_as_direct "good again" 127.0.0.1 "$P" a3.example.test A

# A configuration naming a broken log list is refused as a whole.
printf '{"version": "broken", "operators": [' >"$LISTS/broken.json"
sed "s|^ct-log-list .*|ct-log-list $LISTS/broken.json|" "$CONF" >"$CONF.new"
mv "$CONF.new" "$CONF"
check "broken log list: reload refused" "see $TMP/r.log" reload_and_wait 4
check "broken log list: the list's error logged" "see $TMP/r.log" \
    grep -qF "reload: $LISTS/broken.json" "$TMP/r.log"
same_as_direct "broken log list: still served" 127.0.0.1 "$P" \
    a4.example.test A

# Settings bound at start-up are kept, and the log says so.
write_conf "$GOOD" "listen 127.0.0.1 $((P + 1))"
check "listen change: reloaded" "see $TMP/r.log" reload_and_wait 5
check "listen change: needs a restart, logged" "see $TMP/r.log" \
    grep -qF "'listen' changes need a restart" "$TMP/r.log"
same_as_direct "listen change: still on the old port" 127.0.0.1 "$P" \
    a5.example.test A

# Reload over the control socket.
write_conf "$GOOD"
R=$(control_cmd "$SOCK" reload)
check "control socket reload: ok" "got: $R" grep -qF '"ok": true' <<<"$R"

# No query lost while reloading: 10 reloads under load, switching between
# DoT and DoH upstreams, every query answered NOERROR.
for i in $(seq 50); do echo "a$i.example.test A"; done >"$TMP/queries"
RELOADS0=$(js 'd["counters"]["reloads"]')
LOG0=$(wc -l <"$TMP/r.log")
dnsperf -s 127.0.0.1 -p "$P" -d "$TMP/queries" -l 6 -Q 1500 -t 5 \
    >"$TMP/dnsperf.log" 2>&1 &
DNSPERF_PID=$!
sleep 0.5	# pacing only: no check depends on when a SIGHUP lands
for i in $(seq 10); do
	if [ $((i % 2)) -eq 1 ]; then write_conf "$GOOD_DOH"; else write_conf "$GOOD"; fi
	kill -HUP "$CTSTUB_PID"
	sleep 0.4
done
wait "$DNSPERF_PID"
dnsperf_read "$TMP/dnsperf.log"
check "under load: queries were sent" "sent $DP_SENT" test "${DP_SENT:-0}" -gt 3000
expect_eq "under load: none lost" 0 "$DP_LOST"
expect_eq "under load: every answer NOERROR" "$DP_SENT" "$DP_NOERROR"
# reloads_settled: every reload the SIGHUPs started has ended and the last
# configuration (DoT) is in force.
reloads_settled() {
	local i log
	for i in $(seq 100); do
		log=$(tail -n +$((LOG0 + 1)) "$TMP/r.log")
		[ "$(grep -c 'SIGHUP: reloading' <<<"$log")" = \
		    "$(grep -cE 'reloaded |reload failed' <<<"$log")" ] &&
		    [ "$(js 'd["upstreams"][0]["transport"]')" = dot ] &&
		    return 0
		sleep 0.1
	done
	return 1
}
check "under load: the last configuration (DoT) in force (within 10 s)" \
    "see $TMP/r.log" reloads_settled
check "under load: still running" "exited" alive "$CTSTUB_PID"
# Signals that arrive during a reload may merge: at least one reload, at
# most one per SIGHUP, and each logged.
n=$(($(js 'd["counters"]["reloads"]') - RELOADS0))
check "under load: 1 to 10 reloads from 10 SIGHUPs" "got $n" \
    test "$n" -ge 1 -a "$n" -le 10
expect_eq "under load: each reload logged" "$n" \
    "$(tail -n +$((LOG0 + 1)) "$TMP/r.log" | grep -c 'reloaded ')"
same_as_direct "under load: serves after the reloads" 127.0.0.1 "$P" \
    a6.example.test A

# ctstub reload waits for the outcome and says it in its exit status.
write_conf "$GOOD" "frobnicate yes"
OUT=$("$CTSTUB" reload -f "$CONF" 2>&1)
expect_eq "ctstub reload of a bad config: exit 1" 1 $?
check "ctstub reload of a bad config: says why" "got: $OUT" \
    grep -qF "$CONF:$(wc -l <"$CONF"): unknown directive 'frobnicate'" <<<"$OUT"
write_conf "$GOOD"
OUT=$("$CTSTUB" reload -f "$CONF" 2>&1)
expect_eq "ctstub reload of a good config: exit 0" 0 $?
check "ctstub reload of a good config: says reloaded" "got: $OUT" \
    grep -qF "ctstub: reloaded $CONF" <<<"$OUT"
OUT=$("$CTSTUB" reload -s "$TMP/nobody-here.sock" 2>&1)
expect_eq "ctstub reload without a daemon: exit 1" 1 $?

# Counters of an upstream that stays survive a reload.
BEFORE=$(js 'd["upstreams"][0]["counters"]["answers"]')
write_conf "$GOOD" "timeout 4000"
R=$(control_cmd "$SOCK" reload)
check "timeout change: reloaded" "got: $R" grep -qF '"ok": true' <<<"$R"
AFTER=$(js 'd["upstreams"][0]["counters"]["answers"]')
check "counters carried over" "$BEFORE answers before, $AFTER after" \
    test "$BEFORE" -ge 1 -a "$AFTER" -eq "$BEFORE"

# ctstub loglist show.
OUT=$("$CTSTUB" loglist show -f "$CONF")
expect_eq "loglist show: exit status" 0 $?
check "loglist show: version and counts" "got: $OUT" \
    grep -qE '^version 1\.0, made .*, [0-9]+ logs, [0-9]+ operators$' <<<"$OUT"
check "loglist show: logs by operator and state" "got: $OUT" \
    grep -qE '^  (qualified|usable) ' <<<"$OUT"
OUT=$("$CTSTUB" loglist show "$LISTS/broken.json" 2>&1)
expect_eq "loglist show of a broken list: exit 2" 2 $?

# Lists to install: newer, older, malformed, tampered.
"$PY" - "$LISTS/ct-logs.json" "$LISTS" <<'PYEOF'
import json, sys, datetime, base64
src, out = sys.argv[1], sys.argv[2]
def variant(name, days, version, tamper=False):
    d = json.load(open(src))
    t = datetime.datetime.strptime(d["log_list_timestamp"], "%Y-%m-%dT%H:%M:%SZ")
    d["log_list_timestamp"] = (t + datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    d["version"] = version
    if tamper:  # one key replaced, its log_id left: the id no longer matches
        logs = d["operators"][0]["logs"]
        logs[0]["key"] = logs[1]["key"] if len(logs) > 1 else d["operators"][1]["logs"][0]["key"]
    json.dump(d, open(f"{out}/{name}.json", "w"), indent=1)
variant("newer", 1, "test-newer")
variant("older", -30, "test-older")
variant("tampered", 2, "test-tampered", tamper=True)
PYEOF
head -c 200 "$LISTS/newer.json" >"$LISTS/malformed.json"
INSTALLED=$LISTS/ct-logs.json

OUT=$("$CTSTUB" loglist install -f "$CONF" "$LISTS/newer.json" 2>&1)
expect_eq "install newer: exit 0" 0 $?
check "install newer: installed and reloaded" "got: $OUT" \
    grep -qF "reloaded $CONF" <<<"$OUT"
check "install newer: file in place" "differs" cmp -s "$LISTS/newer.json" "$INSTALLED"
expect_eq "install newer: the daemon uses it" test-newer \
    "$(js 'd["ct_log_list"]["version"]')"
same_as_direct "install newer: still verifies and serves" 127.0.0.1 "$P" \
    www.example.test AAAA

for bad in older malformed tampered; do
	OUT=$("$CTSTUB" loglist install -f "$CONF" "$LISTS/$bad.json" 2>&1)
	expect_eq "install $bad: exit 1" 1 $?
	check "install $bad: refused, says why" "got: $OUT" \
	    grep -qF "refused:" <<<"$OUT"
	check "install $bad: installed list untouched" "changed" \
	    cmp -s "$LISTS/newer.json" "$INSTALLED"
done
OUT=$("$CTSTUB" loglist install -f "$CONF" "$LISTS/older.json" 2>&1)
check "install older: says older than the installed" "got: $OUT" \
    grep -qF "is older than the installed" <<<"$OUT"
OUT=$("$CTSTUB" loglist install -f "$CONF" "$LISTS/tampered.json" 2>&1)
check "install tampered: the log_id mismatch named" "got: $OUT" \
    grep -qi "log_id" <<<"$OUT"
OUT=$("$CTSTUB" loglist install -f "$CONF" --force "$LISTS/older.json" 2>&1)
expect_eq "install older --force: exit 0" 0 $?
check "install older --force: in place" "differs" cmp -s "$LISTS/older.json" "$INSTALLED"
expect_eq "install older --force: the daemon uses it" test-older \
    "$(js 'd["ct_log_list"]["version"]')"
OUT=$("$CTSTUB" loglist install -f "$CONF" -s "$TMP/nobody-here.sock" \
    "$LISTS/newer.json" 2>&1)
expect_eq "install without a daemon: exit 0" 0 $?
check "install without a daemon: says when it takes effect" "got: $OUT" \
    grep -qF "used at its next start" <<<"$OUT"
expect_eq "no temporary files left" "" \
    "$(find "$LISTS" -name '*.new.*')"
OUT=$("$CTSTUB" loglist install 2>&1)
expect_eq "install without a file: usage, exit 2" 2 $?

stop_ctstub r
done_testing
