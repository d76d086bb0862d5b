#!/bin/bash
# SPDX-License-Identifier: ISC
# ctstub check (offline: a chain file) and ctstub probe (live: a TLS
# handshake, no query): exit status 0 accepted, 1 refused, 2 usage or
# unreadable input; the report's SCT lines and its verdict line. On every
# mkpki variant, on real certificates with real log keys, and against
# named and HAProxy on loopback.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
command -v haproxy >/dev/null ||
    bail "$TEST_NAME: haproxy installed" "HAProxy serves the .sctl SCTs"
load_variants
PIN_REASON="no certificate in the verified chain matches a configured pin"
load_pins

# run LABEL check|probe ARGS...: sets RC, OUT (stdout) and ERR (stderr);
# both are kept in $TMP/LABEL.out and .err (LABEL made a file name).
run() {
	local f=$TMP/${1//[^A-Za-z0-9._-]/_}
	shift
	"$CTSTUB" "$@" >"$f.out" 2>"$f.err" </dev/null
	RC=$?
	OUT=$(cat "$f.out")
	ERR=$(cat "$f.err")
}
# pki_check LABEL ARGS... CHAIN: check against the test root and log list.
pki_check() {
	local label=$1
	shift
	run "$label" check --ca-file "$PKI/root.pem" \
	    --log-list "$PKI/ct-logs.json" "$@"
}
verdict_of() { grep '^verdict: ' <<<"$OUT"; }
# sct_lines TEXT: how many "SCT n: ..." lines of OUT end with TEXT.
sct_lines() { grep -c "^SCT [0-9]*: .*$1\$" <<<"$OUT"; }

# expect_verdict LABEL RC PREFIX [TEXT...]: exit status RC; with RC 0 the
# verdict line is "verdict: accepted", with 1 "verdict: refused: PREFIX..."
# holding each TEXT.
expect_verdict() {
	local label=$1 rc=$2 prefix=$3 v text
	shift 3
	v=$(verdict_of)
	expect_eq "$label: exit status" "$rc" "$RC"
	if [ "$rc" = 0 ]; then
		expect_eq "$label: verdict" "verdict: accepted" "$v"
		return
	fi
	check "$label: verdict starts 'refused: $prefix'" "got [$v]" \
	    starts_with "$v" "verdict: refused: $prefix"
	for text; do
		check "$label: verdict has '$text'" "got [$v]" \
		    grep -qF -- "$text" <<<"$v"
	done
}

# expect_usage LABEL [STDERR-TEXT] -- ARGS...: exit status 2, no verdict.
expect_usage() {
	local label=$1 text=$2
	shift 3
	run "$label" "$@" 2>/dev/null	# no "Aborted" job message
	expect_eq "$label: exit status 2" 2 "$RC"
	expect_eq "$label: no verdict" "" "$(verdict_of)"
	check "$label: stderr has '$text'" "stderr: [$(oneline "$ERR")]" \
	    grep -qF -- "$text" <<<"$ERR"
}

# --- check: every variant, dialled as 127.0.0.1 ---
# As in 30-ct.sh: the reason's start, then text it must contain. The
# TLS-extension variants are refused offline: their SCTs come only in the
# handshake, so a chain file has none (probe, below, sees them).
cause long2 "CT: 2 valid SCTs from 2 operators" "(need 3 logs, 2 operators)"
cause oneop "CT: 2 valid SCTs from 1 operator " "need 2 logs, 2 operators"
cause onesct "CT: 1 valid SCT from 1 operator"
cause nosct "CT: no SCTs" "(need 2 logs, 2 operators)"
cause badsig "CT: 1 valid SCT" "; ctstub test log b1: bad signature"
cause unknown "CT: 1 valid SCT" "unknown log"
cause future "CT: 1 valid SCT" "; ctstub test log b1: future timestamp"
cause copied "CT: 0 valid SCTs" "ctstub test log a1: bad signature" \
    "ctstub test log b1: bad signature" "ctstub test log c1: bad signature"
cause retired "CT: 1 valid SCT" "; ctstub test log r1: log retired before SCT"
cause pending "CT: 1 valid SCT" "; ctstub test log p1: pending log"
cause mimic "CT: 1 valid SCT" "; log f44195d6: mimic log"
cause tlsext "CT: no SCTs"
cause tlsext-one "CT: no SCTs"
cause wrong-ip "certificate does not match IP 127.0.0.1"
cause name-only "certificate does not match IP 127.0.0.1"
cause untrusted "certificate chain not trusted"

for v in "${VARIANTS[@]}"; do
	verdict=$(awk -v v="$v" '$1 == v { print $2 }' "$EXPECTED")
	pki_check "$v" --ip 127.0.0.1 "$PKI/$v.pem"
	case $v:$verdict in
	tlsext:accept|tlsext-one:refuse) ;;	# see above
	*:accept) [ -z "${PREFIX[$v]+set}" ] ||
		fail "$v: expected.txt says accept" "this script expects refuse" ;;
	*:refuse) [ -n "${PREFIX[$v]+set}" ] ||
		fail "$v: expected.txt says refuse" "this script has no cause" ;;
	*) fail "$v: expected.txt verdict" "[$verdict]" ;;
	esac
	if [ -z "${PREFIX[$v]+set}" ]; then
		expect_verdict "check $v" 0 ""
	else
		mapfile -t texts <<<"${CAUSES[$v]}"
		[ -z "${texts[0]}" ] && texts=()
		expect_verdict "check $v" 1 "${PREFIX[$v]}" "${texts[@]}"
	fi
	check "check $v: address check line" "$(grep address <<<"$OUT")" \
	    grep -qx "address check: IP 127.0.0.1" <<<"$OUT"
done
for v in "${!PREFIX[@]}"; do
	grep -q "^$v " "$EXPECTED" || fail "expected.txt lists $v" "missing"
done

# The SCT lines of a few variants (dialled as 127.0.0.1, reports as above).
L="(operator Operator"
pki_check good-lines --ip 127.0.0.1 "$PKI/good.pem"
expect_eq "check good: 3 SCTs counted" 3 "$(sct_lines 'embedded: counted')"
for log in "a1 $L A, usable)" "b1 $L B, usable)" "c1 $L C, usable)"; do
	check "check good: SCT line for ${log%% *}" "$OUT" \
	    grep -qF "ctstub test log $log" <<<"$OUT"
done
check "check good: CT line" "$OUT" grep -qx \
    'accepted: CT: 3 valid SCTs from 3 operators (need 2 logs, 2 operators)' \
    <<<"$OUT"
pki_check badsig-lines --ip 127.0.0.1 "$PKI/badsig.pem"
check "check badsig: b1's SCT line" "$OUT" grep -qx \
    "SCT 2: ctstub test log b1 $L B, usable), .*, embedded: bad signature" \
    <<<"$OUT"
expect_eq "check badsig: 1 SCT counted" 1 "$(sct_lines 'embedded: counted')"
pki_check copied-lines --ip 127.0.0.1 "$PKI/copied.pem"
expect_eq "check copied: 3 bad signatures" 3 "$(sct_lines 'bad signature')"
pki_check retired-lines --ip 127.0.0.1 "$PKI/retired.pem"
check "check retired: r1's SCT line" "$OUT" grep -qx \
    "SCT 2: ctstub test log r1 $L C, retired), .*: log retired before SCT" \
    <<<"$OUT"
pki_check pending-lines --ip 127.0.0.1 "$PKI/pending.pem"
check "check pending: p1's SCT line" "$OUT" grep -qx \
    "SCT 2: ctstub test log p1 $L B, pending), .*, embedded: pending log" \
    <<<"$OUT"
pki_check unknown-lines --ip 127.0.0.1 "$PKI/unknown.pem"
check "check unknown: x1's SCT line has only a log id" "$OUT" grep -qx \
    "SCT 2: log id [0-9a-f]\{64\}, .*, embedded: unknown log" <<<"$OUT"
pki_check mimic-lines --ip 127.0.0.1 "$PKI/mimic.pem"
check "check mimic: Chrome's mimic log id, refused as such" "$OUT" \
    grep -qx "SCT 2: log id f44195d6f00e2db55435cadd577892e53e15ad417058f878e14ff6b918741589, .*, embedded: mimic log" \
    <<<"$OUT"
pki_check nosct-lines --ip 127.0.0.1 "$PKI/nosct.pem"
expect_eq "check nosct: no SCT line" 0 "$(sct_lines '')"

# --- check: names, pins, policy options, time ---
pki_check name-ok --name dns.example.test "$PKI/name-only.pem"
expect_verdict "check name-only --name dns.example.test" 0 ""
check "check --name: address check line" "$OUT" \
    grep -qx "address check: name dns.example.test" <<<"$OUT"
pki_check name-wrong --name wrong.example.test "$PKI/good.pem"
expect_verdict "check good --name wrong.example.test" 1 \
    "certificate does not match name wrong.example.test"
pki_check no-address "$PKI/wrong-ip.pem"
expect_verdict "check wrong-ip without --ip or --name" 0 ""
check "check without --ip/--name: says there is no address check" "$OUT" \
    grep -qx 'address check: none (no --ip or --name given)' <<<"$OUT"

pki_check pin-inter --ip 127.0.0.1 --pin "$PIN_INTER" "$PKI/alt-issuer.pem"
expect_verdict "check alt-issuer --pin inter" 1 "$PIN_REASON"
check "check alt-issuer --pin inter: pins line" "$OUT" grep -qx \
    'pins: no certificate of the verified chain matches' <<<"$OUT"
pki_check pin-inter2 --ip 127.0.0.1 --pin "$PIN_INTER2" "$PKI/alt-issuer.pem"
expect_verdict "check alt-issuer --pin inter2" 0 ""
check "check alt-issuer --pin inter2: pins line" "$OUT" grep -qx \
    'pins: a certificate of the verified chain matches' <<<"$OUT"
pki_check pin-both --ip 127.0.0.1 --pin "$PIN_INTER" --pin "$PIN_INTER2" \
    "$PKI/alt-issuer.pem"
expect_verdict "check alt-issuer --pin inter --pin inter2" 0 ""
pki_check pin-root --ip 127.0.0.1 --pin "$PIN_ROOT" "$PKI/good.pem"
expect_verdict "check good --pin root (in the verified chain)" 0 ""
pki_check pin-untrusted --ip 127.0.0.1 --pin "$PIN_INTER" "$PKI/untrusted.pem"
expect_verdict "check untrusted --pin inter" 1 "certificate chain not trusted"

pki_check min-logs --ip 127.0.0.1 --min-logs 3 "$PKI/short2.pem"
expect_verdict "check short2 --min-logs 3" 1 \
    "CT: 2 valid SCTs from 2 operators (need 3 logs, 2 operators)"
pki_check min-logs-good --ip 127.0.0.1 --min-logs 3 "$PKI/good.pem"
expect_verdict "check good --min-logs 3" 0 ""
pki_check min-ops --ip 127.0.0.1 --min-operators 3 "$PKI/retired-ok.pem"
expect_verdict "check retired-ok --min-operators 3" 1 \
    "CT: 2 valid SCTs from 2 operators (need 2 logs, 3 operators)"

# future: b1's SCT is stamped now+1d; two days later it counts.
later=$(date -u -d @$(($(date +%s) + 2 * 86400)) +%Y-%m-%dT%H:%M:%SZ)
pki_check future-later --ip 127.0.0.1 --at "$later" "$PKI/future.pem"
expect_verdict "check future --at now+2d" 0 ""
expect_eq "check future --at now+2d: 2 SCTs counted" 2 \
    "$(sct_lines 'embedded: counted')"
pki_check future-unix --ip 127.0.0.1 --at "$(date +%s)" "$PKI/future.pem"
expect_verdict "check future --at now (unix seconds)" 1 "CT: 1 valid SCT" \
    "future timestamp"

# --- check: real certificates, real log keys ---
RC_DIR=tests/data/realcerts
RLOGS=tests/data/ct/realcerts-logs.json
cat "$RC_DIR/github-com-2025.leaf.pem" "$RC_DIR/github-com-2025.issuer.pem" \
    >"$TMP/github.pem"
cat "$RC_DIR/le-home-liukun-2026.leaf.pem" \
    "$RC_DIR/le-home-liukun-2026.issuer.pem" >"$TMP/le.pem"
cat "$RC_DIR/no-sct-badssl-2023.leaf.pem" \
    "$RC_DIR/no-sct-badssl-2023.issuer.pem" >"$TMP/nosct-real.pem"
# gh LABEL ARGS...: check github.com's chain against its Sectigo root.
gh() {
	local label=$1
	shift
	run "$label" check --ca-file "$RC_DIR/github-com-2025.root.pem" "$@"
}

gh github --log-list "$RLOGS" --name github.com --at 2025-06-01 \
    "$TMP/github.pem"
expect_verdict "check github.com at 2025-06-01" 0 ""
expect_eq "check github.com: 3 SCTs counted" 3 \
    "$(sct_lines 'embedded: counted')"
check "check github.com: 366 days, so 3 logs needed" "$OUT" grep -qx \
    'accepted: CT: 3 valid SCTs from 3 operators (need 3 logs, 2 operators)' \
    <<<"$OUT"
for log in "Google 'Xenon2026h1' log (operator Google" \
    "Let's Encrypt 'Oak2026h1' (operator Let's Encrypt" \
    "Cloudflare 'Nimbus2026' (operator Cloudflare"; do
	check "check github.com: SCT line of ${log%% (*}" "$OUT" \
	    grep -qF "$log" <<<"$OUT"
done
gh github-www --log-list "$RLOGS" --name www.github.com --at 2025-06-01 \
    "$TMP/github.pem"
expect_verdict "check github.com as www.github.com" 0 ""
gh github-early --log-list "$RLOGS" --name github.com \
    --at 2025-02-05T00:01:00Z "$TMP/github.pem"
expect_verdict "check github.com before its SCTs (00:03:50)" 1 \
    "CT: 0 valid SCTs" "future timestamp"
expect_eq "check github.com early: 3 future SCTs" 3 \
    "$(sct_lines 'embedded: future timestamp')"
gh github-no-le --log-list tests/data/ct/realcerts-no-letsencrypt.json \
    --name github.com --at 2025-06-01 "$TMP/github.pem"
expect_verdict "check github.com, list without Let's Encrypt" 1 \
    "CT: 2 valid SCTs from 2 operators (need 3 logs, 2 operators)" \
    "unknown log"
gh github-wrong-name --log-list "$RLOGS" --name gitlab.com --at 2025-06-01 \
    "$TMP/github.pem"
expect_verdict "check github.com as gitlab.com" 1 \
    "certificate does not match name gitlab.com"
gh github-expired --log-list "$RLOGS" --name github.com --at 2026-03-01 \
    "$TMP/github.pem"
expect_verdict "check github.com after notAfter" 1 \
    "certificate chain not trusted: certificate has expired"
gh github-leaf-only --log-list "$RLOGS" --name github.com --at 2025-06-01 \
    "$RC_DIR/github-com-2025.leaf.pem"
expect_verdict "check github.com leaf without its issuer" 1 \
    "certificate chain not trusted"
expect_eq "check github.com leaf only: SCTs unverified" 3 \
    "$(sct_lines 'embedded: unverified')"
gh github-pin --log-list "$RLOGS" --name github.com --at 2025-06-01 \
    --pin "$PIN_ROOT" "$TMP/github.pem"
expect_verdict "check github.com pinned to the test root" 1 "$PIN_REASON"

# The data has no ISRG or DigiCert root and ctstub trusts only
# self-signed anchors: these chains are refused as untrusted, and the CT
# part of the report is what is checked.
run le check --ca-file "$RC_DIR/le-home-liukun-2026.issuer.pem" \
    --log-list "$RLOGS" --name home.liukun.com --at 2026-02-01 "$TMP/le.pem"
expect_verdict "check le-home-liukun (no ISRG root)" 1 \
    "certificate chain not trusted"
expect_eq "check le-home-liukun: 2 SCTs counted" 2 \
    "$(sct_lines 'embedded: counted')"
check "check le-home-liukun: tiled Sycamore and Argon" "$OUT" \
    grep -qzE "Sycamore2026h1.*counted.*Argon2026h1.*counted" <<<"$OUT"
check "check le-home-liukun: CT accepted" "$OUT" grep -qx \
    'accepted: CT: 2 valid SCTs from 2 operators (need 2 logs, 2 operators)' \
    <<<"$OUT"
run nosct-real check --ca-file "$RC_DIR/no-sct-badssl-2023.issuer.pem" \
    --log-list "$RLOGS" --name no-sct.badssl.com --at 2024-01-01 \
    "$TMP/nosct-real.pem"
expect_eq "check no-sct.badssl.com: exit status" 1 "$RC"
check "check no-sct.badssl.com: CT refused, no SCTs" "$OUT" grep -qx \
    'refused: CT: no SCTs (need 2 logs, 2 operators)' <<<"$OUT"
expect_eq "check no-sct.badssl.com: no SCT line" 0 "$(sct_lines '')"

# --- check: usage and unreadable input, exit status 2 ---
GOOD=$PKI/good.pem
printf 'not a certificate\n' >"$TMP/garbage.pem"
expect_usage "check without a file" "usage: ctstub check" -- check
expect_usage "check missing file" "no PEM certificate could be read" -- \
    check --ca-file "$PKI/root.pem" "$TMP/no-such.pem"
expect_usage "check a directory" "no PEM certificate could be read" -- \
    check --ca-file "$PKI/root.pem" "$TMP"
expect_usage "check a file without PEM" "no PEM certificate could be read" -- \
    check --ca-file "$PKI/root.pem" "$TMP/garbage.pem"
expect_usage "check --at yesterday" "usage: ctstub check" -- \
    check --at yesterday "$GOOD"
expect_usage "check --at 2025-13-45" "usage: ctstub check" -- \
    check --at 2025-13-45 "$GOOD"
expect_usage "check --ip not an address" "is not an IP address" -- \
    check --ip notanip "$PKI/good.pem"
expect_usage "check --ip and --name" "usage: ctstub check" -- \
    check --ip 127.0.0.1 --name dns.example.test "$GOOD"
expect_usage "check unknown option" "usage: ctstub check" -- \
    check --bogus "$GOOD"
expect_usage "check two chain files" "usage: ctstub check" -- \
    check "$GOOD" "$GOOD"
expect_usage "check --min-logs 0" "usage: ctstub check" -- \
    check --min-logs 0 "$GOOD"
expect_usage "check --pin not-a-pin" "usage: ctstub check" -- \
    check --pin sha256/xx "$GOOD"
# The list's name alone would be the test's own input: the parser's
# position of the error (the file is cut inside a string on line 91), and
# the system's reason for a missing file.
expect_usage "check broken log list" \
    "ctstub: tests/data/ct/bad-json.json:91:24: " -- \
    check --ca-file "$PKI/root.pem" --log-list tests/data/ct/bad-json.json \
    "$GOOD"
expect_usage "check missing log list" \
    "ctstub: $TMP/no-such.json: No such file or directory" -- \
    check --ca-file "$PKI/root.pem" --log-list "$TMP/no-such.json" "$GOOD"
expect_usage "check missing ca-file" "cannot load CA certificates" -- \
    check --ca-file "$TMP/no-such-root.pem" "$GOOD"
expect_usage "check garbage ca-file" "cannot load CA certificates" -- \
    check --ca-file "$TMP/garbage.pem" "$GOOD"

# --- probe: live handshakes with named (embedded SCTs) and HAProxy ---
start_named good badsig wrong-ip name-only
start_haproxy tlsext tlsext-one
# pki_probe LABEL ARGS... URL
pki_probe() {
	local label=$1
	shift
	run "$label" probe --ca-file "$PKI/root.pem" \
	    --log-list "$PKI/ct-logs.json" "$@"
}
url() { echo "dot://127.0.0.1:$1"; }

pki_probe probe-good "$(url "$(dot_port good)")"
expect_verdict "probe good" 0 ""
check "probe good: upstream line" "$OUT" \
    grep -qx "upstream: 127.0.0.1:$(dot_port good)" <<<"$OUT"
expect_eq "probe good: 3 SCTs 'embedded: counted'" 3 \
    "$(sct_lines 'embedded: counted')"
check "probe good: the served leaf" "$OUT" \
    grep -qx 'SANs: IP:127.0.0.1 IP:::1 DNS:dns.example.test' <<<"$OUT"
pki_probe probe-badsig "$(url "$(dot_port badsig)")"
expect_verdict "probe badsig" 1 "CT: 1 valid SCT" \
    "ctstub test log b1: bad signature"
check "probe badsig: b1's SCT line" "$OUT" \
    grep -qx "SCT [0-9]: ctstub test log b1 .*, embedded: bad signature" \
    <<<"$OUT"
pki_probe probe-dead "$(url "$PORT_DEAD")"
expect_eq "probe dead port: exit status" 2 "$RC"
expect_eq "probe dead port: no verdict" "" "$(verdict_of)"
check "probe dead port: says it cannot connect" "stderr: [$ERR]" \
    grep -qF "cannot connect to 127.0.0.1:$PORT_DEAD" <<<"$ERR"
pki_probe probe-tlsext "$(url "$(hap_port tlsext)")"
expect_verdict "probe tlsext (HAProxy, TLS 1.2)" 0 ""
expect_eq "probe tlsext: 2 SCTs 'TLS extension: counted'" 2 \
    "$(sct_lines 'TLS extension: counted')"
expect_eq "probe tlsext: no embedded SCT" 0 "$(sct_lines 'embedded: .*')"
pki_probe probe-tlsext-one "$(url "$(hap_port tlsext-one)")"
expect_verdict "probe tlsext-one" 1 "CT: 1 valid SCT from 1 operator"
expect_eq "probe tlsext-one: 1 SCT 'TLS extension: counted'" 1 \
    "$(sct_lines 'TLS extension: counted')"
pki_probe probe-tlsext-3 --min-logs 3 "$(url "$(hap_port tlsext)")"
expect_verdict "probe tlsext --min-logs 3" 1 \
    "CT: 2 valid SCTs from 2 operators (need 3 logs, 2 operators)"
pki_probe probe-wrong-ip "$(url "$(dot_port wrong-ip)")"
expect_verdict "probe wrong-ip" 1 "certificate does not match IP 127.0.0.1"
pki_probe probe-name --name dns.example.test "$(url "$(dot_port name-only)")"
expect_verdict "probe name-only --name dns.example.test" 0 ""
pki_probe probe-pin-inter2 --pin "$PIN_INTER2" "$(url "$(dot_port good)")"
expect_verdict "probe good --pin inter2" 1 "$PIN_REASON"
pki_probe probe-pin-inter --pin "$PIN_INTER" "$(url "$(dot_port good)")"
expect_verdict "probe good --pin inter" 0 ""
run probe-untrusted probe --log-list "$PKI/ct-logs.json" \
    "$(url "$(dot_port good)")"
expect_verdict "probe good, system CAs only" 1 "certificate chain not trusted"
expect_usage "probe --ip" "usage: ctstub probe" -- \
    probe --ip 127.0.0.1 "$(url "$(dot_port good)")"
expect_usage "probe not a dot:// URL" "expected dot://" -- \
    probe --ca-file "$PKI/root.pem" --log-list "$PKI/ct-logs.json" \
    "http://127.0.0.1:$(dot_port good)"

# --- probe -f CONF [UPSTREAM-LINE]: the daemon's own settings and checks
DOT=$(dot_port good)
DOH=$(doh_port good)
# conf_for NAME LINE...: ctstub.conf with the test root, list and lines.
conf_for() {
	local name=$1
	shift
	printf '%s\n' "ca-file $PKI/root.pem" "ct-log-list $PKI/ct-logs.json" \
	    "user nobody" "$@" >"$TMP/$name.conf"
}
# to_loopback: an upstream line of the shipped file, its addresses and
# names swapped for the test named's (good leaf: 127.0.0.1,
# dns.example.test).
to_loopback() {
	sed -E -e "s#dot://([0-9.]+|\[[^]]*\])#dot://127.0.0.1:$DOT#" \
	    -e "s#https://([0-9.]+|\[[^]]*\])/#https://127.0.0.1:$DOH/#" \
	    -e "s#https://[a-z][a-z0-9.-]*/#https://dns.example.test:$DOH/#" \
	    -e 's#address [^ ]+#address 127.0.0.1#g' \
	    -e 's#name [^ ]+#name dns.example.test#g'
}
accepted() { grep -c '^verdict: accepted$' <<<"$OUT"; }
mapfile -t PROFILES < <(sed -n 's/^# \[profile \([^]]*\)\].*/\1/p' \
    conf/ctstub.conf)
check "shipped profiles found" "${#PROFILES[@]} profiles" \
    test "${#PROFILES[@]}" -ge 6
for p in "${PROFILES[@]}"; do
	mapfile -t lines < <(awk -v p="# [profile $p]" '
	    index($0, p) == 1 { on = 1; next }
	    on && /^#upstream / { sub(/^#/, ""); print; next }
	    { on = 0 }' conf/ctstub.conf | to_loopback)
	# one upstream per line, or per address of a line with addresses
	naddr=0
	for l in "${lines[@]}"; do
		n=$(grep -o ' address ' <<<"$l" | wc -l)
		naddr=$((naddr + (n > 0 ? n : 1)))
		[ "$naddr" -gt 0 ] && [ -z "${first_n:-}" ] && first_n=$naddr
	done
	conf_for "profile-$p" "pin $PIN_INTER" "${lines[@]}"
	run "probe -f $p" probe -f "$TMP/profile-$p.conf"
	expect_eq "probe -f profile $p: exit status 0" 0 "$RC"
	expect_eq "probe -f profile $p: every upstream ($naddr) accepted" \
	    "$naddr" "$(accepted)"
	# the same line given on the command line, with a configuration that
	# has another upstream
	conf_for "other" "upstream dot://127.0.0.1:$PORT_DEAD"
	# shellcheck disable=SC2086 # the line's words as arguments
	run "probe -f line $p" probe -f "$TMP/other.conf" ${lines[0]}
	expect_eq "probe -f CONF '$p line': accepted, the line only" \
	    "0 $first_n 0" "$RC $(accepted) $(grep -c "$PORT_DEAD" <<<"$OUT")"
	first_n=
done
# a DoH line names its host: the certificate must name it
run "probe -f doh name" probe -f "$TMP/other.conf" \
    "https://other.example.test:$DOH/dns-query address 127.0.0.1"
expect_verdict "probe -f, DoH host the certificate lacks" 1 \
    "certificate does not match"
# the configuration's pin, CT policy and ca-file are the ones checked
conf_for pin2 "pin $PIN_INTER2" "upstream dot://127.0.0.1:$DOT"
run "probe -f pin2" probe -f "$TMP/pin2.conf"
expect_verdict "probe -f, pin of another CA" 1 "$PIN_REASON"
check "probe -f, pin of another CA: prints the chain's pins to update to" \
    "$OUT" grep -qF "pin $PIN_INTER" <<<"$OUT"
conf_for minlogs "ct-min-logs 4" "upstream dot://127.0.0.1:$DOT"
run "probe -f minlogs" probe -f "$TMP/minlogs.conf"
expect_verdict "probe -f, ct-min-logs 4" 1 "CT: 3 valid SCTs" "need 4 logs"
printf '%s\n' "ct-log-list $PKI/ct-logs.json" "user nobody" \
    "upstream dot://127.0.0.1:$DOT" >"$TMP/sysca.conf"
run "probe -f sysca" probe -f "$TMP/sysca.conf"
expect_verdict "probe -f, no ca-file (system CAs)" 1 \
    "certificate chain not trusted"
run "probe -f unresolved" probe -f "$TMP/other.conf" \
    "https://dns.example.test:$DOH/dns-query"
expect_eq "probe -f, a host name without address: exit status 2" 2 "$RC"
check "probe -f, a host name without address: says so" "stderr: [$ERR]" \
    grep -qF "command line: upstream 'https://dns.example.test:$DOH/dns-query' names a host" <<<"$ERR"
expect_usage "probe -f without a file" "usage: ctstub probe -f CONF" -- \
    probe -f
expect_usage "probe -f with a bad file" "$TMP/no-such.conf" -- \
    probe -f "$TMP/no-such.conf"
# check prints the pins of the verified chain too
pki_check check-pins --ip 127.0.0.1 "$PKI/good.pem"
check "check: prints the chain's pins" "$OUT" grep -qF "pin $PIN_INTER" \
    <<<"$OUT"

check "named still serves after the probes" "named exited" alive "$NAMED_PID"
done_testing
