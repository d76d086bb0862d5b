/* SPDX-License-Identifier: ISC */
/* Prometheus text format: daemon counters, then per-upstream series. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "cache.h"
#include "generation.h"
#include "horizon.h"
#include "metrics.h"
#include "portal.h"
#include "server.h"
#include "upstream.h"
#include "zones.h"

static void
family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP ctstub_%s %s\n# TYPE ctstub_%s %s\n", name, help,
	    name, type);
}

static void
daemon_counters(FILE *out, const struct server *srv)
{
	const struct stats_server *s = &srv->stats;

	family(out, "queries_total", "counter", "Client queries received.");
	fprintf(out, "ctstub_queries_total{protocol=\"udp\"} %llu\n"
	    "ctstub_queries_total{protocol=\"tcp\"} %llu\n",
	    (unsigned long long)s->queries_udp,
	    (unsigned long long)s->queries_tcp);
	family(out, "cache_hits_total", "counter", "Answers from the cache.");
	fprintf(out, "ctstub_cache_hits_total %llu\n",
	    (unsigned long long)s->cache_hits);
	family(out, "cache_entries", "gauge", "Answers in the cache.");
	fprintf(out, "ctstub_cache_entries %zu\n", cache_entries(srv->cache));
	family(out, "servfail_total", "counter",
	    "SERVFAIL answers ctstub made itself.");
	fprintf(out, "ctstub_servfail_total %llu\n",
	    (unsigned long long)s->servfail);
	family(out, "inflight", "gauge", "Queries waiting on upstreams.");
	fprintf(out, "ctstub_inflight %u\n", srv->inflight);
	family(out, "reloads_total", "counter", "Reloads by result.");
	fprintf(out, "ctstub_reloads_total{result=\"ok\"} %llu\n"
	    "ctstub_reloads_total{result=\"failed\"} %llu\n",
	    (unsigned long long)s->reloads,
	    (unsigned long long)s->reload_failures);
}

/* The plain per-upstream counters: name, help, where in the stats. */
static const struct counter {
	const char *name;
	const char *help;
	size_t offset;
} counters[] = {
	{ "upstream_queries_total", "Queries sent to the upstream.",
	    offsetof(struct stats_upstream, queries) },
	{ "upstream_answers_total", "Answers from the upstream.",
	    offsetof(struct stats_upstream, answers) },
	{ "upstream_failures_total", "Connection failures (not refusals).",
	    offsetof(struct stats_upstream, failures) },
	{ "upstream_failovers_total",
	    "Queries that moved on to another upstream.",
	    offsetof(struct stats_upstream, failovers) },
	{ "upstream_connections_total", "Verified connections made.",
	    offsetof(struct stats_upstream, connections) },
};

/* One line per upstream for one counter. */
static void
per_upstream(FILE *out, const struct upstream_set *set,
    const struct counter *c)
{
	size_t i;
	uint64_t value;

	family(out, c->name, "counter", c->help);
	for (i = 0; i < set->count; i++) {
		const struct upstream *up = &set->list[i];

		memcpy(&value, (const char *)&up->stats + c->offset,
		    sizeof(value));
		fprintf(out, "ctstub_%s{upstream=\"%s\"} %llu\n", c->name,
		    up->label, (unsigned long long)value);
	}
}

static void
upstream_refusals(FILE *out, const struct upstream_set *set)
{
	size_t i, k;

	family(out, "upstream_refusals_total", "counter",
	    "Connections refused by the trust checks, by reason.");
	for (i = 0; i < set->count; i++)
		for (k = 0; k < STATS_REFUSAL_KINDS; k++)
			fprintf(out, "ctstub_upstream_refusals_total{upstream="
			    "\"%s\",reason=\"%s\"} %llu\n", set->list[i].label,
			    stats_refusal_name(k), (unsigned long long)
			    set->list[i].stats.refusals[k]);
	family(out, "upstream_up", "gauge",
	    "1 when connected and verified.");
	for (i = 0; i < set->count; i++)
		fprintf(out, "ctstub_upstream_up{upstream=\"%s\"} %d\n",
		    set->list[i].label, set->list[i].ready);
}

static void
upstream_latency(FILE *out, const struct upstream_set *set)
{
	size_t i, b;

	family(out, "upstream_answer_seconds", "histogram",
	    "Time from sending a query to its answer.");
	for (i = 0; i < set->count; i++) {
		const struct upstream *up = &set->list[i];
		const struct stats_latency *l = &up->stats.latency;
		uint64_t cumulative = 0;

		for (b = 0; b + 1 < STATS_LATENCY_BUCKETS; b++) {
			cumulative += l->count[b];
			fprintf(out, "ctstub_upstream_answer_seconds_bucket{"
			    "upstream=\"%s\",le=\"%g\"} %llu\n", up->label,
			    (double)stats_bucket_bound_us(b) / 1e6,
			    (unsigned long long)cumulative);
		}
		fprintf(out, "ctstub_upstream_answer_seconds_bucket{upstream="
		    "\"%s\",le=\"+Inf\"} %llu\n", up->label,
		    (unsigned long long)l->total);
		fprintf(out, "ctstub_upstream_answer_seconds_sum{upstream="
		    "\"%s\"} %g\n", up->label, (double)l->sum_us / 1e6);
		fprintf(out, "ctstub_upstream_answer_seconds_count{upstream="
		    "\"%s\"} %llu\n", up->label, (unsigned long long)l->total);
	}
}

/* A label value with its backslashes and double quotes escaped. */
static void
label_value(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out);
		fputc(*s, out);
	}
}

/* Proven SCT audit failures, by the log that broke its promise. */
static void
audit_failures_by_log(FILE *out, const struct audit *a)
{
	const char *log;
	uint64_t n;
	size_t i;

	family(out, "ct_audit_failures_total", "counter",
	    "SCTs proven not included (or a shrunk or forked tree) by log.");
	for (i = 0; audit_failures(a, i, &log, &n) == 0; i++) {
		fputs("ctstub_ct_audit_failures_total{log=\"", out);
		label_value(out, log);
		fprintf(out, "\"} %llu\n", (unsigned long long)n);
	}
}

/* The CT log list's age, horizon, risk date and failed updates. */
static void
loglist_outlook(FILE *out, const struct server *srv, const struct horizon *h)
{
	family(out, "loglist_age_seconds", "gauge",
	    "Age of the CT log list in force (from its log_list_timestamp).");
	fprintf(out, "ctstub_loglist_age_seconds %ld\n", h->age_s);
	family(out, "loglist_horizon_timestamp_seconds", "gauge",
	    "Coverage horizon: certificates expiring from then on cannot be "
	    "accepted under the list (0: none).");
	fprintf(out, "ctstub_loglist_horizon_timestamp_seconds %lld\n",
	    (long long)h->end);
	family(out, "loglist_risk_timestamp_seconds", "gauge",
	    "Renewal risk date: certificates renewed from then on may outlive "
	    "the horizon (0: none).");
	fprintf(out, "ctstub_loglist_risk_timestamp_seconds %lld\n",
	    (long long)h->risk);
	family(out, "loglist_update_failures_total", "counter",
	    "Failed CT log list updates reported by ctstub loglist update.");
	fprintf(out, "ctstub_loglist_update_failures_total %llu\n",
	    (unsigned long long)srv->stats.loglist_update_failures);
	family(out, "loglist_update_last_failure_timestamp_seconds", "gauge",
	    "When the last CT log list update failed (0: never).");
	fprintf(out, "ctstub_loglist_update_last_failure_timestamp_seconds "
	    "%lld\n", (long long)srv->loglist_failed_at);
}

/* Each verified upstream's certificate expiry and renewal verdict. */
static void
upstream_outlook(FILE *out, const struct upstream_set *set,
    const struct horizon *h)
{
	size_t i;

	family(out, "upstream_cert_not_after_timestamp_seconds", "gauge",
	    "notAfter of the certificate at the last verification.");
	for (i = 0; i < set->count; i++)
		if (set->list[i].trust.ncerts > 0)
			fprintf(out, "ctstub_upstream_cert_not_after_timestamp_"
			    "seconds{upstream=\"%s\"} %lld\n",
			    set->list[i].label, (long long)
			    set->list[i].trust.certs[0].not_after);
	family(out, "upstream_renewal_at_risk", "gauge",
	    "1 when the certificate's replacement may outlive the CT log "
	    "list's horizon.");
	for (i = 0; i < set->count; i++)
		if (set->list[i].trust.ncerts > 0)
			fprintf(out, "ctstub_upstream_renewal_at_risk{upstream="
			    "\"%s\"} %d\n", set->list[i].label,
			    horizon_renewal_at_risk(h,
			    set->list[i].trust.certs[0].not_after));
}

/* One counter of each forward zone's upstreams: ctstub_zone_NAME. */
static void
per_zone_upstream(FILE *out, const struct zones *zs, const struct counter *c)
{
	char name[80];
	size_t i, j;
	uint64_t value;

	snprintf(name, sizeof(name), "zone_%s", c->name);
	family(out, name, "counter", c->help);
	for (i = 0; zs != NULL && i < zs->count; i++) {
		const struct upstream_set *set = zs->list[i].upstreams;

		for (j = 0; set != NULL && j < set->count; j++) {
			memcpy(&value, (const char *)&set->list[j].stats +
			    c->offset, sizeof(value));
			fprintf(out, "ctstub_%s{zone=\"%s\",upstream=\"%s\"} "
			    "%llu\n", name, zs->list[i].name,
			    set->list[j].label, (unsigned long long)value);
		}
	}
}

/* Each forward zone's queries and upstreams; the local answers. */
static void
zone_metrics(FILE *out, const struct server *srv)
{
	const struct zones *zs = srv->zones;
	size_t i, k;

	family(out, "local_answers_total", "counter",
	    "Answers made for locally served names.");
	fprintf(out, "ctstub_local_answers_total %llu\n",
	    (unsigned long long)srv->stats.local_answers);
	family(out, "zone_queries_total", "counter",
	    "Client queries for each forward zone the cache did not answer.");
	for (i = 0; zs != NULL && i < zs->count; i++)
		if (zs->list[i].kind == ZONE_FORWARD)
			fprintf(out, "ctstub_zone_queries_total{zone=\"%s\","
			    "plaintext=\"%s\",ct=\"%s\"} %llu\n",
			    zs->list[i].name,
			    conf_zone_plaintext(zs->list[i].conf) ? "yes" :
			    "no", zs->list[i].conf->ct_off ? "off" : "on",
			    (unsigned long long)zs->list[i].queries);
	for (k = 0; k < sizeof(counters) / sizeof(counters[0]); k++)
		per_zone_upstream(out, zs, &counters[k]);
}

/* Portal mode: on or not, time left, how often the user started it. */
static void
portal_metrics(FILE *out, const struct server *srv)
{
	const char *server;
	unsigned left = portal_left(srv, &server);

	family(out, "portal_active", "gauge", "1 while portal mode sends "
	    "queries in plain DNS to the network's server (ctstub portal).");
	fprintf(out, "ctstub_portal_active %d\n", portal_set(srv) != NULL);
	family(out, "portal_seconds_left", "gauge",
	    "Seconds until portal mode ends by itself; 0 when off.");
	fprintf(out, "ctstub_portal_seconds_left %u\n", left);
	family(out, "portal_starts_total", "counter",
	    "Times portal mode was started (ctstub portal).");
	fprintf(out, "ctstub_portal_starts_total %llu\n",
	    (unsigned long long)portal_starts(srv));
}

char *
metrics_text(struct server *srv)
{
	const struct upstream_set *set = srv->upstreams;
	struct horizon h;
	size_t i;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (out == NULL)
		return NULL;
	daemon_counters(out, srv);
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		per_upstream(out, set, &counters[i]);
	upstream_refusals(out, set);
	upstream_latency(out, set);
	audit_failures_by_log(out, srv->audit);
	generation_horizon(srv->gen, time(NULL), &h);
	loglist_outlook(out, srv, &h);
	upstream_outlook(out, set, &h);
	zone_metrics(out, srv);
	portal_metrics(out, srv);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
