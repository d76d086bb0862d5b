#!/bin/bash
# SPDX-License-Identifier: ISC
# DNS over TCP under abuse: clients that pipeline answers they never read
# cannot take ctstub's memory or its TCP client slots (issue 11 item 3).
# Four clients with a 4 KiB receive buffer (max-tcp-clients 4) each send
# 150,000 queries for a cached name without reading, half-close, wait and
# reset (tests/tools/tcpflood.py). Then: the peak RSS stayed within a few
# MiB of the start, every descriptor came back, a new TCP client is
# answered at once. Also: max-tcp-clients is enforced, and a client whose
# query stalls upstream still gets its SERVFAIL and is closed after the
# idle timeout, giving its slot back; clients that stop reading but stay
# connected are closed by the write timeout.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
# Under ASan (BUILD=build-san) freed memory waits in a quarantine of 256
# MiB that would count in the RSS measured here; a small one keeps the
# measure about ctstub's own memory (and still catches a use after free).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
mint_pki
start_named good
GOOD="upstream dot://127.0.0.1:$(dot_port good)"

# fd_count PID / rss_kib PID / hwm_kib PID (peak RSS)
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# wait_fds PID WANT SECONDS [-ge]: until PID has at most (with -ge: at
# least) WANT descriptors.
# shellcheck disable=SC2317 # run by check
wait_fds() {
	local end=$(($(date +%s) + $3)) n
	while :; do
		n=$(fd_count "$1")
		if [ "${4:-}" = -ge ]; then
			[ "$n" -ge "$2" ] && return 0
		else
			[ "$n" -le "$2" ] && return 0
		fi
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# tcp_answer PORT: one TCP query (dig, 2 s, one try) answered NOERROR.
# shellcheck disable=SC2317 # run by check
tcp_answer() {
	[ "$(status_of "$(dig @127.0.0.1 -p "$1" +tcp +tries=1 +time=2 \
	    +noall +comments www.example.test A)")" = NOERROR ]
}

# --- the flood ---------------------------------------------------------------
add_ctstub flood "$GOOD" "max-tcp-clients 4"
P=${CT_PORTS[flood]}
CT=${CTSTUB_PIDS[flood]}
same_as_direct "flood: name cached first" 127.0.0.1 "$P" www.example.test A
FD0=$(fd_count "$CT")
RSS0=$(rss_kib "$CT")
"$PY" "$ROOT/tests/tools/tcpflood.py" --port "$P" --clients 4 \
    --queries 150000 --rcvbuf 4096 --send-time 3 --wait 3 \
    >"$TMP/flood.out" 2>&1 || fail "flood: tcpflood.py ran" "see $TMP/flood.out"
HWM=$(hwm_kib "$CT")
sent=$(awk '{ s += $4 } END { print s + 0 }' "$TMP/flood.out")
echo "# flood: RSS ${RSS0} KiB before, peak ${HWM} KiB; $sent bytes of" \
    "queries accepted; $FD0 descriptors before"
check "flood: peak RSS within 4 MiB of the start" \
    "${RSS0} KiB before, peak ${HWM} KiB" test $((HWM - RSS0)) -le 4096
check "flood: descriptors back to $FD0 after the resets" \
    "$(fd_count "$CT") open after 15 s" wait_fds "$CT" "$FD0" 15
echo "# flood: RSS $(rss_kib "$CT") KiB after, $(fd_count "$CT") descriptors"
check "flood: a new TCP client is answered at once" "no NOERROR in 2 s" \
    tcp_answer "$P"
check "flood: ctstub still running" "it exited" alive "$CT"

# --- the write timeout: clients that stop reading and stay connected --------
add_ctstub slow "$GOOD" "tcp-idle-timeout 1000"
P=${CT_PORTS[slow]}
CT=${CTSTUB_PIDS[slow]}
same_as_direct "slow: name cached first" 127.0.0.1 "$P" www.example.test A
FD0=$(fd_count "$CT")
# they send for 2 s, then hold the connections for 20 s before resetting
start_bg "$TMP/slow.out" "$PY" "$ROOT/tests/tools/tcpflood.py" --port "$P" \
    --clients 2 --queries 150000 --send-time 2 --wait 20
FLOOD_PID=$PID
check "slow: both clients connected" "$(fd_count "$CT") descriptors" \
    wait_fds "$CT" $((FD0 + 2)) 10 -ge
check "slow: both clients closed by the write timeout while they wait" \
    "$(fd_count "$CT") descriptors, $FD0 before" wait_fds "$CT" "$FD0" 12
check "slow: ... before they reset" "tcpflood.py had finished" \
    alive "$FLOOD_PID"
stop_proc "$FLOOD_PID"

# --- max-tcp-clients and the idle timeout with a query outstanding ----------
next_port
STALL_PORT=$PORT
start_dotserver stall "$STALL_PORT" good stall
add_ctstub limit "upstream dot://127.0.0.1:$STALL_PORT" "max-tcp-clients 2" \
    "tcp-idle-timeout 1000" "timeout 2000"
P=${CT_PORTS[limit]}
CT=${CTSTUB_PIDS[limit]}

# held.py PORT: two clients take both slots, each with a query the stalled
# upstream never answers; a third is closed at once without an answer.
# Then each of the two gets SERVFAIL (query timeout) and is closed by the
# idle timeout. One "NAME 0|1" line per check.
cat >"$TMP/held.py" <<'EOF'
import socket, struct, sys, time
port = int(sys.argv[1])
q = bytes.fromhex("abcd01000001000000000000") + \
    b"\x05stall\x07example\x04test\x00\x00\x01\x00\x01"
def conn():
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(10)
    return s
def recv_frame(s):
    b = b""
    while len(b) < 2 or len(b) < 2 + struct.unpack("!H", b[:2])[0]:
        c = s.recv(4096)
        if not c:
            return None
        b += c
    return b[2:]
held = [conn(), conn()]
for s in held:
    s.sendall(struct.pack("!H", len(q)) + q)
time.sleep(0.3)			# both accepted and counted
third = conn()
try:
    third.sendall(struct.pack("!H", len(q)) + q)
    refused = third.recv(512) == b""
except OSError:
    refused = True
print("third-client-refused", int(refused))
t0 = time.monotonic()
for i, s in enumerate(held):
    a = recv_frame(s)
    print("client%d-servfail" % i, int(a is not None and a[:2] == q[:2]
                                       and a[3] & 0x0f == 2))
    try:
        closed = s.recv(1) == b""
    except OSError:
        closed = True
    print("client%d-closed-after-idle" % i, int(closed))
print("closed-within-8s", int(time.monotonic() - t0 < 8))
late = conn()
late.sendall(struct.pack("!H", len(q)) + q)
print("slot-free-again", int(recv_frame(late) is not None))
EOF
while read -r name v; do
	expect_eq "limit: $name" 1 "$v"
done < <("$PY" "$TMP/held.py" "$P" 2>&1)

stop_ctstub flood
stop_ctstub limit
stop_ctstub slow
done_testing
