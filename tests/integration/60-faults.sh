#!/bin/bash
# SPDX-License-Identifier: ISC
# Fault injection: dig/dnsperf/python -> ctstub -> named (DoT) or
# tests/tools/dotserver.py (a DoT server that misbehaves on purpose), on
# loopback with the test PKI: an upstream killed under load, a stalled
# upstream, idle close, a certificate replaced between connections, every
# upstream down then back, a TCP reset in the middle of a frame, hostile
# answers, 10,000 malformed client packets, max-inflight. Out of DoT ids:
# 95-dot-ids.sh.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
command -v dnsperf >/dev/null || bail "$TEST_NAME: dnsperf installed" "missing"
mint_pki
# shellcheck disable=SC2034 # read by start_named
NAMED_EXTRA_CONF="zone \"bulk.test.\" { type primary;
	file \"$ROOT/tests/named/bulk.test.zone\"; };"
start_named good

GOOD_DOT="upstream dot://127.0.0.1:$(dot_port good)"
GOOD_LABEL=127.0.0.1:$(dot_port good)
NOCACHE="cache-size 0"
ds_port=$((NAMED_PORT0 + 30))	# dotservers: from NAMED_PORT0+30 up
# new_dot NAME LEAF MODE...: a dotserver on the next port; DS_PORTS[NAME]
declare -A DS_PORTS DS_RUNS
new_dot() {
	DS_PORTS[$1]=$ds_port
	DS_RUNS[$1]=1
	ds_port=$((ds_port + 1))
	start_dotserver "$1" "${DS_PORTS[$1]}" "${@:2}"
}
# restart_dot NAME LEAF [MODE...]: stop dotserver NAME, start it again on
# its port (mode ok by default); the old log becomes dot-NAME.run1.log ...
restart_dot() {
	local n=${DS_RUNS[$1]}
	stop_proc "${DOTSRV_PIDS[$1]}"
	mv "$TMP/dot-$1.log" "$TMP/dot-$1.run$n.log"
	DS_RUNS[$1]=$((n + 1))
	[ $# -gt 2 ] || set -- "$1" "$2" ok
	start_dotserver "$1" "${DS_PORTS[$1]}" "${@:2}"
}
dot() { echo "upstream dot://127.0.0.1:${DS_PORTS[$1]}"; }
lab() { echo "127.0.0.1:${DS_PORTS[$1]}"; }
qc() { q 127.0.0.1 "${CT_PORTS[$1]}" "${@:2}"; }	# q to ctstub NAME
# answers_with NAME STATUS DIG-ARGS...: ctstub NAME answers STATUS now
# (for wait_for, which asks again until then).
answers_with() {
	[ "$(status_of "$(qc "$1" "${@:3}")")" = "$2" ]
}

# is_alive LABEL NAME: ctstub NAME still runs.
is_alive() {
	check "$1: ctstub alive" "ctstub $2 is gone, see $TMP/$2.log" \
	    alive "${CTSTUB_PIDS[$2]}"
}

# owners_are NAME OUT: every answer record of dig output OUT is owned by
# NAME (a wrong answer under the right question would not be).
owners_are() {
	local owners
	owners=$(grep -v '^;' <<<"$2" | awk 'NF { print tolower($1) }' | sort -u)
	[ -z "$owners" ] || [ "$owners" = "$1" ]
}

# A UDP client for many queries at once (EDNS on): blast PORT TIMEOUT NAME...
# prints one line per answer: NAME RCODE MS EDE-TEXT (MS since the first
# query left), and "NAME none" for each query without an answer.
# blast -1 PORT TIMEOUT NAME...: one query at a time, each sent as soon as
# the previous one is answered, MS since it left: times that do not
# include a client's start-up.
cat >"$TMP/blast.py" <<'EOF'
import socket, struct, sys, time
sequential = sys.argv[1] == "-1"
args = sys.argv[2:] if sequential else sys.argv[1:]
port, wait, names = int(args[0]), float(args[1]), args[2:]
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN",
          4: "NOTIMP", 5: "REFUSED"}

def query(qid, name):
    q = struct.pack("!6H", qid, 0x0100, 1, 0, 0, 1)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + struct.pack("!BHHBHHIH", 0, 1, 1, 0, 41, 1232, 0, 0)

def skip_name(m, off):
    while m[off] != 0:
        if m[off] & 0xc0 == 0xc0:
            return off + 2
        off += m[off] + 1
    return off + 1

def ede(m):
    an, ns, ar = struct.unpack("!3H", m[6:12])
    off = skip_name(m, 12) + 4
    for i in range(an + ns + ar):
        off = skip_name(m, off)
        rtype, _, _, rdlen = struct.unpack("!HHIH", m[off:off + 10])
        off += 10
        if rtype == 41:
            o = off
            while o + 4 <= off + rdlen:
                code, olen = struct.unpack("!HH", m[o:o + 4])
                if code == 15:
                    return m[o + 6:o + 4 + olen].decode()
                o += 4 + olen
        off += rdlen
    return ""

def one_by_one():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    for i, name in enumerate(names):
        start = time.monotonic()
        s.send(query(i + 1, name))
        s.settimeout(wait)
        while True:
            try:
                m = s.recv(65535)
            except socket.timeout:
                print(name, "none")
                break
            if struct.unpack("!H", m[:2])[0] == i + 1:
                print(name, RCODES.get(m[3] & 15, m[3] & 15),
                      int((time.monotonic() - start) * 1000), ede(m),
                      flush=True)
                break
    sys.exit(0)

if sequential:
    one_by_one()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", port))
start = time.monotonic()
for i, name in enumerate(names):
    s.send(query(i + 1, name))
left = set(range(1, len(names) + 1))
while left:
    s.settimeout(max(0.01, start + wait - time.monotonic()))
    try:
        m = s.recv(65535)
    except socket.timeout:
        break
    qid = struct.unpack("!H", m[:2])[0]
    if qid not in left:
        continue
    left.discard(qid)
    print(names[qid - 1], RCODES.get(m[3] & 15, m[3] & 15),
          int((time.monotonic() - start) * 1000), ede(m))
for qid in sorted(left):
    print(names[qid - 1], "none")
EOF
blast() { "$PY" "$TMP/blast.py" "$@"; }

# --- an upstream killed under load ------------------------------------------
# First upstream: a dotserver (killed with SIGKILL in the middle of 1,000
# distinct queries); second: named. Nothing may be lost.
new_dot kill good ok
add_ctstub -v load "$(dot kill)" "$GOOD_DOT" "$NOCACHE"
for i in $(seq 1000); do echo "b$i.bulk.test TXT"; done >"$TMP/bulk.queries"
dnsperf -s 127.0.0.1 -p "${CT_PORTS[load]}" -d "$TMP/bulk.queries" -n 1 \
    -q 20 -Q 400 -t 5 >"$TMP/dnsperf-kill.log" 2>&1 &
perf_pid=$!
wait_count "$TMP/load.log" "answered by $(lab kill)" 200
stop_proc "${DOTSRV_PIDS[kill]}" KILL 2>/dev/null
wait "$perf_pid"
dnsperf_read "$TMP/dnsperf-kill.log"
killed_at=$(log_count "$TMP/load.log" "answered by $(lab kill)")
check "kill: the first upstream answered 200 before it was killed" \
    "$killed_at answers" test "$killed_at" -ge 200
check "kill: it was killed in the middle" "it answered $killed_at" \
    test "$killed_at" -lt 1000
expect_eq "kill: dnsperf: queries lost (no answer at all)" 0 "$DP_LOST"
expect_eq "kill: dnsperf: queries completed" 1000 "$DP_DONE"
expect_eq "kill: in-flight queries moved to named: 1,000 NOERROR" 1000 \
    "$DP_NOERROR"
n=$(grep -c "answered by $GOOD_LABEL" "$TMP/load.log")
check "kill: named answered the rest" \
    "$n answers from named, $killed_at before the kill" \
    test "$n" -ge $((1000 - killed_at))
check "kill: the log names the dead upstream" "see $TMP/load.log" \
    grep -q "upstream $(lab kill) failed" "$TMP/load.log"
is_alive kill load
same_as_direct "kill: answers afterwards" 127.0.0.1 "${CT_PORTS[load]}" \
    b1.bulk.test TXT
check "kill: ... from named" "see $TMP/load.log" \
    test "$(grep "answered by" "$TMP/load.log" | tail -n 1 |
    grep -c "$GOOD_LABEL")" -eq 1

# --- a stalled upstream -----------------------------------------------------
# TLS is fine, queries are read, no answer ever comes: SERVFAIL after the
# timeout (1 s), EDE 22 naming it.
new_dot stall good stall
add_ctstub stall "$(dot stall)" "$NOCACHE" "timeout 1000"
read -r _ st ms ede < <(blast -1 "${CT_PORTS[stall]}" 10 www.example.test)
expect_eq "stall: status" SERVFAIL "$st"
check "stall: answered at the 1 s timeout, not before, well under 3 s" \
    "$ms ms" test "${ms:-0}" -ge 990 -a "${ms:-0}" -lt 3000
expect_eq "stall: EDE text" \
    "no answer from upstream $(lab stall) within 1000 ms" "$ede"
out=$(qc stall mail.example.test A)
expect_eq "stall: next query (dig): status" SERVFAIL "$(status_of "$out")"
check "stall: EDE 22" "$(grep EDE <<<"$out")" \
    grep -q "^; EDE: 22 " <<<"$out"
check "stall: the query reached the server" "see $TMP/dot-stall.log" \
    grep -q "query id .* www.example.test." "$TMP/dot-stall.log"
out=$(qc stall +tcp www.example.test AAAA)
expect_eq "stall: TCP client: status" SERVFAIL "$(status_of "$out")"
# A server that never answers is failing: once a query timed out on it,
# later queries must reach the next upstream rather than time out forever.
add_ctstub stall-failover "$(dot stall)" "$GOOD_DOT" "$NOCACHE" "timeout 1000"
# the first query moves to named after half the timeout (500 ms): answered,
# and well before the full timeout
read -r _ st ms _ < <(blast -1 "${CT_PORTS[stall-failover]}" 10 \
    www.example.test)
expect_eq "stall, then good: the first query is answered" NOERROR "$st"
check "stall, then good: after half the timeout, before the full one" \
    "$ms ms" test "${ms:-0}" -ge 490 -a "${ms:-0}" -lt 1000
st=
for i in 1 2 3; do
	st=$(status_of "$(qc stall-failover "a$i.example.test" A)")
	[ "$st" = NOERROR ] && break
done
expect_eq "stall, then good: after a timeout the second upstream answers" \
    NOERROR "$st"

# --- slow answers ----------------------------------------------------------
# 300 ms late: answered. 1,500 ms late with a 1 s timeout: SERVFAIL, and the
# upstream that kept the query waiting is failed (one warning, connection
# closed, back-off): the next query fails at once; after the back-off it is
# tried again, and the late answer was not cached.
new_dot slow300 good slow 300
new_dot slow1500 good slow 1500
add_ctstub slow300 "$(dot slow300)" "timeout 1000"
add_ctstub slow1500 "$(dot slow1500)" "timeout 1000"
same_as_direct "slow 300 ms: answered" 127.0.0.1 "${CT_PORTS[slow300]}" \
    www.example.test A
STALL_TEXT="no answer from upstream $(lab slow1500) within 1000 ms"
# two queries, the second sent as soon as the first is answered (no client
# start-up between them): it comes within the back-off (1 s)
blast -1 "${CT_PORTS[slow1500]}" 10 www.example.test mail.example.test \
    >"$TMP/slow1500.blast"
read -r _ st ms ede < <(sed -n 1p "$TMP/slow1500.blast")
expect_eq "slow 1500 ms: status" SERVFAIL "$st"
expect_eq "slow 1500 ms: EDE" "$STALL_TEXT" "$ede"
read -r _ st ms ede < <(sed -n 2p "$TMP/slow1500.blast")
expect_eq "slow 1500 ms: next query: status" SERVFAIL "$st"
check "slow 1500 ms: next query fails at once (back-off)" "$ms ms" \
    test "${ms:-9999}" -lt 500
expect_eq "slow 1500 ms: next query: EDE names the failed upstream" \
    "upstream $(lab slow1500) failed: $STALL_TEXT" "$ede"
expect_eq "slow 1500 ms: one warning for the stalled upstream" 1 \
    "$(grep -c "warning: upstream $(lab slow1500) failed: $STALL_TEXT" \
    "$TMP/slow1500.log")"
# After the back-off the upstream is asked again. Had its late answer been
# taken into the cache, www would be answered from there and never reach
# the server a second time.
asked_www() { grep -c "query id [0-9]* www.example.test." "$TMP/dot-slow1500.log"; }
asked_www_twice() {
	[ "$(asked_www)" -ge 2 ] && return 0
	qc slow1500 www.example.test A >/dev/null
	[ "$(asked_www)" -ge 2 ]
}
check "slow 1500 ms: the late answer was not cached (www asked again)" \
    "the server saw www $(asked_www) times" wait_for asked_www_twice
is_alive slow slow1500

# --- the server closes the connection after each answer ---------------------
new_dot close good close-after 1
add_ctstub -v close "$(dot close)" "$NOCACHE"
same_as_direct "close-after 1: first query" 127.0.0.1 "${CT_PORTS[close]}" \
    www.example.test A
check "close-after 1: the server closed the connection" \
    "see $TMP/dot-close.log" wait_log "$TMP/dot-close.log" "closing after 1"
check "close-after 1: ctstub saw it" "see $TMP/close.log" wait_log \
    "$TMP/close.log" "upstream $(lab close) closed the connection"
same_as_direct "close-after 1: next query answered" 127.0.0.1 \
    "${CT_PORTS[close]}" www.example.test AAAA
check "close-after 1: on a new connection" "see $TMP/dot-close.log" \
    grep -q "conn 2: open" "$TMP/dot-close.log"
expect_eq "close-after 1: ctstub connected twice" 2 \
    "$(grep -c "upstream $(lab close): connected" "$TMP/close.log")"
expect_eq "close-after 1: no back-off for a closed idle connection" 0 \
    "$(grep -c "upstream $(lab close) failed" "$TMP/close.log")"

# --- a certificate replaced by a bad one between connections -----------------
# Same port, new server process with another leaf (it cannot resume the
# old session, so the certificate is checked again): new names get SERVFAIL
# with the reason, cached answers stay, the bad servers see no query.
new_dot swap good ok
add_ctstub -v swap "$(dot swap)"
same_as_direct "swap: good leaf answers" 127.0.0.1 "${CT_PORTS[swap]}" \
    www.example.test A
restart_dot swap wrong-ip
check "swap: ctstub saw the connection close" "see $TMP/swap.log" \
    wait_log "$TMP/swap.log" "upstream $(lab swap) closed the connection"
out=$(qc swap a1.example.test A)
expect_eq "swap: wrong-ip: new name: status" SERVFAIL "$(status_of "$out")"
expect_eq "swap: wrong-ip: EDE" \
    "upstream $(lab swap) rejected: certificate does not match IP 127.0.0.1" \
    "$(ede_of "$out")"
check "swap: wrong-ip: log" "see $TMP/swap.log" grep -q \
    "upstream $(lab swap) rejected: certificate does not match IP" \
    "$TMP/swap.log"
same_as_direct "swap: cached name still answered" 127.0.0.1 \
    "${CT_PORTS[swap]}" www.example.test A
restart_dot swap onesct
# the upstream is in back-off (1 s) after the refusal: ask until the new
# reason shows (at most WAIT_SECONDS); no new name may be answered meanwhile
ede='' bad=0 i=1 end=$((SECONDS + WAIT_SECONDS))
while [ "$SECONDS" -lt "$end" ] && [ "$i" -lt 29 ]; do
	i=$((i + 1))
	out=$(qc swap "a$i.example.test" A)
	[ "$(status_of "$out")" = SERVFAIL ] || bad=$((bad + 1))
	ede=$(ede_of "$out")
	case $ede in *CT:*) break ;; esac
	sleep 0.25
done
check "swap: onesct: refused with the CT reason" "last EDE: [$ede]" \
    starts_with "$ede" "upstream $(lab swap) rejected: CT: 1 valid SCT from 1"
expect_eq "swap: no uncached name answered while refused" 0 "$bad"
same_as_direct "swap: cached name still answered after" 127.0.0.1 \
    "${CT_PORTS[swap]}" www.example.test A
expect_eq "swap: the bad servers saw no query" 0 \
    "$(cat "$TMP/dot-swap.run2.log" "$TMP/dot-swap.log" | grep -c "query id")"
restart_dot swap good
wait_for answers_with swap NOERROR a30.example.test A
same_as_direct "swap: good leaf again: answers" 127.0.0.1 \
    "${CT_PORTS[swap]}" a30.example.test A

# --- every upstream down, then back -----------------------------------------
new_dot down1 good ok
new_dot down2 good ok
add_ctstub -v down "$(dot down1)" "$(dot down2)" "$NOCACHE"
same_as_direct "down: answers while up" 127.0.0.1 "${CT_PORTS[down]}" \
    www.example.test A
stop_proc "${DOTSRV_PIDS[down1]}"
stop_proc "${DOTSRV_PIDS[down2]}"
out=$(qc down a1.example.test A)
expect_eq "down: status" SERVFAIL "$(status_of "$out")"
check "down: EDE names the first upstream" "EDE: [$(ede_of "$out")]" \
    starts_with "$(ede_of "$out")" "upstream $(lab down1) failed: "
expect_eq "down: EDE says each connection was refused" \
    "upstream $(lab down1) failed: Connection refused; upstream $(lab down2) failed: Connection refused" \
    "$(ede_of "$out")"
out=$(qc down a2.example.test A)
expect_eq "down: during back-off: status" SERVFAIL "$(status_of "$out")"
restart_dot down1 good
restart_dot down2 good
# back-off 1 s, then 2 s, ... (the recovery time after a long outage is
# tested elsewhere): answered again within WAIT_SECONDS
check "down: back without restarting ctstub" "still not NOERROR" \
    wait_for answers_with down NOERROR a3.example.test A
check "down: log says up again" "see $TMP/down.log" \
    wait_log "$TMP/down.log" "upstream $(lab down1) is up again"
same_as_direct "down: answers after" 127.0.0.1 "${CT_PORTS[down]}" \
    www.example.test AAAA

# --- a TCP reset in the middle of an answer frame ----------------------------
# After 3 good answers per connection the server sends half a frame and an
# RST: queries in flight are resent once or get SERVFAIL, none hangs.
new_dot reset good reset-mid-frame --after 3
add_ctstub -v reset "$(dot reset)" "$NOCACHE"
for i in $(seq 50); do echo "a$i.example.test A"; done >"$TMP/reset.queries"
dnsperf_run "$TMP/dnsperf-reset.log" -s 127.0.0.1 -p "${CT_PORTS[reset]}" \
    -d "$TMP/reset.queries" -n 1 -q 10 -t 5
expect_eq "reset: dnsperf: queries lost" 0 "$DP_LOST"
expect_eq "reset: every query answered or SERVFAIL" 50 \
    $((DP_NOERROR + DP_SERVFAIL))
n=$(grep -c "then RST" "$TMP/dot-reset.log")
check "reset: the server reset connections" "$n resets" test "$n" -ge 3
n=$(grep -c "failed: upstream $(lab reset) closed the connection" \
    "$TMP/reset.log")
check "reset: ctstub saw the resets with queries in flight" "$n" \
    test "$n" -ge 1
check "reset: some queries answered on a new connection" "$DP_NOERROR" \
    test "$DP_NOERROR" -ge 20
is_alive reset reset
same_as_direct "reset: answers after" 127.0.0.1 "${CT_PORTS[reset]}" \
    www.example.test A

# --- hostile answers --------------------------------------------------------
# Each mode alone (cache off, timeout 1 s) and before a good upstream. The
# question is a7.example.test A (198.51.100.7): wrong-question answers are
# for www or mail, so a wrong answer would show another owner name.
HOSTILE="garbage wrong-id wrong-question unasked short-frame"
for m in $HOSTILE; do
	new_dot "$m" good "$m"
	add_ctstub "$m" "$(dot "$m")" "$NOCACHE" "timeout 1000"
	add_ctstub "$m-failover" "$(dot "$m")" "$GOOD_DOT" "$NOCACHE" \
	    "timeout 1000"
done
want=$(answer_of "$(q 127.0.0.1 "$PORT_PLAIN" a7.example.test A)")
# hostile MODE STATUS EDE-PREFIX LOG-TEXT: ctstub MODE answers STATUS with
# an EDE text starting with EDE-PREFIX, logs LOG-TEXT, never a wrong answer
hostile() {
	local m=$1 out
	out=$(qc "$m" a7.example.test A)
	expect_eq "$m: status" "$2" "$(status_of "$out")"
	check "$m: no wrong answer" "$(answer_of "$out")" \
	    owners_are a7.example.test. "$out"
	[ "$2" = NOERROR ] &&
	    expect_eq "$m: the right answer" "$want" "$(answer_of "$out")"
	[ -n "$3" ] && check "$m: EDE" "EDE: [$(ede_of "$out")]" \
	    starts_with "$(ede_of "$out")" "$3"
	check "$m: log has '$4'" "see $TMP/$m.log" wait_log "$TMP/$m.log" "$4"
}
BAD="upstream $(lab garbage) sent a bad answer: "
hostile garbage SERVFAIL "$BAD" "$BAD"
hostile wrong-id SERVFAIL \
    "no answer from upstream $(lab wrong-id) within 1000 ms" \
    "upstream $(lab wrong-id) sent an answer for id "
check "wrong-id: log says dropped" "see $TMP/wrong-id.log" \
    grep -q "which was never asked: dropped" "$TMP/wrong-id.log"
BAD="upstream $(lab wrong-question) sent a bad answer: response question \
does not match the query"
hostile wrong-question SERVFAIL "$BAD" "$BAD"
hostile unasked NOERROR "" "upstream $(lab unasked) sent an answer for id "
hostile short-frame SERVFAIL \
    "upstream $(lab short-frame) failed: sent a malformed DNS frame" \
    "upstream $(lab short-frame) failed: sent a malformed DNS frame"
for m in $HOSTILE; do
	is_alive "$m" "$m"
	is_alive "$m-failover" "$m-failover"
	# an answer under a wrong id cannot be told from a lost one: no
	# failover before the timeout (see "stall, then good" above)
	[ "$m" = wrong-id ] && continue
	same_as_direct "$m, then good: answered" 127.0.0.1 \
	    "${CT_PORTS[$m-failover]}" a7.example.test A
	same_as_direct "$m, then good: answers after" 127.0.0.1 \
	    "${CT_PORTS[$m-failover]}" www.example.test A
done
out=$(qc wrong-id-failover a7.example.test A)
check "wrong-id, then good: no wrong answer" "$(answer_of "$out")" \
    owners_are a7.example.test. "$out"

# --- 10,000 malformed client packets ----------------------------------------
# junk.py PORT: sends them over UDP (and a few over TCP), checks every
# reply, prints "KEY GOT WANT" lines; each is one check below.
cat >"$TMP/junk.py" <<'EOF'
import random, socket, struct, sys, threading, time
port = int(sys.argv[1])
rnd = random.Random(60)
FORMERR, NOTIMP = 1, 4

def name(text):
    out = b""
    for label in text.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"

def msg(qid, qname=name("www.example.test"), qtype=1, flags=0x0100,
        counts=(1, 0, 0, 0), body=b""):
    return (struct.pack("!6H", qid, flags, *counts) + qname +
            struct.pack("!HH", qtype, 1) + body)

OPT = struct.pack("!BHHIH", 0, 41, 1232, 0, 0)

def packets():
    """(expected, bytes) for each malformed query: "drop" (no reply),
    FORMERR, NOTIMP, or "any" (random: any reply but never an answer)."""
    out = []
    add = out.append
    for i in range(500):		# truncated headers
        add(("drop", msg(0)[:i % 12]))
    for i in range(500):		# QR set
        add(("drop", msg(0, flags=0x8100)))
    for i in range(100):		# over the listener's 4096-byte slot
        add(("drop", msg(0, body=bytes(4097 + i))))
    for i in range(1000):		# counts promise records that are absent
        c = [rnd.randrange(0, 65536) for _ in range(3)]
        c[rnd.randrange(3)] |= 1
        add((FORMERR, msg(0, counts=(1, *c))))
    for i in range(500):		# qdcount 0 and 2
        if i % 2:
            add((FORMERR, msg(0, counts=(0, 0, 0, 0))))
        else:
            add((FORMERR, msg(0, counts=(2, 0, 0, 0)) +
                 name("a1.example.test") + struct.pack("!HH", 1, 1)))
    for i in range(500):		# compression in the question, loops
        qn = [b"\xc0\x0c", b"\x03www\xc0\x0c", b"\x03www\xc0\x10",
              b"\xc0\x0e\xc0\x0c"][i % 4]
        add((FORMERR, msg(0, qname=qn)))
    for i in range(1000):		# label lengths
        kind = i % 4
        if kind == 0:			# name over 255 bytes
            qn = (b"\x3f" + b"a" * 63) * 5 + b"\0"
        elif kind == 1:			# reserved label types 0x40, 0x80
            qn = bytes([rnd.choice((0x40, 0x7f, 0x80, 0xbf))]) + b"abc\0"
        elif kind == 2:			# label past the end of the packet
            add((FORMERR, struct.pack("!6H", 0, 0x100, 1, 0, 0, 0) +
                 bytes([rnd.randrange(20, 64)]) + b"abc"))
            continue
        else:				# no terminating zero, no type/class
            add((FORMERR, struct.pack("!6H", 0, 0x100, 1, 0, 0, 0) +
                 b"\x03www\x07example"))
            continue
        add((FORMERR, msg(0, qname=qn)))
    for i in range(300):		# two OPT RRs, OPT longer than the packet
        if i % 2:
            add((FORMERR, msg(0, counts=(1, 0, 0, 2), body=OPT + OPT)))
        else:
            add((FORMERR, msg(0, counts=(1, 0, 0, 1),
                              body=OPT[:-2] + b"\x01\x00")))
    for i in range(600):		# other opcodes, zone transfers
        if i % 2:
            add((NOTIMP, msg(0, flags=(1 + i % 15) << 11)))
        else:
            add((NOTIMP, msg(0, qtype=(251, 252)[i % 4 // 2])))
    while len(out) < 10000:		# random bytes
        add(("any", bytes(rnd.randrange(256)
                          for _ in range(rnd.randrange(600)))))
    return out

def with_id(i, data):
    return struct.pack("!H", i) + data[2:] if len(data) >= 2 else data

def rcode_of(m):
    return m[3] & 15

def udp(pkts):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.connect(("127.0.0.1", port))
    replies = {}
    stray = []
    done = threading.Event()
    last = [time.monotonic()]		# when the last reply came

    def reader():
        s.settimeout(0.2)
        while not done.is_set():
            try:
                m = s.recv(65535)
            except socket.timeout:
                continue
            last[0] = time.monotonic()
            qid = struct.unpack("!H", m[:2])[0] if len(m) >= 2 else -1
            if qid in replies or not 1 <= qid <= len(pkts):
                stray.append(m)
            else:
                replies[qid] = m
    t = threading.Thread(target=reader)
    t.start()
    for i, (want, data) in enumerate(pkts):
        s.send(with_id(i + 1, data))
        if i % 100 == 99:
            time.sleep(0.005)
    # every FORMERR and NOTIMP reply in, then 1 s without any (late
    # replies to dropped packets would show), at most 30 s
    owed = {i + 1 for i, (w, _) in enumerate(pkts) if w in (FORMERR, NOTIMP)}
    end = time.monotonic() + 30
    while time.monotonic() < end and (not owed <= replies.keys() or
                                      time.monotonic() - last[0] < 1):
        time.sleep(0.1)
    done.set()
    t.join()
    bad = {"drop": 0, FORMERR: 0, NOTIMP: 0, "any": 0}
    n = {"drop": 0, FORMERR: 0, NOTIMP: 0, "any": 0}
    for i, (want, data) in enumerate(pkts):
        n[want] += 1
        m = replies.get(i + 1)
        if want == "drop":
            bad[want] += m is not None
        elif want == "any":
            bad[want] += m is not None and (len(m) < 12 or
                                            m[6:8] != b"\0\0")
        else:
            bad[want] += (m is None or len(m) < 12 or not m[2] & 0x80 or
                          rcode_of(m) != want or m[6:8] != b"\0\0")
    print("udp-dropped-answered", bad["drop"], 0, n["drop"])
    print("udp-formerr-wrong", bad[FORMERR], 0, n[FORMERR])
    print("udp-notimp-wrong", bad[NOTIMP], 0, n[NOTIMP])
    print("udp-random-with-answer-records", bad["any"], 0, n["any"])
    print("udp-stray-replies", len(stray), 0)

def tcp_connect():
    c = socket.create_connection(("127.0.0.1", port))
    c.settimeout(5)
    return c

def recv_exact(c, n):
    data = b""
    while len(data) < n:
        chunk = c.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data

def tcp_reply(c):
    hdr = recv_exact(c, 2)
    return hdr and recv_exact(c, struct.unpack("!H", hdr)[0])

def frame(data):
    return struct.pack("!H", len(data)) + data

def good_answer(c, qid):
    c.sendall(frame(msg(qid)))
    m = tcp_reply(c)
    return (m is not None and m[:2] == struct.pack("!H", qid) and
            rcode_of(m) == 0 and b"\xc0\x00\x02\x0a" in m)	# 192.0.2.10

def tcp(pkts):
    a = tcp_connect()		# a bystander asking all along: unaffected
    print("tcp-bystander-before", int(good_answer(a, 1)), 1)
    asked = [0, 0]		# queries, good answers
    stop = threading.Event()

    def bystander():
        while not stop.wait(0.3):
            asked[0] += 1
            asked[1] += good_answer(a, 2 + asked[0] % 1000)
    t = threading.Thread(target=bystander)
    t.start()
    # well-framed junk on one connection: one reply per non-dropped
    # message, each FORMERR or NOTIMP, then a good query is answered
    b = tcp_connect()
    junk = [p for p in rnd.sample(pkts, 400)
            if p[0] != "any" and 0 < len(p[1]) and len(p[1]) < 65535]
    for i, (want, data) in enumerate(junk):
        b.sendall(frame(with_id(i + 1, data)))
    want_replies = sum(1 for w, _ in junk if w in (FORMERR, NOTIMP))
    ok = 0
    for _ in range(want_replies):
        m = tcp_reply(b)
        if m is None:
            break
        qid = struct.unpack("!H", m[:2])[0]
        ok += 1 <= qid <= len(junk) and rcode_of(m) == junk[qid - 1][0]
    print("tcp-junk-replies-right", ok, want_replies)
    print("tcp-junk-then-good-query", int(good_answer(b, 60000)), 1)
    # a full 65535-byte frame of junk, then a good query
    b.sendall(frame(msg(5, counts=(1, 0, 0, 65535)) +
                    bytes(65535 - len(msg(5)))))
    m = tcp_reply(b)
    print("tcp-65535-byte-frame-formerr", int(m is not None and
                                              rcode_of(m) == FORMERR), 1)
    print("tcp-then-good-query", int(good_answer(b, 60001)), 1)
    b.close()
    # 65535 bytes announced, 1,000 sent, then silence: closed after the
    # idle timeout (1 s); the bystander is not affected
    c = tcp_connect()
    c.sendall(b"\xff\xff" + bytes(1000))
    t0 = time.monotonic()
    try:
        closed = c.recv(1) == b""
    except (socket.timeout, ConnectionError):
        closed = False
    print("tcp-short-frame-closed-by-idle-timeout", int(closed and
          time.monotonic() - t0 < 4), 1)
    # the same, and the client closes: ctstub closes too
    d = tcp_connect()
    d.sendall(b"\xff\xff" + bytes(100))
    d.shutdown(socket.SHUT_WR)
    try:
        print("tcp-short-frame-then-eof-closed", int(d.recv(1) == b""), 1)
    except (socket.timeout, ConnectionError):
        print("tcp-short-frame-then-eof-closed", 0, 1)
    stop.set()
    t.join()
    print("tcp-bystander-answered-all-along", asked[1], asked[0])
    print("tcp-bystander-asked-3-times", int(asked[0] >= 3), 1)

pkts = packets()
print("packets", len(pkts), 10000)
udp(pkts)
tcp(pkts)
EOF
add_ctstub junk "$GOOD_DOT" "tcp-idle-timeout 1000"
same_as_direct "junk: answers before" 127.0.0.1 "${CT_PORTS[junk]}" \
    www.example.test A
while read -r key got want total; do
	expect_eq "junk: $key${total:+ (of $total)}" "$want" "$got"
done < <("$PY" "$TMP/junk.py" "${CT_PORTS[junk]}" 2>"$TMP/junk.err" ||
    echo "junk.py-exit-status $? 0")
is_alive junk junk
same_as_direct "junk: answers after" 127.0.0.1 "${CT_PORTS[junk]}" \
    www.example.test A
same_as_direct "junk: answers after (TCP)" 127.0.0.1 "${CT_PORTS[junk]}" \
    +tcp www.example.test AAAA

# --- max-inflight -----------------------------------------------------------
# 10 queries may wait on the (stalled) upstream; of 50 sent at once, 40 get
# SERVFAIL at once with EDE "too many queries in flight" (well before the
# timeout), 10 at the timeout (2 s); then, with a server that answers, all
# is normal again.
new_dot maxin good stall
add_ctstub maxin "$(dot maxin)" "$NOCACHE" "max-inflight 10" "timeout 2000"
names=()
for i in $(seq 50); do names+=("a$i.example.test"); done
blast "${CT_PORTS[maxin]}" 8 "${names[@]}" >"$TMP/maxin.blast"
fast=$(awk '$2 == "SERVFAIL" && $3 < 1500 && /too many queries in flight$/' \
    "$TMP/maxin.blast" | wc -l)
slow=$(awk -v t="no answer from upstream $(lab maxin) within 2000 ms" \
    '$2 == "SERVFAIL" && $3 >= 1990 && index($0, t)' "$TMP/maxin.blast" |
    wc -l)
expect_eq "max-inflight: 40 refused at once (under 1.5 s)" 40 "$fast"
expect_eq "max-inflight: 10 SERVFAIL after the 2 s timeout" 10 "$slow"
expect_eq "max-inflight: every query answered" 50 \
    "$(grep -vc ' none$' "$TMP/maxin.blast")"
out=$(qc maxin www.example.test A)
check "max-inflight: after the timeout, the stalled upstream is failed" \
    "EDE: [$(ede_of "$out")]" grep -qF \
    "no answer from upstream $(lab maxin) within 2000 ms" <<<"$(ede_of "$out")"
restart_dot maxin good
wait_for answers_with maxin NOERROR a1.example.test A
same_as_direct "max-inflight: stall over: answers" 127.0.0.1 \
    "${CT_PORTS[maxin]}" www.example.test A
n=$(blast "${CT_PORTS[maxin]}" 8 "${names[@]:0:10}" | grep -c ' NOERROR ')
expect_eq "max-inflight: 10 at once all answered" 10 "$n"

for name in $(printf '%s\n' "${!CTSTUB_PIDS[@]}" | sort); do
	stop_ctstub "$name"
done
done_testing
