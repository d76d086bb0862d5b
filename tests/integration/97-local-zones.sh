#!/bin/bash
# SPDX-License-Identifier: ISC
# Locally served names (issue 13): every built-in special-use name and
# private or special reverse zone is answered by ctstub itself, with the
# right rcode and a SOA in the authority section, localhost with
# 127.0.0.1 and ::1, over a DoT and a DoH configuration; named's query log
# shows that none of them reached the upstream, while ordinary names and
# the neighbours of each reverse range did. `local-zone X forward` sends X
# on, `local-zone X nxdomain` adds X; the client's id, case and EDNS are
# echoed as in every other answer.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki

# named logs its queries; it also serves 10.in-addr.arpa. for the
# local-zone ... forward check.
mkdir -p "$TMP/zones"
cat >"$TMP/zones/10.zone" <<'ZEOF'
$TTL 300
@	IN SOA	ns.example.test. hostmaster.example.test. 1 3600 600 86400 300
	IN NS	ns.example.test.
3.2.1	IN PTR	ten.example.test.
ZEOF
NAMED_EXTRA_CONF="logging { category queries { default_stderr; }; };
zone \"10.in-addr.arpa.\" { type primary; file \"$TMP/zones/10.zone\"; };"
start_named good
NAMED_LOG=$TMP/named/named.log
# ans DIG-OUTPUT: answer_of with single spaces.
ans() { answer_of "$1" | awk '{ $1 = $1; print }'; }
no_opt() { ! grep -q "OPT PSEUDOSECTION" <<<"$1"; }

# The built-in zones (names as in a SOA owner) with a name under each.
ZONES=(invalid. test. onion. local. home.arpa. use-application-dns.net.
    10.in-addr.arpa. 16.172.in-addr.arpa. 31.172.in-addr.arpa.
    168.192.in-addr.arpa. 64.100.in-addr.arpa. 127.100.in-addr.arpa.
    127.in-addr.arpa. 254.169.in-addr.arpa. 0.in-addr.arpa.
    2.0.192.in-addr.arpa. 100.51.198.in-addr.arpa. 113.0.203.in-addr.arpa.
    255.255.255.255.in-addr.arpa.
    "$(printf '0.%.0s' $(seq 32))ip6.arpa."
    "1.$(printf '0.%.0s' $(seq 31))ip6.arpa."
    8.e.f.ip6.arpa. 9.e.f.ip6.arpa. a.e.f.ip6.arpa. b.e.f.ip6.arpa.
    c.f.ip6.arpa. d.f.ip6.arpa. 8.b.d.0.1.0.0.2.ip6.arpa.)
# Just outside the reverse ranges: these go upstream.
OUTSIDE=(15.172.in-addr.arpa. 32.172.in-addr.arpa. 63.100.in-addr.arpa.
    128.100.in-addr.arpa. 169.192.in-addr.arpa. 3.0.192.in-addr.arpa.
    7.e.f.ip6.arpa. c.e.f.ip6.arpa. e.f.ip6.arpa. 9.b.d.0.1.0.0.2.ip6.arpa.)

# A configuration of its own for the defaults as shipped (the test
# configurations of lib.sh forward test.).
next_port
DEF_PORT=$PORT
{
	echo "listen 127.0.0.1 $DEF_PORT"
	echo "control off"
	echo "upstream dot://127.0.0.1:$(dot_port good)"
	echo "ca-file $PKI/root.pem"
	echo "ct-log-list $PKI/ct-logs.json"
	[ "$(id -u)" -ne 0 ] || echo "user nobody"
} >"$TMP/defaults.conf"
start_bg "$TMP/defaults.log" "$CTSTUB" -d -f "$TMP/defaults.conf"
CTSTUB_PIDS[defaults]=$PID
wait_port udp 127.0.0.1 "$DEF_PORT" "$PID" ||
    bail "ctstub defaults starts" "see $TMP/defaults.log"
CT_PORTS[defaults]=$DEF_PORT
start_ctstub dot "upstream dot://127.0.0.1:$(dot_port good)"
start_ctstub doh "upstream https://127.0.0.1:$(doh_port good)/dns-query"

# local_nx LABEL PORT NAME ZONE [DIG-ARGS]: NXDOMAIN, aa, no answer, and
# ZONE's SOA (RFC 6303 values) as the only authority record.
local_nx() {
	local label=$1 port=$2 name=$3 zone=$4 out
	shift 4
	out=$(q 127.0.0.1 "$port" +authority "$@" "$name" PTR)
	expect_eq "$label: $name NXDOMAIN" NXDOMAIN "$(status_of "$out")"
	expect_eq "$label: $name SOA of $zone" \
	    "$zone 10800 IN SOA $zone nobody.invalid. 1 3600 1200 604800 10800" \
	    "$(grep -v '^;' <<<"$out" | awk 'NF { $1 = $1; print }')"
	check "$label: $name authoritative" "flags: $(flags_of "$out")" \
	    grep -qw aa <<<"$(flags_of "$out")"
}

for z in "${ZONES[@]}"; do
	local_nx defaults "$DEF_PORT" "probe.$z" "$z"
done
for name in dot doh; do
	for z in "${ZONES[@]}"; do
		[ "$z" = test. ] && continue	# forwarded for the tests
		local_nx "$name" "${CT_PORTS[$name]}" "probe-$name.$z" "$z"
	done
done
# The same over TCP, and without EDNS.
local_nx "dot TCP" "${CT_PORTS[dot]}" tcp.onion. onion. +tcp
local_nx "dot no EDNS" "${CT_PORTS[dot]}" noedns.home.arpa. home.arpa. \
    +noedns

# At a zone's own name: its SOA, or no data with the SOA.
OUT=$(q 127.0.0.1 "$DEF_PORT" home.arpa SOA)
expect_eq "apex SOA: NOERROR" NOERROR "$(status_of "$OUT")"
expect_eq "apex SOA: the SOA" \
    "home.arpa. IN SOA home.arpa. nobody.invalid. 1 3600 1200 604800 10800" \
    "$(ans "$OUT")"
OUT=$(q 127.0.0.1 "$DEF_PORT" +authority -x ::1)
expect_eq "::1 PTR (the zone's own name): NOERROR" NOERROR \
    "$(status_of "$OUT")"
check "::1 PTR: no data, the SOA in authority" "got: $OUT" \
    grep -q "IN SOA" <<<"$OUT"

# localhost.
for port in "$DEF_PORT" "${CT_PORTS[dot]}" "${CT_PORTS[doh]}"; do
	OUT=$(q 127.0.0.1 "$port" localhost A)
	expect_eq "localhost A on $port" "localhost. IN A 127.0.0.1" \
	    "$(ans "$OUT")"
	OUT=$(q 127.0.0.1 "$port" localhost AAAA)
	expect_eq "localhost AAAA on $port" "localhost. IN AAAA ::1" \
	    "$(ans "$OUT")"
done
OUT=$(q 127.0.0.1 "$DEF_PORT" +tcp printer.LocalHost. A)
expect_eq "printer.localhost A over TCP, the client's case" \
    "printer.LocalHost. IN A 127.0.0.1" "$(ans "$OUT")"
OUT=$(q 127.0.0.1 "$DEF_PORT" +authority localhost MX)
expect_eq "localhost MX: NOERROR" NOERROR "$(status_of "$OUT")"
expect_eq "localhost MX: no data, localhost's SOA" \
    "localhost. IN SOA localhost. nobody.invalid. 1 3600 1200 604800 10800" \
    "$(ans "$OUT")"
# EDNS echoed (our OPT with max-udp-size), none without it.
OUT=$(dig @127.0.0.1 -p "$DEF_PORT" +tries=1 +time=6 localhost A)
check "localhost: EDNS client gets an OPT" "got: $OUT" \
    grep -q "EDNS: version: 0, flags:; udp: 1232" <<<"$OUT"
OUT=$(dig @127.0.0.1 -p "$DEF_PORT" +tries=1 +time=6 +noedns localhost A)
check "localhost: no OPT without EDNS" "got: $OUT" \
    no_opt "$OUT"
# Our answers carry the client's id: a raw query with id 0x4242.
OUT=$("$PY" - "$DEF_PORT" <<'PYEOF'
import socket, struct, sys
q = struct.pack('>HHHHHH', 0x4242, 0x0100, 1, 0, 0, 0)
q += b'\x01x\x05ONION\x00' + struct.pack('>HH', 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(6)
s.sendto(q, ('127.0.0.1', int(sys.argv[1])))
r = s.recv(4096)
print('%04x %d %s' % (struct.unpack('>H', r[:2])[0], r[3] & 15,
    r[12:21] == b'\x01x\x05ONION\x00'))
PYEOF
)
expect_eq "raw query: id, NXDOMAIN, the question as sent" "4242 3 True" "$OUT"

# An ordinary name goes upstream (the query log works), and the names just
# outside the reverse ranges too.
same_as_direct "www.example.test through dot" 127.0.0.1 "${CT_PORTS[dot]}" \
    www.example.test A
check "named saw www.example.test" "see $NAMED_LOG" \
    wait_for grep -qF "query: www.example.test IN A " "$NAMED_LOG"
for z in "${OUTSIDE[@]}"; do
	q 127.0.0.1 "${CT_PORTS[dot]}" "out.$z" PTR >/dev/null
done
for z in "${OUTSIDE[@]}"; do
	check "named saw out.$z (outside the local ranges)" "not in its log" \
	    wait_for grep -qiF "query: out.${z%.} IN PTR " "$NAMED_LOG"
done
# ... and none of the local names, over DoT or DoH.
LEAKED=$(grep -ciE "query: (probe|probe-dot|probe-doh|tcp|noedns)\.|query: [a-z.]*localhost|query: [a-z.]*home\.arpa|onion IN" \
    "$NAMED_LOG")
expect_eq "named's query log: no locally served name reached it" 0 "$LEAKED"

# local-zone X forward sends X on; local-zone Y nxdomain adds Y.
start_ctstub zoned "upstream dot://127.0.0.1:$(dot_port good)" \
    "local-zone 10.in-addr.arpa. forward" \
    "local-zone corp.example. nxdomain"
OUT=$(q 127.0.0.1 "${CT_PORTS[zoned]}" -x 10.1.2.3)
expect_eq "local-zone 10.in-addr.arpa. forward: named's PTR" \
    "3.2.1.10.in-addr.arpa. IN PTR ten.example.test." "$(ans "$OUT")"
check "named saw 3.2.1.10.in-addr.arpa" "see $NAMED_LOG" \
    wait_log "$NAMED_LOG" "query: 3.2.1.10.in-addr.arpa IN PTR"
local_nx "local-zone corp.example. nxdomain" "${CT_PORTS[zoned]}" \
    www.corp.example. corp.example.
local_nx "zoned: other defaults stay" "${CT_PORTS[zoned]}" \
    4.3.168.192.in-addr.arpa. 168.192.in-addr.arpa.

# The printed configuration parses back with the same zones.
"$CTSTUB" -n -v -f "$TMP/zoned.conf" >"$TMP/zoned.printed" 2>&1
check "-n -v prints local-zone lines" "see $TMP/zoned.printed" \
    grep -qx "local-zone corp.example. nxdomain" "$TMP/zoned.printed"
OUT=$("$CTSTUB" -n -f /dev/stdin 2>&1 <<<"local-zone . nxdomain
local-zone example.com drop
upstream dot://127.0.0.1")
check "local-zone .: refused with file:line" "got: $OUT" \
    grep -qF "/dev/stdin:1: local-zone: '.' is not a domain name" <<<"$OUT"
check "local-zone NAME drop: refused" "got: $OUT" \
    grep -qF "/dev/stdin:2: local-zone: expected NAME nxdomain or NAME forward, got 'drop'" <<<"$OUT"

for name in defaults dot doh zoned; do stop_ctstub "$name"; done
done_testing
