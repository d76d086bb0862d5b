#!/bin/bash
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
expect_error "typo on line 3" "$TMP/typo.conf" "$TMP/typo.conf:3:"

printf '%s\n' "listen 127.0.0.1 $CTSTUB_PORT0" 'bogus-directive 1' \
    '# line 3' 'upstrem dot://127.0.0.1' >"$TMP/two.conf"
expect_error "two bad lines" "$TMP/two.conf" "$TMP/two.conf:2:" \
    "$TMP/two.conf:4:"

expect_error "nonexistent config" "$TMP/no-such.conf" "$TMP/no-such.conf"
done_testing
