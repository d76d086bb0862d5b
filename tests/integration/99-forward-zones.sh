#!/bin/bash
# SPDX-License-Identifier: ISC
# Per-domain forwarding (issue 13): forward-zone NAME UPSTREAM... sends a
# zone to upstreams of its own while every other name still goes over DoT.
#   - plain DNS (dns://) to a second and a third named: answers, TCP after
#     a truncated UDP answer, failover among the zone's own upstreams only
#     (a zone whose upstreams are all dead never reaches the public one);
#   - the longest suffix wins (corp.example. against dev.corp.example.);
#   - a DoT zone upstream with a private CA and no SCTs is accepted with
#     the zone's ca-file and `ct off`, refused without `ct off`, and the
#     same certificate is refused as a public upstream in the same daemon;
#   - the plaintext zones are logged once, and status shows them and
#     `ct off`; a reload changes the zones; -n -v prints them back;
#   - glibc (getent, resolv.conf in a private mount namespace) and dnsmasq
#     in front of ctstub resolve localhost and printer.lan through it.
# Everything runs in a network namespace of its own, so ctstub can listen
# on 127.0.0.1:53, the only port glibc's resolv.conf can name.
OWN_NETNS=1
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki

# A private CA's leaf without SCTs (a company resolver): issued by the
# untrusted intermediate, IP SAN 127.0.0.1.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$PKI/corp.key" -subj "/CN=corp resolver" \
    -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null |
    openssl x509 -req -CA "$PKI/untrusted-inter.pem" \
    -CAkey "$PKI/untrusted-inter.key" -days 30 -copy_extensions copy \
    -out "$PKI/corp.leaf" 2>/dev/null ||
    bail "corp leaf" "openssl could not mint it"
cat "$PKI/corp.leaf" "$PKI/untrusted-inter.pem" >"$PKI/corp.pem"

NAMED_EXTRA_CONF="logging { category queries { default_stderr; }; };"
start_named good
NAMED_LOG=$TMP/named/named.log
P2=$((NAMED_PORT0 + 40))	# named2: plain, and DoT with the corp leaf
P2_DOT=$((NAMED_PORT0 + 41))
P3=$((NAMED_PORT0 + 42))	# named3: dev.corp.example.
PD=$((NAMED_PORT0 + 43))	# dnsmasq

BIG=$(for i in $(seq 8); do printf '"%0200d" ' "$i"; done)
zone_file corp.example "www IN A 10.0.0.1" "www.dev IN A 10.0.0.99"
zone_file dev.corp.example "www IN A 10.0.0.2"
zone_file lan "printer IN A 192.168.1.50" "big IN TXT $BIG"
zone_file 168.192.in-addr.arpa "50.1 IN PTR printer.lan."
zone_file vpn.example "www IN A 10.8.0.1"

plain_named named2 "$P2" "$P2_DOT" corp.example lan 168.192.in-addr.arpa \
    vpn.example
plain_named named3 "$P3" "" dev.corp.example
LOG2=$TMP/named2/named.log
LOG3=$TMP/named3/named.log

# ans DIG-OUTPUT: answer_of with single spaces.
ans() { answer_of "$1" | awk '{ $1 = $1; print }'; }

GOOD="upstream dot://127.0.0.1:$(dot_port good)"
ZONES=("$GOOD"
    "forward-zone lan. dns://127.0.0.1:$PORT_DEAD dns://127.0.0.1:$P2"
    "forward-zone 168.192.in-addr.arpa. dns://127.0.0.1:$P2"
    "forward-zone Corp.Example dns://127.0.0.1:$P2"
    "forward-zone dev.corp.example. dns://127.0.0.1:$P3"
    "forward-zone dead.example. dns://127.0.0.1:$PORT_DEAD"
    "forward-zone vpn.example. dot://127.0.0.1:$P2_DOT ca-file $PKI/untrusted-root.pem ct off")
start_ctstub -p 53 fz "${ZONES[@]}"
P=53

# Plain DNS to the zone's server; other names over DoT.
OUT=$(q 127.0.0.1 $P printer.lan A)
expect_eq "printer.lan: named2's answer" "printer.lan. IN A 192.168.1.50" \
    "$(ans "$OUT")"
OUT=$(q 127.0.0.1 $P -x 192.168.1.50)
expect_eq "192.168.1.50 PTR: named2's (not the local NXDOMAIN)" \
    "50.1.168.192.in-addr.arpa. IN PTR printer.lan." "$(ans "$OUT")"
same_as_direct "www.example.test over DoT" 127.0.0.1 $P www.example.test A
check "named2 saw printer.lan" "see $LOG2" \
    wait_log "$LOG2" "query: printer.lan IN A "
check "the public named never saw printer.lan" "see $NAMED_LOG" \
    sh -c "! grep -qF 'printer.lan' '$NAMED_LOG'"
check "named2 never saw www.example.test" "see $LOG2" \
    sh -c "! grep -qF 'www.example.test' '$LOG2'"

# Failover inside the zone: its first upstream is dead.
JSON=$("$CTSTUB" status --json -f "$TMP/fz.conf")
zone_js() {
	"$PY" -c "import json,sys
d = json.load(sys.stdin)
z = {z['name']: z for z in d['forward_zones']}
print($1)" <<<"$JSON"
}
check "lan.: the dead first upstream failed" "$(zone_js "z['lan.']")" \
    test "$(zone_js "z['lan.']['upstreams'][0]['counters']['failures']")" -ge 1
check "lan.: the second one answered" "$(zone_js "z['lan.']")" \
    test "$(zone_js "z['lan.']['upstreams'][1]['counters']['answers']")" -ge 1
# A zone whose upstreams are all dead: SERVFAIL, never the public upstream.
OUT=$(q 127.0.0.1 $P www.dead.example A)
expect_eq "dead.example.: SERVFAIL" SERVFAIL "$(status_of "$OUT")"
check "dead.example.: the public named never saw it" "see $NAMED_LOG" \
    sh -c "! grep -qF 'dead.example' '$NAMED_LOG'"

# Longest suffix wins.
OUT=$(q 127.0.0.1 $P www.corp.example A)
expect_eq "www.corp.example: corp.example. (named2)" \
    "www.corp.example. IN A 10.0.0.1" "$(ans "$OUT")"
OUT=$(q 127.0.0.1 $P www.dev.corp.example A)
expect_eq "www.dev.corp.example: dev.corp.example. wins (named3)" \
    "www.dev.corp.example. IN A 10.0.0.2" "$(ans "$OUT")"
check "named3 saw www.dev.corp.example" "see $LOG3" \
    grep -qF "query: www.dev.corp.example IN A " "$LOG3"

# A truncated UDP answer is asked again over TCP.
OUT=$(q 127.0.0.1 $P +tcp big.lan TXT)
expect_eq "big.lan TXT: NOERROR" NOERROR "$(status_of "$OUT")"
check "big.lan TXT: the whole record" "got: $OUT" \
    grep -qF "00000008" <<<"$OUT"
check "named2 was asked big.lan over UDP and over TCP" "see $LOG2" \
    wait_for sh -c "grep -F 'query: big.lan IN TXT' '$LOG2' | grep -q 'T (' &&
        grep -F 'query: big.lan IN TXT' '$LOG2' | grep -qv 'T ('"

# The private-CA DoT zone with ct off.
OUT=$(q 127.0.0.1 $P www.vpn.example A)
expect_eq "vpn.example. over DoT, private CA, ct off" \
    "www.vpn.example. IN A 10.8.0.1" "$(ans "$OUT")"
# The same certificate as a public upstream, in one daemon with the zone:
# refused by CT (the zone's ct off is the zone's alone).
start_ctstub mixed "ca-file $PKI/untrusted-root.pem" \
    "upstream dot://127.0.0.1:$P2_DOT" \
    "forward-zone vpn.example. dot://127.0.0.1:$P2_DOT ca-file $PKI/untrusted-root.pem ct off"
OUT=$(q 127.0.0.1 "${CT_PORTS[mixed]}" www.vpn.example A)
expect_eq "mixed: the zone accepts it" "www.vpn.example. IN A 10.8.0.1" \
    "$(ans "$OUT")"
servfail_with "mixed: the public upstream refuses it" \
    "${CT_PORTS[mixed]}" "$TMP/mixed.log" "CT: no SCTs"
# Without ct off the zone refuses it too.
start_ctstub zonect "$GOOD" \
    "forward-zone vpn.example. dot://127.0.0.1:$P2_DOT ca-file $PKI/untrusted-root.pem"
OUT=$(dig @127.0.0.1 -p "${CT_PORTS[zonect]}" +tries=1 +time=6 www.vpn.example A)
expect_eq "zone without ct off: SERVFAIL" SERVFAIL "$(status_of "$OUT")"
check "zone without ct off: refused for CT" "see $TMP/zonect.log" \
    wait_log "$TMP/zonect.log" "rejected: CT: no SCTs"
# ... and without its ca-file, by the chain.
start_ctstub zoneca "$GOOD" \
    "forward-zone vpn.example. dot://127.0.0.1:$P2_DOT ct off"
q 127.0.0.1 "${CT_PORTS[zoneca]}" www.vpn.example A >/dev/null
check "zone without its ca-file: refused by the chain" "see $TMP/zoneca.log" \
    wait_log "$TMP/zoneca.log" "upstream 127.0.0.1:$P2_DOT rejected: "

# Plaintext zones: one log line at start-up, and status says so.
expect_eq "plaintext zones logged once" 1 \
    "$(log_count "$TMP/fz.log" "forward zones in plain DNS")"
check "the line names them" "see $TMP/fz.log" grep -qF \
    "lan., 168.192.in-addr.arpa., corp.example., dev.corp.example., dead.example." \
    "$TMP/fz.log"
JSON=$("$CTSTUB" status --json -f "$TMP/fz.conf")
expect_eq "status: lan. plaintext" True "$(zone_js "z['lan.']['plaintext']")"
expect_eq "status: vpn.example. not plaintext, ct off" "False off" \
    "$(zone_js "z['vpn.example.']['plaintext'], z['vpn.example.']['ct']")"
expect_eq "status: lan. upstream transport" plain \
    "$(zone_js "z['lan.']['upstreams'][1]['transport']")"
check "status: lan. counted its queries" "$(zone_js "z['lan.']")" \
    test "$(zone_js "z['lan.']['queries']")" -ge 2
TEXT=$("$CTSTUB" status -f "$TMP/fz.conf")
check "status text: lan. in plaintext" "got: $TEXT" \
    grep -qF "forward-zone lan. (PLAINTEXT DNS):" <<<"$TEXT"
check "status text: vpn.example. ct off" "got: $TEXT" \
    grep -qF "forward-zone vpn.example. (ct off):" <<<"$TEXT"

# The metrics: each zone with plaintext and ct labels, its upstreams.
OUT=$(q 127.0.0.1 $P hidden.onion A)
expect_eq "beside forward zones, .onion is still local" NXDOMAIN \
    "$(status_of "$OUT")"
METRICS=$(control_cmd "$TMP/run/fz.sock" metrics)
metric() { awk -v k="$1" '$1 == k { print $2 }' <<<"$METRICS"; }
check "metrics: lan. queries, plaintext" "got: $(grep zone_queries <<<"$METRICS")" \
    test "$(metric 'ctstub_zone_queries_total{zone="lan.",plaintext="yes",ct="on"}')" -ge 2
check "metrics: vpn.example. ct off" "got: $(grep zone_queries <<<"$METRICS")" \
    test "$(metric 'ctstub_zone_queries_total{zone="vpn.example.",plaintext="no",ct="off"}')" -ge 1
check "metrics: lan.'s second upstream answered" "got: $(grep zone_upstream_answers <<<"$METRICS")" \
    test "$(metric "ctstub_zone_upstream_answers_total{zone=\"lan.\",upstream=\"127.0.0.1:$P2\"}")" -ge 1
check "metrics: lan.'s dead upstream failed" "got: $(grep zone_upstream_failures <<<"$METRICS")" \
    test "$(metric "ctstub_zone_upstream_failures_total{zone=\"lan.\",upstream=\"127.0.0.1:$PORT_DEAD\"}")" -ge 1
check "metrics: local answers counted" "got: $(grep local_answers <<<"$METRICS")" \
    test "$(metric ctstub_local_answers_total)" -ge 1

# -n -v prints the zones back in a form that parses to the same.
"$CTSTUB" -n -v -f "$TMP/fz.conf" 2>/dev/null | grep -v 'configuration OK$' \
    >"$TMP/printed.conf"
check "-n -v: forward-zone lan. printed" "see $TMP/printed.conf" grep -qxF \
    "forward-zone lan. dns://127.0.0.1:$PORT_DEAD dns://127.0.0.1:$P2" \
    "$TMP/printed.conf"
check "-n -v: vpn.example. with ca-file and ct off" "see $TMP/printed.conf" \
    grep -qxF "forward-zone vpn.example. dot://127.0.0.1:$P2_DOT ca-file $PKI/untrusted-root.pem ct off" \
    "$TMP/printed.conf"
"$CTSTUB" -n -v -f "$TMP/printed.conf" 2>/dev/null |
    grep -v 'configuration OK$' >"$TMP/printed2.conf"
check "-n -v: printed again, the same" "diff $TMP/printed.conf $TMP/printed2.conf" \
    cmp -s "$TMP/printed.conf" "$TMP/printed2.conf"

# Bad lines: file:line and a reason.
conf_error() {
	local label=$1 want=$2
	shift 2
	printf '%s\n' "upstream dot://127.0.0.1" "$@" >"$TMP/bad.conf"
	OUT=$("$CTSTUB" -n -f "$TMP/bad.conf" 2>&1)
	check "config: $label" "got: $OUT" grep -qF "$TMP/bad.conf:2: $want" \
	    <<<"$OUT"
}
conf_error "plain DNS as a public upstream" \
    "upstream: plain DNS (dns://) is only for forward-zone lines" \
    "upstream dns://127.0.0.1"
conf_error "no forward-zone for the root" "forward-zone: '.' is not a domain name" \
    "forward-zone . dns://127.0.0.1"
conf_error "a pin on dns://" "forward-zone x.: 'pin' is for dot:// and https://" \
    "forward-zone x. dns://127.0.0.1 pin sha256/AAAA"
conf_error "an option before the URL" "forward-zone x.: 'ct' before any upstream" \
    "forward-zone x. ct off dot://127.0.0.1"
conf_error "ct off on plain DNS only" "forward-zone x.: ca-file and ct are for" \
    "forward-zone x. dns://127.0.0.1 ct off"

# glibc through ctstub: resolv.conf and nsswitch.conf of a private mount
# namespace (hosts from DNS only, so /etc/hosts cannot answer localhost).
if unshare -m true 2>/dev/null; then
	printf 'nameserver 127.0.0.1\noptions attempts:1 timeout:5\n' \
	    >"$TMP/resolv.conf"
	printf 'hosts: dns\n' >"$TMP/nsswitch.conf"
	cat >"$TMP/getent.sh" <<SHEOF
mount --bind "$TMP/resolv.conf" /etc/resolv.conf
mount --bind "$TMP/nsswitch.conf" /etc/nsswitch.conf
getent hosts localhost
getent hosts printer.lan
SHEOF
	OUT=$(unshare -m sh "$TMP/getent.sh" 2>&1)
	check "getent: localhost is ::1 through ctstub" "got: $OUT" \
	    grep -qE "^::1 +localhost\$" <<<"$OUT"
	check "getent: printer.lan through the lan. zone" "got: $OUT" \
	    grep -qE "^192\.168\.1\.50 +printer\.lan" <<<"$OUT"
	check "getent: ctstub answered localhost itself" "see $TMP/fz.log" \
	    sh -c "! grep -qF localhost '$NAMED_LOG' '$LOG2'"
else
	skip "getent through ctstub" "needs root and unshare -m"
fi

# dnsmasq in front of ctstub.
if command -v dnsmasq >/dev/null; then
	start_bg "$TMP/dnsmasq.log" dnsmasq -k --no-resolv --no-hosts \
	    --server=127.0.0.1#53 --listen-address=127.0.0.1 --port="$PD" \
	    --bind-interfaces --pid-file="$TMP/dnsmasq.pid" -u root
	wait_port udp 127.0.0.1 "$PD" "$PID" ||
	    fail "dnsmasq starts" "see $TMP/dnsmasq.log"
	OUT=$(q 127.0.0.1 "$PD" printer.lan A)
	expect_eq "dnsmasq -> ctstub: printer.lan" \
	    "printer.lan. IN A 192.168.1.50" "$(ans "$OUT")"
	OUT=$(q 127.0.0.1 "$PD" www.example.test A)
	expect_eq "dnsmasq -> ctstub: www.example.test" \
	    "www.example.test. IN A 192.0.2.10" "$(ans "$OUT")"
	OUT=$(q 127.0.0.1 "$PD" hidden.onion A)
	expect_eq "dnsmasq -> ctstub: .onion NXDOMAIN" NXDOMAIN \
	    "$(status_of "$OUT")"
else
	skip "dnsmasq in front" "dnsmasq not installed (dnsmasq-base)"
fi

# A reload changes the zones: corp.example. goes, its names go to the
# public upstream (named there is not authoritative: REFUSED), and
# dev.corp.example. becomes a locally served name (a later line wins), also
# for names whose answers were cached: the cache starts empty when the
# zones change.
grep -v "forward-zone Corp.Example" "$TMP/fz.conf" >"$TMP/fz.new"
echo "local-zone dev.corp.example. nxdomain" >>"$TMP/fz.new"
cat "$TMP/fz.new" >"$TMP/fz.conf"
kill -HUP "${CTSTUB_PIDS[fz]}"
check "reload logged" "see $TMP/fz.log" wait_log "$TMP/fz.log" "reloaded "
check "reload: the cache starts empty" "see $TMP/fz.log" grep -qF \
    "reload: local-zone or forward-zone lines changed; the cache starts empty" \
    "$TMP/fz.log"
OUT=$(q 127.0.0.1 $P www.corp.example A)
expect_eq "after reload: www.corp.example REFUSED by the public named" \
    REFUSED "$(status_of "$OUT")"
check "after reload: the public named saw it" "see $NAMED_LOG" \
    wait_log "$NAMED_LOG" "query: www.corp.example IN A "
OUT=$(q 127.0.0.1 $P +authority www.dev.corp.example A)
expect_eq "after reload: dev.corp.example. served locally" NXDOMAIN \
    "$(status_of "$OUT")"
check "after reload: dev.corp.example.'s SOA" "got: $OUT" grep -qE \
    "^dev\.corp\.example\..*SOA" <<<"$OUT"
OUT=$(q 127.0.0.1 $P printer.lan A)
expect_eq "after reload: lan. still named2's" \
    "printer.lan. IN A 192.168.1.50" "$(ans "$OUT")"

for name in fz mixed zonect zoneca; do stop_ctstub "$name"; done
done_testing
