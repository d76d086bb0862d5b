#!/bin/bash
# SPDX-License-Identifier: ISC
# The bad day and every day: `ctstub status` exit codes (0 healthy, 1
# degraded or failing, 2 no daemon) and its verdict line for each kind of
# refusal; the EDE naming every upstream's reason; state kept across a
# reload; `ctstub query`, `flush` and `reset` against a running daemon.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki
load_pins
# A PKI minted 200 days ago: its leaf expired 110 days ago (a wrong clock
# looks the same), served as the leaf "past".
"$BUILD/mkpki" "$TMP/past" --now $(($(date +%s) - 200 * 86400)) >/dev/null ||
    bail "$TEST_NAME: past pki" "mkpki failed"
cp "$TMP/past/good.pem" "$PKI/past.pem"
cp "$TMP/past/good.key" "$PKI/past.key"
cat "$PKI/root.pem" "$TMP/past/root.pem" >"$TMP/roots.pem"
start_named good untrusted wrong-ip unknown oneop past

GOOD=127.0.0.1:$(dot_port good)
DOWN_PORT=$((NAMED_PORT0 + 60))	# nothing listens there

# status_of_ NAME: ctstub status's text (STATUS_RC its exit status).
status_text() {
	STATUS_TEXT=$("$CTSTUB" status -s "$TMP/run/$1.sock" 2>&1)
	STATUS_RC=$?
}
# health NAME I: the health of upstream I of ctstub NAME.
health() {
	"$CTSTUB" status -s "$TMP/run/$1.sock" --json |
	    "$PY" -c "import json,sys; print(json.load(sys.stdin)['upstreams'][$2]['health'])"
}
# shellcheck disable=SC2317 # run by wait_for
health_is() { [ "$(health "$1" "$2")" = "$3" ]; }

# verdict LABEL NAME WANT-PREFIX TEXT...: after a query, ctstub NAME's
# status exits 1 and its first line starts with WANT-PREFIX and holds TEXT.
verdict() {
	local label=$1 name=$2 prefix=$3 text line
	shift 3
	q 127.0.0.1 "${CT_PORTS[$name]}" www.example.test A >/dev/null
	status_text "$name"
	expect_eq "$label: status exit 1" 1 "$STATUS_RC"
	line=$(head -n 1 <<<"$STATUS_TEXT")
	check "$label: verdict starts '$prefix'" "verdict: [$line]" \
	    grep -qF -- "$prefix" <<<"${line:0:${#prefix}}"
	for text in "$@"; do
		check "$label: verdict names '$text'" "verdict: [$line]" \
		    grep -qF -- "$text" <<<"$line"
	done
}

# --- one upstream each: one verdict per kind of trouble ---------------
start_ctstub chain "upstream dot://127.0.0.1:$(dot_port untrusted)"
verdict "untrusted chain" chain "all upstreams refused: chain not trusted (" \
    "captive-portal" "ca-file"
stop_ctstub chain

start_ctstub ip "upstream dot://127.0.0.1:$(dot_port wrong-ip)"
verdict "wrong IP" ip "all upstreams refused: IP/name mismatch (" \
    "certificate does not match IP 127.0.0.1" "#captive-portal"
stop_ctstub ip

start_ctstub unknown "upstream dot://127.0.0.1:$(dot_port unknown)"
# the verdict names the unknown log by its id's first 4 bytes: test log
# x1's, computed here with openssl from its key (its id is the SHA-256 of
# its public key, RFC 6962)
x1="log $(openssl pkey -in "$PKI/ctlog-x1.key" -pubout -outform der |
    openssl dgst -sha256 -binary | head -c 4 | od -An -tx1 | tr -d ' \n')"
verdict "unknown log" unknown \
    "all upstreams refused: CT: the log list does not know $x1, which signed the certificate (list 0 days old)" \
    "ctstub loglist install" "#stale-list"
stop_ctstub unknown

start_ctstub oneop "upstream dot://127.0.0.1:$(dot_port oneop)"
verdict "one operator" oneop "all upstreams refused: CT: " \
    "too few SCTs from distinct logs and operators" "ct-min-operators"
stop_ctstub oneop

start_ctstub pin "upstream dot://$GOOD" "pin $PIN_INTER2"
verdict "pin mismatch" pin "all upstreams refused: pin mismatch" \
    "ctstub probe URL" "ctstub reload" "#pin-mismatch"
stop_ctstub pin

start_ctstub clock "upstream dot://127.0.0.1:$(dot_port past)" \
    "ca-file $TMP/roots.pem"
verdict "expired (clock)" clock \
    "all upstreams refused: certificate not yet valid or expired (" \
    "check the clock" "#wrong-clock"
stop_ctstub clock

start_ctstub down "upstream dot://127.0.0.1:$DOWN_PORT"
verdict "network" down \
    "all upstreams down: upstream 127.0.0.1:$DOWN_PORT: back-off after network failures (" \
    "Connection refused" "ctstub reset" "#back-off" "#port-853-blocked"
stop_ctstub down

# --- degraded, stale, healthy, no daemon -------------------------------
sed "s/\"log_list_timestamp\": *\"[^\"]*\"/\"log_list_timestamp\": \"$(date -u -d '-3 days' +%Y-%m-%dT%H:%M:%SZ)\"/" \
    "$PKI/ct-logs.json" >"$TMP/old-list.json"
start_ctstub stale "upstream dot://$GOOD" "ct-log-list $TMP/old-list.json" \
    "ct-list-max-age 1"
q 127.0.0.1 "${CT_PORTS[stale]}" www.example.test A >/dev/null
status_text stale
expect_eq "stale list: status exit 1" 1 "$STATUS_RC"
check "stale list: verdict" "got: $(head -n 1 <<<"$STATUS_TEXT")" \
    grep -qxF "degraded: stale list: the CT log list is 3 days old — install a newer list: \`ctstub loglist install FILE\` (docs/troubleshooting.md#stale-list)" \
    <<<"$(head -n 1 <<<"$STATUS_TEXT")"
stop_ctstub stale

start_ctstub main "upstream dot://127.0.0.1:$(dot_port wrong-ip)" \
    "upstream dot://$GOOD"
MAIN=${CT_PORTS[main]}
SOCK=$TMP/run/main.sock
verdict "one of two refused" main \
    "degraded: 1 of 2 upstreams down; upstream 127.0.0.1:$(dot_port wrong-ip): IP/name mismatch"
JSON=$("$CTSTUB" status -s "$SOCK" --json)
expect_eq "status --json: exit 1 too" 1 $?
expect_eq "status --json: state and verdict" "degraded $(head -n 1 <<<"$STATUS_TEXT")" \
    "$("$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["state"], d["verdict"])' <<<"$JSON")"

start_ctstub fine "upstream dot://$GOOD"
q 127.0.0.1 "${CT_PORTS[fine]}" www.example.test A >/dev/null
status_text fine
expect_eq "healthy: status exit 0" 0 "$STATUS_RC"
expect_eq "healthy: verdict" "healthy: 1 upstream(s), none in back-off" \
    "$(head -n 1 <<<"$STATUS_TEXT")"

OUT=$("$CTSTUB" status -s "$TMP/nothing.sock" 2>&1)
expect_eq "no daemon: status exit 2" 2 $?
check "no daemon: says so" "got: $OUT" grep -qF "cannot reach ctstub" <<<"$OUT"

# --- the EDE names every upstream's reason -----------------------------
start_ctstub two "upstream dot://127.0.0.1:$(dot_port untrusted)" \
    "upstream dot://127.0.0.1:$(dot_port wrong-ip)"
OUT=$(q 127.0.0.1 "${CT_PORTS[two]}" www.example.test A)
expect_eq "two refused: SERVFAIL" SERVFAIL "$(status_of "$OUT")"
EDE=$(ede_of "$OUT")
check "two refused: EDE names the first's reason" "EDE: [$EDE]" grep -qF \
    "upstream 127.0.0.1:$(dot_port untrusted) rejected: certificate chain not trusted" <<<"$EDE"
check "two refused: EDE names the second's reason" "EDE: [$EDE]" grep -qF \
    "; upstream 127.0.0.1:$(dot_port wrong-ip) rejected: certificate does not match IP 127.0.0.1" <<<"$EDE"
check "two refused: EDE within 300 bytes" "${#EDE} bytes" test "${#EDE}" -le 300
start_ctstub twolong "upstream dot://127.0.0.1:$(dot_port unknown)" \
    "upstream dot://127.0.0.1:$(dot_port untrusted)" \
    "upstream dot://127.0.0.1:$DOWN_PORT"
OUT=$(q 127.0.0.1 "${CT_PORTS[twolong]}" www.example.test A)
EDE=$(ede_of "$OUT")
check "three down, long reasons: each upstream named in the EDE" "EDE: [$EDE]" \
    test "$(grep -o "upstream 127.0.0.1:[0-9]* \(rejected\|failed\)" <<<"$EDE" | wc -l)" -eq 3
check "three down: EDE within 300 bytes" "${#EDE} bytes: $EDE" \
    test "${#EDE}" -le 300
check "three down: the short network reason whole" "EDE: [$EDE]" grep -qF \
    "upstream 127.0.0.1:$DOWN_PORT failed: Connection refused" <<<"$EDE"
stop_ctstub twolong

# --- a reload never shows a refused upstream as ok ---------------------
kill -HUP "${CTSTUB_PIDS[two]}"
check "reload: done" "see $TMP/two.log" wait_log "$TMP/two.log" "reloaded"
h=$(health two 0)
check "reload: the refused upstream is not 'ok' after it" "health $h" \
    test "$h" = unknown -o "$h" = refused
check "reload: probed at once, refused again without a query (within 5 s)" \
    "health $(health two 0)" wait_for health_is two 0 refused
status_text two
expect_eq "reload: status still exits 1" 1 "$STATUS_RC"
stop_ctstub two

# --- ctstub query --------------------------------------------------------
OUT=$("$CTSTUB" query -s "$TMP/run/fine.sock" www.example.test)
expect_eq "query: exit 0" 0 $?
printf '%s\n' "$OUT" >"$TMP/query.txt"
check "query: NOERROR status line" "see $TMP/query.txt" \
    grep -qxF ";; status: NOERROR, flags: qr aa rd; answer 1, authority 0, additional 1" <<<"$OUT"
check "query: the A record, dig-like" "see $TMP/query.txt" \
    grep -qE '^www\.example\.test\. [0-9]+ IN A 192\.0\.2\.10$' <<<"$OUT"
# dig's query (AD bit set) has a cache key of its own: not a hit
check "query: from the upstream, not cached" "see $TMP/query.txt" \
    grep -qE "^;; from upstream $GOOD, not cached, [0-9.]+ ms$" <<<"$OUT"
OUT=$("$CTSTUB" query -s "$TMP/run/fine.sock" www.example.test aaaa)
check "query AAAA: the record" "got: $OUT" \
    grep -qE '^www\.example\.test\. [0-9]+ IN AAAA 2001:db8::10$' <<<"$OUT"
check "query AAAA: from the upstream, not cached" "got: $OUT" \
    grep -qE "^;; from upstream $GOOD, not cached, [0-9.]+ ms$" <<<"$OUT"
OUT=$("$CTSTUB" query -s "$TMP/run/fine.sock" www.example.test AAAA)
check "query AAAA again: a cache hit" "got: $OUT" \
    grep -qE "^;; from cache, cache hit, [0-9.]+ ms$" <<<"$OUT"
OUT=$("$CTSTUB" query -s "$TMP/run/fine.sock" example.test MX)
check "query MX" "got: $OUT" \
    grep -qE '^example\.test\. [0-9]+ IN MX 10 mail\.example\.test\.$' <<<"$OUT"
OUT=$("$CTSTUB" query -s "$TMP/run/fine.sock" txt.example.test TXT)
check "query TXT" "got: $OUT" \
    grep -qE '^txt\.example\.test\. [0-9]+ IN TXT "hello ctstub"$' <<<"$OUT"
OUT=$("$CTSTUB" query -s "$TMP/run/fine.sock" nx.example.test)
expect_eq "query NXDOMAIN: exit 0" 0 $?
check "query NXDOMAIN: status and the SOA" "got: $OUT" \
    grep -qF ";; status: NXDOMAIN," <<<"$OUT"
check "query NXDOMAIN: the SOA in the authority section" "got: $OUT" \
    grep -qE '^example\.test\. [0-9]+ IN SOA ns\.example\.test\. hostmaster\.example\.test\. 1 3600 600 86400 300$' <<<"$OUT"
OUT=$("$CTSTUB" query -s "$TMP/run/main.sock" www.example.test)
expect_eq "query through a degraded daemon: exit 0" 0 $?
start_ctstub dead "upstream dot://127.0.0.1:$(dot_port wrong-ip)"
OUT=$("$CTSTUB" query -s "$TMP/run/dead.sock" www.example.test)
expect_eq "query, every upstream refused: exit 1" 1 $?
check "query SERVFAIL: the status and the reason" "got: $OUT" \
    grep -qF ";; status: SERVFAIL," <<<"$OUT"
check "query SERVFAIL: the EDE" "got: $OUT" grep -qF \
    "; EDE: 22: upstream 127.0.0.1:$(dot_port wrong-ip) rejected: certificate does not match IP 127.0.0.1" <<<"$OUT"
check "query SERVFAIL: answered by ctstub itself" "got: $OUT" \
    grep -qE '^;; from ctstub, not cached, [0-9.]+ ms$' <<<"$OUT"
stop_ctstub dead
OUT=$("$CTSTUB" query -s "$TMP/run/fine.sock" www.example.test BOGUS 2>&1)
expect_eq "query with an unknown type: exit 2" 2 $?
OUT=$("$CTSTUB" query -s "$TMP/nothing.sock" www.example.test 2>&1)
expect_eq "query without a daemon: exit 2" 2 $?
OUT=$("$CTSTUB" query -s "$TMP/run/fine.sock" --json www.example.test)
expect_eq "query --json: source, cached" "cache True" \
    "$("$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["source"], d["cached"])' <<<"$OUT")"

# --- ctstub flush ---------------------------------------------------------
# upstream_queries: how many queries ctstub fine sent to its upstream.
upstream_queries() {
	"$CTSTUB" status -s "$TMP/run/fine.sock" --json |
	    "$PY" -c "import json,sys; print(json.load(sys.stdin)['upstreams'][0]['counters']['queries'])"
}
"$CTSTUB" query -s "$TMP/run/fine.sock" mail.example.test >/dev/null
n0=$(upstream_queries)
"$CTSTUB" query -s "$TMP/run/fine.sock" www.example.test >/dev/null
"$CTSTUB" query -s "$TMP/run/fine.sock" mail.example.test >/dev/null
expect_eq "cached names: no query upstream" "$n0" "$(upstream_queries)"
OUT=$("$CTSTUB" flush -s "$TMP/run/fine.sock" WWW.example.test)
expect_eq "flush NAME: exit 0" 0 $?
# A and AAAA asked by ctstub query, A by dig (its AD bit makes a key of
# its own): every entry of the name goes, whatever its type or flags.
expect_eq "flush NAME: every entry of the name dropped" \
    "ctstub: WWW.example.test flushed: 3 answer(s) dropped" "$OUT"
OUT=$("$CTSTUB" query -s "$TMP/run/fine.sock" www.example.test)
check "flushed name: asked of the upstream again" "got: $OUT" \
    grep -qE "^;; from upstream $GOOD, not cached" <<<"$OUT"
expect_eq "flushed name: one more query upstream" $((n0 + 1)) "$(upstream_queries)"
OUT=$("$CTSTUB" query -s "$TMP/run/fine.sock" mail.example.test)
check "another name: still cached" "got: $OUT" \
    grep -qE "^;; from cache, cache hit" <<<"$OUT"
OUT=$("$CTSTUB" flush -s "$TMP/run/fine.sock")
check "flush: the whole cache" "got: $OUT" \
    grep -qE '^ctstub: cache flushed: [0-9]+ answer\(s\) dropped$' <<<"$OUT"
OUT=$("$CTSTUB" query -s "$TMP/run/fine.sock" mail.example.test)
check "after flush: every name goes upstream" "got: $OUT" \
    grep -qE "^;; from upstream $GOOD, not cached" <<<"$OUT"
OUT=$("$CTSTUB" flush -s "$TMP/run/fine.sock" "a..b" 2>&1)
expect_eq "flush a bad name: exit 1" 1 $?
expect_eq "flush a bad name: says so" "ctstub: flush: not a domain name" "$OUT"
stop_ctstub fine

# --- ctstub reset ----------------------------------------------------------
# A refused upstream's back-off doubles at each probe; reset ends it and
# the probe comes at once, long before the back-off would have ended.
start_ctstub reset "upstream dot://127.0.0.1:$(dot_port wrong-ip)"
RSOCK=$TMP/run/reset.sock
js_reset() {
	"$CTSTUB" status -s "$RSOCK" --json |
	    "$PY" -c "import json,sys; u=json.load(sys.stdin)['upstreams'][0]; print($1)"
}
q 127.0.0.1 "${CT_PORTS[reset]}" www.example.test A >/dev/null
# shellcheck disable=SC2317 # run by wait_for
backoff_at_least() { [ "$(js_reset 'u["backoff_ms"]')" -ge "$1" ]; }
# 8 s: half of it is room for the test's own steps on a busy machine
check "reset: the refused upstream reaches an 8 s back-off" \
    "backoff $(js_reset 'u["backoff_ms"]')" wait_for backoff_at_least 8000
r0=$(js_reset 'u["counters"]["refusals"]["identity"]')
B=$(js_reset 'u["backoff_ms"]')
T0=$(date +%s%N)
OUT=$("$CTSTUB" reset -s "$RSOCK")
expect_eq "reset: exit 0 and the count" "0 ctstub: 1 back-off(s) ended" "$? $OUT"
check "reset: logged" "see $TMP/reset.log" \
    wait_log "$TMP/reset.log" "back-off of $B ms ended: ctstub reset"
# shellcheck disable=SC2317 # run by wait_for
refused_again() { [ "$(js_reset 'u["counters"]["refusals"]["identity"]')" -gt "$r0" ]; }
check "reset: tried again at once" "refusals $(js_reset 'u["counters"]["refusals"]["identity"]')" \
    wait_for refused_again
T1=$(date +%s%N)
check "reset: tried well before the back-off of $B ms would end" \
    "took $(((T1 - T0) / 1000000)) ms" test $(((T1 - T0) / 1000000)) -lt $((B / 2))
OUT=$("$CTSTUB" reset -s "$TMP/nothing.sock" 2>&1)
expect_eq "reset without a daemon: exit 2" 2 $?
stop_ctstub reset

# --- a query whose asker leaves before the answer ---------------------------
# A server that accepts and never says a word: the query waits its whole
# timeout. The first asker closes at once; the daemon keeps going (under
# SANITIZE=1 its log is checked for reports when it stops).
SILENT_PORT=$((NAMED_PORT0 + 61))
start_bg "$TMP/silent.log" "$PY" -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $SILENT_PORT)); s.listen(16); held = []
while True: held.append(s.accept()[0])"
wait_port tcp 127.0.0.1 "$SILENT_PORT" "$PID" ||
    bail "$TEST_NAME: silent server" "see $TMP/silent.log"
start_ctstub silent "upstream dot://127.0.0.1:$SILENT_PORT" "timeout 2000"
"$PY" -c "
import socket, sys
c = socket.socket(socket.AF_UNIX); c.connect(sys.argv[1])
c.sendall(b'query www.example.test 1\n'); c.close()" "$TMP/run/silent.sock"
OUT=$("$CTSTUB" query -s "$TMP/run/silent.sock" www.example.test)
expect_eq "silent upstream: query exit 1 after the timeout" 1 $?
check "silent upstream: SERVFAIL with the reason" "got: $OUT" \
    grep -qF ";; status: SERVFAIL," <<<"$OUT"
status_text silent
expect_eq "silent upstream: status still answers (failing: exit 1)" 1 \
    "$STATUS_RC"
stop_ctstub silent

stop_ctstub main
done_testing
