#!/bin/bash
# SPDX-License-Identifier: ISC
# Listeners (issue 11 items 6 and 8): a wildcard listen (0.0.0.0, ::)
# answers UDP from the address the query was sent to (dig drops a reply
# from another source); IPv6 link-local listen addresses need their
# interface (fe80::1%lo); the metrics endpoint closes clients that trickle
# their request, so its slots come back.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki

# --- link-local addresses and their scope (ctstub -n) -----------------------
# conf_with NAME LISTEN-ARGS: a config listening there; its path in CONF.
conf_with() {
	CONF=$TMP/$1.conf
	printf '%s\n' "listen $2" "control $TMP/run/$1.sock" \
	    "upstream dot://127.0.0.1:$PORT_DEAD" "ca-file $PKI/root.pem" \
	    "ct-log-list $PKI/ct-logs.json" "user nobody" >"$CONF"
}
conf_with scoped "fe80::1%lo 53"
out=$("$CTSTUB" -n -v -f "$CONF" 2>&1)
expect_eq "fe80::1%lo: accepted" 0 "$?"
check "fe80::1%lo: -n -v prints it back with its interface" "$(oneline "$out")" \
    grep -qx 'listen fe80::1%lo 53' <<<"$out"
# expect_conf_error NAME LISTEN-ARGS TEXT: exit 2, "CONF:1: TEXT" on stderr.
expect_conf_error() {
	local err rc
	conf_with "$1" "$2"
	err=$("$CTSTUB" -n -f "$CONF" 2>&1 >/dev/null)
	rc=$?
	expect_eq "$1: exit status 2" 2 "$rc"
	check "$1: says '$3'" "stderr: $err" grep -qF -- "$CONF:1: $3" <<<"$err"
}
expect_conf_error no-scope "fe80::1 53" \
    "listen: link-local address 'fe80::1' needs its interface: fe80::1%IFNAME"
expect_conf_error no-such-interface "fe80::1%nosuchif0 53" \
    "listen: 'fe80::1%nosuchif0': no interface 'nosuchif0'"
expect_conf_error scope-on-ipv4 "127.0.0.1%lo 53" \
    "listen: '127.0.0.1%lo': an interface (%IFNAME) is only for IPv6"

# --- wildcard listeners -------------------------------------------------------
start_named good
GOOD="upstream dot://127.0.0.1:$(dot_port good)"
next_port
WILD=$PORT
V6=()
have_ipv6 && V6=("listen :: $WILD")
add_ctstub wild "$GOOD" "listen 0.0.0.0 $WILD" "${V6[@]}"
wait_port udp 0.0.0.0 "$WILD" "${CTSTUB_PIDS[wild]}" ||
    bail "$TEST_NAME: wildcard listener" "see $TMP/wild.log"

for ip in 127.0.0.2 127.0.0.1 127.0.0.3; do
	same_as_direct "listen 0.0.0.0: UDP asked at $ip" "$ip" "$WILD" \
	    www.example.test A
	same_as_direct "listen 0.0.0.0: TCP asked at $ip" "$ip" "$WILD" +tcp \
	    www.example.test A
done
if have_ipv6; then
	same_as_direct "listen ::: UDP asked at ::1" ::1 "$WILD" www.example.test AAAA
else
	skip "listen :: asked at ::1" "no ::1 on lo"
fi

# burst.py PORT IP: 100 queries at once from one unconnected socket to IP
# (answered in batches, from the cache after the first); prints how many
# answers came back and how many of them came from IP.
cat >"$TMP/burst.py" <<'EOF'
import socket, struct, sys
port, ip = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.settimeout(3)
for i in range(100):
    label = b"a%d" % (i % 50 + 1)
    name = bytes([len(label)]) + label + b"\x07example\x04test\x00"
    s.sendto(struct.pack("!HHHHHH", i, 0x0100, 1, 0, 0, 0) + name +
             struct.pack("!HH", 1, 1), (ip, port))
got = same = 0
try:
    while got < 100:
        m, peer = s.recvfrom(4096)
        got += 1
        same += peer[0] == ip
except socket.timeout:
    pass
print(got, same)
EOF
read -r got same < <("$PY" "$TMP/burst.py" "$WILD" 127.0.0.4)
expect_eq "listen 0.0.0.0: 100 queries at once to 127.0.0.4 answered" 100 "$got"
expect_eq "listen 0.0.0.0: ... every answer from 127.0.0.4" 100 "$same"

# --- metrics: a total deadline per request ------------------------------------
next_port
METRICS=$PORT
add_ctstub metrics "$GOOD" "metrics 127.0.0.1 $METRICS"
wait_port tcp 127.0.0.1 "$METRICS" "${CTSTUB_PIDS[metrics]}" ||
    bail "$TEST_NAME: metrics endpoint" "see $TMP/metrics.log"

# trickle.py PORT: 16 clients (every slot) send a request one byte per
# second; then a new client asks for /metrics until answered (deadline
# 15 s). Prints "answered-after-s S", then how many tricklers were closed.
cat >"$TMP/trickle.py" <<'EOF'
import select, socket, sys, time
port = int(sys.argv[1])
req = b"GET /metrics HTTP/1.0\r\n\r\n"
def conn():
    return socket.create_connection(("127.0.0.1", port), timeout=2)
def closed(socks):
    """How many of socks the server has closed (all looked at at once, so
    that none of them goes quiet for long)."""
    n = 0
    for s in socks:
        try:
            s.send(req[:1])
        except OSError:
            pass
    end = time.monotonic() + 3
    while socks and time.monotonic() < end:
        ready, _, _ = select.select(socks, [], [], 0.2)
        for s in ready:
            try:
                n += s.recv(1) == b""
            except OSError:
                n += 1
            socks.remove(s)
    return n
trick = [conn() for _ in range(16)]
t0 = time.monotonic()
answered = None
n = 0
while time.monotonic() - t0 < 15 and answered is None:
    for s in trick:
        try:
            s.send(req[n % 4:n % 4 + 1])	# never the blank line
        except OSError:
            pass
    n += 1
    try:
        c = conn()
        c.sendall(req)
        if b"".join(iter(lambda: c.recv(4096), b"")).startswith(
                b"HTTP/1.0 200 OK"):
            answered = time.monotonic() - t0
        c.close()
    except OSError:
        pass
    time.sleep(1)
print("answered-after-s", -1 if answered is None else round(answered, 1))
print("tricklers-closed", closed(list(trick)))
EOF
"$PY" "$TMP/trickle.py" "$METRICS" >"$TMP/trickle.out" 2>&1
after=$(awk '$1 == "answered-after-s" { print $2 }' "$TMP/trickle.out")
closed=$(awk '$1 == "tricklers-closed" { print $2 }' "$TMP/trickle.out")
echo "# metrics: answered after ${after:-?} s, $closed of 16 tricklers closed"
check "metrics: a new request answered while 16 clients trickle" \
    "$(oneline "$(cat "$TMP/trickle.out")")" \
    test "${after:--1}" != -1
check "metrics: every trickling client was closed" "$closed of 16" \
    test "${closed:-0}" -eq 16
check "metrics: the control socket still answers" "no 'metrics' reply" \
    grep -q ctstub_ <<<"$(control_cmd "$TMP/run/metrics.sock" metrics)"

stop_ctstub wild
stop_ctstub metrics
done_testing
