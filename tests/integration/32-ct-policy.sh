#!/bin/bash
# SPDX-License-Identifier: ISC
# Chrome's rules for retired CT logs, end to end (dig -> ctstub -> HAProxy
# or named on loopback): a TLS-extension SCT from a retired log never
# counts, even when it is older than the retirement; an embedded SCT of a
# retired log counts only when the certificate's earliest SCT from a log
# not retired is older than the retirement too (a back-dated SCT does not).
# The refusals are counted as "ct" whatever the reason says.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
command -v haproxy >/dev/null ||
    bail "$TEST_NAME: haproxy installed" "HAProxy serves the .sctl SCTs"
mint_pki
start_named retired-backdated retired-ok
start_haproxy tlsext-retired tlsext

up() { echo "upstream dot://127.0.0.1:$1"; }
declare -A UPORT=(
	[tlsext-retired]=$(hap_port tlsext-retired)
	[tlsext]=$(hap_port tlsext)
	[retired-backdated]=$(dot_port retired-backdated)
	[retired-ok]=$(dot_port retired-ok)
)
declare -A P
for v in "${!UPORT[@]}"; do
	next_port
	P[$v]=$PORT
	start_ctstub "$v" "$PORT" "$(up "${UPORT[$v]}")"
done

# refused NAME PREFIX TEXT: SERVFAIL, and the logged reason for NAME's
# upstream starts with PREFIX and contains TEXT.
refused() {
	local name=$1 out line reason
	out=$(q 127.0.0.1 "${P[$name]}" www.example.test A)
	expect_eq "$name: SERVFAIL" SERVFAIL "$(status_of "$out")"
	wait_log "$TMP/$name.log" "rejected: "
	line=$(grep -o "upstream 127.0.0.1:${UPORT[$name]} rejected: .*" \
	    "$TMP/$name.log" | head -n 1)
	reason=$(reason_of "$line")
	check "$name: reason starts with '$2'" "reason: [$reason]" \
	    starts_with "$reason" "$2"
	check "$name: reason has '$3'" "reason: [$reason]" \
	    grep -qF -- "$3" <<<"$reason"
}

# TLS extension: a1 and r1, both dated 40 days ago, r1 retired 30 days ago.
# The old rule (SCT older than the retirement) counted r1.
refused tlsext-retired "CT: 1 valid SCT from 1 operator" \
    "ctstub test log r1: retired log, SCT not embedded"
same_as_direct "tlsext (a1, b1 in the TLS extension)" 127.0.0.1 \
    "${P[tlsext]}" www.example.test A

# Embedded: r1's SCT dated before its retirement, a1's after it: the r1
# SCT may have been signed with the retired key later. The old rule
# counted it.
refused retired-backdated "CT: 1 valid SCT from 1 operator" \
    "ctstub test log r1: retired log, no SCT from a current log before the retirement"
# Embedded, both SCTs before the retirement: r1 counts.
same_as_direct "retired-ok (a1, r1 before the retirement)" 127.0.0.1 \
    "${P[retired-ok]}" www.example.test A

# The kind comes from the decision: both refusals are counted as ct.
for v in tlsext-retired retired-backdated; do
	json=$("$CTSTUB" status -s "$TMP/run/$v.sock" --json)
	got=$("$PY" -c 'import json,sys; d=json.load(sys.stdin)
r = d["upstreams"][0]["counters"]["refusals"]
print(r["ct"] >= 1 and sum(r.values()) == r["ct"])' <<<"$json")
	expect_eq "$v: counted as a ct refusal only" True "$got"
done

for v in "${!UPORT[@]}"; do
	stop_ctstub "$v"
done
done_testing
