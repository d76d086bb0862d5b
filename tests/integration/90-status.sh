#!/bin/bash
# SPDX-License-Identifier: ISC
# ctstub status, status --json, the metrics endpoint and the control socket:
# a running ctstub with a good and a refused upstream on a local BIND shows
# the trust evidence, counters and latency of each.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki
load_pins
start_named good wrong-ip

P=$CTSTUB_PORT0
METRICS_PORT=$((CTSTUB_PORT0 + 50))
SOCK=$TMP/run/main.sock
start_ctstub main "$P" "upstream dot://127.0.0.1:$(dot_port wrong-ip)" \
    "upstream dot://127.0.0.1:$(dot_port good)" "pin $PIN_INTER" \
    "metrics 127.0.0.1 $METRICS_PORT"

for i in 1 2; do q 127.0.0.1 "$P" www.example.test A >/dev/null; done
q 127.0.0.1 "$P" +tcp txt.example.test TXT >/dev/null

# The test PKI's own values, computed here with openssl (not by ctstub):
# pin_of PEM: the HPKP-style pin of the first certificate in PEM;
# date_of PEM startdate|enddate [+S]: that date (plus S seconds) as ctstub
# writes dates (ISO 8601 UTC).
pin_of() {
	echo "sha256/$(openssl x509 -in "$1" -noout -pubkey |
	    openssl pkey -pubin -outform der | openssl dgst -sha256 -binary |
	    base64)"
}
date_of() {
	local t
	t=$(date -u -d "$(openssl x509 -in "$1" -noout "-$2" | cut -d= -f2)" +%s)
	date -u -d "@$((t + ${3:-0}))" +%Y-%m-%dT%H:%M:%SZ
}
LEAF_PIN=$(pin_of "$PKI/good.pem")
INTER_PIN=$(pin_of "$PKI/inter.pem")
ROOT_PIN=$(pin_of "$PKI/root.pem")
LEAF_END=$(date_of "$PKI/good.pem" enddate)
INTER_END=$(date_of "$PKI/inter.pem" enddate)
ROOT_END=$(date_of "$PKI/root.pem" enddate)
# mkpki stamps the good leaf's SCTs notBefore + 1 h (tests/tools/README.md)
SCT_TIME=$(date_of "$PKI/good.pem" startdate 3600)
if [ "$INTER_PIN" != "$PIN_INTER" ] || [ "$ROOT_PIN" != "$PIN_ROOT" ]; then
	bail "$TEST_NAME: openssl's pins" "differ from mkpki's pins.txt"
fi

# js EXPR: evaluates EXPR on the status document (d) with python.
JSON=$("$CTSTUB" status -s "$SOCK" --json)
expect_eq "status --json: exit status 1 (one upstream refused)" 1 $?
js() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)" <<<"$JSON"; }

GOOD=127.0.0.1:$(dot_port good)
BAD=127.0.0.1:$(dot_port wrong-ip)
expect_eq "json: upstream order" "$BAD $GOOD" \
    "$(js '" ".join(u["address"] for u in d["upstreams"])')"
expect_eq "json: good upstream connected" True \
    "$(js 'd["upstreams"][1]["connected"]')"
expect_eq "json: good upstream health" ok "$(js 'd["upstreams"][1]["health"]')"
expect_eq "json: wrong-ip upstream refused" refused \
    "$(js 'd["upstreams"][0]["health"]')"
expect_eq "json: refusal counted as identity" True \
    "$(js 'd["upstreams"][0]["counters"]["refusals"]["identity"] >= 1')"
expect_eq "json: the refused upstream's queries failed over" True \
    "$(js 'd["upstreams"][0]["counters"]["failovers"] >= 1')"
expect_eq "json: wrong-ip never verified" None \
    "$(js 'd["upstreams"][0]["trust"]')"
expect_eq "json: chain of leaf, inter, root" 3 \
    "$(js 'len(d["upstreams"][1]["trust"]["chain"])')"
expect_eq "json: chain pins, leaf to root, are openssl's" \
    "$LEAF_PIN $INTER_PIN $ROOT_PIN" \
    "$(js '" ".join(c["pin"] for c in d["upstreams"][1]["trust"]["chain"])')"
expect_eq "json: pin matched is the intermediate's" "$PIN_INTER" \
    "$(js 'd["upstreams"][1]["trust"]["pin_matched"]')"
expect_eq "json: notAfter of leaf, inter, root are the PKI's" \
    "$LEAF_END $INTER_END $ROOT_END" \
    "$(js '" ".join(c["not_after"] for c in d["upstreams"][1]["trust"]["chain"])')"
expect_eq "json: SCTs of a1, b1, c1 at notBefore + 1 h, embedded, counted" \
    "a1 Operator A $SCT_TIME embedded counted
b1 Operator B $SCT_TIME embedded counted
c1 Operator C $SCT_TIME embedded counted" \
    "$(js '"\n".join(sorted(" ".join((s["log"].split()[-1], s["operator"], s["timestamp"], s["source"], s["verdict"])) for s in d["upstreams"][1]["trust"]["scts"]))')"
expect_eq "json: CT summary" \
    "CT: 3 valid SCTs from 3 operators (need 2 logs, 2 operators)" \
    "$(js 'd["upstreams"][1]["trust"]["ct"]')"
expect_eq "json: 2 queries went upstream (one was a cache hit)" 2 \
    "$(js 'd["upstreams"][1]["counters"]["answers"]')"
expect_eq "json: latency measured" True \
    "$(js '0 < d["upstreams"][1]["latency_ms"]["p50"] <= d["upstreams"][1]["latency_ms"]["p99"]')"
expect_eq "json: daemon counters (udp tcp hits)" "2 1 1" \
    "$(js 'd["counters"]["queries_udp"], d["counters"]["queries_tcp"], d["counters"]["cache_hits"]' | tr -d '(),')"
expect_eq "json: log list version" "$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$PKI/ct-logs.json" | head -n 1)" \
    "$(js 'd["ct_log_list"]["version"]')"
abi=$(landlock_abi)
[ "$abi" -ge 1 ] || abi=0
expect_eq "json: the sandbox in force (the kernel's Landlock ABI)" "$abi" \
    "$(js 'd["landlock_abi"]')"

TEXT=$("$CTSTUB" status -s "$SOCK")
expect_eq "status: exit status 1 (one upstream refused)" 1 $?
printf '%s\n' "$TEXT" >"$TMP/status.txt"
want="sandbox: none (no Landlock)"
[ "$abi" -ge 1 ] && want="sandbox: Landlock ABI $abi, no file-system writes"
# Whole lines: the text's own words ("refused", "SCT: ") prove nothing.
for want in "$want" \
    "upstream dot://$BAD ($BAD, dot): not connected, refused" \
    "  last error: upstream $BAD rejected: certificate does not match IP 127.0.0.1" \
    "upstream dot://$GOOD ($GOOD, dot): connected, ok" \
    "           expires $LEAF_END, pin $LEAF_PIN" \
    "           expires $INTER_END, pin $INTER_PIN" \
    "           expires $ROOT_END, pin $ROOT_PIN" \
    "  SCT: ctstub test log a1 (Operator A), $SCT_TIME, embedded: counted" \
    "  SCT: ctstub test log b1 (Operator B), $SCT_TIME, embedded: counted" \
    "  SCT: ctstub test log c1 (Operator C), $SCT_TIME, embedded: counted" \
    "  pin matched: $PIN_INTER"; do
	check "status text has the line '$want'" "not in $TMP/status.txt" \
	    grep -qxF -- "$want" <<<"$TEXT"
done
check "status text: answer time percentiles of the good upstream" \
    "not in $TMP/status.txt" grep -qxE '  answer time ms: p50 [0-9]+\.[0-9]{2}, p90 [0-9]+\.[0-9]{2}, p99 [0-9]+\.[0-9]{2}' <<<"$TEXT"
TEXT=$("$CTSTUB" status -f "$TMP/main.conf")
check "status -f finds the socket in the configuration" "got: $TEXT" \
    grep -qxF "upstream dot://$GOOD ($GOOD, dot): connected, ok" <<<"$TEXT"

OUT=$("$CTSTUB" status -s "$TMP/nothing.sock" 2>&1)
expect_eq "status without a daemon: exit status 2" 2 $?
check "status without a daemon: says so" "got: $OUT" \
    grep -qF "cannot reach ctstub at $TMP/nothing.sock" <<<"$OUT"
OUT=$("$CTSTUB" status --bogus 2>&1)
expect_eq "status with a bad option: exit status 2" 2 $?

# The metrics endpoint.
http_get() { # PATH: "STATUS\nBODY"
	"$PY" - "$METRICS_PORT" "$1" <<'PYEOF'
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}{sys.argv[2]}", timeout=5)
    print(r.status); print(r.headers.get("Content-Type")); print(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code)
PYEOF
}
# metric SERIES [TEXT]: the value of the sample SERIES (name{labels}, the
# whole first field of its line) in TEXT (default M), or "absent".
metric() {
	awk -v k="$1" '$1 == k { v = $2 } END { print (v == "" ? "absent" : v) }' \
	    <<<"${2:-$M}"
}
M=$(http_get /metrics)
expect_eq "metrics: 200" 200 "$(head -n 1 <<<"$M")"
expect_eq "metrics: content type" "text/plain; version=0.0.4" "$(sed -n 2p <<<"$M")"
# Only client queries move these: exact. A refused upstream is probed again
# in the background when its back-off ends, and each probe is refused
# again: at least one refusal.
expect_eq "metrics: good upstream answered 2" 2 \
    "$(metric "ctstub_upstream_answers_total{upstream=\"$GOOD\"}")"
expect_eq "metrics: 1 cache hit" 1 "$(metric ctstub_cache_hits_total)"
expect_eq "metrics: answer time count 2" 2 \
    "$(metric "ctstub_upstream_answer_seconds_count{upstream=\"$GOOD\"}")"
expect_eq "metrics: answer time bucket +Inf 2" 2 \
    "$(metric "ctstub_upstream_answer_seconds_bucket{upstream=\"$GOOD\",le=\"+Inf\"}")"
expect_eq "metrics: good upstream up" 1 \
    "$(metric "ctstub_upstream_up{upstream=\"$GOOD\"}")"
expect_eq "metrics: refused upstream down" 0 \
    "$(metric "ctstub_upstream_up{upstream=\"$BAD\"}")"
n=$(metric "ctstub_upstream_refusals_total{upstream=\"$BAD\",reason=\"identity\"}")
check "metrics: refused upstream's identity refusals >= 1" \
    "got $n" test "$n" -ge 1 2>/dev/null
expect_eq "metrics: refused upstream, no chain refusal" 0 \
    "$(metric "ctstub_upstream_refusals_total{upstream=\"$BAD\",reason=\"chain\"}")"
check "metrics: '# TYPE ctstub_queries_total counter'" "see metrics" \
    grep -qxF "# TYPE ctstub_queries_total counter" <<<"$M"
H=$(http_get /status)
expect_eq "metrics: other paths 404" 404 "$(head -n 1 <<<"$H")"
M2=$(control_cmd "$SOCK" metrics)
expect_eq "control socket: metrics command" 1 \
    "$(metric ctstub_cache_hits_total "$M2")"
# The raw evidence (loglist update's pre-flight): the leaf and issuer as
# openssl reads them from the PKI, the three embedded SCTs, the policy.
E=$(control_cmd "$SOCK" evidence)
ej() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)" <<<"$E"; }
der_b64() { openssl x509 -in "$1" -outform DER | base64 -w0; }
expect_eq "evidence: labels" "$BAD $GOOD" \
    "$(ej '" ".join(u["label"] for u in d["upstreams"])')"
expect_eq "evidence: none for the refused upstream" None \
    "$(ej 'd["upstreams"][0]["evidence"]')"
expect_eq "evidence: the leaf's DER" "$(der_b64 "$PKI/good.pem")" \
    "$(ej 'd["upstreams"][1]["evidence"]["leaf"]')"
expect_eq "evidence: the issuer's DER" "$(der_b64 "$PKI/inter.pem")" \
    "$(ej 'd["upstreams"][1]["evidence"]["issuer"]')"
expect_eq "evidence: three embedded SCTs" "embedded embedded embedded" \
    "$(ej '" ".join(s["source"] for s in d["upstreams"][1]["evidence"]["scts"])')"
expect_eq "evidence: the policy" "2 2 True" \
    "$(ej '"%d %d %s" % (d["policy"]["min_logs"], d["policy"]["min_operators"], d["policy"]["lifetime_rule"])')"
R=$(control_cmd "$SOCK" frobnicate)
expect_eq "control socket: unknown command refused" \
    "False unknown command (status, metrics, reload, loglist-update-failed REASON, query, flush, reset, portal)" \
    "$("$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["ok"], d["message"])' <<<"$R")"

# 16 idle metrics clients at once: the 17th is closed at once, and the
# control socket still answers.
CROWD=$("$PY" - "$METRICS_PORT" "$SOCK" <<'PYEOF'
import socket, subprocess, sys, time
port, sock = int(sys.argv[1]), sys.argv[2]
# the daemon accepts in the order the kernel queued: no wait needed
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
extra = socket.create_connection(("127.0.0.1", port))
extra.settimeout(10)
try:
    closed = extra.recv(1) == b""
except (socket.timeout, ConnectionResetError) as e:
    closed = isinstance(e, ConnectionResetError)
c = socket.socket(socket.AF_UNIX); c.connect(sock); c.sendall(b"status\n")
c.settimeout(10)
status = b"".join(iter(lambda: c.recv(4096), b""))
print("closed" if closed else "kept", "status-ok" if b'"upstreams"' in status else "status-missing")
PYEOF
)
expect_eq "17th metrics client closed, control socket still answers" \
    "closed status-ok" "$CROWD"
# They closed; the daemon frees their slots as it reads the closes.
# shellcheck disable=SC2317 # run by check
served_again() {
	for _ in $(seq 50); do
		[ "$(http_get /metrics 2>/dev/null | head -n 1)" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}
check "metrics served again once they left (within 5 s)" "not served" \
    served_again

# The socket: mode 0660, owned by the daemon's user; others are refused.
expect_eq "control socket mode" 660 "$(stat -c %a "$SOCK")"
if [ "$(id -u)" -eq 0 ]; then
	expect_eq "control socket owner" nobody "$(stat -c %U "$SOCK")"
	OUT=$(setpriv --reuid=daemon --regid=daemon --clear-groups \
	    "$CTSTUB" status -s "$SOCK" 2>&1)
	expect_eq "another user: refused (exit 2, no daemon reachable)" 2 $?
	check "another user: permission denied" "got: $OUT" \
	    grep -qi "permission denied" <<<"$OUT"
else
	skip "control socket owner and other users" "needs root"
fi

# A second daemon on the same socket is refused; a stale socket file is not.
OUT=$(printf 'upstream dot://127.0.0.1:1\ncontrol %s\nct-log-list %s\nlisten 127.0.0.1 %s\nuser nobody\n' \
    "$SOCK" "$PKI/ct-logs.json" $((P + 1)) >"$TMP/second.conf"
    timeout 10 "$CTSTUB" -d -f "$TMP/second.conf" 2>&1)
expect_eq "second daemon on the same socket: exit 1" 1 $?
check "second daemon: says another ctstub runs there" "got: $OUT" \
    grep -qF "another ctstub is running there" <<<"$OUT"

# systemd's notify protocol: READY=1 once serving, RELOADING=1 and READY=1
# around a reload, STOPPING=1 at the end.
NOTIFY=$TMP/systemd-notify.sock
"$PY" -c "
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)	# like systemd's: ctstub sends as its user
s.settimeout(30)
with open(sys.argv[2], 'w') as out:
    while True:
        m = s.recv(4096).decode(); out.write(m + '\n'); out.flush()
        if m == 'STOPPING=1': break" "$NOTIFY" "$TMP/notify.txt" &
NOTIFY_PID=$!
for _ in $(seq 50); do [ -S "$NOTIFY" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$NOTIFY start_ctstub notify $((P + 2)) \
    "upstream dot://127.0.0.1:$(dot_port good)"
check "systemd notification READY=1 (within 5 s)" "see $TMP/notify.txt" \
    wait_log "$TMP/notify.txt" "READY=1"
kill -HUP "${CTSTUB_PIDS[notify]}"
check "SIGHUP: reloaded (within 5 s)" "see $TMP/notify.log" \
    wait_log "$TMP/notify.log" "reloaded"
stop_ctstub notify
wait "$NOTIFY_PID"
expect_eq "systemd notifications" "READY=1 RELOADING=1 READY=1 STOPPING=1" \
    "$(tr '\n' ' ' <"$TMP/notify.txt" | sed 's/ $//')"

# ctstub probe prints the verified chain with the pins to configure.
OUT=$("$CTSTUB" probe --ca-file "$PKI/root.pem" --log-list "$PKI/ct-logs.json" \
    "dot://$GOOD")
expect_eq "probe: accepted" 0 $?
expect_eq "probe: the chain's pins, leaf to root, are openssl's" \
    "$LEAF_PIN $INTER_PIN $ROOT_PIN" \
    "$(sed -n '/^verified chain:/,$ s/.*, pin //p' <<<"$OUT" | tr '\n' ' ' |
    sed 's/ $//')"

# A DoH upstream shows the same evidence.
start_ctstub doh $((P + 3)) \
    "upstream https://127.0.0.1:$(doh_port good)/dns-query"
q 127.0.0.1 $((P + 3)) www.example.test A >/dev/null
JSON=$("$CTSTUB" status -s "$TMP/run/doh.sock" --json)
expect_eq "DoH: transport, connected, chain length, answers" "doh True 3 1" \
    "$(js 'd["upstreams"][0]["transport"], d["upstreams"][0]["connected"], len(d["upstreams"][0]["trust"]["chain"]), d["upstreams"][0]["counters"]["answers"]' | tr -d "(),'")"
stop_ctstub doh

quiet() { "$@" >/dev/null; }

# Started the way the systemd unit starts it: never root, only
# CAP_NET_BIND_SERVICE, a runtime directory of its own; `user` unused.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	mkdir -p "$TMP/unit-run" && chown nobody "$TMP/unit-run"
	{
		echo "listen 127.0.0.154 454"
		echo "local-zone test. forward"
		echo "upstream dot://$GOOD"
		echo "control $TMP/unit-run/ctstub.sock"
		echo "ca-file $PKI/root.pem"
		echo "ct-log-list $PKI/ct-logs.json"
		echo "user nobody"
	} >"$TMP/unit.conf"
	start_bg "$TMP/unit.log" setpriv --reuid=nobody --regid=nogroup \
	    --clear-groups --inh-caps=+net_bind_service \
	    --ambient-caps=+net_bind_service "$CTSTUB" -d -f "$TMP/unit.conf"
	CTSTUB_PIDS[unit]=$PID
	if wait_port udp 127.0.0.154 454 "$PID"; then
		same_as_direct "unprivileged with CAP_NET_BIND_SERVICE: port 454" \
		    127.0.0.154 454 www.example.test A
		expect_eq "unprivileged: runs as nobody, effective caps only bind" \
		    "65534 0000000000000400" "$(awk '/^Uid:/ { u = $3 }
		    /^CapEff:/ { c = $2 } END { print u, c }' "/proc/$PID/status")"
		check "unprivileged: status over its socket" "see $TMP/unit.log" \
		    quiet "$CTSTUB" status -s "$TMP/unit-run/ctstub.sock" --json -f /dev/null
		check "unprivileged: no privilege drop attempted" "see $TMP/unit.log" \
		    test "$(grep -c 'running as user' "$TMP/unit.log")" -eq 0
	else
		fail "unprivileged with CAP_NET_BIND_SERVICE: starts" "see $TMP/unit.log"
	fi
	stop_ctstub unit
	check "unprivileged: removes its socket at exit" "still there" \
	    test ! -e "$TMP/unit-run/ctstub.sock"
else
	skip "started as the systemd unit starts it" "needs root and setpriv"
fi

stop_ctstub main
check "socket file removed at exit" "still there" test ! -e "$SOCK"
done_testing
