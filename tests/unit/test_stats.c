/* SPDX-License-Identifier: ISC */
/* Unit tests for the answer-time histogram and refusal kinds. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "stats.h"

static void
test_latency(void)
{
	struct stats_latency l = { { 0 }, 0, 0 };
	int i;

	CHECK("empty histogram: quantile 0", stats_latency_quantile(&l, 0.5) ==
	    0);
	/* 90 answers in 0.1 ms, 9 in 1.6 ms, 1 in 10 s */
	for (i = 0; i < 90; i++)
		stats_latency_add(&l, 80);
	for (i = 0; i < 9; i++)
		stats_latency_add(&l, 1500);
	stats_latency_add(&l, 10000000);
	CHECK("total counted", l.total == 100);
	CHECK("sum kept", l.sum_us == 90 * 80 + 9 * 1500 + 10000000);
	CHECK("p50 in the first bucket", stats_latency_quantile(&l, 0.5) ==
	    100);
	CHECK("p90 in the first bucket", stats_latency_quantile(&l, 0.9) ==
	    100);
	CHECK("p99 in the 1.6 ms bucket", stats_latency_quantile(&l, 0.99) ==
	    1600);
	CHECK("p100 in the open bucket: its lower bound",
	    stats_latency_quantile(&l, 1.0) ==
	    stats_bucket_bound_us(STATS_LATENCY_BUCKETS - 2));
	CHECK("bounds double", stats_bucket_bound_us(0) == 100 &&
	    stats_bucket_bound_us(1) == 200 && stats_bucket_bound_us(4) ==
	    1600);
	CHECK("last bucket unbounded",
	    stats_bucket_bound_us(STATS_LATENCY_BUCKETS - 1) == UINT64_MAX);
	stats_latency_add(&l, 100);
	CHECK("a bound falls into its own bucket", l.count[0] == 91);
	stats_latency_add(&l, 101);
	CHECK("just above a bound: the next bucket", l.count[1] == 1);
}

static void
test_refusal_kinds(void)
{
	CHECK("IP mismatch is identity", stats_refusal_kind(
	    "certificate does not match IP 1.1.1.1") == STATS_REFUSED_IDENTITY);
	CHECK("name mismatch is identity", stats_refusal_kind(
	    "certificate does not match name x") == STATS_REFUSED_IDENTITY);
	CHECK("untrusted chain", stats_refusal_kind("certificate chain not "
	    "trusted: unable to get local issuer certificate") ==
	    STATS_REFUSED_CHAIN);
	CHECK("CT", stats_refusal_kind("CT: 1 valid SCT from 1 operator") ==
	    STATS_REFUSED_CT);
	CHECK("pin", stats_refusal_kind("no certificate in the verified chain "
	    "matches a configured pin") == STATS_REFUSED_PIN);
	CHECK("ALPN is other", stats_refusal_kind("server did not negotiate "
	    "ALPN h2") == STATS_REFUSED_OTHER);
	CHECK("names", !strcmp(stats_refusal_name(STATS_REFUSED_CT), "ct") &&
	    !strcmp(stats_refusal_name(STATS_REFUSED_IDENTITY), "identity"));
}

int
main(void)
{
	test_latency();
	test_refusal_kinds();
	return CHECK_DONE();
}
