/* SPDX-License-Identifier: ISC */
/*
 * The zones of a configuration: defaults and lines merged, the zone table
 * built over them, the forward zones' upstream sets and trust.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "localzone.h"
#include "log.h"
#include "upstream.h"
#include "zones.h"

/* While building: the zones and the configuration they come from. */
struct zones_build {
	struct zones *zs;
	const struct conf *conf;
	size_t cap;
};

static int
has_line(const struct conf *conf, const char *name)
{
	size_t i;

	for (i = 0; i < conf->nzones; i++)
		if (strcmp(conf->zones[i].name, name) == 0)
			return 1;
	return 0;
}

static struct zone *
zone_append(struct zones_build *b, const char *name, enum zone_kind kind)
{
	struct zones *zs = b->zs;
	struct zone *z;

	if (zs->count == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 128;
		struct zone *grown = realloc(zs->list, cap * sizeof(*grown));

		if (grown == NULL)
			return NULL;
		zs->list = grown;
		b->cap = cap;
	}
	z = &zs->list[zs->count++];
	memset(z, 0, sizeof(*z));
	snprintf(z->name, sizeof(z->name), "%s", name);
	z->kind = kind;
	return z;
}

/* A default, unless a line of the configuration names the same zone. */
static int
add_default_cb(void *arg, const char *name, enum zone_kind kind)
{
	struct zones_build *b = arg;

	if (has_line(b->conf, name))
		return 0;
	return zone_append(b, name, kind) == NULL ? -1 : 0;
}

static enum zone_kind
kind_of(const struct conf_zone *cz)
{
	switch (cz->kind) {
	case CONF_ZONE_NXDOMAIN:
		return ZONE_NXDOMAIN;
	case CONF_ZONE_PUBLIC:
		return ZONE_PUBLIC;
	default:
		return ZONE_FORWARD;
	}
}

/* The table over the list (which no longer moves). */
static int
build_table(struct zones *zs)
{
	uint8_t wire[ZONE_WIRE_MAX];
	size_t i, n;

	if ((zs->table = zone_table_new()) == NULL)
		return -1;
	for (i = 0; i < zs->count; i++) {
		n = zone_name_wire(zs->list[i].name, wire, sizeof(wire));
		if (n == 0 || zone_table_add(zs->table, wire, n,
		    &zs->list[i]) == -1)
			return -1;
	}
	return 0;
}

struct zones *
zones_new(const struct conf *conf, char *err, size_t errlen)
{
	struct zones_build b = { calloc(1, sizeof(struct zones)), conf, 0 };
	struct zone *z;
	size_t i;

	if (b.zs != NULL)
		b.zs->strategy = conf->strategy;
	if (b.zs == NULL ||
	    localzone_each_default(add_default_cb, &b) == -1)
		goto fail;
	for (i = 0; i < conf->nzones; i++) {
		if ((z = zone_append(&b, conf->zones[i].name,
		    kind_of(&conf->zones[i]))) == NULL)
			goto fail;
		z->conf = &conf->zones[i];
	}
	if (build_table(b.zs) == -1)
		goto fail;
	return b.zs;
fail:
	snprintf(err, errlen, "zones: out of memory");
	zones_free(b.zs);
	return NULL;
}

/* The zone's own trust: its pins only (never the global ones), and no CT
 * with `ct off`. */
static void
zone_policy(struct zone *z, const struct verify_policy *base)
{
	z->policy = *base;
	z->policy.pins = NULL;
	if (z->conf->ct_off)
		z->policy.loglist = NULL;
}

int
zones_start(struct zones *zs, struct server *srv,
    const struct verify_policy *base, SSL_CTX *share_trust, char *err,
    size_t errlen)
{
	char why[500];
	size_t i;

	for (i = 0; i < zs->count; i++) {
		struct zone *z = &zs->list[i];
		const struct conf_zone *cz = z->conf;

		if (z->kind != ZONE_FORWARD)
			continue;
		zone_policy(z, base);
		z->upstreams = upstream_set_new_list(srv, cz->upstreams,
		    cz->nupstreams, zs->strategy, cz->ca_file,
		    cz->ca_file ? NULL : share_trust, &z->policy, why,
		    sizeof(why));
		if (z->upstreams == NULL) {
			snprintf(err, errlen, "forward-zone %s: %s", z->name,
			    why);
			return -1;
		}
	}
	return 0;
}

void
zones_retire(struct zones *zs)
{
	size_t i;

	for (i = 0; zs != NULL && i < zs->count; i++)
		if (zs->list[i].upstreams != NULL)
			zs->list[i].upstreams->retiring = 1;
}

size_t
zones_end_backoffs(struct zones *zs, const char *why)
{
	size_t i, n = 0;

	for (i = 0; zs != NULL && i < zs->count; i++)
		if (zs->list[i].upstreams != NULL)
			n += upstream_set_end_backoffs(zs->list[i].upstreams,
			    why);
	return n;
}

void
zones_carry_stats(struct zones *to, const struct zones *from)
{
	size_t i, j;

	for (i = 0; i < to->count; i++)
		for (j = 0; j < from->count; j++) {
			struct zone *a = &to->list[i];
			const struct zone *b = &from->list[j];

			if (strcmp(a->name, b->name) != 0 || a->kind != b->kind)
				continue;
			a->answers = b->answers;
			a->queries = b->queries;
			if (a->upstreams != NULL && b->upstreams != NULL)
				upstream_set_carry_stats(a->upstreams,
				    b->upstreams);
			break;
		}
}

void
zones_free(struct zones *zs)
{
	size_t i;

	if (zs == NULL)
		return;
	for (i = 0; i < zs->count; i++)
		upstream_set_free(zs->list[i].upstreams);
	zone_table_free(zs->table);
	free(zs->list);
	free(zs);
}

size_t
zones_log_plaintext(const struct zones *zs)
{
	char names[400] = "";
	size_t i, n = 0, len = 0;

	for (i = 0; i < zs->count; i++) {
		const struct zone *z = &zs->list[i];

		if (z->kind != ZONE_FORWARD || !conf_zone_plaintext(z->conf))
			continue;
		if (len < sizeof(names))
			len += (size_t)snprintf(names + len, sizeof(names) -
			    len, "%s%s", n ? ", " : "", z->name);
		n++;
	}
	if (n > 0)
		log_warn("forward zones in plain DNS (unencrypted, "
		    "unauthenticated): %s", names);
	return n;
}
