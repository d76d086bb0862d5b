#!/bin/bash
# SPDX-License-Identifier: ISC
# Configuration checking: ctstub -n accepts the shipped config and reports
# errors as FILE:LINE: with exit status 2.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub

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

# -n -v prints the effective configuration as directives ctstub reads back.
"$CTSTUB" -n -v -f conf/ctstub.conf | grep -v 'configuration OK$' \
    | sed 's|^ca-file (system)$||; s|^user (none)$||' >"$TMP/printed.conf"
"$CTSTUB" -n -v -f "$TMP/printed.conf" | grep -v 'configuration OK$' \
    | sed 's|^ca-file (system)$||; s|^user (none)$||' >"$TMP/reprinted.conf"
expect_eq "-n -v output parses back to the same" \
    "$(cat "$TMP/printed.conf")" "$(cat "$TMP/reprinted.conf")"
check "-n -v lists every directive" "$(oneline "$(cat "$TMP/printed.conf")")" \
    test "$(grep -c . "$TMP/printed.conf")" -ge 20

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
