#!/bin/bash
# SPDX-License-Identifier: ISC
# Differential test: random questions (random case, qtypes the zone has and
# has not, random RD/CD/AD/DO, EDNS sizes and versions) asked through
# ctstub twice (the second, spelled otherwise, from the cache) and straight
# to named; bursts of one name in several spellings and flags test
# coalescing. rcode, flags, question bytes and RRsets must match
# (tests/tools/dnswire.py says what exactly).
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki
NAMED_EXTRA_CONF="zone \"wire.test.\" { type primary;
    file \"$ROOT/tests/named/wire.test.zone\"; };"
start_named good
P=$CTSTUB_PORT0
start_ctstub diff "$P" "upstream dot://127.0.0.1:$(dot_port good)"

WIRE=$ROOT/tests/tools/dnswire.py
SEED=${DIFF_SEED:-$(date +%s)}
echo "# seed $SEED (DIFF_SEED=$SEED to repeat)"
start=$(now_ms)
out=$("$PY" "$WIRE" diff --ctstub "127.0.0.1:$P" \
    --direct "127.0.0.1:$PORT_PLAIN" --zone wire.test --count 2000 \
    --bursts 100 --seed "$SEED" 2>&1)
rc=$?
ms=$(elapsed_ms "$start")
while IFS= read -r line; do echo "# $line"; done <<<"$out"
echo "# $ms ms"
check "2,000 questions and 100 bursts: ctstub answers as named does" \
    "seed $SEED: $(sed -n 's/^# .*, \([0-9]*\) mismatches$/\1/p' \
    <<<"$out") mismatches" \
    [ "$rc" -eq 0 ]
check "the differential ran (summary printed)" "no summary" \
    grep -q '^# 2000 questions, 100 bursts' <<<"$out"

stop_ctstub diff
done_testing
