#!/bin/sh
# SPDX-License-Identifier: ISC
# bench/mkzone.sh [COUNT]: prints the benchmark zone bench.test. on stdout:
# n0 .. n(COUNT-1) (default 100000), one A record each, with addresses from
# the benchmarking range 198.18.0.0/15 (RFC 2544), plus health.bench.test
# for health checks. TTL one day, so no answer expires during a run.
set -eu
count=${1:-100000}
awk -v count="$count" 'BEGIN {
	print "$TTL 86400"
	print "@\tIN SOA\tns.bench.test. hostmaster.bench.test. 1 3600 600 86400 86400"
	print "\tIN NS\tns.bench.test."
	print "ns\tIN A\t127.0.0.1"
	print "health\tIN A\t127.0.0.1"
	for (i = 0; i < count; i++)
		printf "n%d\tIN A\t198.%d.%d.%d\n", i, 18 + int(i / 65536),
		    int(i / 256) % 256, i % 256
}'
