#!/bin/bash
# SPDX-License-Identifier: ISC
# Runs every libFuzzer harness in $BUILD for SECONDS each (default 60),
# starting from the seed corpus in tests/fuzz/corpus/NAME (copied to
# tests/tmp/fuzz so the committed seeds stay small). Prints executions and
# findings per harness; exits 1 if any harness found a crash.
set -u
BUILD=${BUILD:-build-fuzz}
SECONDS_EACH=${1:-60}
cd "$(dirname "$0")/.." || exit 1
found=0
for bin in "$BUILD"/fuzz_*; do
	name=$(basename "$bin")
	work=tests/tmp/fuzz/$name
	mkdir -p "$work/corpus" "$work/crashes"
	cp -n tests/fuzz/corpus/"$name"/* "$work/corpus/" 2>/dev/null
	"$bin" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
	    -artifact_prefix="$work/crashes/" "$work/corpus" \
	    >"$work/log" 2>&1
	rc=$?
	runs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$work/log")
	crashes=$(find "$work/crashes" -type f | wc -l)
	echo "$name: ${runs:-0} executions in ${SECONDS_EACH} s," \
	    "$crashes finding(s), exit $rc"
	if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
		found=1
		tail -n 30 "$work/log"
	fi
done
exit $found
