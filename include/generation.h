/* SPDX-License-Identifier: ISC */
/*
 * A configuration in force: the parsed file, its CT log list, the trust
 * policy built from both, and the upstreams built from those. Start-up
 * loads the first one; a reload (SIGHUP, `ctstub loglist install`, the
 * control socket) loads a new one beside it and swaps only when the whole
 * load succeeded, so a bad file or list never replaces a good one. The
 * replaced generation keeps its connections until the queries sent on them
 * are done (one query timeout), then is freed.
 *
 * Host names of DoH upstreams without 'address' are resolved through the
 * bootstrap servers on the event loop, never blocking it: a new
 * generation starts with the addresses the one it replaces had (none at
 * start-up: such an upstream answers SERVFAIL until its name resolves),
 * then looks its names up; new addresses make a copy of it with them that
 * takes over. A failed lookup keeps the old addresses (a warning); a name
 * that never resolved is retried with a growing back-off.
 */
#ifndef CTSTUB_GENERATION_H
#define CTSTUB_GENERATION_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "conf.h"
#include "verify.h"

struct server;
struct loglist;
struct upstream_set;
struct zones;
struct event;

struct bootstrap;
struct horizon;

struct generation {
	struct conf conf;
	char *conf_text;		/* the file as read: copies parse it */
	struct loglist *loglist;
	unsigned *loglist_refs;		/* loglist is shared with copies */
	struct verify_policy policy;
	struct upstream_set *upstreams;	/* NULL until generation_start() */
	struct zones *zones;		/* local and forward zones, likewise */
	struct event *retire;		/* frees it once it was replaced */
	struct generation *next_retiring;
	/* the generation in force only: */
	struct bootstrap *lookup;	/* its host names being resolved */
	struct event *lookup_retry;	/* the next try for names unresolved */
	unsigned retry_ms;		/* back-off of lookup_retry */
};

/*
 * Parses path and loads its CT log list; every error goes to errs (one
 * line each). NULL on any error.
 */
struct generation *generation_load(const char *path, FILE *errs);

/*
 * Builds the upstreams for srv (host names not resolved yet have none
 * usable); 0, or -1 with err.
 */
int generation_start(struct generation *gen, struct server *srv, char *err,
    size_t errlen);

/*
 * Starts resolving the host names of srv's generation in force, if it has
 * any (srv->base must exist). generation_resolving() tells whether that
 * lookup still runs; start-up waits for it before serving.
 */
void generation_resolve(struct server *srv);
int generation_resolving(const struct server *srv);

/* Closes its upstreams (their queries move on) and frees everything. */
void generation_free(struct generation *gen);

/* The list's age in days when over ct-list-max-age, else 0. */
long generation_list_stale_days(const struct generation *gen);
/* Logs a warning when the CT log list is too old. */
void generation_warn_if_stale(const struct generation *gen);
/* The list's horizon at now under gen's CT policy (horizon.h). */
void generation_horizon(const struct generation *gen, time_t now,
    struct horizon *h);
/*
 * Logs a warning from HORIZON_WARN_DAYS before the list's renewal risk
 * date on, at most once per HORIZON_WARN_INTERVAL_S: *last is the time
 * of the previous one (0: none), updated when it warns.
 */
void generation_warn_horizon(const struct generation *gen, time_t now,
    time_t *last);

/*
 * Re-reads srv's configuration file and CT log list. On success the new
 * generation serves every new query and the old one retires; on failure
 * the errors are logged and nothing changes. Either way msg gets one line
 * for the caller. 0 or -1.
 */
int generation_reload(struct server *srv, char *msg, size_t len);

/* Frees the generations still retiring (shutdown). */
void generation_free_retiring(struct server *srv);

#endif
