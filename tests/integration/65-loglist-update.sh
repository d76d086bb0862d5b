#!/bin/bash
# SPDX-License-Identifier: ISC
# ctstub loglist update against local HTTPS sources (tests/tools/
# listserver.py with the test PKI's certificate for dns.example.test,
# SCTs from the test logs): a signed list in ctstub's format and Apple's
# format unsigned are installed and in force after the reload; every
# refusal leaves the installed file byte for byte and the daemon serving;
# the pre-flight refuses a list that drops the upstream's logs and
# --force installs it; --dry-run changes nothing. Loopback only.
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki
start_named good

LISTS=$TMP/lists
SRV=$TMP/srv
mkdir -p "$LISTS" "$SRV"
INSTALLED=$LISTS/installed.json
cp "$PKI/ct-logs.json" "$INSTALLED"
chmod 644 "$INSTALLED"

# Two signing keys (Ed25519) the configuration trusts, and one it does not.
for k in k1 k2 stranger; do
	openssl genpkey -algorithm ed25519 -out "$TMP/$k.key" 2>/dev/null &&
	openssl pkey -in "$TMP/$k.key" -pubout -out "$TMP/$k.pub" ||
	    bail "$TEST_NAME: ed25519 keys" "openssl genpkey failed"
done
# sign LIST KEY [SIG]: base64 of the Ed25519 signature over LIST's bytes.
sign() {
	openssl pkeyutl -sign -rawin -inkey "$TMP/$2.key" -in "$1" |
	    base64 -w0 >"${3:-$1.sig}"
}

# The lists the sources serve, made from the test PKI's list. Test logs
# x1..x3 (keys from mkpki) become operators D, E, F where a list needs
# more operators.
"$PY" - "$PKI" "$SRV" <<'PYEOF'
import base64, copy, datetime, hashlib, json, subprocess, sys
pki, out = sys.argv[1], sys.argv[2]
base = json.load(open(f"{pki}/ct-logs.json"))
t0 = datetime.datetime.strptime(base["log_list_timestamp"], "%Y-%m-%dT%H:%M:%SZ")
def stamp(days):
    return (t0 + datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
def extra_log(name):
    der = subprocess.run(["openssl", "pkey", "-in", f"{pki}/ctlog-{name}.key",
                          "-pubout", "-outform", "DER"], check=True,
                         capture_output=True).stdout
    log = copy.deepcopy(base["operators"][0]["logs"][0])
    log["description"] = f"ctstub test log {name}"
    log["key"] = base64.b64encode(der).decode()
    log["log_id"] = base64.b64encode(hashlib.sha256(der).digest()).decode()
    return log
def extra_operators(d, names):
    for i, n in enumerate(names):
        d["operators"].append({"name": f"Operator {chr(ord('D') + i)}",
                               "email": ["ct@example.test"],
                               "logs": [extra_log(n)], "tiled_logs": []})
def write(name, d):
    json.dump(d, open(f"{out}/{name}", "w"), indent=1)
d = copy.deepcopy(base); d["version"] = "test-2.0"; d["log_list_timestamp"] = stamp(1)
extra_operators(d, ["x1"])
for o in d["operators"]:	# p1 leaves pending
    for log in o["logs"]:
        if log["description"].endswith(" p1"):
            log["state"] = {"usable": {"timestamp": stamp(1)}}
write("newer.json", d)
d = copy.deepcopy(base); d["version"] = "test-0.9"; d["log_list_timestamp"] = stamp(-30)
write("older.json", d)
d = copy.deepcopy(base); d["version"] = "test-3.0"; d["log_list_timestamp"] = stamp(2)
d["operators"] = d["operators"][:2]
write("twoops.json", d)
# drops every log of operators A and B: the upstream's a1 and b1
d = copy.deepcopy(base); d["version"] = "test-4.0"; d["log_list_timestamp"] = stamp(3)
d["operators"] = [o for o in d["operators"] if o["name"] not in ("Operator A", "Operator B")]
extra_operators(d, ["x1", "x2", "x3"])
write("drop.json", d)
# Apple's schema v5: no log_list_timestamp, a $schema, a number as version
def apple(version):
    a = copy.deepcopy(base)
    del a["log_list_timestamp"]
    a = {"$schema": "https://valid.apple.com/ct/log_list/schema_versions/log_list_schema_v5.json",
         "assetVersion": 1, "version": str(version), **a}
    a["version"] = str(version)
    extra_operators(a, ["x2"])
    return a
write("apple-12.json", apple(12))
write("apple-11.json", apple(11))
PYEOF
for l in newer older twoops drop; do sign "$SRV/$l.json" k2; done
cp "$SRV/newer.json" "$SRV/newer-tampered.json"
sed -i 's/"test-2.0"/"test-2.1"/' "$SRV/newer-tampered.json"
cp "$SRV/newer.json.sig" "$SRV/newer-tampered.json.sig"
cp "$SRV/newer.json" "$SRV/newer-unknown.json"
sign "$SRV/newer-unknown.json" stranger
cp "$SRV/newer.json" "$SRV/newer-badsig.json"
head -c 64 /dev/urandom | base64 -w0 >"$SRV/newer-badsig.json.sig"
cp "$SRV/newer.json" "$SRV/newer-notb64.json"
echo "not a signature" >"$SRV/newer-notb64.json.sig"

# The sources: a good certificate (SCTs a1, b1, c1), one without SCTs.
LPORT=$((NAMED_PORT0 + 40))
NPORT=$((NAMED_PORT0 + 41))
start_bg "$TMP/listserver.log" "$PY" "$ROOT/tests/tools/listserver.py" \
    --cert "$PKI/good.pem" --key "$PKI/good.key" --port "$LPORT" --dir "$SRV"
wait_port tcp 127.0.0.1 "$LPORT" "$PID" || bail "$TEST_NAME: listserver" "see log"
start_bg "$TMP/listserver-nosct.log" "$PY" "$ROOT/tests/tools/listserver.py" \
    --cert "$PKI/nosct.pem" --key "$PKI/nosct.key" --port "$NPORT" --dir "$SRV"
wait_port tcp 127.0.0.1 "$NPORT" "$PID" || bail "$TEST_NAME: listserver nosct" "see log"
load_pins

URL=https://dns.example.test:$LPORT
# two addresses: nothing listens on the first, the second serves
SIGNED="address 127.0.0.2 address 127.0.0.1 key $TMP/k1.pub key $TMP/k2.pub"
start_ctstub u "upstream dot://127.0.0.1:$(dot_port good)" \
    "ct-log-list $INSTALLED" \
    "loglist-source $URL/newer.json $SIGNED"
CONF=$TMP/u.conf
SOCK=$TMP/run/u.sock
P=${CT_PORTS[u]}
OUT=$(q 127.0.0.1 "$P" www.example.test A)
expect_eq "daemon serves before any update" NOERROR "$(status_of "$OUT")"
# the upstream is verified: the pre-flight has evidence to work on
verified() { control_cmd "$SOCK" evidence | grep -qF '"leaf": "'; }
check "the upstream's evidence is there" "none" wait_for verified

version_in_force() {
	"$CTSTUB" status -s "$SOCK" --json |
	    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["ct_log_list"]["version"])'
}
# update ARGS...: runs the update (OUT, RC).
update() {
	OUT=$("$CTSTUB" loglist update -f "$CONF" "$@" 2>&1)
	RC=$?
}
# refused LABEL TEXT ARGS...: exit 1, TEXT in the one error line, the
# installed file byte for byte as before, the daemon still answering.
refused() {
	local label=$1 text=$2 before=$TMP/before.json
	shift 2
	cp "$INSTALLED" "$before"
	update "$@"
	expect_eq "$label: exit 1" 1 "$RC"
	check "$label: says '$text'" "got: $OUT" \
	    grep -qF -- "$text" <<<"$(grep '^ctstub: loglist update: ' <<<"$OUT" | tail -n 1)"
	check "$label: installed list unchanged" "changed" cmp -s "$before" "$INSTALLED"
	expect_eq "$label: daemon still answers" NOERROR \
	    "$(status_of "$(q 127.0.0.1 "$P" www.example.test A)")"
}

# --dry-run first: the difference, the pre-flight, nothing changed.
cp "$INSTALLED" "$TMP/orig.json"
update --dry-run
expect_eq "dry run: exit 0" 0 "$RC"
check "dry run: the added log by operator" "got: $OUT" \
    grep -A1 -xF "  Operator D:" <<<"$OUT" | grep -qxF "    added    ctstub test log x1 (usable)"
check "dry run: the state change by operator" "got: $OUT" \
    grep -A1 -xF "  Operator B:" <<<"$OUT" | grep -qxF "    state    ctstub test log p1: pending -> usable"
check "dry run: the pre-flight verdict" "got: $OUT" \
    grep -qF "pre-flight: 127.0.0.1:$(dot_port good): passes today, passes under the new list" <<<"$OUT"
check "dry run: nothing changed" "changed" cmp -s "$TMP/orig.json" "$INSTALLED"
expect_eq "dry run: version in force unchanged" 1.0 "$(version_in_force)"

# A newer signed list: installed, reloaded, in force.
update
expect_eq "signed newer list: exit 0" 0 "$RC"
check "signed newer list: installed byte for byte" "differs" \
    cmp -s "$SRV/newer.json" "$INSTALLED"
expect_eq "signed newer list: in force after the reload" test-2.0 "$(version_in_force)"
expect_eq "signed newer list: daemon answers" NOERROR \
    "$(status_of "$(q 127.0.0.1 "$P" www.example.test A)")"

# Refusals of signed sources (--source takes the options of the
# configured source with that URL; other URLs are unsigned sources).
sed -i "s|^loglist-source .*|&\nloglist-source $URL/newer-tampered.json $SIGNED\nloglist-source $URL/newer-unknown.json $SIGNED\nloglist-source $URL/newer-badsig.json $SIGNED\nloglist-source $URL/newer-notb64.json $SIGNED\nloglist-source $URL/older.json $SIGNED\nloglist-source $URL/twoops.json $SIGNED\nloglist-source $URL/drop.json $SIGNED|" "$CONF"
refused "tampered body" "signature does not verify" --source "$URL/newer-tampered.json"
refused "unknown key" "signature does not verify" --source "$URL/newer-unknown.json"
refused "bad signature" "signature does not verify" --source "$URL/newer-badsig.json"
refused "signature not base64" "not the base64 of a 64-byte" --source "$URL/newer-notb64.json"
refused "older list" "is older than the installed version test-2.0" --source "$URL/older.json"
refused "two operators" "only 2 operator(s) with usable logs" --source "$URL/twoops.json"
refused "truncated list" "connection closed after" --source "$URL/truncated/newer.json"
refused "3 MiB list" "is over the limit of 2097152" --source "$URL/big/newer.json"
refused "wrong content type" "content type \"text/html\", not application/json" \
    --source "$URL/wrongtype/newer.json"
refused "redirect loop" "more than 3 redirects" --source "$URL/loop/newer.json"
refused "redirect to http" "only https URLs are followed" --source "$URL/http/newer.json"
refused "content encoding" "content encoding \"gzip\" is not supported" \
    --source "$URL/gzip/newer.json"
refused "source down" "Connection refused" \
    --source "https://dns.example.test:$PORT_DEAD/newer.json"
check "the daemon heard of the failure (loglist-update-failed)" "see u.log" \
    wait_log "$TMP/u.log" "CT log list update failed: https://dns.example.test:$PORT_DEAD/newer.json: connection to"

# Unsigned sources: every ctstub check on the source's certificate.
sed -i "\$a loglist-source https://dns.example.test:$NPORT/apple-12.json address 127.0.0.1" "$CONF"
sed -i "\$a loglist-source $URL/apple-11.json address 127.0.0.1 pin $PIN_INTER2" "$CONF"
refused "unsigned source without SCTs" "CT: no SCTs" \
    --source "https://dns.example.test:$NPORT/apple-12.json"
refused "unsigned source failing its pin" "matches a configured pin" \
    --source "$URL/apple-11.json"

# Apple's format, unsigned, looked up through the daemon (no address):
# installed converted (version apple-12), in force; an older Apple list
# is then refused.
update --source "$URL/redirect/apple-12.json"
expect_eq "Apple list: exit 0" 0 "$RC"
check "Apple list: says installed" "got: $OUT" grep -qF "version apple-12" <<<"$OUT"
expect_eq "Apple list: in force, converted" apple-12 "$(version_in_force)"
check "Apple list: the file is ctstub's format" "see $INSTALLED" \
    grep -qF '"log_list_timestamp"' "$INSTALLED"
refused "older Apple list (chunked)" "version 11 (" \
    --source "$URL/chunked/apple-11.json"

# Names through the bootstrap servers when the daemon does not answer:
# the same configuration with a listen address where nothing listens.
next_port
sed -e "s/^listen .*/listen 127.0.0.1 $PORT/" -e "s|^control .*|control $TMP/run/none.sock|" \
    "$CONF" >"$TMP/boot.conf"
echo "bootstrap 127.0.0.1 $PORT_PLAIN" >>"$TMP/boot.conf"
OUT=$("$CTSTUB" loglist update -f "$TMP/boot.conf" --dry-run \
    --source "$URL/apple-12.json" 2>&1)
expect_eq "bootstrap lookup: exit 0" 0 $?
check "bootstrap lookup: the list passes" "got: $OUT" \
    grep -qF "dry run: version 12 from $URL/apple-12.json passes every check" <<<"$OUT"
check "bootstrap lookup: no daemon, no pre-flight" "got: $OUT" \
    grep -qF "pre-flight skipped" <<<"$OUT"
OUT=$("$CTSTUB" loglist update -f "$TMP/boot.conf" --dry-run \
    --source "https://127.0.0.1:$LPORT/apple-12.json" 2>&1)
check "an IP literal is dialled as it is, checked as an IP" "got: $OUT" \
    grep -qF "dry run: version 12 from https://127.0.0.1:$LPORT/apple-12.json passes" <<<"$OUT"
OUT=$("$CTSTUB" loglist update -f "$TMP/boot.conf" --dry-run \
    --source "https://nowhere.example.test:$LPORT/apple-12.json" 2>&1)
check "bootstrap lookup: an unknown name said so" "got: $OUT" \
    grep -qF "cannot look up nowhere.example.test" <<<"$OUT"
N_FAILED=$(log_count "$TMP/u.log" "CT log list update failed: ")
update --dry-run --source "https://dns.example.test:$PORT_DEAD/newer.json"
expect_eq "a failed dry run: exit 1" 1 "$RC"
expect_eq "a failed dry run tells the daemon nothing" "$N_FAILED" \
    "$(log_count "$TMP/u.log" "CT log list update failed: ")"

# The pre-flight: a list without the upstream's logs a1 and b1.
UP=127.0.0.1:$(dot_port good)
refused "pre-flight" "upstream $UP passes today and would be refused under version test-4.0: logs at fault: " \
    --source "$URL/drop.json"
for log in a1 b1; do
	check "pre-flight: names log $log" "got: $OUT" \
	    grep -qF "ctstub test log $log (unknown log)" <<<"$OUT"
done
check "pre-flight: its verdict" "got: $OUT" grep -qF \
    "pre-flight: $UP: passes today, refused under the new list: CT: 1 valid SCT from 1 operator" <<<"$OUT"
update --dry-run --source "$URL/drop.json"
expect_eq "pre-flight in a dry run: exit 1" 1 "$RC"
check "dry run: the removed logs by operator" "got: $OUT" \
    grep -A3 -xF "  Operator A:" <<<"$OUT" | grep -qxF "    removed  ctstub test log a1 (usable)"
update --source "$URL/drop.json" --force
expect_eq "pre-flight --force: exit 0" 0 "$RC"
expect_eq "pre-flight --force: in force" test-4.0 "$(version_in_force)"
# which is what --force asked for: the upstream is refused now
expect_eq "pre-flight --force: the upstream is refused (a name not cached)" \
    SERVFAIL "$(status_of "$(q 127.0.0.1 "$P" a7.example.test A)")"
check "pre-flight --force: the log says why" "see u.log" \
    wait_log "$TMP/u.log" "CT: 1 valid SCT from 1 operator"

# No daemon: said, pre-flight skipped, still installed.
update -s "$TMP/nobody-here.sock" --source "$URL/newer.json" --force
expect_eq "no daemon: exit 0" 0 "$RC"
check "no daemon: pre-flight skipped" "got: $OUT" \
    grep -qF "pre-flight skipped" <<<"$OUT"

stop_ctstub u
done_testing
