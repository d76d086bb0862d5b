#!/bin/bash
# SPDX-License-Identifier: ISC
# DNS over TLS end to end: dig -> ctstub -> named (DoT) on loopback, with
# the test PKI; good and bad upstream certificates, failover, shutdown.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki
start_named good wrong-ip name-only untrusted

# ctstub instances, one per upstream variant: NAME PORT-OFFSET UPSTREAM...
P_MAIN=$CTSTUB_PORT0
GOOD="upstream dot://127.0.0.1:$(dot_port good)"
V6_LISTEN=()
have_ipv6 && V6_LISTEN=("listen ::1 $P_MAIN")
start_ctstub main "$P_MAIN" "$GOOD" "${V6_LISTEN[@]}"
start_ctstub wrong-ip $((P_MAIN + 1)) "upstream dot://127.0.0.1:$(dot_port wrong-ip)"
start_ctstub name-ok $((P_MAIN + 2)) \
    "upstream dot://127.0.0.1:$(dot_port name-only) name dns.example.test"
start_ctstub name-wrong $((P_MAIN + 3)) \
    "upstream dot://127.0.0.1:$(dot_port name-only) name wrong.example.test"
start_ctstub name-no-ip $((P_MAIN + 4)) \
    "upstream dot://127.0.0.1:$(dot_port name-only)"
start_ctstub untrusted $((P_MAIN + 5)) \
    "upstream dot://127.0.0.1:$(dot_port untrusted)"
start_ctstub failover $((P_MAIN + 6)) \
    "upstream dot://127.0.0.1:$PORT_DEAD" "$GOOD"
have_ipv6 && start_ctstub ipv6-upstream $((P_MAIN + 7)) \
    "upstream dot://[::1]:$(dot_port good)"
start_ctstub limits $((P_MAIN + 8)) "$GOOD" "tcp-idle-timeout 1000" \
    "user nobody"
GOOD_DOH="upstream https://127.0.0.1:$(doh_port good)/dns-query"
for strategy in round-robin fastest; do
	start_ctstub_flags -v "$strategy" $((P_MAIN + 9)) "$GOOD" "$GOOD_DOH" \
	    "upstream-strategy $strategy" "cache-size 0"
	P_MAIN=$((P_MAIN + 1))	# the next one on the next port
done
P_MAIN=$CTSTUB_PORT0
start_ctstub stale $((P_MAIN + 11)) "$GOOD" "serve-stale yes" \
    "cache-max-ttl 1"


# expect_tc LABEL DIG-ARGS...: the UDP reply from ctstub is truncated.
expect_tc() {
	local label=$1 flags
	shift
	flags=$(flags_of "$(q 127.0.0.1 "$P_MAIN" +ignore "$@")")
	check "$label: tc flag" "flags: $flags" grep -qw tc <<<"$flags"
}

# expect_rejected NAME PORT LOGTEXT: ctstub NAME answers SERVFAIL, logs
# LOGTEXT, and (query with EDNS) carries the reason in an EDE.
expect_rejected() {
	local name=$1 port=$2 text=$3 out ede
	out=$(q 127.0.0.1 "$port" www.example.test A)
	expect_eq "$name: status" SERVFAIL "$(status_of "$out")"
	check "$name: log has '$text'" "see $TMP/$name.log" \
	    wait_log "$TMP/$name.log" "$text"
	ede=$(grep '^; EDE: ' <<<"$out")
	check "$name: EDE carries the reason" "EDE line: [$ede]" \
	    grep -qF -- "${text#rejected: }" <<<"$ede"
	out=$(q 127.0.0.1 "$port" +noedns www.example.test A)
	expect_eq "$name: status without EDNS" SERVFAIL "$(status_of "$out")"
}

for proto in udp tcp; do
	opt=; [ $proto = tcp ] && opt=+tcp
	for query in "www.example.test A" "www.example.test AAAA" \
	    "txt.example.test TXT" "example.test MX"; do
		# shellcheck disable=SC2086 # split "NAME TYPE"
		same_as_direct "$proto $query" 127.0.0.1 "$P_MAIN" $opt $query
	done
	out=$(q 127.0.0.1 "$P_MAIN" $opt nonexistent.example.test A)
	expect_eq "$proto NXDOMAIN" NXDOMAIN "$(status_of "$out")"
done

expect_tc "big TXT over UDP" big.example.test TXT
expect_tc "big TXT over UDP without EDNS" +noedns big.example.test TXT
same_as_direct "big TXT over TCP" 127.0.0.1 "$P_MAIN" +tcp big.example.test TXT

names=$(printf 'a%d.example.test ' $(seq 10))
# shellcheck disable=SC2086 # split names
same_as_direct "10 queries over one TCP connection" 127.0.0.1 "$P_MAIN" \
    +tcp +keepopen $names
# shellcheck disable=SC2086
n=$(answer_of "$(q 127.0.0.1 "$P_MAIN" +tcp +keepopen $names)" | grep -c .)
expect_eq "10 queries over one TCP connection: 10 answers" 10 "$n"

if have_ipv6; then
	same_as_direct "IPv6 listener ::1" ::1 "$P_MAIN" www.example.test A
	same_as_direct "IPv6 upstream [::1]" 127.0.0.1 $((P_MAIN + 7)) \
	    www.example.test AAAA
else
	skip "IPv6" "no ::1 on lo"
fi

expect_rejected wrong-ip $((P_MAIN + 1)) \
    "rejected: certificate does not match IP 127.0.0.1"
same_as_direct "name dns.example.test" 127.0.0.1 $((P_MAIN + 2)) \
    www.example.test A
expect_rejected name-wrong $((P_MAIN + 3)) \
    "certificate does not match name wrong.example.test"
expect_rejected name-no-ip $((P_MAIN + 4)) "does not match IP"
expect_rejected untrusted $((P_MAIN + 5)) \
    "rejected: certificate chain not trusted"
same_as_direct "failover to the second upstream" 127.0.0.1 $((P_MAIN + 6)) \
    www.example.test A

# round-robin spreads queries over both upstreams; fastest sticks to the
# one that answers faster once both are measured, and all are answered.
answered_by() { grep -c "answered by 127.0.0.1:$2 " "$TMP/$1.log"; }
for i in $(seq 12); do q 127.0.0.1 $((P_MAIN + 9)) "a$i.example.test" A; done \
    >/dev/null
check "round-robin: both upstreams answered" \
    "DoT $(answered_by round-robin "$(dot_port good)"), DoH $(answered_by \
    round-robin "$(doh_port good)")" test "$(answered_by round-robin "$(dot_port good)")" -ge 4 -a \
    "$(answered_by round-robin "$(doh_port good)")" -ge 4
for i in $(seq 12); do
	same_as_direct "fastest: a$i" 127.0.0.1 $((P_MAIN + 10)) \
	    "a$i.example.test" A
done

# An idle TCP client is closed after tcp-idle-timeout (1 s here): reading
# returns at end of file well before the 5 s the test waits.
idle_closed() {
	exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	timeout 5 cat <&3 >/dev/null
	local rc=$?
	exec 3<&-
	[ "$rc" -eq 0 ]
}
check "idle TCP client closed after tcp-idle-timeout" "still open after 5 s" \
    idle_closed $((P_MAIN + 8))

if [ "$(id -u)" -eq 0 ]; then
	uid=$(awk '/^Uid:/ { print $2 }' "/proc/${CTSTUB_PIDS[limits]}/status")
	expect_eq "root drops to user nobody" "$(id -u nobody)" "$uid"
	check "log says so" "no 'running as user nobody'" \
	    grep -q "running as user nobody" "$TMP/limits.log"
	same_as_direct "answers after dropping privileges" 127.0.0.1 \
	    $((P_MAIN + 8)) www.example.test A
else
	skip "privilege drop" "not running as root"
fi

# serve-stale: with every upstream gone, an expired answer comes back
# with TTL 30 and EDE 3 (Stale Answer); without it, SERVFAIL.
same_as_direct "stale: first answer" 127.0.0.1 $((P_MAIN + 11)) \
    www.example.test A
stop_proc "$NAMED_PID"
sleep 1.5
out=$(q 127.0.0.1 $((P_MAIN + 11)) www.example.test A)
expect_eq "stale: NOERROR with named gone" NOERROR "$(status_of "$out")"
check "stale: EDE 3 (Stale Answer)" "$(oneline "$out")" \
    grep -q "EDE: 3 (Stale Answer)" <<<"$out"
check "stale: TTL 30" "$(oneline "$out")" \
    grep -qE "^www.example.test.[[:space:]]+30[[:space:]]+IN[[:space:]]+A" \
    <<<"$out"
out=$(q 127.0.0.1 "$P_MAIN" nonexistent-stale.example.test A)
expect_eq "no stale answer without serve-stale: SERVFAIL" SERVFAIL \
    "$(status_of "$out")"

for name in $(printf '%s\n' "${!CTSTUB_PIDS[@]}" | sort); do
	stop_ctstub "$name"
done
done_testing
