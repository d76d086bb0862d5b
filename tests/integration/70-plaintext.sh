#!/bin/bash
# SPDX-License-Identifier: ISC
# No plaintext, proven on the wire: tcpdump on lo captures every upstream
# port while ctstub meets every refused certificate (wrong IP, a name-only
# certificate dialled by IP, untrusted chain, one SCT, no SCT, a bad SCT
# signature, a pin mismatch) over DoT and DoH with TLS 1.3 (named) and
# over DoT with TLS 1.2 (tests/tools/dotserver.py), and while good
# upstreams answer. Then the capture must show: TLS records only, the query
# name nowhere, no application data from ctstub on a refused connection
# (record types for TLS 1.2; decrypted with the servers' key logs by
# tshark for TLS 1.3), nothing sent to port 53.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
command -v tcpdump >/dev/null || bail "$TEST_NAME: tcpdump installed" "missing"
mint_pki
load_pins

# The servers write their TLS secrets (NSS key log) for tshark: named
# through SSLKEYLOGFILE, dotserver.py through --keylog.
export SSLKEYLOGFILE=$TMP/keys-named.txt
REFUSED="wrong-ip name-only untrusted onesct nosct badsig pin"
leaf_of() { if [ "$1" = pin ]; then echo alt-issuer; else echo "$1"; fi; }
start_named good wrong-ip name-only untrusted onesct nosct badsig alt-issuer
unset SSLKEYLOGFILE

# TLS 1.2 DoT servers, one per leaf, from NAMED_PORT0+30: T12_PORTS[LEAF]
declare -A T12_PORTS
port=$((NAMED_PORT0 + 30))
for v in good $REFUSED; do
	leaf=$(leaf_of "$v")
	T12_PORTS[$v]=$port
	start_dotserver "tls12-$v" "$port" "$leaf" ok --tls12 \
	    --keylog "$TMP/keys-tls12-$v.txt"
	port=$((port + 1))
done

dot() { echo "upstream dot://127.0.0.1:$1"; }
doh() { echo "upstream https://127.0.0.1:$1/dns-query"; }
# One ctstub per refused variant, with its three upstreams (DoT TLS 1.3,
# DoH TLS 1.3, DoT TLS 1.2): a query tries all three, each is refused.
# One ctstub per good upstream.
for v in $REFUSED; do
	leaf=$(leaf_of "$v")
	opt=
	[ "$v" = pin ] && opt=" pin $PIN_INTER"
	add_ctstub "$v" "$(dot "$(dot_port "$leaf")")$opt" \
	    "$(doh "$(doh_port "$leaf")")$opt" "$(dot "${T12_PORTS[$v]}")$opt"
done
add_ctstub good-dot "$(dot "$(dot_port good)")"
add_ctstub good-doh "$(doh "$(doh_port good)")"
add_ctstub good-tls12 "$(dot "${T12_PORTS[good]}")"

# --- capture ----------------------------------------------------------------
UP_PORTS=()
for v in good $REFUSED; do
	leaf=$(leaf_of "$v")
	UP_PORTS+=("$(dot_port "$leaf")" "$(doh_port "$leaf")" "${T12_PORTS[$v]}")
done
filter="port 53"
for p in "${UP_PORTS[@]}"; do filter="$filter or port $p"; done
PCAP=$TMP/upstreams.pcap
# immediate mode and a big buffer: no packet may be lost; 8 KiB frames (a
# full 256 KiB snap length would leave the ring room for few packets)
start_bg "$TMP/tcpdump.log" tcpdump -i lo -n -U --immediate-mode \
    -B 65536 -s 8192 -w "$PCAP" "$filter"
TCPDUMP_PID=$PID
wait_log "$TMP/tcpdump.log" "listening on lo" ||
    bail "$TEST_NAME: tcpdump captures" "see $TMP/tcpdump.log"

CANARY=plaintext-canary-$RANDOM$RANDOM.example.test
CONTROL=plaintext-control-$RANDOM$RANDOM.example.test

# expect_refused V TEXT: ctstub V answers SERVFAIL over UDP and TCP, and
# logs "rejected: TEXT" for each of its three upstreams.
expect_refused() {
	local v=$1 text=$2 leaf out p
	leaf=$(leaf_of "$v")
	out=$(q 127.0.0.1 "${CT_PORTS[$v]}" "$CANARY" A)
	expect_eq "$v: status" SERVFAIL "$(status_of "$out")"
	check "$v: EDE has the reason" "EDE: [$(ede_of "$out")]" \
	    grep -qF -- "rejected: $text" <<<"$(ede_of "$out")"
	for p in "$(dot_port "$leaf")" "$(doh_port "$leaf")" "${T12_PORTS[$v]}"
	do
		check "$v: 127.0.0.1:$p refused: $text" "see $TMP/$v.log" \
		    wait_log "$TMP/$v.log" "upstream 127.0.0.1:$p rejected: $text"
	done
	# over TCP too (from the back-off or a new refusal: the resumption
	# guard is tested directly below)
	out=$(q 127.0.0.1 "${CT_PORTS[$v]}" +tcp "$CANARY" AAAA)
	expect_eq "$v: status over TCP" SERVFAIL "$(status_of "$out")"
}
expect_refused wrong-ip "certificate does not match IP 127.0.0.1"
expect_refused name-only "certificate does not match IP 127.0.0.1"
expect_refused untrusted "certificate chain not trusted"
expect_refused onesct "CT: 1 valid SCT from 1 operator"
expect_refused nosct "CT: no SCTs"
expect_refused badsig "CT: 1 valid SCT from 1 operator"
expect_refused pin \
    "no certificate in the verified chain matches a configured pin"
for g in good-dot good-doh good-tls12; do
	out=$(q 127.0.0.1 "${CT_PORTS[$g]}" "$CANARY" A)
	expect_eq "$g: the canary reached named (NXDOMAIN)" NXDOMAIN \
	    "$(status_of "$out")"
done
# The control: a plaintext query straight to named's DoT port, which the
# analysis must find (named only drops it).
dig @127.0.0.1 -p "$(dot_port good)" +tcp +tries=1 +time=1 "$CONTROL" A \
    >/dev/null 2>&1
# tcpdump writes each packet as it comes (-U): the control query, sent
# last, in the file means the capture is complete
check "tcpdump captured the control query" "see $TMP/tcpdump.log" \
    wait_for grep -qaF "${CONTROL%%.*}" "$PCAP"
stop_proc "$TCPDUMP_PID" INT
check "tcpdump wrote a capture" "see $TMP/tcpdump.log" test -s "$PCAP"

# --- analysis ---------------------------------------------------------------
# analyse.py PCAP TSHARK-FIELDS|- CANARY CONTROL PORTS...: prints one
# "KEY GOT WANT" line per check. PORTS are GROUP=P,P,...: up13-refused,
# up13-good (named, TLS 1.3), up12-refused, up12-good (dotserver, TLS 1.2),
# pin (the TLS 1.3 ports refused for their pin), control (the port the
# control query went to).
cat >"$TMP/analyse.py" <<'EOF'
import struct, sys
pcap, tsfile, canary, control = sys.argv[1:5]
groups = {}
for arg in sys.argv[5:]:
    k, _, v = arg.partition("=")
    groups[k] = {int(p) for p in v.split(",") if p}
upstream = set().union(*groups.values())
refused = groups["up13-refused"] | groups["up12-refused"]
# TLS 1.3 refusals during the handshake: the client never has keys to
# send anything encrypted, so no record of type 23 at all (a pin is
# checked after the handshake: the client's Finished is type 23 outside)
refused13_hs = groups["up13-refused"] - groups["pin"]

def wire(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split("."))

def needles(name):
    return (name.lower().encode(), wire(name.lower()))

def has(data, name):
    low = bytes(data).lower()
    return any(n in low for n in needles(name))

def frames(path):
    """(link type, packet, whole) for each packet of a pcap file."""
    data = open(path, "rb").read()
    magic = data[:4]
    e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    link = struct.unpack(e + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        incl, orig = struct.unpack(e + "II", data[off + 8:off + 16])
        yield link, data[off + 16:off + 16 + incl], incl == orig
        off += 16 + incl

def l3(link, pkt):
    if link == 1:			# Ethernet
        return pkt[14:]
    if link == 113:			# Linux cooked
        return pkt[16:]
    if link == 276:			# Linux cooked v2
        return pkt[20:]
    if link in (0, 108):		# BSD loopback
        return pkt[4:]
    return pkt				# raw IP

def transport(ip):
    """(proto, src, sport, dst, dport, seq, ack, flags, payload) or None."""
    if ip[0] >> 4 == 4:
        ihl = (ip[0] & 15) * 4
        proto, src, dst = ip[9], ip[12:16], ip[16:20]
        end = struct.unpack("!H", ip[2:4])[0]
        seg = ip[ihl:end]
    elif ip[0] >> 4 == 6:
        proto, src, dst = ip[6], ip[8:24], ip[24:40]
        seg = ip[40:40 + struct.unpack("!H", ip[4:6])[0]]
    else:
        return None
    if proto == 6:
        sport, dport, seq, ack = struct.unpack("!HHII", seg[:12])
        return ("tcp", src, sport, dst, dport, seq, ack, seg[13],
                seg[(seg[12] >> 4) * 4:])
    if proto == 17:
        sport, dport = struct.unpack("!HH", seg[:4])
        return ("udp", src, sport, dst, dport, 0, 0, 0, seg[8:])
    return None

def tls_records(buf):
    """[(type, length)], and whether every byte is part of a TLS record."""
    recs, off = [], 0
    while off + 5 <= len(buf):
        t, major, minor = buf[off], buf[off + 1], buf[off + 2]
        n = struct.unpack("!H", buf[off + 3:off + 5])[0]
        if t not in (20, 21, 22, 23) or major != 3 or minor > 4 or \
                n > 16384 + 2048:
            return recs, False
        recs.append((t, n))
        off += 5 + n
    return recs, off >= len(buf) or len(buf) - off < 5 and \
        buf[off] in (20, 21, 22, 23)

out = []
def result(key, got, want):
    out.append("%s %s %s" % (key, got, want))

streams = {}			# (client, cport, server, sport) -> segments
isn, fin, acked = {}, set(), {}
canary_hits = control_hits = port53 = cut = 0
for link, pkt, whole in frames(pcap):
    t = transport(l3(link, pkt))
    if t is None:
        continue
    proto, src, sport, dst, dport, seq, ack, flags, payload = t
    if has(payload, canary):
        canary_hits += 1
    control_hits += has(payload, control)
    if 53 in (sport, dport):
        port53 += 1
    if proto != "tcp":
        continue
    if sport in upstream and flags & 0x10:	# server -> client ACK
        key = (dst, dport, src, sport)
        acked.setdefault(key, []).append(ack)
        continue
    if dport not in upstream:
        continue
    key = (src, sport, dst, dport)
    cut += not whole
    if flags & 0x02:			# SYN
        isn[key] = seq + 1
    if flags & 0x01:			# FIN
        fin.add(key)
    if payload:
        streams.setdefault(key, []).append((seq, payload))

# reassembled client -> server byte streams, by sequence number; a stream
# is complete when its SYN is there, it has no hole, and the server
# acknowledged no byte that the capture lacks
data, incomplete = {}, 0
for key, segs in streams.items():
    base = isn.get(key)
    hole = base is None
    base = min(s for s, _ in segs) if hole else base
    buf = bytearray()
    for seq, payload in sorted(segs, key=lambda x: (x[0] - base) % 2**32):
        rel = (seq - base) % 2**32
        if rel > len(buf):
            hole = True
            buf += b"\0" * (rel - len(buf))
        buf[rel:rel + len(payload)] = payload
    most = max(((a - base) % 2**32 for a in acked.get(key, [base])),
               default=0)
    if hole or most > len(buf) + (key in fin):
        incomplete += 1
        print("incomplete: %r" % (key,), file=sys.stderr)
    data[key] = bytes(buf)

control_found = not_tls = stream_canary = 0
appdata12 = {"refused": 0, "good": 0}
type23_13 = 0
seen_hello = set()
for key, buf in data.items():
    port = key[3]
    recs, is_tls = tls_records(buf)
    if port in groups["control"] and has(buf, control):
        control_found += not is_tls
        continue
    if not is_tls:
        not_tls += 1
        print("not TLS: port %d: %r" % (port, buf[:40]), file=sys.stderr)
    stream_canary += has(buf, canary)
    if recs and recs[0][0] == 22:
        seen_hello.add(port)
    for t, n in recs:
        if t == 23 and port in groups["up12-refused"]:
            appdata12["refused"] += 1
        if t == 23 and port in groups["up12-good"]:
            appdata12["good"] += 1
        if t == 23 and port in refused13_hs:
            type23_13 += 1

result("client-packets-cut-short", cut, 0)
result("client-streams-incomplete", incomplete, 0)
result("capture-has-the-plaintext-control-query", control_found, 1)
result("client-streams-not-all-TLS-records", not_tls, 0)
result("packet-search-finds-the-control-name", int(control_hits > 0), 1)
result("packets-with-the-query-name", canary_hits, 0)
result("client-streams-with-the-query-name", stream_canary, 0)
result("refused-ports-with-a-TLS-connection", len(seen_hello & refused),
       len(refused))
result("TLS1.2-refused-client-application-data-records",
       appdata12["refused"], 0)
result("TLS1.3-refused-in-handshake-client-type-23-records", type23_13, 0)
result("TLS1.2-good-client-sent-application-data",
       int(appdata12["good"] > 0), 1)
result("packets-to-or-from-port-53", port53, 0)

if tsfile != "-":
    # tshark fields: frame|sport|dport|inner types|opaque types|lengths|qnames
    undecrypted = appdata13 = names13 = 0
    good = {}
    for line in open(tsfile):
        f = line.rstrip("\n").split("|")
        if len(f) < 7 or not f[2].isdigit():
            continue
        dport = int(f[2])
        types = [int(x) for x in f[3].split(",") if x]
        lengths = [x for x in f[5].split(",") if x]
        if dport in groups["up13-refused"]:
            undecrypted += len(lengths) - len(types)
            appdata13 += types.count(23)
            names13 += bool(f[6])
        if dport in groups["up13-good"] and 23 in types and canary in f[6]:
            good[dport] = 1
    result("TLS1.3-refused-client-records-not-decrypted", undecrypted, 0)
    result("TLS1.3-refused-client-application-data-records", appdata13, 0)
    result("TLS1.3-refused-client-DNS-messages", names13, 0)
    result("TLS1.3-good-connections-decrypted-with-the-query-name",
           len(good), len(groups["up13-good"]))
print("\n".join(out))
EOF
join() { local IFS=,; echo "$*"; }
R13=() R12=()
for v in $REFUSED; do
	leaf=$(leaf_of "$v")
	R13+=("$(dot_port "$leaf")" "$(doh_port "$leaf")")
	R12+=("${T12_PORTS[$v]}")
done
DOT13=("$(dot_port good)")
for v in $REFUSED; do DOT13+=("$(dot_port "$(leaf_of "$v")")"); done
TSHARK_OUT=-
if command -v tshark >/dev/null; then
	cat "$TMP"/keys-*.txt >"$TMP/keys.txt"
	dec=()
	for p in "${UP_PORTS[@]}"; do dec+=(-d "tcp.port==$p,tls"); done
	for p in "${DOT13[@]}" "${T12_PORTS[@]}"; do
		dec+=(-d "tls.port==$p,dns")	# DoT on other ports than 853
	done
	TSHARK_OUT=$TMP/tshark.txt
	tshark -r "$PCAP" -o "tls.keylog_file:$TMP/keys.txt" "${dec[@]}" \
	    -Y tls -T fields -E occurrence=a -E separator='|' \
	    -e frame.number -e tcp.srcport -e tcp.dstport \
	    -e tls.record.content_type -e tls.record.opaque_type \
	    -e tls.record.length -e dns.qry.name >"$TSHARK_OUT" \
	    2>"$TMP/tshark.err" || fail "tshark reads the capture" \
	    "see $TMP/tshark.err"
else
	skip "TLS 1.3: no application data on refused connections" \
	    "tshark not installed (it decrypts with the servers' key logs)"
fi
check "tcpdump dropped no packet" "see $TMP/tcpdump.log" \
    grep -q "^0 packets dropped by kernel" "$TMP/tcpdump.log"
while read -r key got want; do
	expect_eq "capture: $key" "$want" "$got"
done < <("$PY" "$TMP/analyse.py" "$PCAP" "$TSHARK_OUT" "$CANARY" "$CONTROL" \
    "up13-refused=$(join "${R13[@]}")" \
    "up13-good=$(dot_port good),$(doh_port good)" \
    "up12-refused=$(join "${R12[@]}")" "up12-good=${T12_PORTS[good]}" \
    "pin=$(dot_port alt-issuer),$(doh_port alt-issuer)" \
    "control=$(dot_port good)" 2>"$TMP/analyse.err" ||
    echo "analyse.py-exit-status $? 0")

# --- a refused TLS 1.2 session is never resumed -----------------------------
# TLS 1.2 hands the session over at the end of the handshake, before ctstub
# checks the pins; a session stored then would let the next connection
# resume and skip every check. resume-good (closes after each answer) shows
# that the server resumes sessions ctstub offers; resume-refused (a pin
# that does not match) must see full handshakes only: ctstub's reconnect
# probe after the back-off is refused again.
start_dotserver resume-good "$port" good close-after 1 --tls12
add_ctstub -v resume-good "$(dot "$port")" "cache-size 0"
RG_LOG=$TMP/dot-resume-good.log
same_as_direct "resume-good: first query" 127.0.0.1 "${CT_PORTS[resume-good]}" \
    www.example.test A
wait_log "$TMP/resume-good.log" "upstream 127.0.0.1:$port closed the connection"
same_as_direct "resume-good: query on a new connection" 127.0.0.1 \
    "${CT_PORTS[resume-good]}" www.example.test AAAA
check "resume-good: the second connection resumed the session" \
    "see $RG_LOG" grep -q "conn 2: open, TLSv1.2, resumed" "$RG_LOG"
port=$((port + 1))
start_dotserver resume-refused "$port" alt-issuer ok --tls12
add_ctstub -v resume-refused "$(dot "$port") pin $PIN_INTER"
RR_LOG=$TMP/dot-resume-refused.log
out=$(q 127.0.0.1 "${CT_PORTS[resume-refused]}" www.example.test A)
expect_eq "resume-refused: status" SERVFAIL "$(status_of "$out")"
check "resume-refused: a second connection (the probe)" "see $RR_LOG" \
    wait_log "$RR_LOG" "conn 2: open"
check "resume-refused: refused again" "see $TMP/resume-refused.log" \
    wait_log "$TMP/resume-refused.log" "upstream 127.0.0.1:$port rejected: \
no certificate in the verified chain matches a configured pin (again)"
expect_eq "resume-refused: no connection resumed the refused session" \
    "0 of $(grep -c ': open, ' "$RR_LOG")" \
    "$(grep -c ': open, .*resumed' "$RR_LOG") of $(grep -c ': open, ' "$RR_LOG")"
check "resume-refused: ctstub never accepted it" "see $TMP/resume-refused.log" \
    test "$(grep -c "upstream 127.0.0.1:$port: connected" \
    "$TMP/resume-refused.log")" -eq 0
out=$(q 127.0.0.1 "${CT_PORTS[resume-refused]}" www.example.test A)
expect_eq "resume-refused: still SERVFAIL" SERVFAIL "$(status_of "$out")"

for name in $(printf '%s\n' "${!CTSTUB_PIDS[@]}" | sort); do
	stop_ctstub "$name"
done
done_testing
