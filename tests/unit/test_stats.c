/* SPDX-License-Identifier: ISC */
/* Unit tests for the answer-time histogram and refusal kinds (verify.c). */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "stats.h"
#include "verify.h"

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

/*
 * A refusal is counted by the check that failed (verify.c's kind), never by
 * the wording of its reason: the counters do not see the text at all.
 */
static void
test_refusal_kinds(void)
{
	CHECK("IP mismatch is identity", verify_refusal_stat(verify_error_kind(
	    X509_V_ERR_IP_ADDRESS_MISMATCH)) == STATS_REFUSED_IDENTITY);
	CHECK("name mismatch is identity", verify_refusal_stat(
	    verify_error_kind(X509_V_ERR_HOSTNAME_MISMATCH)) ==
	    STATS_REFUSED_IDENTITY);
	CHECK("untrusted chain", verify_refusal_stat(verify_error_kind(
	    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)) ==
	    STATS_REFUSED_CHAIN);
	CHECK("expired is the clock kind", verify_error_kind(
	    X509_V_ERR_CERT_HAS_EXPIRED) == VERIFY_REFUSED_CLOCK);
	CHECK("not yet valid is the clock kind", verify_error_kind(
	    X509_V_ERR_CERT_NOT_YET_VALID) == VERIFY_REFUSED_CLOCK);
	CHECK("the clock kind counts as chain", verify_refusal_stat(
	    VERIFY_REFUSED_CLOCK) == STATS_REFUSED_CHAIN);
	CHECK("no valid SCTs is CT", verify_refusal_stat(verify_error_kind(
	    X509_V_ERR_NO_VALID_SCTS)) == STATS_REFUSED_CT);
	CHECK("a verified chain is no refusal",
	    verify_error_kind(X509_V_OK) == VERIFY_NOT_REFUSED);
	CHECK("no CT evaluation is counted as CT",
	    verify_refusal_stat(VERIFY_REFUSED_NO_CT) == STATS_REFUSED_CT);
	CHECK("pin", verify_refusal_stat(VERIFY_REFUSED_PIN) ==
	    STATS_REFUSED_PIN);
	CHECK("ALPN is other", verify_refusal_stat(VERIFY_REFUSED_ALPN) ==
	    STATS_REFUSED_OTHER);
	CHECK("label values", !strcmp(stats_refusal_name(STATS_REFUSED_CHAIN),
	    "chain") && !strcmp(stats_refusal_name(STATS_REFUSED_IDENTITY),
	    "identity") && !strcmp(stats_refusal_name(STATS_REFUSED_CT), "ct") &&
	    !strcmp(stats_refusal_name(STATS_REFUSED_PIN), "pin") &&
	    !strcmp(stats_refusal_name(STATS_REFUSED_OTHER), "other"));
}

int
main(void)
{
	test_latency();
	test_refusal_kinds();
	return CHECK_DONE();
}
