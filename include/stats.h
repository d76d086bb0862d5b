/* SPDX-License-Identifier: ISC */
/*
 * Counters for `ctstub status` and the metrics endpoint: per-upstream
 * queries, answers, failures, refusals by kind, fail-overs and an answer
 * time histogram; daemon-wide query and cache counters. Plain integers
 * bumped on the hot path; no allocation.
 */
#ifndef CTSTUB_STATS_H
#define CTSTUB_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Answer-time buckets: upper bounds 100 us * 2^i, the last one unbounded. */
#define STATS_LATENCY_BUCKETS 18

/*
 * The refusal counters, one per metric label value; verify.c says which
 * counter a refusal goes to (verify_refusal_stat).
 */
enum stats_refusal {
	STATS_REFUSED_CHAIN,	/* no path to a trusted root, expired, ... */
	STATS_REFUSED_IDENTITY,	/* the IP or name dialled is not named */
	STATS_REFUSED_CT,	/* not enough valid SCTs */
	STATS_REFUSED_PIN,	/* no pinned key in the verified chain */
	STATS_REFUSED_OTHER,	/* ALPN, TLS version, ... */
	STATS_REFUSAL_KINDS
};

struct stats_latency {
	uint64_t count[STATS_LATENCY_BUCKETS];
	uint64_t total;
	uint64_t sum_us;
};

struct stats_upstream {
	uint64_t queries;	/* sent to this upstream */
	uint64_t answers;
	uint64_t failures;	/* connection failures (not refusals) */
	uint64_t refusals[STATS_REFUSAL_KINDS];
	uint64_t failovers;	/* queries that moved on from here */
	uint64_t connections;	/* verified connections made */
	struct stats_latency latency;
};

struct stats_server {
	uint64_t queries_udp;
	uint64_t queries_tcp;
	uint64_t cache_hits;
	uint64_t stale_answers;	/* serve-stale */
	uint64_t coalesced;	/* joined an identical query in flight */
	uint64_t servfail;	/* our own SERVFAIL answers */
	uint64_t dropped;	/* malformed or over max-inflight */
	uint64_t reloads;
	uint64_t reload_failures;
	uint64_t loglist_update_failures;	/* reported by the helper */
	uint64_t local_answers;	/* locally served names */
};

void stats_latency_add(struct stats_latency *l, uint64_t us);
/* Upper bound in microseconds of bucket i; UINT64_MAX for the last. */
uint64_t stats_bucket_bound_us(size_t i);
/*
 * The answer time (us) under which a fraction q (0..1) of the answers
 * fell, to bucket precision; 0 when nothing was measured.
 */
uint64_t stats_latency_quantile(const struct stats_latency *l, double q);

/* The metric label value of a counter ("chain", "identity", ...). */
const char *stats_refusal_name(enum stats_refusal kind);

#endif
