#!/bin/bash
# SPDX-License-Identifier: ISC
# DoH host names through the bootstrap servers, on the event loop: ctstub
# starts while its bootstrap server is down (SERVFAIL with a reason until
# the name resolves, then answers without a restart); a reload while the
# bootstrap server is down keeps the old addresses and succeeds; SIGHUPs
# sent during start-up (while the first lookup waits on a server that
# never answers) do not kill it. named on loopback serves DoH (the
# upstream) and, as a second instance, the bootstrap zone.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki
start_named good

HOST=dns.example.test			# A 127.0.0.1 in example.test.zone
BOOT_PORT=$((NAMED_PORT0 + 90))		# the bootstrap named
HOLE_PORT=$((NAMED_PORT0 + 91))		# takes queries, never answers
DOH="upstream https://$HOST:$(doh_port good)/dns-query"

# start_boot_named / stop_boot_named: a second named, plain DNS only, on
# BOOT_PORT, authoritative for example.test.
start_boot_named() {
	local dir=$TMP/boot
	mkdir -p "$dir"
	cat >"$dir/named.conf" <<-EOF
	options {
		directory "$dir";
		pid-file "$dir/named.pid";
		session-keyfile "$dir/session.key";
		managed-keys-directory "$dir";
		recursion no;
		dnssec-validation no;
		notify no;
		listen-on port $BOOT_PORT { 127.0.0.1; };
		listen-on-v6 { none; };
	};
	controls { };
	zone "example.test." { type primary;
		file "$ROOT/tests/named/example.test.zone"; };
	EOF
	start_bg "$dir/named.log" named -g -c "$dir/named.conf"
	BOOT_PID=$PID
	wait_port udp 127.0.0.1 "$BOOT_PORT" "$PID" ||
	    bail "$TEST_NAME: bootstrap named starts" "see $dir/named.log"
}
stop_boot_named() { stop_proc "$BOOT_PID"; }

# wait_status NAME WANT: until ctstub NAME answers www.example.test with
# rcode WANT (~40 s: the retries back off); sets GOT (dig's output).
wait_status() {
	local i
	for i in $(seq 80); do
		GOT=$(q 127.0.0.1 "${CT_PORTS[$1]}" www.example.test A)
		[ "$(status_of "$GOT")" = "$2" ] && return 0
		sleep 0.5
	done
	return 1
}

# --- start-up with the bootstrap server down ------------------------------
add_ctstub boot "$DOH" "bootstrap 127.0.0.1 $BOOT_PORT" "cache-size 0"
BOOT_CT=${CTSTUB_PIDS[boot]}
check "bootstrap down at start-up: ctstub starts and stays" \
    "see $TMP/boot.log" alive "$BOOT_CT"
GOT=$(q 127.0.0.1 "${CT_PORTS[boot]}" +tries=1 www.example.test A)
expect_eq "bootstrap down: SERVFAIL" SERVFAIL "$(status_of "$GOT")"
check "bootstrap down: the EDE says the name is not resolved" \
    "EDE: $(ede_of "$GOT")" grep -q "$HOST is not resolved yet" \
    <<<"$(ede_of "$GOT")"
check "bootstrap down: the log says it cannot resolve $HOST" \
    "see $TMP/boot.log" wait_log "$TMP/boot.log" "cannot resolve $HOST"

start_boot_named
check "bootstrap up: answers NOERROR without a restart" \
    "last: $(oneline "$GOT")" wait_status boot NOERROR
expect_eq "bootstrap up: the answer" "www.example.test. IN A 192.0.2.10" \
    "$(answer_of "$GOT" | tr -s ' ')"
check "bootstrap up: the same process" "see $TMP/boot.log" alive "$BOOT_CT"
check "bootstrap up: the log has the address" "see $TMP/boot.log" \
    grep -q "bootstrap: $HOST has 2 address(es), first 127.0.0.1" \
    "$TMP/boot.log"

# --- reload with the bootstrap server down -------------------------------
stop_boot_named
"$CTSTUB" reload -s "$TMP/run/boot.sock" >"$TMP/reload.out" 2>&1
expect_eq "reload, bootstrap down: exit status 0" 0 "$?"
check "reload, bootstrap down: reloaded" "$(cat "$TMP/reload.out")" \
    grep -q "reloaded" "$TMP/reload.out"
check "reload, bootstrap down: the old address is kept (log)" \
    "see $TMP/boot.log" wait_log "$TMP/boot.log" \
    "cannot resolve $HOST again"
check "reload, bootstrap down: still answers NOERROR" \
    "last: $(oneline "$GOT")" wait_status boot NOERROR
check "reload, bootstrap down: the same process" "see $TMP/boot.log" \
    alive "$BOOT_CT"
stop_ctstub boot

# --- SIGHUP during start-up ------------------------------------------------
# A bootstrap "server" that reads queries and never answers: start-up
# waits the whole timeout for it, and the signals land in that wait.
"$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    s.recv(4096)
    with open(sys.argv[2], "a") as f:
        f.write("query\n")
' "$HOLE_PORT" "$TMP/hole.queries" >"$TMP/hole.log" 2>&1 &
PIDS="$PIDS $!"
DOT="upstream dot://127.0.0.1:$(dot_port good)"
for round in 1 2 3; do
	rm -f "$TMP/hole.queries"
	next_port
	CT_PORTS[hup$round]=$PORT
	conf=$TMP/hup$round.conf
	printf '%s\n' "listen 127.0.0.1 $PORT" "control off" \
	    "local-zone test. forward" "$DOT" "$DOH" \
	    "bootstrap 127.0.0.1 $HOLE_PORT" "ca-file $PKI/root.pem" \
	    "ct-log-list $PKI/ct-logs.json" "timeout 3000" >"$conf"
	[ "$(id -u)" -ne 0 ] || echo "user nobody" >>"$conf"
	start_bg "$TMP/hup$round.log" "$CTSTUB" -d -f "$conf"
	pid=$PID
	# until the first lookup is out: ctstub is in its start-up
	for i in $(seq 100); do
		[ -s "$TMP/hole.queries" ] && break
		sleep 0.05
	done
	check "round $round: start-up reached the lookup" \
	    "no query at the bootstrap server" test -s "$TMP/hole.queries"
	for i in 1 2 3 4 5; do
		kill -HUP "$pid" 2>/dev/null
		sleep 0.1
	done
	check "round $round: SIGHUPs during start-up: still running" \
	    "see $TMP/hup$round.log" alive "$pid"
	wait_port udp 127.0.0.1 "$PORT" "$pid"
	GOT=$(q 127.0.0.1 "$PORT" www.example.test A)
	expect_eq "round $round: then serves (DoT upstream)" NOERROR \
	    "$(status_of "$GOT")"
	check "round $round: the SIGHUPs reloaded" "see $TMP/hup$round.log" \
	    grep -q "SIGHUP: reloading" "$TMP/hup$round.log"
	stop_proc "$pid" TERM
	expect_eq "round $round: SIGTERM, exit status 0" 0 "$STATUS"
done
done_testing
