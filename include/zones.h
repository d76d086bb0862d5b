/* SPDX-License-Identifier: ISC */
/*
 * The zones of one configuration: the locally served names (built-in
 * defaults, local-zone lines), the forward zones with their own upstream
 * sets and trust policies, and the zone table that finds the zone of a
 * query name. A generation owns its zones; queries keep pointers into
 * them while the generation lives.
 */
#ifndef CTSTUB_ZONES_H
#define CTSTUB_ZONES_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "conf.h"
#include "dnsmsg.h"
#include "verify.h"
#include "zone.h"

struct server;
struct upstream_set;

enum zone_kind {
	ZONE_PUBLIC,		/* local-zone NAME forward: the upstreams */
	ZONE_LOCALHOST,		/* A 127.0.0.1, AAAA ::1 (RFC 6761 6.3) */
	ZONE_NXDOMAIN,		/* NXDOMAIN with a SOA (RFC 6303) */
	ZONE_FORWARD		/* forward-zone: its own upstreams */
};

struct zone {
	char name[ZONE_WIRE_MAX + 1];	/* "home.arpa." */
	enum zone_kind kind;
	const struct conf_zone *conf;	/* NULL for a built-in default */
	struct upstream_set *upstreams;	/* ZONE_FORWARD, after zones_start */
	struct verify_policy policy;	/* ZONE_FORWARD: its trust */
	uint64_t answers;		/* answered here (local zones) */
	uint64_t queries;		/* sent to its upstreams (forward) */
};

struct zones {
	struct zone *list;		/* defaults first, then the lines */
	size_t count;
	struct zone_table *table;	/* points into list */
	enum conf_strategy strategy;	/* for the forward zones' upstreams */
};

/*
 * The zones of conf: the defaults a line of the same name does not
 * replace, then conf's lines. NULL with err when out of memory.
 */
struct zones *zones_new(const struct conf *conf, char *err, size_t errlen);
/*
 * Builds the upstream set of each forward zone for srv, with the trust of
 * base made the zone's own (its pins only, no CT with `ct off`, its
 * ca-file, else share_trust's CA store). 0, or -1 with err.
 */
int zones_start(struct zones *zs, struct server *srv,
    const struct verify_policy *base, SSL_CTX *share_trust, char *err,
    size_t errlen);
/* Replaced by a reload: their upstreams start no probes. */
void zones_retire(struct zones *zs);
/* After a reload: zones of the same name keep counting. */
void zones_carry_stats(struct zones *to, const struct zones *from);
/*
 * The network changed, or `ctstub reset`: every forward zone's back-offs
 * end (upstream_set_end_backoffs); how many did.
 */
size_t zones_end_backoffs(struct zones *zs, const char *why);
/* Closes the zones' upstreams (their queries move on) and frees. */
void zones_free(struct zones *zs);

/*
 * The zone of a parsed client query's name, or NULL (the upstreams; also
 * when zs is NULL); *name_off: where the zone's labels start in msg.
 */
static inline struct zone *
zones_match(const struct zones *zs, const uint8_t *msg,
    const struct dnsmsg_query *info, size_t *name_off)
{
	size_t off = 0;
	struct zone *z = zone_table_match(zs ? zs->table : NULL,
	    msg + DNS_HEADER_LEN,
	    info->question_end - 4 - DNS_HEADER_LEN, &off);

	*name_off = DNS_HEADER_LEN + off;
	return z;
}

/* The number of zones sending queries in plain DNS; their names logged. */
size_t zones_log_plaintext(const struct zones *zs);

#endif
