/* SPDX-License-Identifier: ISC */
/*
 * The one-line verdict at the top of `ctstub status`: is the daemon
 * healthy, degraded (some upstreams down, a stale CT log list) or failing
 * (no upstream can answer), the cause in words and the fix, with the
 * section of docs/troubleshooting.md that explains it. Built in the
 * daemon from the upstreams' state (upstream.c) and the generation in
 * force; `ctstub status` turns the state into its exit status.
 */
#ifndef CTSTUB_VERDICT_H
#define CTSTUB_VERDICT_H

#include <stddef.h>

struct server;

enum verdict_state {
	VERDICT_HEALTHY,	/* every upstream usable (or not tried yet) */
	VERDICT_DEGRADED,	/* answers flow, but something needs a look */
	VERDICT_FAILING		/* no upstream can answer */
};

#define VERDICT_MAX 512

/* Writes the verdict line (no newline) into out; returns the state. */
enum verdict_state verdict_of(const struct server *srv, char *out,
    size_t len);
/* "healthy", "degraded" or "failing" (the JSON "state"). */
const char *verdict_state_name(enum verdict_state state);

#endif
