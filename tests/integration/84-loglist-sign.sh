#!/bin/bash
# SPDX-License-Identifier: ISC
# The release side of signed CT log lists: tools/mkloglist.py --sign KEY
# writes LIST and LIST.sig (base64 of an Ed25519 signature over LIST's
# exact bytes), which openssl pkeyutl -verify -rawin accepts with the
# key's public half and refuses with another key or for a changed byte;
# keys that are not Ed25519 and --out - are refused without writing.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub

MK=$ROOT/tools/mkloglist.py
W=$TMP/sign
mkdir -p "$W"
if ! { openssl genpkey -algorithm ed25519 -out "$W/key.pem" &&
    openssl pkey -in "$W/key.pem" -pubout -out "$W/pub.pem" &&
    openssl genpkey -algorithm ed25519 -out "$W/other.pem" &&
    openssl pkey -in "$W/other.pem" -pubout -out "$W/other-pub.pem" &&
    openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 \
    -out "$W/ec.pem"; } 2>"$TMP/keys.err"; then
	bail "$TEST_NAME: test keys" "openssl: $(cat "$TMP/keys.err")"
fi

# mk OUT [ARGS...]: the fixture tests/data/ct/horizon.json through
# mkloglist at a fixed date; sets RC and ERR.
mk() {
	local out=$1
	shift
	"$PY" "$MK" --data-dir "$ROOT/tests/data/ct" --source horizon.json \
	    --no-keydb --date 2026-12-01T00:00:00Z --version test-signed \
	    --out "$out" "$@" 2>"$TMP/mk.err"
	RC=$?
	ERR=$(cat "$TMP/mk.err")
}
# verify LIST SIG PUB: openssl's verdict on the base64 signature SIG.
verify() {
	base64 -d "$2" >"$TMP/sig.bin" 2>/dev/null &&
	    openssl pkeyutl -verify -rawin -pubin -inkey "$3" -in "$1" \
	    -sigfile "$TMP/sig.bin" >/dev/null 2>&1
}

not() { ! "$@"; }

LIST=$W/list.json
mk "$LIST" --sign "$W/key.pem"
expect_eq "--sign: exit status 0" 0 "$RC"
expect_eq "--sign: says where the signature went" \
    "mkloglist: 5 logs from 4 operators -> $LIST (signed: $LIST.sig)" "$ERR"
expect_eq "LIST.sig: one line of base64, 64 bytes decoded" "1 64" \
    "$(wc -l <"$LIST.sig") $(base64 -d "$LIST.sig" | wc -c)"
check "openssl pkeyutl -verify -rawin: signature verified" "refused" \
    verify "$LIST" "$LIST.sig" "$W/pub.pem"
check "another key's public half: refused" "accepted" \
    not verify "$LIST" "$LIST.sig" "$W/other-pub.pem"
sed 's/"test-signed"/"test-signeD"/' "$LIST" >"$W/tampered.json"
check "one byte changed: refused" "accepted" \
    not verify "$W/tampered.json" "$LIST.sig" "$W/pub.pem"
mk "$W/unsigned.json"
check "the signed list is the list mkloglist writes unsigned" "differs" \
    cmp -s "$LIST" "$W/unsigned.json"
out=$("$CTSTUB" loglist show "$LIST" 2>&1)
expect_eq "ctstub loads the signed list" 0 $?
check "ctstub loglist show names its version" "$out" \
    grep -qF test-signed <<<"$out"

mk "$W/ec-list.json" --sign "$W/ec.pem"
expect_eq "EC key: exit status 1" 1 "$RC"
expect_eq "EC key: message" "mkloglist: $W/ec.pem: not an Ed25519 private key" \
    "$ERR"
expect_eq "EC key: nothing written" "" "$(find "$W" -name 'ec-list*')"
mk "$W/nokey.json" --sign "$W/missing.pem"
expect_eq "missing key: exit status 1" 1 "$RC"
check "missing key: names the file" "$ERR" \
    grep -qF "mkloglist: $W/missing.pem: " <<<"$ERR"
expect_eq "missing key: nothing written" "" "$(find "$W" -name 'nokey*')"
mk - --sign "$W/key.pem"
expect_eq "--sign with --out -: usage error" 2 "$RC"

done_testing
