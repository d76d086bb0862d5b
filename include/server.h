/* SPDX-License-Identifier: ISC */
/*
 * The daemon's shared state, created in main.c and passed explicitly to
 * every component. Nothing here is global.
 */
#ifndef CTSTUB_SERVER_H
#define CTSTUB_SERVER_H

#include <stdint.h>
#include <time.h>

#include "horizon.h"
#include "stats.h"

struct event_base;
struct timeval;
struct conf;
struct upstream_set;
struct listen_set;
struct loglist;
struct cache;
struct query;
struct generation;
struct control;
struct netwatch;
struct zones;
struct portal;

#define SERVER_INFLIGHT_BUCKETS 1024	/* in-flight table, by cache key */

struct server {
	struct event_base *base;
	const char *conf_path;		/* re-read by a reload */
	time_t started;
	int landlock_abi;		/* the sandbox in force; 0: none */
	struct generation *gen;		/* the configuration in force */
	struct generation *retiring;	/* replaced, finishing their queries */
	/* shortcuts into gen, set by server_use() */
	const struct conf *conf;
	const struct loglist *loglist;	/* the CT logs we trust */
	struct upstream_set *upstreams;
	struct zones *zones;		/* local and forward zones */
	struct listen_set *listeners;
	struct cache *cache;
	const struct timeval *attempt_timeout;	/* half the query timeout */
	struct query *inflight_table[SERVER_INFLIGHT_BUCKETS];
	uint64_t next_serial;	/* query ids for log lines */
	unsigned inflight;	/* queries waiting on an upstream */
	int stopping;		/* shutting down: no new upstream work */
	struct control *control;	/* control socket and metrics */
	struct netwatch *netwatch;	/* route and address changes */
	/*
	 * The monotonic clock in microseconds behind back-offs and answer
	 * times; NULL: the system's. Unit tests set their own to move time.
	 */
	uint64_t (*clock_us)(void);
	struct stats_server stats;
	struct audit *audit;		/* SCT auditing; outlives generations */
	/* early warning about the CT log list (horizon.h) */
	time_t horizon_warned;		/* the last horizon warning; 0: none */
	time_t loglist_failed_at;	/* the last failed update; 0: none */
	char loglist_failure[HORIZON_REASON_MAX];	/* its reason */
	struct portal *portal;	/* portal mode (portal.h); NULL: never on */
};

/* Makes gen the configuration in force (shortcuts, timeouts). */
void server_use(struct server *srv, struct generation *gen);
/* srv's monotonic clock (srv->clock_us, else CLOCK_MONOTONIC). */
uint64_t server_now_us(const struct server *srv);
uint64_t server_now_ms(const struct server *srv);
/* An answer cache sized by conf. */
struct cache *server_cache_new(const struct conf *conf);

#endif
