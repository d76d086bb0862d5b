#!/bin/bash
# SPDX-License-Identifier: ISC
# Recovery after an outage (issue 11 item 5). The only upstream is down
# (nothing listens) until its back-off has grown to 16 s; then it comes
# back and must answer within seconds: an upstream in back-off after
# network failures is probed at least every 5 s, and a verified handshake
# ends the back-off (before, the next try came only when the whole back-off
# was over, up to 5 minutes). Then a route/address change reported by the
# kernel (netlink; an address added to lo, loopback only) ends a back-off
# at once. The 5-minute cap and the reset rules are unit-tested with a fake
# clock (tests/unit/test_query.c).
# It runs in a network namespace of its own (loopback only): the address it
# adds to lo must not end the back-offs of ctstubs that another run on this
# host is testing, nor theirs its own.
OWN_NETNS=1
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki
start_named good

UP_PORT=$((NAMED_PORT0 + 30))
LABEL=127.0.0.1:$UP_PORT
add_ctstub -v rec "upstream dot://$LABEL" "cache-size 0" "timeout 2000"
SOCK=$TMP/run/rec.sock

# backoff_ms: the upstream's back-off now, from ctstub status --json.
backoff_ms() {
	"$CTSTUB" status -s "$SOCK" --json | "$PY" -c \
	    'import json,sys; print(json.load(sys.stdin)["upstreams"][0]["backoff_ms"])'
}

# wait_backoff MIN SECONDS: until the back-off is at least MIN ms.
wait_backoff() {
	for _ in $(seq $(($2 * 10))); do
		[ "$(backoff_ms)" -ge "$1" ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# answered_within SECONDS: www.example.test NOERROR within SECONDS (one
# query every 0.2 s); sets MS (how long it took).
answered_within() {
	local start out
	start=$(now_ms)
	while [ "$(elapsed_ms "$start")" -lt $(($1 * 1000)) ]; do
		out=$(dig @127.0.0.1 -p "${CT_PORTS[rec]}" +tries=1 +time=3 \
		    +noall +comments www.example.test A)
		if [ "$(status_of "$out")" = NOERROR ]; then
			MS=$(elapsed_ms "$start")
			return 0
		fi
		sleep 0.2
	done
	MS=$(elapsed_ms "$start")
	return 1
}

# --- the upstream comes back while its back-off is 16 s ----------------------
out=$(q 127.0.0.1 "${CT_PORTS[rec]}" www.example.test A)
expect_eq "down: SERVFAIL" SERVFAIL "$(status_of "$out")"
check "down: the back-off grows to 16 s (probes fail)" \
    "back-off $(backoff_ms) ms, see $TMP/rec.log" wait_backoff 16000 40
start_dotserver up "$UP_PORT" good ok
check "back: answered within 11 s (not after the 16 s back-off)" \
    "no answer in time, see $TMP/rec.log" answered_within 11
echo "# recovered in ${MS:-?} ms"
check "back: the handshake ended the back-off" "see $TMP/rec.log" \
    wait_log "$TMP/rec.log" "upstream $LABEL is up again (connected)"

# --- a network change ends the back-off --------------------------------------
stop_proc "${DOTSRV_PIDS[up]}"
q 127.0.0.1 "${CT_PORTS[rec]}" mail.example.test A >/dev/null
check "down again: in back-off of 4 s or more" \
    "back-off $(backoff_ms) ms, see $TMP/rec.log" wait_backoff 4000 20
ip addr add 127.0.0.9/8 dev lo ||
    bail "$TEST_NAME: ip addr add 127.0.0.9/8 dev lo" "refused"
check "netlink: the change is heard" "see $TMP/rec.log" \
    wait_log "$TMP/rec.log" "network changed (address, route or link)"
ip addr del 127.0.0.9/8 dev lo
# the first back-off the change ended (removing the address is a change too)
line=$(grep -F "upstream $LABEL: back-off of" "$TMP/rec.log" | head -n 1)
ms=$(sed -n 's/.* back-off of \([0-9]*\) ms ended: the network changed$/\1/p' \
    <<<"$line")
check "netlink: the back-off (at least 4 s) ended" "log: [$line]" \
    test "${ms:-0}" -ge 4000
stop_ctstub rec
done_testing
