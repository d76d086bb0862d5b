#!/bin/bash
# SPDX-License-Identifier: ISC
# Runs every unit test program ($BUILD/test_*, one per tests/unit/test_*.c)
# and every tests/integration/*.sh, each under a timeout, and counts the
# lines they print: "ok - ", "not ok - ", "skip - ". Each program must end
# with the plan marker, a line "done_testing" after its last result (lib.sh's
# done_testing and check.h's CHECK_DONE print it), so one that stops early
# fails even with exit status 0. A program that exits non-zero without a
# "not ok" line, times out, prints no result at all, lacks the marker, or
# is missing counts as one failure named after it, so nothing fails
# silently. Last line: "N passed, N failed, N skipped"; exit 1 on failure.
#
# SLOW=1: dig and kdig start 1 s late (a wrapper first in PATH), as on a
# slow or busy machine; the suite must pass that way too.
set -u
cd "$(dirname "$0")/.." || exit 1
export BUILD=${BUILD:-build}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
PASSED=0 FAILED=0 SKIPPED=0

# slow_clients: a 0755 directory of dig/kdig wrappers that sleep 1 s, then
# run the real client; put first in PATH.
slow_clients() {
	local dir tool real
	dir=$(mktemp -d /tmp/ctstub-slow.XXXXXX) && chmod 755 "$dir" || exit 1
	for tool in dig kdig; do
		real=$(command -v "$tool") || continue
		printf '#!/bin/sh\nsleep 1\nexec %s "$@"\n' "$real" >"$dir/$tool"
		chmod 755 "$dir/$tool"
	done
	SLOW_DIR=$dir
	export PATH="$dir:$PATH"
	TEST_TIMEOUT=$((TEST_TIMEOUT * 3))
	echo "# SLOW=1: dig and kdig start 1 s late ($dir)"
}
SLOW_DIR=
case ${SLOW:-} in ''|0) ;; *) slow_clients ;; esac

failure() { # NAME DETAIL
	echo "not ok - $1: $2"
	FAILED=$((FAILED + 1))
}

count() { # FILE PREFIX
	grep -c "^$2" "$1"
}

# ends_with_marker FILE: the last of its result and marker lines is the
# plan marker "done_testing".
ends_with_marker() {
	[ "$(grep -E '^((ok|not ok|skip) - |done_testing$)' "$1" | tail -n 1)" \
	    = done_testing ]
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
	elif ! ends_with_marker "$out"; then
		failure "$name" "stopped early (no done_testing line at the end)"
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

[ -z "$SLOW_DIR" ] || rm -rf "$SLOW_DIR"
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
