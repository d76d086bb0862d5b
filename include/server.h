/*
 * The daemon's shared state, created in main.c and passed explicitly to
 * every component. Nothing here is global.
 */
#ifndef CTSTUB_SERVER_H
#define CTSTUB_SERVER_H

#include <stdint.h>

struct event_base;
struct timeval;
struct conf;
struct upstream_set;
struct listen_set;
struct loglist;
struct cache;
struct query;

#define SERVER_INFLIGHT_BUCKETS 1024	/* in-flight table, by cache key */

struct server {
	struct event_base *base;
	const struct conf *conf;
	const struct loglist *loglist;	/* the CT logs we trust */
	struct upstream_set *upstreams;
	struct listen_set *listeners;
	struct cache *cache;
	const struct timeval *attempt_timeout;	/* half the query timeout */
	struct query *inflight_table[SERVER_INFLIGHT_BUCKETS];
	uint64_t next_serial;	/* query ids for log lines */
	unsigned inflight;	/* queries waiting on an upstream */
	int stopping;		/* shutting down: no new upstream work */
};

#endif
