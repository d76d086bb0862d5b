#!/bin/bash
# SPDX-License-Identifier: ISC
# DNS wire behaviour with real clients (dig, kdig, tests/tools/dnswire.py)
# through ctstub in front of named: each client's own question case and
# RD/CD bits (from the upstream and from the cache), HTTPS (65) not mixed
# up with TYPE97, EDNS version 1 gets BADVERS, UDP answers sized by
# max-udp-size, 256-octet names refused, and a refusal reason of 12
# unknown-log SCTs (over 300 characters) answered with a cut EDE instead
# of a crash.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki
NAMED_EXTRA_CONF="zone \"wire.test.\" { type primary;
    file \"$ROOT/tests/named/wire.test.zone\"; };"
start_named good

# A TLS-extension leaf whose SCT list holds 12 SCTs from unknown logs: the
# chain and IP checks pass, CT refuses with a reason of ~370 characters.
cp "$PKI/tlsext.pem" "$PKI/manyscts.pem"
cp "$PKI/tlsext.key" "$PKI/manyscts.key"
"$PY" - "$PKI/manyscts.sctl" <<'EOF'
import os, struct, sys
scts = b""
for i in range(12):
    sig = b"\x30\x44" + os.urandom(68)    # never checked: the log is unknown
    sct = (b"\x00" + os.urandom(32) + struct.pack("!QH", 1700000000000, 0) +
           b"\x04\x03" + struct.pack("!H", len(sig)) + sig)
    scts += struct.pack("!H", len(sct)) + sct
open(sys.argv[1], "wb").write(struct.pack("!H", len(scts)) + scts)
EOF
start_haproxy manyscts

GOOD="upstream dot://127.0.0.1:$(dot_port good)"
add_ctstub main "$GOOD"
add_ctstub small "$GOOD" "max-udp-size 1000"
add_ctstub large "$GOOD" "max-udp-size 4096"
add_ctstub refused "upstream dot://127.0.0.1:$(hap_port manyscts)"
P=${CT_PORTS[main]}
WIRE=$ROOT/tests/tools/dnswire.py

# question_of DIG-OUTPUT: the question line's name as received.
# lacks FLAG FLAGS: FLAG is not among dig's FLAGS.
lacks() { ! grep -qw "$1" <<<"$2"; }
question_of() { sed -n 's/^;\([^ 	;]*\)[ 	].*IN.*/\1/p' <<<"$1" | head -n 1; }
dq() { q 127.0.0.1 "$P" +question "$@"; }

# The client's case: upstream answer, then the cache with another case.
out=$(dq WwW.WiRe.TeSt A)
expect_eq "case: upstream answer echoes the question" WwW.WiRe.TeSt. \
    "$(question_of "$out")"
out=$(dq wWW.wIRE.tEST A)
expect_eq "case: cached answer echoes this client's question" \
    wWW.wIRE.tEST. "$(question_of "$out")"
check "case: cached answer is an answer" "$out" \
    grep -q '192\.0\.2\.1$' <<<"$out"
# kdig prints names lower-cased, dig as received; the bytes themselves:
out=$("$PY" "$WIRE" ask --server "127.0.0.1:$P" --name wWw.WIRE.teST --type A)
check "case: cached answer has this client's question bytes" "$out" \
    grep -q '^rcode=NOERROR tc=0 qecho=1 answers=1' <<<"$out"

# RD and CD: the client's own, from the cache too.
q 127.0.0.1 "$P" alias.wire.test A >/dev/null	# RD=1 answer cached
out=$(q 127.0.0.1 "$P" +nordflag alias.wire.test A)
check "RD=0 question: no rd flag in the answer" "$(flags_of "$out")" \
    lacks rd "$(flags_of "$out")"
expect_eq "RD=0 question: still answered" NOERROR "$(status_of "$out")"
out=$(q 127.0.0.1 "$P" alias.wire.test A)
check "RD=1 question: rd flag" "$(flags_of "$out")" \
    grep -qw rd <<<"$(flags_of "$out")"
q 127.0.0.1 "$P" +cdflag www.wire.test AAAA >/dev/null
out=$(q 127.0.0.1 "$P" +cdflag www.wire.test AAAA)
check "CD=1 question (cached): cd flag" "$(flags_of "$out")" \
    grep -qw cd <<<"$(flags_of "$out")"
out=$(q 127.0.0.1 "$P" www.wire.test AAAA)
check "CD=0 question: no cd flag" "$(flags_of "$out")" \
    lacks cd "$(flags_of "$out")"
out=$(q 127.0.0.1 "$P" +adflag +noedns www.wire.test A)
check "AD: a client without DO gets what named says (no AD here)" \
    "$(flags_of "$out")" lacks ad "$(flags_of "$out")"

# HTTPS (65) and TYPE97 differ in one bit of the type's low byte ('A'/'a').
out=$(q 127.0.0.1 "$P" svc.wire.test HTTPS)
check "HTTPS: the HTTPS record" "$out" grep -q 'HTTPS.*alpn="h2"' <<<"$out"
out=$(q 127.0.0.1 "$P" svc.wire.test TYPE97)
check "TYPE97 after HTTPS: the TYPE97 record" "$out" \
    grep -q 'TYPE97.*\\# 4 01020304' <<<"$out"
q 127.0.0.1 "$P" spf.wire.test SPF >/dev/null
out=$(q 127.0.0.1 "$P" spf.wire.test TYPE67)
# BIND 9.18 names type 67 HHIT
check "TYPE67 after SPF (99): the TYPE67 record" "$out" \
    grep -qE '[[:space:]](TYPE67|HHIT)[[:space:]]' <<<"$out"

# EDNS version 1: BADVERS (RFC 6891), with an OPT of version 0.
out=$(q 127.0.0.1 "$P" +edns=1 +noednsneg www.wire.test A)
expect_eq "EDNS version 1: BADVERS" BADVERS "$(status_of "$out")"
check "BADVERS carries our OPT, version 0" "$out" \
    grep -q '^; EDNS: version: 0' <<<"$out"
out=$(kdig @127.0.0.1 -p "$P" +retry=0 +timeout=6 +edns=1 www.wire.test A 2>&1)
check "kdig +edns=1: BADVERS" "$out" grep -q 'status: BADVERS' <<<"$out"

# UDP size: min(client's EDNS size, max-udp-size); 512 without EDNS.
udp_flags() { flags_of "$(q 127.0.0.1 "${CT_PORTS[$1]}" +ignore "${@:2}")"; }
has_tc() { grep -qw tc <<<"$(udp_flags "$@")"; }
check "1100-byte answer, max-udp-size 1232, client 4096: whole" "no TC" \
    lacks tc "$(udp_flags main +bufsize=4096 large.wire.test TXT)"
check "1100-byte answer, max-udp-size 1000, client 4096: TC" "no TC" \
    has_tc small +bufsize=4096 large.wire.test TXT
check "2000-byte answer, max-udp-size 1232, client 4096: TC" "no TC" \
    has_tc main +bufsize=4096 huge.wire.test TXT
check "2000-byte answer, max-udp-size 4096, client 4096: whole" "TC" \
    lacks tc "$(udp_flags large +bufsize=4096 huge.wire.test TXT)"
check "2000-byte answer, max-udp-size 4096, client 1232: TC" "no TC" \
    has_tc large +bufsize=1232 huge.wire.test TXT
check "750-byte answer without EDNS: TC" "no TC" \
    has_tc large +noedns mid.wire.test TXT
out=$(q 127.0.0.1 "${CT_PORTS[small]}" +bufsize=4096 www.wire.test A)
check "our OPT advertises max-udp-size" "$out" \
    grep -q '^; EDNS: version: 0, flags:.*udp: 1000$' <<<"$out"
out=$(q 127.0.0.1 "${CT_PORTS[small]}" +tcp large.wire.test TXT)
check "the TC'd answer whole over TCP" "$out" grep -q 'tail-xxx' <<<"$out"

# Names: 255 octets is the limit (RFC 1035 2.3.4).
out=$("$PY" "$WIRE" ask --server "127.0.0.1:$P" --name-octets 256)
check "256-octet name: FORMERR" "$out" grep -q '^rcode=FORMERR' <<<"$out"
out=$("$PY" "$WIRE" ask --server "127.0.0.1:$P" --name-octets 255)
check "255-octet name: forwarded (named refuses it: not its zone)" "$out" \
    grep -q '^rcode=REFUSED .*qecho=1' <<<"$out"

# A long refusal reason (12 unknown-log SCTs) with EDNS: a cut EDE, no crash.
R=${CT_PORTS[refused]}
out=$(q 127.0.0.1 "$R" +bufsize=1232 www.wire.test A)
expect_eq "12 unknown SCTs: SERVFAIL" SERVFAIL "$(status_of "$out")"
ede=$(ede_of "$out")
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
check "12 unknown SCTs: EDE with the reason, cut to 300 characters" \
    "EDE length ${#ede}: $ede" between "${#ede}" 250 300
check "12 unknown SCTs: the EDE is the reason's start" "$ede" \
    grep -q "^upstream 127.0.0.1:$(hap_port manyscts) rejected: CT: 0 valid" \
    <<<"$ede"
reason=$(reason_of "$(cat "$TMP/refused.log")")
check "12 unknown SCTs: the logged reason is over 299 characters" \
    "length ${#reason}" [ "${#reason}" -ge 299 ]
long=$(printf 'a%.0s' $(seq 62))
long=$long.$long.$long.wire.test
out=$(q 127.0.0.1 "$R" +bufsize=512 +stats "$long" A)
expect_eq "12 unknown SCTs, EDNS 512, long name: SERVFAIL" SERVFAIL \
    "$(status_of "$out")"
size=$(sed -n 's/^;; MSG SIZE  rcvd: \([0-9]*\)$/\1/p' <<<"$out")
check "12 unknown SCTs, EDNS 512, long name: answer within 512 bytes" \
    "size [$size]" between "${size:-0}" 300 512
check "ctstub refused: still running" "see $TMP/refused.log" \
    alive "${CTSTUB_PIDS[refused]}"

for name in main small large refused; do stop_ctstub "$name"; done
done_testing
