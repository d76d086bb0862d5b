#!/bin/bash
# SPDX-License-Identifier: ISC
# The bad-day runbook (docs/troubleshooting.md) followed step by step
# against a running ctstub, on loopback: each case shows in `ctstub
# status` and dig's EDE with the text the runbook lists, and its fix
# brings the answers back.
#   pin mismatch: the upstream "changed CA" (the configured pin is another
#     CA's); `probe -f` prints the chain's pins, the issuer's pin goes into
#     the file, `-n`, `reload`: answered.
#   port 853 blocked: the DoT upstream's port gets no answer; a DoH profile
#     line passes `probe -f CONF LINE`, replaces the DoT line, reload:
#     answered.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki
load_pins
start_named good
DOT=$(dot_port good)
DOH=$(doh_port good)
PIN_REASON="no certificate in the verified chain matches a configured pin"

# status_of_up NAME: `ctstub status -f CONF` of ctstub NAME, in STATUS_OUT.
status_of_up() {
	STATUS_OUT=$("$CTSTUB" status -f "$TMP/$1.conf" 2>&1)
}

# --- pin mismatch ----------------------------------------------------------
start_ctstub pin "upstream dot://127.0.0.1:$DOT" "pin $PIN_INTER2"
PORT_PIN=${CT_PORTS[pin]}
servfail_with "pin mismatch" "$PORT_PIN" "$TMP/pin.log" "$PIN_REASON"
status_of_up pin
echo "$STATUS_OUT" >"$TMP/status-pin.txt"
check "pin mismatch: status says the upstream is refused" \
    "see $TMP/status-pin.txt" grep -qE "^upstream dot://.*: .*, refused$" \
    "$TMP/status-pin.txt"
check "pin mismatch: status's last error has the runbook's text" \
    "see $TMP/status-pin.txt" grep -qE "^  last error: .*$PIN_REASON" \
    "$TMP/status-pin.txt"
# read the chain the upstream serves now, each certificate with its pin
"$CTSTUB" probe -f "$TMP/pin.conf" >"$TMP/probe-pin.out" 2>&1
expect_eq "pin mismatch: probe -f refuses it too (exit 1)" 1 "$?"
# the verified chain: 0 the leaf, 1 its issuer (the CA to pin), 2 the root
new_pin=$(awk '/^  1: / { on = 1 } on && / pin / { print $NF; exit }' \
    "$TMP/probe-pin.out")
expect_eq "pin mismatch: probe -f prints the issuer's pin" "$PIN_INTER" \
    "$new_pin"
sed -i "s|^pin .*|pin $new_pin|" "$TMP/pin.conf"
"$CTSTUB" -n -f "$TMP/pin.conf" >/dev/null 2>&1
expect_eq "pin mismatch: the updated file passes -n" 0 "$?"
"$CTSTUB" reload -f "$TMP/pin.conf" >"$TMP/reload-pin.out" 2>&1
expect_eq "pin mismatch: reload accepted" 0 "$?"
OUT=$(q 127.0.0.1 "$PORT_PIN" www.example.test A)
expect_eq "pin mismatch fixed: answered" NOERROR "$(status_of "$OUT")"
status_of_up pin
check "pin mismatch fixed: status shows the pin that matched" \
    "$(oneline "$STATUS_OUT")" grep -qF "pin matched: $PIN_INTER" \
    <<<"$STATUS_OUT"

# --- port 853 blocked ------------------------------------------------------
# a port where nothing answers stands for the blocked 853
start_ctstub blocked "upstream dot://127.0.0.1:$PORT_DEAD" "timeout 1000"
PORT_BLOCKED=${CT_PORTS[blocked]}
OUT=$(q 127.0.0.1 "$PORT_BLOCKED" www.example.test A)
expect_eq "port 853 blocked: SERVFAIL" SERVFAIL "$(status_of "$OUT")"
status_of_up blocked
echo "$STATUS_OUT" >"$TMP/status-blocked.txt"
check "port 853 blocked: status says the DoT upstream is failing" \
    "see $TMP/status-blocked.txt" \
    grep -qE "^upstream dot://.*: .*, failing$" "$TMP/status-blocked.txt"
# the shipped DoH profile line, its name and address swapped for named's
line=$(sed -n 's/^#\(upstream https:\/\/cloudflare-dns.com\/.*\)/\1/p' \
    conf/ctstub.conf | sed -E -e "s#https://[^/]+/#https://dns.example.test:$DOH/#" \
    -e 's#address [^ ]+#address 127.0.0.1#g')
check "port 853 blocked: the shipped DoH profile line" "none in conf/ctstub.conf" \
    test -n "$line"
# shellcheck disable=SC2086 # the line's words as arguments
"$CTSTUB" probe -f "$TMP/blocked.conf" $line >"$TMP/probe-doh.out" 2>&1
expect_eq "port 853 blocked: probe -f CONF 'DoH line' accepts it" 0 "$?"
sed -i "s|^upstream dot://.*|$line|" "$TMP/blocked.conf"
"$CTSTUB" -n -f "$TMP/blocked.conf" >/dev/null 2>&1 &&
    "$CTSTUB" reload -f "$TMP/blocked.conf" >"$TMP/reload-doh.out" 2>&1
expect_eq "port 853 blocked: -n and reload accept the DoH profile" 0 "$?"
OUT=$(q 127.0.0.1 "$PORT_BLOCKED" www.example.test A)
expect_eq "port 853 blocked, DoH profile: answered" NOERROR \
    "$(status_of "$OUT")"

stop_ctstub pin
stop_ctstub blocked
done_testing
