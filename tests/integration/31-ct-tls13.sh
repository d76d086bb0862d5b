#!/bin/bash
# SPDX-License-Identifier: ISC
# SCTs delivered in TLS 1.3, where they travel in the leaf's
# CertificateEntry extension (RFC 8446 4.4.2) rather than in the
# ServerHello of TLS 1.2 that 30-ct covers with HAProxy: dig -> ctstub ->
# tests/tools/tlsrelay (TLS 1.3 with mkpki's serverinfo) -> named.
# Accepted with two logs of two operators, refused with one or none,
# shown in the status, and a resumed session (no certificate, so no SCTs)
# still accepted because the full handshake was checked.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
RELAY=$BUILD/tlsrelay
[ -x "$RELAY" ] || bail "$TEST_NAME: $RELAY exists" "not built (make tests)"
mint_pki
start_named good

# start_relay NAME LEAF SCTS [RELAY-OPTION...]: tlsrelay serving LEAF's
# chain, with LEAF's serverinfo SCTs when SCTS is "scts"; RELAY_PORTS[NAME].
declare -A RELAY_PORTS
relay_port=$((NAMED_PORT0 + 50))
start_relay() {
	local name=$1 leaf=$2 scts=$3 log=$TMP/relay-$1.log
	shift 3
	[ "$scts" = scts ] && set -- --serverinfo "$PKI/$leaf.serverinfo.pem" "$@"
	start_bg "$log" "$RELAY" --cert "$PKI/$leaf.pem" --key "$PKI/$leaf.key" \
	    --port "$relay_port" --upstream "127.0.0.1:$PORT_PLAIN" "$@"
	wait_port tcp 127.0.0.1 "$relay_port" "$PID" ||
	    bail "$TEST_NAME: tlsrelay $name starts" "see $log"
	RELAY_PORTS[$name]=$relay_port
	relay_port=$((relay_port + 1))
}
start_relay two tlsext scts
start_relay one tlsext-one scts
start_relay none tlsext none
start_relay resume tlsext scts --idle 1

# -v: the debug log says which TLS version each connection got
declare -A PORTS
for name in two one none resume; do
	next_port
	PORTS[$name]=$PORT
	start_ctstub_flags -v "$name" "$PORT" \
	    "upstream dot://127.0.0.1:${RELAY_PORTS[$name]}"
done
upstream_of() { echo "127.0.0.1:${RELAY_PORTS[$1]}"; }

# --- two SCTs (logs a1 and b1, operators A and B) in the extension ---
same_as_direct "two SCTs in TLS 1.3" 127.0.0.1 "${PORTS[two]}" \
    www.example.test A
check "two SCTs: the relay spoke TLS 1.3 and sent them" \
    "see $TMP/relay-two.log" \
    grep -q "conn 1: TLSv1.3, SCTs in the certificate message" \
    "$TMP/relay-two.log"
check "two SCTs: ctstub connected with TLS 1.3" "see $TMP/two.log" \
    grep -q "upstream $(upstream_of two): connected, TLSv1.3$" "$TMP/two.log"
expect_eq "two SCTs: no refusal logged" 0 \
    "$(grep -c " rejected: " "$TMP/two.log")"
JSON=$("$CTSTUB" status -s "$TMP/run/two.sock" --json)
js() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)" <<<"$JSON"; }
expect_eq "two SCTs: status shows TLS 1.3" TLSv1.3 \
    "$(js 'd["upstreams"][0]["trust"]["tls_version"]')"
expect_eq "two SCTs: status lists both as counted, from the TLS extension" \
    "counted TLS extension,counted TLS extension" \
    "$(js '",".join(s["verdict"] + " " + s["source"] for s in d["upstreams"][0]["trust"]["scts"])')"
expect_eq "two SCTs: from two operators" 2 \
    "$(js 'len({s["operator"] for s in d["upstreams"][0]["trust"]["scts"]})')"

# --- one SCT, and none: refused, the reason logged and in the EDE ---
refused() { # NAME REASON-TEXT
	local out line
	out=$(q 127.0.0.1 "${PORTS[$1]}" www.example.test A)
	expect_eq "$1: status" SERVFAIL "$(status_of "$out")"
	wait_log "$TMP/$1.log" "upstream $(upstream_of "$1") rejected: "
	line=$(grep -o "upstream $(upstream_of "$1") rejected: .*" \
	    "$TMP/$1.log" | head -n 1)
	check "$1: refused, saying '$2'" "log: [$line]" grep -qF -- "$2" <<<"$line"
	expect_eq "$1: EDE is the logged line" "$line" "$(ede_of "$out")"
	# the refusal aborts the handshake: nothing reaches the relay phase
	check "$1: the relay saw the handshake aborted" \
	    "see $TMP/relay-$1.log" \
	    wait_log "$TMP/relay-$1.log" "handshake failed"
	expect_eq "$1: no query relayed" 0 \
	    "$(grep -c "SCTs\|closed" "$TMP/relay-$1.log")"
}
refused one "rejected: CT: 1 valid SCT from 1 operator"
refused none "rejected: CT: no SCTs"

# --- resumption: the relay closes idle clients after 1 s ---
RLOG=$TMP/resume.log
RUP=$(upstream_of resume)
same_as_direct "resume: first query" 127.0.0.1 "${PORTS[resume]}" \
    www.example.test A
check "resume: the relay closed the idle connection" "see $RLOG" \
    wait_log "$RLOG" "upstream $RUP closed the connection"
# another name: the first answer is in the cache now
same_as_direct "resume: query on a new connection" 127.0.0.1 \
    "${PORTS[resume]}" txt.example.test TXT
check "resume: the second handshake resumed the TLS 1.3 session" \
    "see $TMP/relay-resume.log" \
    grep -q "TLSv1.3, resumed" "$TMP/relay-resume.log"
check "resume: ctstub logged the resumption" "see $RLOG" \
    grep -q "upstream $RUP: connected, TLSv1.3, resumed" "$RLOG"
expect_eq "resume: no refusal logged" 0 "$(grep -c " rejected: " "$RLOG")"

for name in two one none resume; do
	stop_ctstub "$name"
done
done_testing
