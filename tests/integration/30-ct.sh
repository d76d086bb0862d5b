#!/bin/bash
# SPDX-License-Identifier: ISC
# Certificate Transparency end to end: dig -> ctstub -> named (DoT) or
# HAProxy (SCTs in the TLS extension) on loopback, one upstream per mkpki
# variant; issuer pins, report mode, policy knobs, a stale log list, one log
# line per refusal, TLS session resumption.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
command -v haproxy >/dev/null ||
    bail "$TEST_NAME: haproxy installed" "HAProxy serves the .sctl SCTs"
load_variants

# Why each refused variant is refused: the reason's start, then text it
# must contain (one per line). Accepted variants have no entry.
cause long2 "CT: " "2 valid SCTs from 2 operators" "need 3 logs"
cause oneop "CT: " "2 valid SCTs from 1 operator " "need 2 logs, 2 operators"
cause onesct "CT: " "1 valid SCT from 1 operator"
cause nosct "CT: no SCTs" "(need 2 logs, 2 operators)"
cause badsig "CT: " "1 valid SCT" "ctstub test log b1: bad signature"
cause unknown "CT: " "1 valid SCT" "unknown log"
cause future "CT: " "1 valid SCT" "ctstub test log b1: future timestamp"
cause copied "CT: 0 valid SCTs" "ctstub test log a1: bad signature" \
    "ctstub test log b1: bad signature" "ctstub test log c1: bad signature"
cause retired "CT: " "1 valid SCT" "ctstub test log r1: log retired before SCT"
cause pending "CT: " "1 valid SCT" "ctstub test log p1: pending log"
cause mimic "CT: " "1 valid SCT" "mimic log"
cause tlsext-one "CT: " "1 valid SCT from 1 operator"
cause wrong-ip "certificate does not match IP 127.0.0.1"
cause name-only "certificate does not match IP 127.0.0.1"
cause untrusted "certificate chain not trusted"
PIN_REASON="no certificate in the verified chain matches a configured pin"

# expected.txt and this table must agree on which variants are refused.
for v in "${VARIANTS[@]}"; do
	verdict=$(awk -v v="$v" '$1 == v { print $2 }' "$EXPECTED")
	want=accept
	[ -n "${PREFIX[$v]+set}" ] && want=refuse
	expect_eq "expected.txt: $v is $want" "$want" "$verdict"
done
for v in "${!PREFIX[@]}"; do
	grep -q "^$v " "$EXPECTED" || fail "expected.txt lists $v" "missing"
done

start_named "${VARIANTS[@]}"
start_haproxy tlsext tlsext-one resume=tlsext/1s
load_pins

# upstream_port VARIANT: TLS-extension variants are served by HAProxy
# (named cannot send SCTs), the others by named.
upstream_port() {
	case $1 in
	tlsext|tlsext-one) hap_port "$1" ;;
	*) dot_port "$1" ;;
	esac
}
up() { echo "upstream dot://127.0.0.1:$1"; }


# rejections NAME: how many refusals ctstub NAME logged (warnings, not
# the -v debug lines that repeat the reason per query).
rejections() { grep -c ' warning: upstream [^ ]* rejected: ' "$TMP/$1.log"; }

# expect_accepted NAME PORT: answers like named and logs no refusal.
expect_accepted() {
	same_as_direct "$1" 127.0.0.1 "$2" www.example.test A
	expect_eq "$1: no refusal logged" 0 "$(rejections "$1")"
}

# expect_refused NAME PORT UPSTREAM-PORT PREFIX [TEXT...]: SERVFAIL; the
# log line "upstream 127.0.0.1:UPSTREAM-PORT rejected: REASON" where
# REASON starts with PREFIX and contains each TEXT; the EDE (query with
# EDNS) carries exactly that line; SERVFAIL without EDNS too.
expect_refused() {
	local name=$1 port=$2 upport=$3 prefix=$4 out line reason text
	local log=$TMP/$1.log
	shift 4
	out=$(q 127.0.0.1 "$port" www.example.test A)
	expect_eq "$name: status" SERVFAIL "$(status_of "$out")"
	wait_log "$log" "upstream 127.0.0.1:$upport rejected: "
	line=$(grep -o "upstream 127.0.0.1:$upport rejected: .*" "$log" |
	    head -n 1)
	reason=$(reason_of "$line")
	check "$name: logged reason starts with '$prefix'" "log: [$line]" \
	    starts_with "$reason" "$prefix"
	for text; do
		check "$name: logged reason has '$text'" "reason: [$reason]" \
		    grep -qF -- "$text" <<<"$reason"
	done
	expect_eq "$name: EDE is the logged line" "$line" "$(ede_of "$out")"
	out=$(q 127.0.0.1 "$port" +noedns www.example.test A)
	expect_eq "$name: status without EDNS" SERVFAIL "$(status_of "$out")"
}

# Every variant, each through its own ctstub, on ports from CTSTUB_PORT0
# (next_port skips ports that other sockets hold).
declare -A VPORT
for v in "${VARIANTS[@]}"; do
	next_port
	VPORT[$v]=$PORT
	start_ctstub "$v" "$PORT" "$(up "$(upstream_port "$v")")"
done
# Extra instances: NAME CONFIG-LINE...
declare -A XP
extra() {
	local name=$1
	shift
	next_port
	XP[$name]=$PORT
	start_ctstub "$name" "$PORT" "$@"
}
extra tlsext-named "$(up "$(dot_port tlsext)")"
extra tlsext-one-named "$(up "$(dot_port tlsext-one)")"
AI=$(up "$(dot_port alt-issuer)")
extra pin-inter "pin $PIN_INTER" "$AI"
extra pin-inter2 "pin $PIN_INTER2" "$AI"
extra pin-override "pin $PIN_INTER" "$AI pin $PIN_INTER2"
extra pin-override-refuse "pin $PIN_INTER2" "$AI pin $PIN_INTER"
extra pin-root "pin $PIN_ROOT" "$(up "$(dot_port good)")"
extra pin-two "pin $PIN_INTER" "pin $PIN_INTER2" "$AI"
extra report "ct report" "$(up "$(dot_port onesct)")"
extra report-untrusted "ct report" "$(up "$(dot_port untrusted)")"
extra report-pin "ct report" "pin $PIN_INTER" "$AI"
extra lifetime-no "ct-lifetime-rule no" "$(up "$(dot_port long2)")"
extra min-logs-3 "ct-min-logs 3" "$(up "$(dot_port short2)")"
extra min-logs-3-good "ct-min-logs 3" "$(up "$(dot_port good)")"
extra min-ops-3 "ct-min-operators 3" "$(up "$(dot_port retired-ok)")"
extra fresh-fail-open "ct-stale fail-open" "$(up "$(dot_port onesct)")"

# A log list 200 days old: the same logs, an old log_list_timestamp.
STALE=$TMP/stale
mkdir -p "$STALE"
cp "$PKI/root.pem" "$STALE/"
old=$(date -u -d @$(($(date +%s) - 200 * 86400 - 3600)) +%Y-%m-%dT%H:%M:%SZ)
python3 - "$PKI/ct-logs.json" "$STALE/ct-logs.json" "$old" <<'EOF' ||
import json, sys
src, dst, ts = sys.argv[1:]
with open(src) as f:
    data = json.load(f)
assert "log_list_timestamp" in data
data["log_list_timestamp"] = ts
with open(dst, "w") as f:
    json.dump(data, f, indent=2)
EOF
    bail "$TEST_NAME: stale log list" "python3 could not rewrite it"
REAL_PKI=$PKI
PKI=$STALE	# start_ctstub takes root.pem and ct-logs.json from $PKI
extra stale-good "$(up "$(dot_port good)")"
extra stale-onesct "$(up "$(dot_port onesct)")"
extra stale-fail-open "ct-stale fail-open" "$(up "$(dot_port onesct)")"
extra stale-fail-open-chain "ct-stale fail-open" \
    "$(up "$(dot_port untrusted)")"
extra stale-max-age "ct-list-max-age 365" "ct-stale fail-open" \
    "$(up "$(dot_port onesct)")"
PKI=$REAL_PKI
# With -v: a debug line per query that reached the upstream.
next_port
XP[once]=$PORT
start_ctstub_flags -v once "$PORT" "$(up "$(dot_port onesct)")"
next_port
XP[resume]=$PORT
start_ctstub_flags -v resume "$PORT" "$(up "$(hap_port resume)")"

# --- every variant ---
for v in "${VARIANTS[@]}"; do
	if [ -z "${PREFIX[$v]+set}" ]; then
		expect_accepted "$v" "${VPORT[$v]}"
	else
		mapfile -t texts <<<"${CAUSES[$v]}"
		[ -z "${texts[0]}" ] && texts=()
		expect_refused "$v" "${VPORT[$v]}" "$(upstream_port "$v")" \
		    "${PREFIX[$v]}" "${texts[@]}"
	fi
done
# The mimic SCT: its log id is Chrome's mimic id, not a listed log.
line=$(grep -o 'rejected: .*' "$TMP/mimic.log")
check "mimic: the mimic SCT is the one named" "log: [$line]" \
    grep -qE "log f44195d6: mimic log" <<<"$line"

# The TLS-extension leaves carry no SCT themselves: named cannot send any.
expect_refused tlsext-named "${XP[tlsext-named]}" "$(dot_port tlsext)" \
    "CT: no SCTs"
expect_refused tlsext-one-named "${XP[tlsext-one-named]}" \
    "$(dot_port tlsext-one)" "CT: no SCTs"

# --- issuer pins ---
expect_refused pin-inter "${XP[pin-inter]}" "$(dot_port alt-issuer)" \
    "$PIN_REASON"
expect_accepted pin-inter2 "${XP[pin-inter2]}"
expect_accepted pin-override "${XP[pin-override]}"
expect_refused pin-override-refuse "${XP[pin-override-refuse]}" \
    "$(dot_port alt-issuer)" "$PIN_REASON"
expect_accepted pin-root "${XP[pin-root]}"
expect_accepted pin-two "${XP[pin-two]}"	# either of two pins

# --- report mode: CT failures logged and accepted, nothing else relaxed ---
same_as_direct report 127.0.0.1 "${XP[report]}" www.example.test A
check "report: logs 'CT report mode, would refuse'" "see $TMP/report.log" \
    wait_log "$TMP/report.log" \
    "CT report mode, would refuse: CT: 1 valid SCT from 1 operator"
expect_eq "report: no refusal logged" 0 "$(rejections report)"
expect_refused report-untrusted "${XP[report-untrusted]}" \
    "$(dot_port untrusted)" "certificate chain not trusted"
expect_refused report-pin "${XP[report-pin]}" "$(dot_port alt-issuer)" \
    "$PIN_REASON"

# --- policy knobs ---
expect_accepted lifetime-no "${XP[lifetime-no]}"
expect_refused min-logs-3 "${XP[min-logs-3]}" "$(dot_port short2)" \
    "CT: 2 valid SCTs from 2 operators (need 3 logs, 2 operators)"
expect_accepted min-logs-3-good "${XP[min-logs-3-good]}"
expect_refused min-ops-3 "${XP[min-ops-3]}" "$(dot_port retired-ok)" \
    "CT: 2 valid SCTs from 2 operators (need 2 logs, 3 operators)"

# --- log list age ---
for name in stale-good stale-onesct stale-fail-open stale-fail-open-chain; do
	check "$name: warns the list is 200 days old" "see $TMP/$name.log" \
	    grep -q 'CT log list .* is 200 days old' "$TMP/$name.log"
done
for name in stale-good stale-onesct; do
	check "$name: warns 'still enforcing'" "see $TMP/$name.log" \
	    grep -q 'days old.*still enforcing' "$TMP/$name.log"
done
check "stale-fail-open: warns refusals are only logged" \
    "see $TMP/stale-fail-open.log" grep -q \
    'days old.*ct-stale fail-open: CT refusals are only logged' \
    "$TMP/stale-fail-open.log"
for name in stale-max-age fresh-fail-open report good; do
	expect_eq "$name: no stale warning" 0 \
	    "$(grep -c 'days old' "$TMP/$name.log")"
done
expect_accepted stale-good "${XP[stale-good]}"
expect_refused stale-onesct "${XP[stale-onesct]}" "$(dot_port onesct)" \
    "CT: 1 valid SCT from 1 operator"
same_as_direct stale-fail-open 127.0.0.1 "${XP[stale-fail-open]}" www.example.test A
check "stale-fail-open: logs what it would refuse" \
    "see $TMP/stale-fail-open.log" wait_log "$TMP/stale-fail-open.log" \
    "would refuse: CT: 1 valid SCT from 1 operator"
expect_eq "stale-fail-open: no refusal logged" 0 "$(rejections stale-fail-open)"
expect_refused stale-fail-open-chain "${XP[stale-fail-open-chain]}" \
    "$(dot_port untrusted)" "certificate chain not trusted"
# not stale with a 365-day limit, or fresh: fail-open does not apply
expect_refused stale-max-age "${XP[stale-max-age]}" "$(dot_port onesct)" \
    "CT: 1 valid SCT"
expect_refused fresh-fail-open "${XP[fresh-fail-open]}" \
    "$(dot_port onesct)" "CT: 1 valid SCT"

# --- one log line per refusal, however many queries and retries ---
# When a back-off (1 s, then 2 s, ...) ends, a probe connects again and is
# refused again (a debug line "(again)"); queries meanwhile get SERVFAIL
# with the reason. Each query here waits for the next probe's refusal, so
# the queries span at least 3 handshakes whatever the machine's speed; the
# warning is logged once.
again() { grep -c "rejected: CT: .*(again)" "$TMP/once.log"; }
again_at_least() { [ "$(again)" -ge "$1" ]; }
for round in 0 1 2 3; do
	if [ "$round" -gt 0 ] && [ "$round" -lt 3 ]; then
		check "once: probe $round refused again" "$(again) (again) lines" \
		    wait_for again_at_least "$round"
	fi
	out=$(q 127.0.0.1 "${XP[once]}" www.example.test A)
	expect_eq "once: query $round: SERVFAIL" SERVFAIL "$(status_of "$out")"
	check "once: query $round: EDE" "EDE: [$(ede_of "$out")]" \
	    grep -q 'rejected: CT: 1 valid SCT' <<<"$(ede_of "$out")"
done
n=$(grep -c "query [0-9]*: upstream 127.0.0.1:$(dot_port onesct) failed: " \
    "$TMP/once.log")
check "once: the first query met the refusal" "$n queries" test "$n" -ge 1
check "once: at least 3 handshakes, all refused" "$(again) (again) lines" \
    again_at_least 2
expect_eq "once: one refusal line for all of them" 1 "$(rejections once)"
expect_eq "onesct: one refusal line for 2 queries" 1 "$(rejections onesct)"

# --- TLS session resumption (HAProxy closes idle clients after 1 s) ---
# The tlsext upstream sends its SCTs only in a full handshake; a resumed
# one has none and must still be accepted (it was checked once).
RLOG=$TMP/resume.log
RUP=127.0.0.1:$(hap_port resume)
same_as_direct "resume: first query" 127.0.0.1 "${XP[resume]}" www.example.test A
check "resume: full handshake first" "see $RLOG" \
    grep -qx ".*upstream $RUP: connected, TLSv1.2" "$RLOG"
check "resume: HAProxy closes the idle connection" "see $RLOG" \
    wait_log "$RLOG" "upstream $RUP closed the connection"
# another name: the first answer is in the cache now
same_as_direct "resume: query on a new connection" 127.0.0.1 "${XP[resume]}" \
    txt.example.test TXT
expect_eq "resume: two handshakes" 2 \
    "$(grep -c "upstream $RUP: connected, TLSv1.2" "$RLOG")"
expect_eq "resume: no refusal logged" 0 "$(rejections resume)"
check "resume: the second handshake resumed the session" "see $RLOG" \
    grep -q "upstream $RUP: connected, TLSv1.2, resumed" "$RLOG"

for name in $(printf '%s\n' "${!CTSTUB_PIDS[@]}" | sort); do
	stop_ctstub "$name"
done
done_testing
