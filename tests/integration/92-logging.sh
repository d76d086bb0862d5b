#!/bin/bash
# SPDX-License-Identifier: ISC
# Logging: syslog (daemon facility) when ctstub daemonises, stderr with -d;
# one line per state change; per-query lines only at debug level (-v).
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki
start_named good

P=$CTSTUB_PORT0
GOOD="upstream dot://127.0.0.1:$(dot_port good)"

# stderr with -d: state changes, and no line per query without -v.
start_ctstub quiet "$P" "upstream dot://127.0.0.1:$PORT_DEAD" "$GOOD"
for i in 1 2 3 4 5; do q 127.0.0.1 "$P" "a$i.example.test" A >/dev/null; done
check "-d: start-up logged to stderr" "see $TMP/quiet.log" \
    grep -q "ctstub info: ctstub started with 2 upstream(s)" "$TMP/quiet.log"
# Landlock where the kernel has it (with the ABI version the kernel gives),
# else why not.
abi=$(landlock_abi)
want="sandbox: Landlock not available ("
[ "$abi" -ge 1 ] &&
    want="sandbox: Landlock ABI $abi: no file-system writes from now on"
check "-d: the sandbox's outcome logged ($want)" "see $TMP/quiet.log" \
    grep -qF "$want" "$TMP/quiet.log"
check "-d: no line per query without -v" "see $TMP/quiet.log" \
    test "$(grep -c 'query [0-9]*:' "$TMP/quiet.log")" -eq 0
expect_eq "-d: one line for the dead upstream, not one per query" 1 \
    "$(grep -c "upstream 127.0.0.1:$PORT_DEAD failed" "$TMP/quiet.log")"
stop_ctstub quiet

start_ctstub_flags -v verbose $((P + 1)) "$GOOD"
q 127.0.0.1 $((P + 1)) a1.example.test A >/dev/null
check "-v: a debug line per query" "see $TMP/verbose.log" \
    wait_log "$TMP/verbose.log" "a1.example.test type 1 from UDP: sent upstream"
stop_ctstub verbose

# Without -d: a daemon logging to syslog. We stand in for the syslog
# daemon on /dev/log in a private mount namespace (unshare -m) with a /dev
# of its own, so the host's /dev/log is neither needed, used nor created.
if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
	skip "syslog when daemonised" "needs root and unshare -m"
	done_testing
fi
HOST_DEVLOG=$(ls -l /dev/log 2>&1)
{
	echo "listen 127.0.0.1 $((P + 2))"
	echo "control $TMP/run/daemon.sock"
	echo "local-zone test. forward"
	echo "$GOOD"
	echo "ca-file $PKI/root.pem"
	echo "ct-log-list $PKI/ct-logs.json"
	echo "user nobody"
} >"$TMP/daemon.conf"
cat >"$TMP/syslog.py" <<'PYEOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('/dev/log')
os.chmod('/dev/log', 0o666)
open(sys.argv[2], 'w').close()		# ready
s.settimeout(60)
with open(sys.argv[1], 'w') as out:
    try:
        while True:
            m = s.recv(4096).decode(errors='replace')
            out.write(m + '\n'); out.flush()
            if m.endswith(': stopped'):
                break
    except socket.timeout:
        pass
PYEOF
# namespace.sh TMP PY CTSTUB, in the namespace: a /dev of its own (tmpfs,
# with the host's null, zero, full, random and urandom), the syslog
# stand-in, then ctstub without -d (its exit status in daemon.rc); ends when
# the stand-in saw ctstub stop.
cat >"$TMP/namespace.sh" <<'SHEOF'
set -e
T=$1 PY=$2 CTSTUB=$3
mkdir -p "$T/hostdev"
mount --rbind /dev "$T/hostdev"
mount -t tmpfs -o mode=755 tmpfs /dev
for d in null zero full random urandom; do
	touch "/dev/$d"
	mount --bind "$T/hostdev/$d" "/dev/$d"
done
"$PY" "$T/syslog.py" "$T/syslog.txt" "$T/syslog.ready" &
for _ in $(seq 200); do [ -e "$T/syslog.ready" ] && break; sleep 0.1; done
set +e
"$CTSTUB" -f "$T/daemon.conf" >"$T/daemon.out" 2>&1
echo $? >"$T/daemon.rc"
wait
SHEOF
start_bg "$TMP/namespace.log" unshare -m bash "$TMP/namespace.sh" "$TMP" \
    "$PY" "$CTSTUB"
NS_PID=$PID
check "daemon: the starting process exits" "see $TMP/namespace.log" \
    wait_for test -s "$TMP/daemon.rc"
expect_eq "daemon: the starting process exits 0" 0 \
    "$(cat "$TMP/daemon.rc" 2>&1)"
expect_eq "daemon: nothing on stdout or stderr" "" "$(cat "$TMP/daemon.out")"
wait_port udp 127.0.0.1 $((P + 2)) "" || fail "daemon: listening"
q 127.0.0.1 $((P + 2)) www.example.test A >/dev/null
DPID=$("$CTSTUB" status -s "$TMP/run/daemon.sock" --json |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
kill -TERM "$DPID"
check "daemon: SIGTERM ends it" "still running" \
    wait_for test ! -d "/proc/$DPID"
check "syslog: the stand-in saw it stop" "see $TMP/namespace.log" \
    wait_for dead_ "$NS_PID"
stop_proc "$NS_PID"
# <30> is facility daemon (3 * 8) + info (6)
check "syslog: start-up line, daemon facility, with the pid" \
    "see $TMP/syslog.txt" grep -qE "^<30>.*ctstub\[$DPID\]: ctstub started with 1 upstream" "$TMP/syslog.txt"
check "syslog: shutdown line" "see $TMP/syslog.txt" \
    grep -qE "ctstub\[$DPID\]: stopped" "$TMP/syslog.txt"
check "syslog: no line per query" "see $TMP/syslog.txt" \
    test "$(grep -c 'query [0-9]*:' "$TMP/syslog.txt")" -eq 0
expect_eq "the host's /dev/log is untouched" "$HOST_DEVLOG" \
    "$(ls -l /dev/log 2>&1)"
done_testing
