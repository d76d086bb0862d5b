/* SPDX-License-Identifier: ISC */
/* The configuration in force and what is derived from it. */
#include <time.h>

#include <event2/event.h>

#include "cache.h"
#include "generation.h"
#include "log.h"
#include "audit.h"
#include "server.h"

#define SERVE_STALE_WINDOW_S 86400	/* RFC 8767: keep a day at most */

void
server_use(struct server *srv, struct generation *gen)
{
	unsigned ms = gen->conf.timeout_ms / 2;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	const struct timeval *common;
	char err[300];

	srv->gen = gen;
	srv->conf = &gen->conf;
	srv->loglist = gen->loglist;
	srv->upstreams = gen->upstreams;
	srv->zones = gen->zones;
	if (srv->audit != NULL && audit_configure(srv->audit, &gen->conf, err,
	    sizeof(err)) == -1)
		log_warn("%s", err);
	/* one common timeout queue per distinct value: libevent keeps them */
	common = event_base_init_common_timeout(srv->base, &tv);
	if (common != NULL)
		srv->attempt_timeout = common;
	else
		log_warn("cannot set up the query timeout of %u ms; keeping "
		    "the previous one", gen->conf.timeout_ms);
}

uint64_t
server_now_us(const struct server *srv)
{
	struct timespec ts;

	if (srv->clock_us != NULL)
		return srv->clock_us();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
server_now_ms(const struct server *srv)
{
	return server_now_us(srv) / 1000;
}

struct cache *
server_cache_new(const struct conf *conf)
{
	return cache_new(conf->cache_size, conf->cache_max_bytes,
	    conf->cache_min_ttl, conf->cache_max_ttl,
	    conf->serve_stale ? SERVE_STALE_WINDOW_S : 0);
}
