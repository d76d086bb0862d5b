#!/bin/bash
# SPDX-License-Identifier: ISC
# Runs every unit test program ($BUILD/test_*, one per tests/unit/test_*.c)
# and every tests/integration/*.sh, each under a timeout, and counts the
# lines they print: "ok - ", "not ok - ", "skip - ". A program that exits
# non-zero without a "not ok" line, times out, prints no result at all, or
# is missing counts as one failure named after it, so nothing fails
# silently. Last line: "N passed, N failed, N skipped"; exit 1 on failure.
set -u
cd "$(dirname "$0")/.." || exit 1
export BUILD=${BUILD:-build}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
PASSED=0 FAILED=0 SKIPPED=0

failure() { # NAME DETAIL
	echo "not ok - $1: $2"
	FAILED=$((FAILED + 1))
}

count() { # FILE PREFIX
	grep -c "^$2" "$1"
}

# run_test NAME CMD...: run CMD, show its output, count its results.
run_test() {
	local name=$1 out rc nok
	shift
	echo "# $name"
	out=$(mktemp)
	timeout -k 10 "$TEST_TIMEOUT" "$@" </dev/null | tee "$out"
	rc=${PIPESTATUS[0]}
	nok=$(count "$out" 'not ok - ')
	PASSED=$((PASSED + $(count "$out" 'ok - ')))
	FAILED=$((FAILED + nok))
	SKIPPED=$((SKIPPED + $(count "$out" 'skip - ')))
	if [ "$rc" -eq 124 ]; then
		failure "$name" "timed out after $TEST_TIMEOUT s"
	elif [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then
		failure "$name" "exited with status $rc"
	elif ! grep -qE '^(ok|not ok|skip) - ' "$out"; then
		failure "$name" "printed no result"
	fi
	rm -f "$out"
}

# Unit programs: the union of built binaries and sources, so a test whose
# binary was not built is reported rather than skipped.
unit_names() {
	local f
	for f in tests/unit/test_*.c "$BUILD"/test_*; do
		[ -e "$f" ] || continue
		case $f in *.c) ;; *.*) continue ;; esac
		f=$(basename "$f")
		echo "${f%.c}"
	done | sort -u
}

ntests=0
for name in $(unit_names); do
	ntests=$((ntests + 1))
	if [ -x "$BUILD/$name" ]; then
		run_test "$name" "$BUILD/$name"
	else
		failure "$name" "$BUILD/$name not built"
	fi
done
for script in tests/integration/*.sh; do
	[ -e "$script" ] || continue
	ntests=$((ntests + 1))
	run_test "$(basename "$script")" bash "$script"
done
[ "$ntests" -gt 0 ] || failure "tests/run.sh" "no tests found"

echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
