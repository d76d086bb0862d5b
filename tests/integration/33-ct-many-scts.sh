#!/bin/bash
# SPDX-License-Identifier: ISC
# A long refusal reason must not take ctstub down (issue 11, item 2): the
# upstream's certificate passes the chain and IP checks but carries 12
# SCTs from unknown logs, so the CT reason is about 390 characters. Queries
# with EDNS (the EDE carries the reason) over UDP and TCP must get SERVFAIL
# with an EDE holding the start of the refusal line; ctstub stays up and
# logs the whole reason on one line.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki
start_named many-unknown
UP=$(dot_port many-unknown)
next_port
start_ctstub many "$PORT" "upstream dot://127.0.0.1:$UP"
PID_MANY=${CTSTUB_PIDS[many]}

# ede_prefix EDE LINE: EDE is not empty and LINE starts with EDE, or with
# EDE less its last 3 characters (a mark such as "..." where it was cut).
ede_prefix() {
	[ "${#1}" -gt 3 ] && { starts_with "$2" "$1" ||
	    starts_with "$2" "${1:0:${#1}-3}"; }
}

out=$(q 127.0.0.1 "$PORT" +edns=0 www.example.test A)
check "first EDNS query: ctstub still runs" "see $TMP/many.log" \
    alive "$PID_MANY"
expect_eq "first EDNS query: SERVFAIL" SERVFAIL "$(status_of "$out")"
wait_log "$TMP/many.log" "rejected: "
mapfile -t lines < <(grep ' warning: upstream [^ ]* rejected: ' \
    "$TMP/many.log")
line=$(grep -o "upstream 127.0.0.1:$UP rejected: .*" <<<"${lines[0]:-}")
reason=$(reason_of "$line")
expect_eq "the refusal is logged once" 1 "${#lines[@]}"
check "the reason is over 300 characters" "${#reason} characters" \
    test "${#reason}" -gt 300
check "the reason starts with the CT verdict" "reason: [$reason]" \
    starts_with "$reason" "CT: 0 valid SCTs from 0 operators (need 2 logs"
expect_eq "the reason names 12 unknown logs on its one line" 12 \
    "$(grep -o '; log [0-9a-f]*: unknown log' <<<"$reason" | wc -l)"
ede=$(ede_of "$out")
check "the EDE is the start of the logged line" \
    "ede: [$ede] line: [$line]" ede_prefix "$ede" "$line"

# again, over UDP and TCP, with and without EDNS; ctstub must survive all
for args in "+edns=0" "+edns=0 +tcp" "+noedns" "+edns=0 +bufsize=512"; do
	# shellcheck disable=SC2086 # the arguments are split on purpose
	out=$(q 127.0.0.1 "$PORT" $args www.example.test A)
	expect_eq "dig $args: SERVFAIL" SERVFAIL "$(status_of "$out")"
	case $args in
	*noedns*) ;;
	*) check "dig $args: EDE is the start of the line" \
	    "ede: [$(ede_of "$out")]" ede_prefix "$(ede_of "$out")" "$line" ;;
	esac
done
check "ctstub still runs after every query" "see $TMP/many.log" \
    alive "$PID_MANY"
stop_ctstub many
done_testing
