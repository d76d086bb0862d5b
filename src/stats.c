/* SPDX-License-Identifier: ISC */
/* Answer-time histogram and refusal counter names for status and metrics. */
#include "stats.h"

#define FIRST_BOUND_US 100

uint64_t
stats_bucket_bound_us(size_t i)
{
	return i + 1 >= STATS_LATENCY_BUCKETS ? UINT64_MAX :
	    (uint64_t)FIRST_BOUND_US << i;
}

void
stats_latency_add(struct stats_latency *l, uint64_t us)
{
	size_t i = 0;

	while (us > stats_bucket_bound_us(i))
		i++;
	l->count[i]++;
	l->total++;
	l->sum_us += us;
}

uint64_t
stats_latency_quantile(const struct stats_latency *l, double q)
{
	uint64_t want, seen = 0;
	size_t i;

	if (l->total == 0)
		return 0;
	want = (uint64_t)(q * (double)l->total + 0.5);
	if (want == 0)
		want = 1;
	for (i = 0; i + 1 < STATS_LATENCY_BUCKETS; i++) {
		seen += l->count[i];
		if (seen >= want)
			return stats_bucket_bound_us(i);
	}
	/* the open bucket: say where it starts */
	return stats_bucket_bound_us(STATS_LATENCY_BUCKETS - 2);
}

const char *
stats_refusal_name(enum stats_refusal kind)
{
	static const char *const names[STATS_REFUSAL_KINDS] = { "chain",
	    "identity", "ct", "pin", "other" };

	return kind < STATS_REFUSAL_KINDS ? names[kind] : "other";
}
