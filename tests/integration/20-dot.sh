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
start_ctstub nostale $((P_MAIN + 12)) "$GOOD" "cache-max-ttl 1"
# A DoT server 500 ms slower than named (tests/tools/dotserver.py), last:
# fastest must measure it once, then keep to named.
SLOW_PORT=$((NAMED_PORT0 + 30))
start_dotserver slow "$SLOW_PORT" good slow 500
SLOW_DOT="upstream dot://127.0.0.1:$SLOW_PORT"
start_ctstub_flags -v fastest-slow $((P_MAIN + 13)) "$GOOD" "$SLOW_DOT" \
    "upstream-strategy fastest" "cache-size 0"
start_ctstub coalesce $((P_MAIN + 14)) "$SLOW_DOT" "cache-size 0"


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

# fastest with named and a server 500 ms slower: the slow one answers at
# most its measuring query (an unmeasured upstream is tried once); the last
# 6 of 8 queries are all answered by named.
for i in $(seq 8); do
	same_as_direct "fastest, slow second: a$i" 127.0.0.1 $((P_MAIN + 13)) \
	    "a$i.example.test" A
done
by=$(grep -o "answered by 127.0.0.1:[0-9]*" "$TMP/fastest-slow.log" |
    sed 's/.*://')
expect_eq "fastest, slow second: 8 answers logged" 8 "$(grep -c . <<<"$by")"
check "fastest, slow second: the slow upstream answered at most once" \
    "answered by: $(oneline "$by")" \
    test "$(grep -cx "$SLOW_PORT" <<<"$by")" -le 1
expect_eq "fastest, slow second: the last 6 answered by named" \
    "$(printf '%s\n' "$(dot_port good)" "$(dot_port good)" "$(dot_port good)" \
    "$(dot_port good)" "$(dot_port good)" "$(dot_port good)")" \
    "$(tail -n 6 <<<"$by")"

# Coalescing: 4 clients ask the same question at once (the upstream takes
# 500 ms) with their own ids, case, RD and EDNS. Each reply must carry the
# client's id, its question bytes as sent, its RD bit, and OPT only when
# the client sent one. coalesce.py PORT prints "KEY GOT WANT" lines.
cat >"$TMP/coalesce.py" <<'PYEOF'
import socket, struct, sys, time
port = int(sys.argv[1])
OPT = lambda size: struct.pack("!BHHIH", 0, 41, size, 0, 0)
# (id, name as sent, RD, EDNS size or None)
ASK = [(0x1111, "www.example.test", 1, 1232),
       (0x2222, "WWW.EXAMPLE.TEST", 1, None),
       (0x3333, "wWw.ExAmPlE.tEsT", 1, 4096),
       (0x4444, "Www.Example.Test", 1, 512)]

def question(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) \
        + b"\0" + struct.pack("!HH", 1, 1)

def skip_rr(m, off):
    while m[off] != 0:
        if m[off] & 0xc0 == 0xc0:
            off += 1
            break
        off += m[off] + 1
    off += 1
    return off + 10 + struct.unpack("!H", m[off + 8:off + 10])[0], \
        struct.unpack("!H", m[off:off + 2])[0]

socks = []
for qid, name, rd, edns in ASK:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    s.settimeout(6)
    msg = struct.pack("!6H", qid, rd << 8, 1, 0, 0, 0 if edns is None else 1)
    msg += question(name) + (b"" if edns is None else OPT(edns))
    socks.append(s)
    s.send(msg)
for s, (qid, name, rd, edns) in zip(socks, ASK):
    key = "%04x-%s" % (qid, name)
    try:
        m = s.recv(65535)
    except socket.timeout:
        print(key + "-reply", "none", "yes")
        continue
    rid, flags, qd, an, ns, ar = struct.unpack("!6H", m[:12])
    q = question(name)
    print(key + "-id", "%04x" % rid, "%04x" % qid)
    print(key + "-rcode", flags & 15, 0)
    print(key + "-rd", flags >> 8 & 1, rd)
    print(key + "-question-as-sent", int(m[12:12 + len(q)] == q), 1)
    off, opt = 12 + len(q), 0
    for _ in range(an + ns + ar):
        off, rtype = skip_rr(m, off)
        opt += rtype == 41
    print(key + "-answers", int(an >= 1), 1)
    print(key + "-opt", opt, 0 if edns is None else 1)
PYEOF
while read -r key got want; do
	expect_eq "coalesce: $key" "$want" "$got"
done < <("$PY" "$TMP/coalesce.py" $((P_MAIN + 14)) 2>"$TMP/coalesce.err" ||
    echo "coalesce.py-exit-status $? 0")
coalesced=$("$CTSTUB" status -s "$TMP/run/coalesce.sock" --json |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["counters"]["coalesced"])')
expect_eq "coalesce: 3 of the 4 questions were followers" 3 "$coalesced"

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
same_as_direct "no stale: first answer" 127.0.0.1 $((P_MAIN + 12)) \
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
# without serve-stale, the same expired answer is not given: SERVFAIL
out=$(q 127.0.0.1 $((P_MAIN + 12)) www.example.test A)
expect_eq "no stale answer without serve-stale: SERVFAIL" SERVFAIL \
    "$(status_of "$out")"
check "no stale answer without serve-stale: no EDE 3" "$(oneline "$out")" \
    test "$(grep -c "EDE: 3 (Stale Answer)" <<<"$out")" -eq 0

for name in $(printf '%s\n' "${!CTSTUB_PIDS[@]}" | sort); do
	stop_ctstub "$name"
done
done_testing
