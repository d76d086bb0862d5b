#!/bin/bash
# SPDX-License-Identifier: ISC
# Hostile DoH answers and TLS session handling, on loopback:
# - h2server.py answering 200 with an empty body, a body over 65,535 bytes,
#   or an answer to another question: ctstub stays up, the client gets
#   SERVFAIL with the reason in an EDE, and the log names the problem;
# - two DoT upstreams (dotserver.py, which logs "resumed"): the second
#   connection to each resumes that upstream's own session, and after a
#   SIGHUP reload the next connection to each does a full handshake;
# - a query that arrives while a resumed session's handshake is in
#   progress (dotserver.py --handshake-delay) waits for it and is answered.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
"$PY" -c 'import h2' 2>/dev/null ||
    bail "$TEST_NAME: python3-h2 installed" "h2server.py needs it"
mint_pki
start_named

# --- hostile DoH answers ----------------------------------------------------
# Each fault server has one ctstub of its own (debug log: the reason of a
# failed stream is logged at debug level, a bad answer at warning level).
declare -A H2_PORTS
h2port=$((NAMED_PORT0 + 60))
for m in empty huge wrong-question; do
	start_fault_server h2 h2server.py "$m" "$h2port" good "$m"
	H2_PORTS[$m]=$h2port
	h2port=$((h2port + 1))
	start_ctstub -v "$m" \
	    "upstream https://127.0.0.1:${H2_PORTS[$m]}/dns-query" \
	    "cache-size 0"
done

# hostile MODE TEXT: the ctstub of MODE answers SERVFAIL, EDE 22 carrying
# TEXT, logs TEXT, and is still running and answering afterwards.
hostile() {
	local m=$1 text=$2 port=${CT_PORTS[$1]} out
	servfail_with "$m" "$port" "$TMP/$m.log" "$text"
	out=$(q 127.0.0.1 "$port" +tcp mail.example.test A)
	expect_eq "$m: a second query (TCP) also SERVFAIL" SERVFAIL \
	    "$(status_of "$out")"
	check "$m: ctstub still running" "it exited, see $TMP/$m.log" \
	    alive "${CTSTUB_PIDS[$m]}"
}
label() { echo "127.0.0.1:${H2_PORTS[$1]}"; }
hostile empty "upstream $(label empty) sent a bad answer: response\
 shorter than a DNS header"
check "empty: the server sent an empty body" "see $TMP/h2-empty.log" \
    wait_log "$TMP/h2-empty.log" ": empty body"
# ctstub resets an oversized stream itself (data_cb): the reason must
# say the answer was too big, not that the upstream reset the stream.
hostile huge "upstream $(label huge) sent an answer over 65535 bytes"
check "huge: the server sent (or began) a 70,000-byte body" \
    "see $TMP/h2-huge.log" wait_for grep -qE \
    "stream 1: (sent 70000 bytes|reset by the client after)" \
    "$TMP/h2-huge.log"
hostile wrong-question "upstream $(label wrong-question) sent a bad answer:\
 response question does not match the query"
check "wrong-question: the server answered for another name" \
    "see $TMP/h2-wrong-question.log" \
    wait_log "$TMP/h2-wrong-question.log" "answered for another name"
for m in empty huge wrong-question; do
	stop_ctstub "$m"
done

# --- TLS sessions per upstream, dropped on reload ---------------------------
# Two DoT servers, each closing its connection after every answer, so
# every query opens a new connection; round-robin alternates between them
# (A, B, A, B): with one session slot shared by both, A's second
# connection would offer B's session (another server: not resumable).
DOT_A=$((NAMED_PORT0 + 40))
DOT_B=$((NAMED_PORT0 + 41))
start_dotserver a "$DOT_A" good close-after 1
start_dotserver b "$DOT_B" good close-after 1
start_ctstub -v sess "upstream dot://127.0.0.1:$DOT_A" \
    "upstream dot://127.0.0.1:$DOT_B" "upstream-strategy round-robin" \
    "cache-size 0"

# ask LABEL CTSTUB NAME: NAME A through CTSTUB is answered NOERROR.
ask() {
	local out
	out=$(q 127.0.0.1 "${CT_PORTS[$2]}" "$3" A)
	expect_eq "$1: $3 answered" NOERROR "$(status_of "$out")"
}
opens() { log_count "$TMP/dot-$1.log" ": open, "; }
# first_open_after SERVER N: the first "open" line after the first N.
first_open_after() {
	grep -F ": open, " "$TMP/dot-$1.log" | sed -n "$(($2 + 1))p"
}

# Queries until both servers saw two connections (four in the usual
# order; at most eight, if a connection closing meanwhile put one off).
i=0
while [ "$(opens a)" -lt 2 ] || [ "$(opens b)" -lt 2 ]; do
	i=$((i + 1))
	[ "$i" -le 8 ] || break
	ask "sessions" sess "a$i.example.test"
done
for s in a b; do
	check "sessions: upstream $s saw two connections" \
	    "$(opens "$s") connections, see $TMP/dot-$s.log" \
	    test "$(opens "$s")" -ge 2
	line=$(first_open_after "$s" 0)
	check "sessions: first connection to $s is a full handshake" \
	    "[$line]" test -n "$line" -a "${line%, resumed}" = "$line"
	line=$(first_open_after "$s" 1)
	check "sessions: second connection to $s resumed its own session" \
	    "[$line]" grep -q ", resumed\$" <<<"$line"
done

# Reload: the next connection to each upstream is a full handshake.
before_a=$(opens a)
before_b=$(opens b)
kill -HUP "${CTSTUB_PIDS[sess]}"
check "reload: logged" "see $TMP/sess.log" \
    wait_log "$TMP/sess.log" "SIGHUP: reloading"
i=0
while [ "$(opens a)" -le "$before_a" ] || [ "$(opens b)" -le "$before_b" ]
do
	i=$((i + 1))
	[ "$i" -le 6 ] || break
	ask "after reload" sess "a2$i.example.test"
done
for s in a b; do
	before=before_$s
	line=$(first_open_after "$s" "${!before}")
	check "after reload: next connection to $s is a full handshake" \
	    "[$line], see $TMP/dot-$s.log" \
	    test -n "$line" -a "${line%, resumed}" = "$line"
done
stop_ctstub sess

# --- a query waits for a resumed session's handshake ------------------------
# Every handshake starts 2 s after the TCP accept (within the handshake
# timeout, half of "timeout 8000"); the server closes
# after two answers. Two queries open the first connection (full
# handshake); the next query opens a second one, which resumes; a query
# sent while that handshake is held must wait for it and be answered on
# that connection, not fail.
DOT_W=$((NAMED_PORT0 + 42))
start_dotserver w "$DOT_W" good close-after 2 --handshake-delay 2000
start_ctstub -v wait "upstream dot://127.0.0.1:$DOT_W" "cache-size 0" \
    "timeout 8000"
ask "handshake wait" wait a31.example.test
ask "handshake wait" wait a32.example.test
check "handshake wait: first connection closed after two answers" \
    "see $TMP/dot-w.log" wait_log "$TMP/dot-w.log" "closing after 2 answers"
q 127.0.0.1 "${CT_PORTS[wait]}" a33.example.test A >"$TMP/a33.out" &
W3=$!
check "handshake wait: second connection accepted" "see $TMP/dot-w.log" \
    wait_log "$TMP/dot-w.log" "conn 2: accepted, handshake in"
# still held: conn 2 not open yet when a34 is sent
pending=$(grep -c "conn 2: open" "$TMP/dot-w.log")
out=$(q 127.0.0.1 "${CT_PORTS[wait]}" a34.example.test A)
wait "$W3"
expect_eq "handshake wait: a34 sent while the handshake was held" 0 "$pending"
expect_eq "handshake wait: a33 answered (opened the connection)" NOERROR \
    "$(status_of "$(cat "$TMP/a33.out")")"
expect_eq "handshake wait: a34 answered (waited for the handshake)" NOERROR \
    "$(status_of "$out")"
# in ctstub's own order of events: a34 reached it before the handshake
# of the connection that answered it was done
sent=$(grep -n "a34.example.test type 1 from UDP: sent upstream" \
    "$TMP/wait.log" | head -n 1 | cut -d: -f1)
done_at=$(grep -n "upstream 127.0.0.1:$DOT_W: connected, .*, resumed" \
    "$TMP/wait.log" | head -n 1 | cut -d: -f1)
check "handshake wait: ctstub got a34 before the resumed handshake ended" \
    "lines ${sent:-none} and ${done_at:-none} of $TMP/wait.log" \
    test "${sent:-0}" -gt 0 -a "${done_at:-0}" -gt "${sent:-0}"
check "handshake wait: the second connection resumed" "see $TMP/dot-w.log" \
    grep -q "conn 2: open, .*, resumed\$" "$TMP/dot-w.log"
check "handshake wait: a34 was asked on the resumed connection" \
    "see $TMP/dot-w.log" grep -q "conn 2: query id [0-9]* a34.example.test" \
    "$TMP/dot-w.log"
stop_ctstub wait

stop_proc "$NAMED_PID"
done_testing
