#!/bin/bash
# SPDX-License-Identifier: ISC
# SCT auditing (ct-audit): upstreams whose certificates carry SCTs from the
# test logs t1 (static-ct-api, tiled) and s1 (RFC 6962), both with an MMD
# of 5 s, published by tests/tools/ctlogserver.py over HTTPS with real
# Merkle trees. An honest log proves inclusion for both kinds; a log that
# left the entry out, a bad proof, a bad signature, a shrinking tree and a
# split view are proven failures (reported under report, refused under
# enforce); a log that is down leaves the SCT unreachable and the upstream
# accepted; a certificate is audited once, not per connection; queries
# are not delayed while audits run.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki
# dns.example.test (a log host name in one list) is 127.0.0.1
cat >"$TMP/dns.zone" <<EOF
\$TTL 300
@	IN SOA	ns.example.test. hostmaster.example.test. 1 3600 600 86400 300
	IN NS	ns.example.test.
	IN A	127.0.0.1
EOF
NAMED_EXTRA_CONF="zone \"dns.example.test.\" { type primary; file \"$TMP/dns.zone\"; };"
start_named audit audit2

# start_logs NAME [SERVER-OPTION...]: a ctlogserver with its own port and
# a log list (LISTS[NAME]) pointing t1 and s1 at it; LOG_PORTS[NAME].
declare -A LISTS LOG_PORTS
log_port=$((NAMED_PORT0 + 40))
start_logs() {
	local name=$1 list=$TMP/logs-$1.json
	shift
	start_bg "$TMP/logs-$name.log" "$PY" "$ROOT/tests/tools/ctlogserver.py" \
	    --pki "$PKI" --port "$log_port" --cert "$PKI/good.pem" \
	    --key "$PKI/good.key" "$@"
	wait_port tcp 127.0.0.1 "$log_port" "$PID" ||
	    bail "$TEST_NAME: log server $name starts" "see $TMP/logs-$name.log"
	list_for "$log_port" "$list"
	LISTS[$name]=$list
	LOG_PORTS[$name]=$log_port
	log_port=$((log_port + 1))
}
# list_for PORT FILE [HOST]: the test list with t1 and s1 served from
# HOST (127.0.0.1) at PORT.
list_for() {
	local host=${3:-127.0.0.1}
	sed -e "s|https://t1-mon.ct.example.test/|https://$host:$1/t1/|" \
	    -e "s|https://s1.ct.example.test/|https://$host:$1/s1/|" \
	    "$PKI/ct-logs.json" >"$2"
}
# stats NAME LOG KIND: how many KIND requests log server NAME had for LOG.
stats() {
	"$PY" -c "
import json, ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
with urllib.request.urlopen('https://127.0.0.1:%s/_stats' % sys.argv[1],
                            context=ctx) as r:
    print(json.load(r).get(sys.argv[3], {}).get(sys.argv[4], 0))" \
	    "${LOG_PORTS[$1]}" "$PKI/root.pem" "$2" "$3"
}
# audit_state CTSTUB UPSTREAM-INDEX LOG: that SCT's state in the status.
audit_state() {
	"$CTSTUB" status -s "$TMP/run/$1.sock" --json | "$PY" -c "
import json, sys
up = json.load(sys.stdin)['upstreams'][$2]
for s in up.get('ct_audit') or []:
    if s['log'] == 'ctstub test log $3':
        print(s['state'])"
}
# wait_state CTSTUB INDEX LOG STATE
wait_state() { wait_for state_is_ "$@"; }
state_is_() { [ "$(audit_state "$1" "$2" "$3")" = "$4" ]; }
# run_audit NAME LOGS MODE [LINE...]: a ctstub using log server LOGS's list,
# ct-audit MODE, upstream the audit leaf; one query starts the handshake.
# Under enforce a fast proof of a lie may refuse the upstream before that
# first answer arrives, so only report mode must answer it.
run_audit() {
	local name=$1 logs=$2 mode=$3
	shift 3
	start_ctstub -v "$name" "ct-log-list ${LISTS[$logs]}" \
	    "ct-audit $mode" "upstream dot://127.0.0.1:$(dot_port audit)" "$@"
	if [ "$mode" = report ]; then
		same_as_direct "$name: answers before the audit" 127.0.0.1 \
		    "${CT_PORTS[$name]}" www.example.test A
	else
		q 127.0.0.1 "${CT_PORTS[$name]}" www.example.test A >/dev/null
	fi
}

# --- ctstub check --audit and probe --audit: the same audit, at once ---
start_logs checks
OUT=$("$CTSTUB" check --audit --ca-file "$PKI/root.pem" \
    --log-list "${LISTS[checks]}" "$PKI/audit.pem" 2>&1)
expect_eq "check --audit, honest: exit 0" 0 "$?"
check "check --audit: t1 included" "$OUT" \
    grep -q "^audit: ctstub test log t1: included (tree of 1008 entries)$" \
    <<<"$OUT"
check "check --audit: s1 included" "$OUT" \
    grep -q "^audit: ctstub test log s1: included (tree of" <<<"$OUT"
OUT=$("$CTSTUB" probe --audit --ca-file "$PKI/root.pem" \
    --log-list "${LISTS[checks]}" "dot://127.0.0.1:$(dot_port audit)" 2>&1)
expect_eq "probe --audit, honest: exit 0" 0 "$?"
check "probe --audit: both included" "$OUT" \
    test "$(grep -c "^audit: .*: included" <<<"$OUT")" -eq 2

# --- a log host name, resolved through ctstub itself ---
LISTS[named]=$TMP/logs-named.json
list_for "${LOG_PORTS[checks]}" "${LISTS[named]}" dns.example.test
run_audit named named report
check "log host name: t1 included" "$(audit_state named 0 t1)" \
    wait_state named 0 t1 included
check "log host name: s1 included" "$(audit_state named 0 s1)" \
    wait_state named 0 s1 included
check "log host name: looked up at ctstub's own listener" \
    "see $TMP/named.log" grep -q \
    "bootstrap: looking up 1 host name(s) at 127.0.0.1:${CT_PORTS[named]}" \
    "$TMP/named.log"
check "log host name: the lookup went through ctstub" "see $TMP/named.log" \
    grep -q "dns.example.test type 1 from UDP" "$TMP/named.log"
stop_ctstub named

# --- honest logs: included, for both kinds, gzip-encoded data tiles ---
start_logs honest --gzip
run_audit honest honest report
check "honest: t1 (tiled) included" "$(audit_state honest 0 t1)" \
    wait_state honest 0 t1 included
check "honest: s1 (RFC 6962) included" "$(audit_state honest 0 s1)" \
    wait_state honest 0 s1 included
OUT=$("$CTSTUB" status -s "$TMP/run/honest.sock")
check "honest: status text shows both" "$OUT" \
    grep -q "CT audit: ctstub test log t1: included (tree of" <<<"$OUT"
check "honest: the data tile and hash tiles were fetched" \
    "data $(stats honest t1 data), tiles $(stats honest t1 tile)" \
    test "$(stats honest t1 data)" -ge 1 -a "$(stats honest t1 tile)" -ge 2
expect_eq "honest: no failure logged" 0 \
    "$(log_count "$TMP/honest.log" "CT audit: log")"

# --- once per certificate: new connections do not audit again ---
for i in 1 2; do
	kill -HUP "${CTSTUB_PIDS[honest]}"
	wait_count "$TMP/honest.log" "reloaded" "$i" ||
	    fail "honest: reload $i" "see $TMP/honest.log"
	same_as_direct "honest: answers after reload $i" 127.0.0.1 \
	    "${CT_PORTS[honest]}" "a$i.example.test" A
done
wait_count "$TMP/honest.log" "upstream 127.0.0.1:$(dot_port audit): connected" 3 ||
    fail "honest: three full handshakes" "see $TMP/honest.log"
expect_eq "honest: one audit started for three connections" 1 \
    "$(log_count "$TMP/honest.log" "CT audit: certificate of upstream")"
expect_eq "honest: one checkpoint for three connections" 1 \
    "$(stats honest t1 checkpoint)"
expect_eq "honest: one get-sth for three connections" 1 \
    "$(stats honest s1 sth)"
stop_ctstub honest

# --- a log that signed the SCTs but left the entries out ---
start_logs omit --fault t1=omit --fault s1=omit
OUT=$("$CTSTUB" check --audit --ca-file "$PKI/root.pem" \
    --log-list "${LISTS[omit]}" "$PKI/audit.pem" 2>&1)
expect_eq "check --audit, entries left out: exit 1" 1 "$?"
check "check --audit: refused naming the audit" "$OUT" \
    grep -q "^verdict: refused: CT audit" <<<"$OUT"
check "check --audit: t1 not included" "$OUT" \
    grep -q "^audit: ctstub test log t1: not-included (entry 1000 of the log is not this certificate)" \
    <<<"$OUT"
run_audit omit-report omit report
check "omit, report: t1 not included" "$(audit_state omit-report 0 t1)" \
    wait_state omit-report 0 t1 not-included
check "omit, report: s1 not included" "$(audit_state omit-report 0 s1)" \
    wait_state omit-report 0 s1 not-included
check "omit, report: one error line per proven failure" \
    "see $TMP/omit-report.log" wait_count "$TMP/omit-report.log" \
    "CT audit: log ctstub test log" 2
check "omit, report: t1's line says why" "see $TMP/omit-report.log" \
    grep -q "CT audit: log ctstub test log t1 broke its promise.*is not this certificate" \
    "$TMP/omit-report.log"
same_as_direct "omit, report: still answered" 127.0.0.1 \
    "${CT_PORTS[omit-report]}" www.example.test AAAA
OUT=$(control_cmd "$TMP/run/omit-report.sock" metrics)
check "omit, report: metrics count failures by log" "$OUT" \
    grep -q 'ctstub_ct_audit_failures_total{log="ctstub test log t1"} 1' \
    <<<"$OUT"
stop_ctstub omit-report

run_audit omit-enforce omit enforce "cache-size 0"
check "omit, enforce: t1 not included" "$(audit_state omit-enforce 0 t1)" \
    wait_state omit-enforce 0 t1 not-included
check "omit, enforce: refusing logged" "see $TMP/omit-enforce.log" \
    wait_log "$TMP/omit-enforce.log" "; refusing it"
check "omit, enforce: the upstream is refused" "see $TMP/omit-enforce.log" \
    wait_log "$TMP/omit-enforce.log" "rejected: CT audit"
servfail_with "omit, enforce: SERVFAIL naming the audit" \
    "${CT_PORTS[omit-enforce]}" "$TMP/omit-enforce.log" "CT audit"
stop_ctstub omit-enforce

# --- a proof that does not verify, a bad signature ---
start_logs badproof --fault t1=badproof --fault s1=badproof
run_audit badproof badproof enforce
check "bad proof: t1 not included" "$(audit_state badproof 0 t1)" \
    wait_state badproof 0 t1 not-included
check "bad proof: s1 not included" "$(audit_state badproof 0 s1)" \
    wait_state badproof 0 s1 not-included
check "bad proof: named in the log" "see $TMP/badproof.log" \
    grep -q "does not verify against the signed tree\|do not prove entry" \
    "$TMP/badproof.log"
stop_ctstub badproof

start_logs badsig --fault t1=badsig --fault s1=badsig
run_audit badsig badsig report
check "bad checkpoint signature: not included" \
    "$(audit_state badsig 0 t1)" wait_state badsig 0 t1 not-included
check "bad STH signature: not included" \
    "$(audit_state badsig 0 s1)" wait_state badsig 0 s1 not-included
check "bad signature: named in the log" "see $TMP/badsig.log" \
    grep -q "checkpoint's signature does not verify" "$TMP/badsig.log"
stop_ctstub badsig

# --- shrinking trees and split views, seen by one ctstub ---
# The first certificate's audit keeps the logs' tree heads; a reload adds
# a second upstream (audit2), whose audit meets the changed trees.
# split_views NAME T1-MODE S1-MODE
split_views() {
	local name=$1
	start_logs "$name" --fault "t1=$2" --fault "s1=$3"
	run_audit "$name" "$name" enforce
	wait_state "$name" 0 t1 included || fail "$name: first audit t1"
	wait_state "$name" 0 s1 included || fail "$name: first audit s1"
	{
		cat "$TMP/$name.conf"
		echo "upstream dot://127.0.0.1:$(dot_port audit2)"
		echo "upstream-strategy round-robin"
	} >"$TMP/$name.conf.new"
	mv "$TMP/$name.conf.new" "$TMP/$name.conf"
	kill -HUP "${CTSTUB_PIDS[$name]}"
	wait_log "$TMP/$name.log" "reloaded" || fail "$name: reloaded"
	for i in 1 2 3; do
		q 127.0.0.1 "${CT_PORTS[$name]}" "n$i.example.test" A >/dev/null
	done
	check "$name: t1 ($2) is a proven failure" \
	    "$(audit_state "$name" 1 t1)" wait_state "$name" 1 t1 not-included
	check "$name: s1 ($3) is a proven failure" \
	    "$(audit_state "$name" 1 s1)" wait_state "$name" 1 s1 not-included
	check "$name: shrank named" "see $TMP/$name.log" \
	    grep -q "the tree shrank" "$TMP/$name.log"
	check "$name: split view named (not consistent)" "see $TMP/$name.log" \
	    grep -q "a split view: the tree of .* is not consistent" \
	    "$TMP/$name.log"
	stop_ctstub "$name"
}
# tiled shrink, RFC 6962 fork (get-sth-consistency); then the other way
# round (a consistency proof from the tiles)
split_views split shrink fork
split_views split2 fork shrink

# --- TLS-extension SCTs: x509 entries, proven through a probe ---
RELAY=$BUILD/tlsrelay
relay_port=$((NAMED_PORT0 + 60))
start_bg "$TMP/relay.log" "$RELAY" --cert "$PKI/audit-tlsext.pem" \
    --key "$PKI/audit-tlsext.key" --port "$relay_port" \
    --upstream "127.0.0.1:$PORT_PLAIN" \
    --serverinfo "$PKI/audit-tlsext.serverinfo.pem"
wait_port tcp 127.0.0.1 "$relay_port" "$PID" ||
    bail "$TEST_NAME: tlsrelay starts" "see $TMP/relay.log"
OUT=$("$CTSTUB" probe --audit --ca-file "$PKI/root.pem" \
    --log-list "${LISTS[checks]}" "dot://127.0.0.1:$relay_port" 2>&1)
expect_eq "probe --audit, TLS-extension SCTs: exit 0" 0 "$?"
check "probe --audit: x509 entries of t1 and s1 included" "$OUT" \
    test "$(grep -c "^audit: .*: included" <<<"$OUT")" -eq 2

# --- a log that is down: unreachable, the upstream still accepted ---
LISTS[down]=$TMP/logs-down.json
list_for "$PORT_DEAD" "${LISTS[down]}"
run_audit down down enforce
check "down: t1 unreachable" "$(audit_state down 0 t1)" \
    wait_state down 0 t1 unreachable
check "down: s1 unreachable" "$(audit_state down 0 s1)" \
    wait_state down 0 s1 unreachable
check "down: retried with a back-off" "see $TMP/down.log" \
    wait_count "$TMP/down.log" "unreachable, again in 4 s" 1
same_as_direct "down, enforce: the upstream is still accepted" 127.0.0.1 \
    "${CT_PORTS[down]}" www.example.test AAAA
expect_eq "down: no refusal" 0 "$(log_count "$TMP/down.log" "rejected:")"
stop_ctstub down

# --- queries are not delayed while audits wait on a slow log ---
start_logs slow --delay 2
run_audit slow slow enforce
check "slow log: the audit was still running" "$(audit_state slow 0 t1)" \
    state_is_ slow 0 t1 pending
worst=0
for i in $(seq 1 20); do
	t=$(q 127.0.0.1 "${CT_PORTS[slow]}" "w$i.example.test" A +stats |
	    sed -n 's/^;; Query time: \([0-9]*\) msec/\1/p')
	[ -n "$t" ] || t=99999	# no answer at all: the worst case
	[ "$t" -gt "$worst" ] && worst=$t
done
check "slow log: 20 queries each under 1000 ms (worst $worst ms)" \
    "worst $worst ms" [ "$worst" -lt 1000 ]
check "slow log: then included" "$(audit_state slow 0 t1)" \
    wait_state slow 0 t1 included
stop_ctstub slow

done_testing
