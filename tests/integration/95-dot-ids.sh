#!/bin/bash
# SPDX-License-Identifier: ISC
# Out of DoT ids: a server that takes every query and answers none holds
# all 65,536 wire ids of its connection. The next query closes that
# connection and its queries are sent once more on a new one, where those
# beyond 65,536 get SERVFAIL "too many queries on one connection". When the
# new one is full too, the next query closes it and its queries, already
# sent twice, end in SERVFAIL with the Extended DNS Error "too many
# unanswered queries on one connection" (src/dot.c). ctstub lives on.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki
start_named good

N=66000		# distinct names (no coalescing), more than 65,536
next_port
DROP_PORT=$PORT
start_dotserver drop "$DROP_PORT" good drop 10000000
# Nothing may end the queries before the ids run out: the longest timeout,
# room for every query in flight.
add_ctstub ids "upstream dot://127.0.0.1:$DROP_PORT" "timeout 60000" \
    "max-inflight 200000" "cache-size 0"

# N queries (q0.example.test ... with EDNS) over 8 UDP sockets, paced, the
# replies read as they come until none came for 3 s; then one more query
# and its consequences. At the end one line: REPLIES SERVFAIL
# WITH-"too many unanswered queries" WITH-"too many queries".
"$PY" - "${CT_PORTS[ids]}" "$N" >"$TMP/blast.txt" 2>"$TMP/blast.err" <<'PYEOF'
import select, socket, struct, sys, time

port, n = int(sys.argv[1]), int(sys.argv[2])
UNANSWERED = b"too many unanswered queries on one connection"
TOO_MANY = b"too many queries on one connection"
socks = []
for _ in range(8):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    socks.append(s)
seen, servfail, unanswered, too_many = set(), 0, 0, 0

last = time.monotonic()

def query(i):	# sent on socket i % 8 with id i // 8: unique per socket
    name = b"".join(bytes([len(l)]) + l
                    for l in (b"q%d" % i, b"example", b"test")) + b"\0"
    opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)
    return struct.pack("!HHHHHH", i // 8, 0x0100, 1, 0, 0, 1) + \
        name + struct.pack("!HH", 1, 1) + opt

def drain(wait):
    global servfail, unanswered, too_many, last
    ready, _, _ = select.select(socks, [], [], wait)
    for s in ready:
        while True:
            try:
                r = s.recv(4096)
            except BlockingIOError:
                break
            key = (socks.index(s), struct.unpack("!H", r[:2])[0])
            if key in seen:
                continue
            seen.add(key)
            last = time.monotonic()
            if r[3] & 0xf == 2:
                servfail += 1
                unanswered += UNANSWERED in r
                too_many += TOO_MANY in r
    return bool(ready)

for i in range(n):
    while True:
        try:
            socks[i % 8].send(query(i))
            break
        except BlockingIOError:
            drain(0.01)
    if i % 500 == 499:
        drain(0)
        time.sleep(0.005)	# let ctstub's receive buffer empty
# quiet SECONDS: drain until no reply came for SECONDS (at most 40 s).
def quiet(seconds):
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        drain(0.2)
        if seen and time.monotonic() - last > seconds:
            return
quiet(3)
socks[n % 8].send(query(n))
quiet(3)
print(len(seen), servfail, unanswered, too_many)
PYEOF
cat "$TMP/blast.err" >&2
read -r REPLIES SERVFAIL UNANSWERED TOO_MANY <"$TMP/blast.txt"
SEEN="$REPLIES replies, $SERVFAIL SERVFAIL, $UNANSWERED 'too many unanswered queries', $TOO_MANY 'too many queries'"
# The second connection held 65,536 queries, each sent twice: they all end
# with the text (65,000: room for a few lost UDP replies).
check "out of ids: queries end in SERVFAIL with 'too many unanswered queries on one connection'" \
    "$SEEN" test "${UNANSWERED:-0}" -ge 65000
check "out of ids: every reply a SERVFAIL with one of the two reasons" \
    "$SEEN" test "${SERVFAIL:-0}" -eq "${REPLIES:-x}" -a \
    $((${UNANSWERED:-0} + ${TOO_MANY:-0})) -eq "${REPLIES:-x}"
# (how many of the queries the server read before ctstub closed depends
# on its speed: only the connections count)
check "out of ids: a first and a second connection, each closed by ctstub" \
    "see $TMP/dot-drop.log" test "$(grep -cE \
    "conn [12]: closed by the client" "$TMP/dot-drop.log")" -eq 2
# what the server read: never more than the 65,536 ids on one connection,
# and no id sent again while it was unanswered
wait_count "$TMP/dot-drop.log" "queries dropped in all" 2
MOST=$(sed -n 's/.*conn [0-9]*: \([0-9]*\) queries dropped in all$/\1/p' \
    "$TMP/dot-drop.log" | sort -n | tail -n 1)
check "out of ids: no connection carried more than 65,536 queries" \
    "the server read ${MOST:-no} queries on one" \
    test "${MOST:-0}" -ge 1 -a "${MOST:-99999}" -le 65536
expect_eq "out of ids: no id sent again while unanswered" 0 \
    "$(grep -c VIOLATION "$TMP/dot-drop.log")"
check "out of ids: ctstub still running" "see $TMP/ids.log" \
    alive "${CTSTUB_PIDS[ids]}"
stop_ctstub ids
done_testing
