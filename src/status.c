/* SPDX-License-Identifier: ISC */
/* The status document (JSON, jansson) for the control socket. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "base64.h"
#include "cache.h"
#include "generation.h"
#include "horizon.h"
#include "loglist.h"
#include "portal.h"
#include "server.h"
#include "status.h"
#include "upstream.h"
#include "verdict.h"
#include "zones.h"

static json_t *
iso_time(time_t t)
{
	char buf[32];
	struct tm tm;

	if (t == 0)
		return json_null();
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static json_t *
chain_json(const struct upstream_trust *t)
{
	json_t *chain = json_array();
	size_t i;

	for (i = 0; i < t->ncerts; i++)
		json_array_append_new(chain, json_pack("{s:s, s:s, s:o, s:s}",
		    "subject", t->certs[i].subject, "issuer",
		    t->certs[i].issuer, "not_after",
		    iso_time(t->certs[i].not_after), "pin", t->certs[i].pin));
	return chain;
}

static json_t *
scts_json(const struct upstream_trust *t)
{
	json_t *scts = json_array();
	size_t i;

	for (i = 0; i < t->nscts; i++) {
		const struct trust_sct *s = &t->scts[i];

		json_array_append_new(scts, json_pack("{s:s, s:s, s:o, s:s, "
		    "s:s}", "log", s->log, "operator", s->operator_name,
		    "timestamp", iso_time((time_t)(s->timestamp_ms / 1000)),
		    "source", s->source, "verdict", s->verdict));
	}
	return scts;
}

/* What the list in force says of the certificate's future (horizon.h). */
static void
add_outlook(json_t *trust, const struct upstream_trust *t,
    const struct generation *gen, const struct horizon *h)
{
	time_t not_after = t->ncerts > 0 ? t->certs[0].not_after : 0;
	int hold = horizon_logs_hold(gen->loglist, t, not_after,
	    gen->policy.ct.min_logs, gen->policy.ct.min_operators);

	json_object_set_new(trust, "not_after", iso_time(not_after));
	json_object_set_new(trust, "logs_hold_at_not_after", hold < 0 ?
	    json_null() : json_boolean(hold));
	json_object_set_new(trust, "renewal_at_risk", json_boolean(
	    not_after != 0 && horizon_renewal_at_risk(h, not_after)));
}

static json_t *
trust_json(const struct upstream_trust *t, const struct generation *gen,
    const struct horizon *h)
{
	json_t *trust;

	if (t->verified_at == 0)
		return json_null();
	trust = json_pack("{s:o, s:s, s:o, s:o, s:s, s:s?}", "verified_at",
	    iso_time(t->verified_at), "tls_version", t->tls_version, "chain",
	    chain_json(t), "scts", scts_json(t), "ct", t->ct_summary,
	    "pin_matched", t->pin_matched[0] ? t->pin_matched : NULL);
	if (trust != NULL)
		add_outlook(trust, t, gen, h);
	return trust;
}

static json_t *
counters_json(const struct stats_upstream *s)
{
	json_t *refusals = json_object();
	size_t k;

	for (k = 0; k < STATS_REFUSAL_KINDS; k++)
		json_object_set_new(refusals, stats_refusal_name(k),
		    json_integer((json_int_t)s->refusals[k]));
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "queries",
	    (json_int_t)s->queries, "answers", (json_int_t)s->answers,
	    "failures", (json_int_t)s->failures, "failovers",
	    (json_int_t)s->failovers, "connections",
	    (json_int_t)s->connections, "refusals", refusals);
}

static json_t *
latency_json(const struct stats_latency *l)
{
	if (l->total == 0)
		return json_null();
	return json_pack("{s:f, s:f, s:f, s:f}",
	    "p50", (double)stats_latency_quantile(l, 0.50) / 1000,
	    "p90", (double)stats_latency_quantile(l, 0.90) / 1000,
	    "p99", (double)stats_latency_quantile(l, 0.99) / 1000,
	    "mean", (double)l->sum_us / (double)l->total / 1000);
}

/* Each counted SCT's audit state; null when the certificate is not audited. */
static json_t *
audit_state_json(const struct upstream *up)
{
	const struct trust_evidence *ev = &up->trust.evidence;
	json_t *a = audit_json(up->set->srv->audit, ev->leaf, ev->leaf_len);

	return a != NULL ? a : json_null();
}

static const char *
transport_name(const struct conf_upstream *u)
{
	switch (u->transport) {
	case CONF_DOH:
		return "doh";
	case CONF_PLAIN:
		return "plain";
	default:
		return "dot";
	}
}

static json_t *
upstream_json(const struct upstream *up, const struct generation *gen,
    const struct horizon *h)
{
	json_t *doc = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s?, s:I, s:o, s:o, "
	    "s:o}", "url", up->conf->url, "address", up->label, "transport",
	    transport_name(up->conf), "connected",
	    up->ready, "health", upstream_health(up), "last_error",
	    up->last_error[0] ? up->last_error : NULL, "backoff_ms",
	    (json_int_t)up->backoff_ms, "trust", trust_json(&up->trust, gen, h),
	    "counters", counters_json(&up->stats), "latency_ms",
	    latency_json(&up->stats.latency));

	if (doc != NULL)
		json_object_set_new(doc, "ct_audit", audit_state_json(up));
	return doc;
}

static json_t *
daemon_json(const struct server *srv)
{
	const struct stats_server *s = &srv->stats;

	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I}", "queries_udp", (json_int_t)s->queries_udp, "queries_tcp",
	    (json_int_t)s->queries_tcp, "cache_hits",
	    (json_int_t)s->cache_hits, "cache_entries",
	    (json_int_t)cache_entries(srv->cache), "stale_answers",
	    (json_int_t)s->stale_answers, "coalesced",
	    (json_int_t)s->coalesced, "servfail", (json_int_t)s->servfail,
	    "dropped", (json_int_t)s->dropped, "inflight",
	    (json_int_t)srv->inflight, "reloads", (json_int_t)s->reloads,
	    "reload_failures", (json_int_t)s->reload_failures);
}

static json_t *
upstreams_json(const struct upstream_set *set, const struct generation *gen,
    const struct horizon *h)
{
	json_t *ups = json_array();
	size_t i;

	for (i = 0; set != NULL && i < set->count; i++)
		json_array_append_new(ups, upstream_json(&set->list[i], gen,
		    h));
	return ups;
}

static const char *
zone_action(const struct zone *z)
{
	static const char *const names[] = { "forward", "localhost",
	    "nxdomain", "forward-zone" };

	return names[z->kind];
}

/* Each forward zone: its upstreams, plaintext or not, its CT. */
static json_t *
forward_zones_json(const struct zones *zs, const struct generation *gen,
    const struct horizon *h)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; zs != NULL && i < zs->count; i++) {
		const struct zone *z = &zs->list[i];

		if (z->kind != ZONE_FORWARD)
			continue;
		json_array_append_new(list, json_pack("{s:s, s:b, s:s, s:s?, "
		    "s:I, s:o}", "name", z->name, "plaintext",
		    conf_zone_plaintext(z->conf), "ct", z->conf->ct_off ?
		    "off" : "as configured", "ca_file", z->conf->ca_file,
		    "queries", (json_int_t)z->queries, "upstreams",
		    upstreams_json(z->upstreams, gen, h)));
	}
	return list;
}

/* The locally served names (and local-zone ... forward exceptions). */
static json_t *
local_zones_json(const struct server *srv)
{
	const struct zones *zs = srv->zones;
	json_t *list = json_array();
	size_t i;

	for (i = 0; zs != NULL && i < zs->count; i++) {
		const struct zone *z = &zs->list[i];

		if (z->kind == ZONE_FORWARD)
			continue;
		json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:I}",
		    "name", z->name, "action", zone_action(z), "configured",
		    z->conf != NULL, "answers", (json_int_t)z->answers));
	}
	return json_pack("{s:I, s:o}", "answers",
	    (json_int_t)srv->stats.local_answers, "zones", list);
}

static json_t *
last_failure_json(const struct server *srv)
{
	if (srv->loglist_failed_at == 0)
		return json_null();
	return json_pack("{s:o, s:s}", "at", iso_time(srv->loglist_failed_at),
	    "reason", srv->loglist_failure);
}

static json_t *
loglist_json(const struct server *srv, const struct horizon *h)
{
	const struct generation *gen = srv->gen;
	const struct loglist *l = gen->loglist;

	return json_pack("{s:s, s:s, s:o, s:I, s:I, s:I, s:b, s:I, s:o, s:o, "
	    "s:b, s:I, s:o}", "path",
	    gen->conf.ct_log_list, "version", l->version, "timestamp",
	    iso_time(l->timestamp), "age_days",
	    (json_int_t)((time(NULL) - l->timestamp) / 86400), "logs",
	    (json_int_t)l->nlogs, "operators", (json_int_t)l->noperators,
	    "stale", generation_list_stale_days(gen) > 0,
	    "age_s", (json_int_t)h->age_s, "horizon", iso_time(h->end),
	    "risk_date", iso_time(h->risk), "horizon_warning",
	    horizon_days_to_risk(h) != HORIZON_NOT_DUE, "update_failures",
	    (json_int_t)srv->stats.loglist_update_failures,
	    "last_update_failure", last_failure_json(srv));
}

static char *
dump(json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
	char *out = text ? malloc(strlen(text) + 2) : NULL;

	if (out != NULL)
		sprintf(out, "%s\n", text);
	free(text);
	json_decref(doc);
	return out;
}

char *
status_json(struct server *srv)
{
	json_t *ups, *doc;
	struct horizon h;
	char verdict[VERDICT_MAX];
	enum verdict_state state = verdict_of(srv, verdict, sizeof(verdict));

	generation_horizon(srv->gen, time(NULL), &h);
	ups = upstreams_json(srv->upstreams, srv->gen, &h);
	doc = json_pack("{s:I, s:s, s:o, s:I, s:i, s:s, s:o, s:o, s:o, "
	    "s:s, s:s, s:o, s:o}",
	    "pid", (json_int_t)getpid(), "config", srv->conf_path, "started",
	    iso_time(srv->started), "uptime_s",
	    (json_int_t)(time(NULL) - srv->started), "landlock_abi",
	    srv->landlock_abi, "ct_mode",
	    verify_ct_report_only(&srv->gen->policy, time(NULL)) ? "report" :
	    "enforce",
	    "ct_log_list", loglist_json(srv, &h), "counters",
	    daemon_json(srv), "upstreams", ups, "state",
	    verdict_state_name(state), "verdict", verdict, "forward_zones",
	    forward_zones_json(srv->zones, srv->gen, &h), "local_zones",
	    local_zones_json(srv));
	if (doc != NULL) {
		json_object_set_new(doc, "ct_audit", json_string(
		    conf_audit_mode_name(srv->conf->ct_audit)));
		json_object_set_new(doc, "portal", portal_json(srv));
	}
	return dump(doc);
}

int
status_result_json(int ok, const char *message, char **out)
{
	*out = dump(json_pack("{s:b, s:s}", "ok", ok, "message", message));
	return *out ? 0 : -1;
}

/* One upstream's raw evidence in base64; null when never verified. */
static json_t *
evidence_json(const struct trust_evidence *ev)
{
	json_t *scts = json_array(), *doc;
	char *leaf, *issuer = NULL, *b64;
	size_t i;

	if (ev->leaf == NULL ||
	    (leaf = base64_encode_alloc(ev->leaf, ev->leaf_len)) == NULL) {
		json_decref(scts);
		return json_null();
	}
	if (ev->issuer != NULL)
		issuer = base64_encode_alloc(ev->issuer, ev->issuer_len);
	for (i = 0; i < ev->nscts; i++) {
		if ((b64 = base64_encode_alloc(ev->scts[i].der,
		    ev->scts[i].len)) == NULL)
			continue;
		json_array_append_new(scts, json_pack("{s:s, s:s}", "sct", b64,
		    "source", trust_source_name(ev->scts[i].source)));
		free(b64);
	}
	doc = json_pack("{s:s, s:s?, s:o}", "leaf", leaf, "issuer", issuer,
	    "scts", scts);
	free(leaf);
	free(issuer);
	return doc;
}

char *
status_evidence_json(struct server *srv)
{
	const struct ct_policy *p = &srv->gen->policy.ct;
	json_t *ups = json_array();
	size_t i;

	for (i = 0; i < srv->upstreams->count; i++) {
		const struct upstream *up = &srv->upstreams->list[i];

		json_array_append_new(ups, json_pack("{s:s, s:s, s:o, s:o}",
		    "label", up->label, "url", up->conf->url, "verified_at",
		    iso_time(up->trust.verified_at), "evidence",
		    evidence_json(&up->trust.evidence)));
	}
	return dump(json_pack("{s:{s:i, s:i, s:b}, s:o}", "policy",
	    "min_logs", p->min_logs, "min_operators", p->min_operators,
	    "lifetime_rule", p->lifetime_rule, "upstreams", ups));
}
