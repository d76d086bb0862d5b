/* SPDX-License-Identifier: ISC */
/*
 * Portal mode: on the user's command (`ctstub portal`), for a limited
 * time, every query that is not answered locally goes in plain DNS to the
 * network's own server, so that a captive portal's login page resolves.
 * A temporary root forward zone with one dns:// upstream: the one
 * exception to "never plaintext" for the public names. It ends by itself;
 * its answers are never cached. It lives in the server, not in a
 * generation: a reload keeps it.
 */
#ifndef CTSTUB_PORTAL_H
#define CTSTUB_PORTAL_H

#include <stdint.h>

#include <jansson.h>

struct server;
struct upstream_set;

#define PORTAL_DEFAULT_S 300	/* --for: 5 minutes unless given */
#define PORTAL_MAX_S 1800	/* and never more than 30 minutes */

/*
 * "90s" or "5m" (a unit is required) into *seconds, 1 to PORTAL_MAX_S;
 * 0, or -1 when malformed or out of range.
 */
int portal_parse_duration(const char *text, unsigned *seconds);

/*
 * The control command: "on SECONDS SERVER" (SERVER: IP, IP:PORT or
 * [IPv6]:PORT) starts the portal, or restarts it with the new server and
 * time; "off" ends it. The {"ok", "message"} reply; the caller frees it.
 */
char *portal_command(struct server *srv, const char *args);
/* The portal's upstreams while it is on, else NULL. */
struct upstream_set *portal_set(const struct server *srv);
/* Is set one of the portal's (on, or ended and finishing its queries)? */
int portal_owns(const struct server *srv, const struct upstream_set *set);
/*
 * The status JSON object: "state" ("on"/"off"), "server" (null when off),
 * "seconds_left", "seconds" (as asked), "starts", "last_end" (why the
 * last one ended: "expired", "ended by the user"; or null). New reference.
 */
json_t *portal_json(const struct server *srv);
/* Seconds left (0 when off); *server gets its label ("" when off). */
unsigned portal_left(const struct server *srv, const char **server);
/* Portals started since the daemon started. */
uint64_t portal_starts(const struct server *srv);
/* At shutdown: ends it silently and frees everything; NULL-safe. */
void portal_free(struct server *srv);

#endif
