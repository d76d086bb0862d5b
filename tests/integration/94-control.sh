#!/bin/bash
# SPDX-License-Identifier: ISC
# The control socket's limits (docs/security.md): one line of at most
# 4 KiB per connection (a longer one is closed at once, unanswered), and a
# client that sends nothing for 5 s is closed; the metrics endpoint closes
# idle clients the same way. Clients in these states never stop the
# socket from answering others.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki
start_named good

next_port
METRICS_PORT=$PORT
add_ctstub ctl "upstream dot://127.0.0.1:$(dot_port good)" \
    "metrics 127.0.0.1 $METRICS_PORT"
SOCK=$(awk '$1 == "control" { p = $2 } END { print p }' "$TMP/ctl.conf")
[ -S "$SOCK" ] || bail "$TEST_NAME: control socket" "no socket at '$SOCK'"

# All clients at once, each timed from its connect to the daemon's close.
# One line per client: NAME SECONDS-TO-CLOSE REPLY-START (or "-"), where
# SECONDS is "open" when it was still open at the end (20 s); a JSON
# reply is shown as ok=BOOL MESSAGE.
"$PY" - "$SOCK" "$METRICS_PORT" >"$TMP/clients.txt" 2>"$TMP/clients.err" <<'PYEOF'
import json, select, socket, sys, time

sock_path, metrics_port = sys.argv[1], int(sys.argv[2])
clients = {}

def unix():
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock_path)
    return s

def start(name, s, data=b""):
    s.setblocking(True)
    if data:
        try:
            s.sendall(data)
        except OSError:
            pass	# closed while we wrote: the close is what we time
    s.setblocking(False)
    clients[name] = {"s": s, "t0": time.monotonic(), "got": b"",
                     "closed": None}

t_start = time.monotonic()
start("idle", unix())
start("partial", unix(), b"stat")
start("over4k", unix(), b"x" * 5000)
start("line64k", unix(), b"x" * 65536 + b"\n")
start("under4k", unix(), b"x" * 4000)
start("metrics-idle",
      socket.create_connection(("127.0.0.1", metrics_port)))
newline_sent = False
while time.monotonic() - t_start < 20:
    # under4k: after 1 s, still open, the line is ended: it gets a reply
    if not newline_sent and time.monotonic() - t_start >= 1:
        c = clients["under4k"]
        c["open_at_1s"] = c["closed"] is None
        c["s"].setblocking(True)
        c["s"].sendall(b"\n")
        c["s"].setblocking(False)
        newline_sent = True
    live = [c for c in clients.values() if c["closed"] is None]
    if not live:
        break
    ready, _, _ = select.select([c["s"] for c in live], [], [], 0.05)
    for c in live:
        if c["s"] not in ready:
            continue
        try:
            data = c["s"].recv(65536)
        except ConnectionResetError:
            data = b""
        if data:
            c["got"] += data
        else:
            c["closed"] = time.monotonic() - c["t0"]
for name, c in clients.items():
    t = "open" if c["closed"] is None else "%.2f" % c["closed"]
    try:	# a JSON reply as "ok=BOOL MESSAGE"
        d = json.loads(c["got"])
        reply = "ok=%s %s" % (d["ok"], d["message"])
    except ValueError:
        reply = c["got"][:60].decode("ascii", "replace").replace("\n", " ")
    extra = ""
    if "open_at_1s" in c:
        extra = " open-at-1s" if c["open_at_1s"] else " closed-by-1s"
    print(name, t, (reply or "-") + extra)
PYEOF
cat "$TMP/clients.err" >&2
# client NAME: its line: NAME SECONDS REPLY...
client() { awk -v n="$1" '$1 == n' "$TMP/clients.txt"; }
secs() { client "$1" | awk '{ print $2 }'; }
reply() { client "$1" | cut -d' ' -f3-; }
# closed_between NAME MIN MAX: closed after MIN s and before MAX s.
closed_between() {
	local t
	t=$(secs "$1")
	[ -n "$t" ] && [ "$t" != open ] &&
	    awk -v t="$t" -v lo="$2" -v hi="$3" 'BEGIN { exit !(t >= lo && t < hi) }'
}

UNKNOWN="ok=False unknown command (status, metrics, reload, loglist-update-failed REASON, query, flush, reset, portal)"
# The daemon's idle timer is 5 s: not before (4.9 allows for clock
# rounding), and not much after (7.5 s: room for a busy machine, not for
# a 7 or 8 s timer).
check "idle client: closed after 5 s" "closed after $(secs idle) s" \
    closed_between idle 4.9 7.5
expect_eq "idle client: no reply" "-" "$(reply idle)"
check "client with a partial line: closed after 5 s" \
    "closed after $(secs partial) s" closed_between partial 4.9 7.5
expect_eq "client with a partial line: no reply" "-" "$(reply partial)"
check "5,000 bytes without a newline: closed at once" \
    "closed after $(secs over4k) s" closed_between over4k 0 3
expect_eq "5,000 bytes without a newline: no reply" "-" "$(reply over4k)"
check "a 64 KiB line: closed at once" "closed after $(secs line64k) s" \
    closed_between line64k 0 3
expect_eq "a 64 KiB line: no reply" "-" "$(reply line64k)"
expect_eq "4,000 bytes, then the newline a second later: kept, answered" \
    "$UNKNOWN open-at-1s" "$(reply under4k)"
check "4,000-byte line: closed once answered" "closed after $(secs under4k) s" \
    closed_between under4k 1 4.9
check "idle metrics client: closed after 5 s" \
    "closed after $(secs metrics-idle) s" closed_between metrics-idle 4.9 7.5
expect_eq "idle metrics client: no reply" "-" "$(reply metrics-idle)"

# Through all of it the daemon lives and the socket answers.
check "still running" "exited" alive "${CTSTUB_PIDS[ctl]}"
R=$(control_cmd "$SOCK" status)
expect_eq "the control socket answers status" \
    "127.0.0.1:$(dot_port good)" \
    "$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["upstreams"][0]["address"])' <<<"$R")"
stop_ctstub ctl
done_testing
