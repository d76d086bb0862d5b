#!/bin/bash
# SPDX-License-Identifier: ISC
# Configuration checking: ctstub -n accepts the shipped config and reports
# errors as FILE:LINE: with exit status 2.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
# two pins (any 32 bytes: -n does not compare them with a certificate)
PIN_A=sha256/$(head -c 32 /dev/zero | base64)
PIN_B=sha256/$(head -c 32 /dev/zero | tr '\0' '\1' | base64)

# check_conf NAME CONF: run ctstub -n -f CONF; sets RC and ERR (stderr).
check_conf() {
	"$CTSTUB" -n -f "$2" >"$TMP/$1.out" 2>"$TMP/$1.err"
	RC=$?
	ERR=$(cat "$TMP/$1.err")
}

# expect_error NAME CONF TEXT...: exit status 2 and stderr holding each TEXT.
expect_error() {
	local name=$1 conf=$2 text
	shift 2
	check_conf "$name" "$conf"
	expect_eq "$name: exit status" 2 "$RC"
	for text; do
		check "$name: stderr has '$text'" "stderr: $ERR" \
		    grep -qF -- "$text" "$TMP/$name.err"
	done
}

check_conf shipped conf/ctstub.conf
expect_eq "shipped conf/ctstub.conf is valid" 0 "$RC"

printf '%s\n' '# line 1' "listen 127.0.0.1 $CTSTUB_PORT0" \
    'upstrem dot://127.0.0.1' >"$TMP/typo.conf"
expect_error "typo on line 3" "$TMP/typo.conf" \
    "$TMP/typo.conf:3: unknown directive 'upstrem'"

printf '%s\n' "listen 127.0.0.1 $CTSTUB_PORT0" 'bogus-directive 1' \
    '# line 3' 'upstrem dot://127.0.0.1' >"$TMP/two.conf"
expect_error "two bad lines" "$TMP/two.conf" \
    "$TMP/two.conf:2: unknown directive 'bogus-directive'" \
    "$TMP/two.conf:4: unknown directive 'upstrem'"

# The path alone would be the test's own input: the whole message, with
# the system's reason.
check_conf missing "$TMP/no-such.conf"
expect_eq "nonexistent config: exit status" 2 "$RC"
expect_eq "nonexistent config: says it does not exist" \
    "$TMP/no-such.conf: No such file or directory" "$ERR"
check_conf directory "$TMP"
expect_eq "a directory as config: exit status" 2 "$RC"
expect_eq "a directory as config: says so" "$TMP: Is a directory" "$ERR"

# -n -v prints the effective configuration as directives ctstub reads back
# unchanged: every directive, an unset one as a comment line.
verbose_conf() { # IN OUT: ctstub -n -v -f IN without its last line
	"$CTSTUB" -n -v -f "$1" >"$2.full" 2>"$2.err"
	RC=$?
	grep -v ': configuration OK$' "$2.full" >"$2"
}
printf '%s\n' "upstream dot://127.0.0.1 pin $PIN_A" \
    "ct-log-list $ROOT/conf/ct-logs.json" "user nobody" >"$TMP/bare.conf"
printf '%s\n' "upstream https://dns.test/q address 127.0.0.1" \
    "bootstrap 127.0.0.1 $PORT_DEAD" "pin $PIN_A" "pin $PIN_B" \
    "ca-file $ROOT/tests/data/realcerts/github-com-2025.root.pem" \
    "metrics 127.0.0.1 $PORT_DEAD" "control off" \
    "ct-log-list $ROOT/conf/ct-logs.json" "user nobody" >"$TMP/set.conf"
mapfile -t PARSER < <(parser_directives)
check "conf.c: directive table found" "${#PARSER[@]} names" \
    test "${#PARSER[@]}" -ge 20
for name in shipped bare set; do
	conf=$TMP/$name.conf
	[ "$name" = shipped ] && conf=conf/ctstub.conf
	verbose_conf "$conf" "$TMP/$name.printed"
	expect_eq "-n -v $name: exit status 0" 0 "$RC"
	verbose_conf "$TMP/$name.printed" "$TMP/$name.reprinted"
	expect_eq "-n -v $name: the output parses back (exit status 0)" 0 "$RC"
	expect_eq "-n -v $name: the output parses back to the same" \
	    "$(cat "$TMP/$name.printed")" "$(cat "$TMP/$name.reprinted")"
	# every directive of the parser: set, or an unset one as a comment
	missing=
	for d in "${PARSER[@]}"; do
		grep -qE "^(# )?$d " "$TMP/$name.printed" || missing+=" $d"
	done
	expect_eq "-n -v $name: prints every directive" "" "$missing"
done
expect_eq "-n -v, unset: bootstrap, pin, metrics as comments" \
    "# bootstrap not set: host names need 'address IP'
# pin not set: any issuer the CA bundle trusts
# metrics not set: no metrics endpoint" \
    "$(grep -E '^# (bootstrap|pin|metrics) ' "$TMP/bare.printed")"
expect_eq "-n -v, set: bootstrap, two pins, metrics, control off" \
    "bootstrap 127.0.0.1 $PORT_DEAD
pin $PIN_A
pin $PIN_B
control off
metrics 127.0.0.1 $PORT_DEAD" \
    "$(grep -E '^(bootstrap|pin|metrics|control) ' "$TMP/set.printed")"
check "-n -v says what -n could not check" "$(cat "$TMP/bare.printed")" \
    grep -q "^# not checked by -n: that the listen addresses" \
    "$TMP/bare.printed"

# -n checks what start-up checks: the account, the list's age, ca-file
printf '%s\n' "upstream dot://127.0.0.1" "ct-log-list $ROOT/conf/ct-logs.json" \
    "user no-such-user-ctstub" >"$TMP/nouser.conf"
expect_error "user that does not exist" "$TMP/nouser.conf" \
    "$TMP/nouser.conf: user 'no-such-user-ctstub' does not exist"
check "user that does not exist: no 'configuration OK'" \
    "$(cat "$TMP/user that does not exist.out")" \
    test ! -s "$TMP/user that does not exist.out"
printf '%s\n' "upstream dot://127.0.0.1" "ct-log-list $ROOT/conf/ct-logs.json" \
    "user nobody" "ca-file $TMP/no-such-ca.pem" >"$TMP/noca.conf"
expect_error "ca-file that does not exist" "$TMP/noca.conf" \
    "$TMP/noca.conf: cannot load CA certificates from $TMP/no-such-ca.pem"
# the shipped list is days old: a 1-day limit makes it stale
printf '%s\n' "upstream dot://127.0.0.1" "ct-log-list $ROOT/conf/ct-logs.json" \
    "user nobody" "ct-list-max-age 1" >"$TMP/stale.conf"
check_conf stale "$TMP/stale.conf"
expect_eq "stale list: still OK (exit status 0, start-up only warns)" \
    "0 $TMP/stale.conf: configuration OK" "$RC $(cat "$TMP/stale.out")"
check "stale list: warned as at start-up" "stderr: $ERR" grep -qE \
    "warning: CT log list .* is [0-9]+ days old, over the 1-day limit" \
    "$TMP/stale.err"
if [ "$(id -u)" -eq 0 ]; then
	printf '%s\n' "upstream dot://127.0.0.1" \
	    "ct-log-list $ROOT/conf/ct-logs.json" >"$TMP/nouserline.conf"
	expect_error "-n as root without user" "$TMP/nouserline.conf" \
	    "$TMP/nouserline.conf: refusing to run as root: set 'user NAME'"
else
	skip "-n as root without user" "not running as root"
fi

# A broken CT log list stops ctstub at start-up, -n included.
printf '%s\n' "upstream dot://127.0.0.1" \
    "ct-log-list $ROOT/tests/data/ct/bad-logid.json" >"$TMP/badlist.conf"
expect_error "bad log list" "$TMP/badlist.conf" "bad-logid.json" \
    "log_id is not SHA-256 of key"

# As root, ctstub starts only with a 'user' to switch to.
if [ "$(id -u)" -eq 0 ]; then
	printf '%s\n' "listen 127.0.0.1 $CTSTUB_PORT0" \
	    "upstream dot://127.0.0.1:$PORT_DEAD" \
	    "ct-log-list $ROOT/conf/ct-logs.json" >"$TMP/root.conf"
	timeout 10 "$CTSTUB" -d -f "$TMP/root.conf" 2>"$TMP/root.err"
	expect_eq "root without user: exit status 1" 1 "$?"
	check "root without user: says why" "$(cat "$TMP/root.err")" \
	    grep -q "refusing to run as root" "$TMP/root.err"
else
	skip "root without user" "not running as root"
fi
done_testing
