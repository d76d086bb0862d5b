/* SPDX-License-Identifier: ISC */
/* Loading, starting, swapping and retiring configurations. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "bootstrap.h"
#include "cache.h"
#include "generation.h"
#include "horizon.h"
#include "log.h"
#include "loglist.h"
#include "server.h"
#include "upstream.h"
#include "zones.h"

#define RETIRE_GRACE_MS 1000	/* after the old query timeout */
#define CONF_MAX_BYTES (1u << 20)	/* a configuration file is small */
#define LOOKUP_RETRY_FIRST_MS 1000
#define LOOKUP_RETRY_MAX_MS 30000	/* a router's WAN comes up late */

long
generation_list_stale_days(const struct generation *gen)
{
	return verify_list_stale_days(&gen->policy, time(NULL));
}

void
generation_warn_if_stale(const struct generation *gen)
{
	const struct conf *conf = &gen->conf;
	time_t now = time(NULL);
	long age = verify_list_stale_days(&gen->policy, now);

	if (age == 0)
		return;
	log_warn("CT log list %s (version %s) is %ld days old, over the "
	    "%d-day limit: %s; install a current list (docs/ct-log-list.md)",
	    conf->ct_log_list, gen->loglist->version, age,
	    conf->ct_list_max_age_days, verify_ct_mode_text(&gen->policy, now));
}

void
generation_horizon(const struct generation *gen, time_t now,
    struct horizon *h)
{
	horizon_compute(h, gen->loglist, now, gen->policy.ct.min_logs,
	    gen->policy.ct.min_operators);
}

void
generation_warn_horizon(const struct generation *gen, time_t now,
    time_t *last)
{
	struct horizon h;
	char end[16], risk[16], when[64];
	long days;

	generation_horizon(gen, now, &h);
	days = horizon_days_to_risk(&h);
	if (days == HORIZON_NOT_DUE || (*last != 0 &&
	    now - *last < HORIZON_WARN_INTERVAL_S))
		return;
	*last = now;
	horizon_date(h.end, end, sizeof(end));
	horizon_date(h.risk, risk, sizeof(risk));
	if (days >= 0)
		snprintf(when, sizeof(when), "in %ld days", days);
	else
		snprintf(when, sizeof(when), "%ld days ago", -days);
	log_warn("CT log list %s (version %s) has no logs of %d operators "
	    "for certificates expiring from %s on: upstream certificates "
	    "renewed from %s on (%s) may be refused and DNS fail; update the "
	    "list (ctstub loglist update, docs/ct-log-list.md)",
	    gen->conf.ct_log_list, gen->loglist->version,
	    gen->policy.ct.min_operators, end, risk, when);
}

/* The trust policy from the configuration and the list. */
static void
set_policy(struct generation *gen)
{
	const struct conf *conf = &gen->conf;
	struct verify_policy *policy = &gen->policy;

	memset(policy, 0, sizeof(*policy));
	policy->loglist = gen->loglist;
	policy->ct.min_logs = conf->ct_min_logs;
	policy->ct.min_operators = conf->ct_min_operators;
	policy->ct.lifetime_rule = conf->ct_lifetime_rule;
	policy->ct_report_only = conf->ct_mode == CONF_CT_REPORT;
	/* staleness is decided at each verification (verify.c) */
	policy->ct_stale_fail_open = conf->ct_stale_fail_open;
	policy->ct_list_max_age_days = conf->ct_list_max_age_days;
	policy->pins = &conf->pins;
}

/* The whole file, NUL-terminated; NULL with a line on errs. */
static char *
read_text(const char *path, FILE *errs)
{
	FILE *in = fopen(path, "r");
	char *text, *shrunk;
	size_t n;

	if (in == NULL) {
		fprintf(errs, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	text = malloc(CONF_MAX_BYTES + 1);
	n = text ? fread(text, 1, CONF_MAX_BYTES + 1, in) : 0;
	if (text == NULL || ferror(in) || n > CONF_MAX_BYTES) {
		fprintf(errs, "%s: %s\n", path, text == NULL ? "out of memory" :
		    n > CONF_MAX_BYTES ? "too big" : strerror(errno));
		free(text);
		fclose(in);
		return NULL;
	}
	fclose(in);
	text[n] = '\0';
	shrunk = realloc(text, n + 1);
	return shrunk ? shrunk : text;
}

struct generation *
generation_load(const char *path, FILE *errs)
{
	struct generation *gen = calloc(1, sizeof(*gen));
	char err[600];

	if (gen == NULL) {
		fprintf(errs, "%s: out of memory\n", path);
		return NULL;
	}
	gen->conf_text = read_text(path, errs);
	if (gen->conf_text == NULL ||
	    conf_load_string(path, gen->conf_text, &gen->conf, errs) != 0) {
		generation_free(gen);
		return NULL;
	}
	gen->loglist = loglist_load(gen->conf.ct_log_list, err, sizeof(err));
	if (gen->loglist == NULL) {
		fprintf(errs, "%s\n", err);
		generation_free(gen);
		return NULL;
	}
	gen->loglist_refs = malloc(sizeof(*gen->loglist_refs));
	if (gen->loglist_refs == NULL) {
		fprintf(errs, "%s: out of memory\n", path);
		loglist_free(gen->loglist);
		gen->loglist = NULL;
		generation_free(gen);
		return NULL;
	}
	*gen->loglist_refs = 1;
	set_policy(gen);
	return gen;
}

/* gen again, from the same text and sharing its list: no file is read. */
static struct generation *
generation_copy(const struct generation *gen)
{
	struct generation *copy = calloc(1, sizeof(*copy));
	char *errors = NULL;
	size_t errlen = 0;
	FILE *errs = open_memstream(&errors, &errlen);
	int n = 1;

	if (copy != NULL && errs != NULL &&
	    (copy->conf_text = strdup(gen->conf_text)) != NULL)
		n = conf_load_string(gen->conf.path, copy->conf_text,
		    &copy->conf, errs);
	if (errs != NULL)
		fclose(errs);
	free(errors);
	if (n != 0) {		/* it parsed before: out of memory */
		generation_free(copy);
		return NULL;
	}
	copy->loglist = gen->loglist;
	copy->loglist_refs = gen->loglist_refs;
	++*copy->loglist_refs;
	set_policy(copy);
	return copy;
}

/* An address and port of from as to, for upstream port. */
static void
with_port(const struct conf_address *from, uint16_t port,
    struct conf_address *to)
{
	*to = *from;
	if (to->sa.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&to->sa)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&to->sa)->sin_port = htons(port);
}

/* The addresses old had for u's host name (at most max, no repeats). */
static size_t
old_addresses(const struct conf *old, const struct conf_upstream *u,
    struct conf_address *addrs, size_t max)
{
	size_t i, j, n = 0;

	for (i = 0; old != NULL && i < old->nupstreams && n < max; i++) {
		const struct conf_upstream *o = &old->upstreams[i];

		if (!o->resolved || strcmp(o->host, u->host) != 0)
			continue;
		with_port(&o->addr, u->port, &addrs[n]);
		for (j = 0; j < n && memcmp(&addrs[j], &addrs[n],
		    sizeof(addrs[n])) != 0; j++)
			;
		if (j == n)
			n++;
	}
	return n;
}

/* What b found for u's host name (at most max). */
static size_t
found_addresses(const struct bootstrap *b, const struct conf_upstream *u,
    struct conf_address *addrs, size_t max)
{
	const struct bootstrap_name *name = b ? bootstrap_find(b, u->host) :
	    NULL;
	size_t i, n = 0;

	for (i = 0; name != NULL && i < name->nips && n < max; i++)
		if (conf_parse_address(name->ips[i], u->port, &addrs[n]) == 0)
			n++;
	return n;
}

/*
 * Gives each upstream of c still without address what b found for its
 * host name, or else the addresses old had for it; 0 or -1 (out of memory).
 */
static int
apply_addresses(struct conf *c, const struct bootstrap *b,
    const struct conf *old)
{
	struct conf_address addrs[BOOTSTRAP_MAX_ADDRS];
	size_t i = c->nupstreams, n;

	/* from the end: resolving i moves only the upstreams after it */
	while (i-- > 0) {
		const struct conf_upstream *u = &c->upstreams[i];

		if (u->host == NULL || u->addr.salen != 0)
			continue;
		n = found_addresses(b, u, addrs, BOOTSTRAP_MAX_ADDRS);
		if (n == 0)
			n = old_addresses(old, u, addrs, BOOTSTRAP_MAX_ADDRS);
		if (n > 0 && conf_upstream_resolved(c, i, addrs, n) == -1)
			return -1;
	}
	return 0;
}

int
generation_start(struct generation *gen, struct server *srv, char *err,
    size_t errlen)
{
	gen->upstreams = upstream_set_new(srv, &gen->conf, &gen->policy, err,
	    errlen);
	if (gen->upstreams == NULL ||
	    (gen->zones = zones_new(&gen->conf, err, errlen)) == NULL)
		return -1;
	/* zones without a ca-file share the CA store of the upstreams */
	return zones_start(gen->zones, srv, &gen->policy,
	    gen->upstreams->tls_dot, err, errlen);
}

/* A generation that is no longer in force resolves nothing more. */
static void
stop_lookups(struct generation *gen)
{
	bootstrap_free(gen->lookup);
	gen->lookup = NULL;
	if (gen->lookup_retry != NULL)
		event_free(gen->lookup_retry);
	gen->lookup_retry = NULL;
}

void
generation_free(struct generation *gen)
{
	if (gen == NULL)
		return;
	stop_lookups(gen);
	if (gen->retire != NULL)
		event_free(gen->retire);
	upstream_set_free(gen->upstreams);
	zones_free(gen->zones);
	if (gen->loglist_refs == NULL || --*gen->loglist_refs == 0) {
		loglist_free(gen->loglist);
		free(gen->loglist_refs);
	}
	conf_free(&gen->conf);
	free(gen->conf_text);
	free(gen);
}

static int
same_addresses(const struct conf_address *a, size_t na,
    const struct conf_address *b, size_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

static int
same_string(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Settings bound at start-up: a reload keeps the old ones and says so. */
static void
warn_restart_only(const struct conf *old, const struct conf *new)
{
	if (!same_addresses(old->listens, old->nlistens, new->listens,
	    new->nlistens))
		log_warn("reload: 'listen' changes need a restart; still "
		    "listening where started");
	if (!same_string(old->user, new->user))
		log_warn("reload: 'user' changes need a restart");
	if (!same_string(old->control, new->control) ||
	    !same_addresses(&old->metrics, 1, &new->metrics, 1))
		log_warn("reload: 'control' and 'metrics' changes need a "
		    "restart");
}

static int
same_cache_settings(const struct conf *a, const struct conf *b)
{
	return a->cache_size == b->cache_size &&
	    a->cache_max_bytes == b->cache_max_bytes &&
	    a->cache_min_ttl == b->cache_min_ttl &&
	    a->cache_max_ttl == b->cache_max_ttl &&
	    a->serve_stale == b->serve_stale;
}

static void
retire_cb(evutil_socket_t fd, short events, void *arg)
{
	struct generation *gen = arg;
	struct server *srv = gen->upstreams->srv;
	struct generation **p = &srv->retiring;

	while (*p != gen)
		p = &(*p)->next_retiring;
	*p = gen->next_retiring;
	generation_free(gen);
}

/*
 * New queries go to the new upstreams at once; queries already sent on the
 * old connections finish there (or fail over to the new ones), and the old
 * generation is freed after its query timeout.
 */
static void
retire(struct server *srv, struct generation *old)
{
	unsigned ms = old->conf.timeout_ms + RETIRE_GRACE_MS;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	stop_lookups(old);
	old->upstreams->retiring = 1;
	zones_retire(old->zones);
	old->retire = evtimer_new(srv->base, retire_cb, old);
	if (old->retire == NULL) {
		generation_free(old);
		return;
	}
	old->next_retiring = srv->retiring;
	srv->retiring = old;
	evtimer_add(old->retire, &tv);
}

/*
 * Cache settings changed (the old keys differ), or the zones did (its
 * answers came from upstreams that may no longer serve their names, or
 * for names now served locally): a new, empty cache.
 */
static int
replace_cache(struct server *srv, const struct conf *conf, const char *why)
{
	struct cache *cache = server_cache_new(conf);

	if (cache == NULL)
		return -1;
	cache_free(srv->cache);
	srv->cache = cache;
	log_info("reload: %s changed; the cache starts empty", why);
	return 0;
}

/* A new cache when the reload needs one; 0 or -1 (out of memory). */
static int
renew_cache(struct server *srv, const struct conf *old,
    const struct conf *new)
{
	if (!same_cache_settings(old, new))
		return replace_cache(srv, new, "cache settings");
	if (!conf_zones_equal(old, new))
		return replace_cache(srv, new, "local-zone or forward-zone "
		    "lines");
	return 0;
}

/* The errors of a failed load, one log line each. */
static void
log_errors(char *text)
{
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		log_err("reload: %s", line);
}

static struct generation *
load_for_reload(struct server *srv, char *msg, size_t len)
{
	char *errors = NULL;
	size_t errlen = 0;
	FILE *errs = open_memstream(&errors, &errlen);
	struct generation *gen;

	if (errs == NULL) {
		snprintf(msg, len, "reload failed: out of memory");
		return NULL;
	}
	gen = generation_load(srv->conf_path, errs);
	fclose(errs);
	if (gen == NULL) {
		snprintf(msg, len, "reload failed, the running configuration "
		    "stays: %s", errors && errors[0] ? errors : "?");
		msg[strcspn(msg, "\n")] = '\0';
		log_errors(errors);
		log_err("reload failed, the running configuration stays");
	}
	free(errors);
	return gen;
}

/* gen takes over from srv's generation in force, which retires. */
static void
take_over(struct server *srv, struct generation *gen)
{
	struct generation *old = srv->gen;

	upstream_set_carry_stats(gen->upstreams, old->upstreams);
	zones_carry_stats(gen->zones, old->zones);
	server_use(srv, gen);
	retire(srv, old);
}

int
generation_reload(struct server *srv, char *msg, size_t len)
{
	struct generation *gen = load_for_reload(srv, msg, len);
	char err[600] = "out of memory";

	/* host names keep their addresses until a lookup says otherwise */
	if (gen == NULL ||
	    apply_addresses(&gen->conf, NULL, &srv->gen->conf) == -1 ||
	    generation_start(gen, srv, err, sizeof(err)) == -1 ||
	    renew_cache(srv, &srv->gen->conf, &gen->conf) == -1) {
		if (gen != NULL) {
			snprintf(msg, len, "reload failed, the running "
			    "configuration stays: %s", err);
			log_err("%s", msg);
		}
		generation_free(gen);
		srv->stats.reload_failures++;
		return -1;
	}
	warn_restart_only(&srv->gen->conf, &gen->conf);
	take_over(srv, gen);
	srv->stats.reloads++;
	if (gen->loglist->note[0])
		log_warn("CT log list %s: %s", gen->conf.ct_log_list,
		    gen->loglist->note);
	generation_warn_if_stale(gen);
	srv->horizon_warned = 0;	/* a new list: say it again */
	generation_warn_horizon(gen, time(NULL), &srv->horizon_warned);
	zones_log_plaintext(gen->zones);
	snprintf(msg, len, "reloaded %s: %zu upstream(s), CT log list %s",
	    gen->conf.path, gen->conf.nupstreams, gen->loglist->version);
	log_info("%s", msg);
	generation_resolve(srv);
	return 0;
}

/* --- host names through the bootstrap servers ---------------------- */

static int
has_unresolved(const struct conf *c)
{
	size_t i;

	for (i = 0; i < c->nupstreams; i++)
		if (c->upstreams[i].host && c->upstreams[i].addr.salen == 0)
			return 1;
	return 0;
}

/* Does what b found for name differ from the addresses c uses for it? */
static int
name_changed(const struct conf *c, const struct bootstrap_name *name)
{
	struct conf_address a;
	const char *url = NULL;
	size_t i, j, count = 0;

	for (i = 0; i < c->nupstreams; i++) {
		const struct conf_upstream *u = &c->upstreams[i];

		/* an upstream with 'address' options is not ours to change */
		if (!bootstrap_wants(u) || strcmp(u->host, name->host) != 0)
			continue;
		if (u->addr.salen == 0)
			return 1;
		for (j = 0; j < name->nips; j++)
			if (conf_parse_address(name->ips[j], u->port, &a) == 0 &&
			    memcmp(&a, &u->addr, sizeof(a)) == 0)
				break;
		if (j == name->nips)
			return 1;	/* an address that is gone */
		if (url == NULL)
			url = u->url;
		count += strcmp(url, u->url) == 0;
	}
	return count != name->nips;	/* an address that is new */
}

/* Does c use addresses from the bootstrap servers for host? */
static int
has_addresses(const struct conf *c, const char *host)
{
	size_t i;

	for (i = 0; i < c->nupstreams; i++)
		if (c->upstreams[i].resolved &&
		    strcmp(c->upstreams[i].host, host) == 0)
			return 1;
	return 0;
}

/* Logs what a lookup found; 1 when an address changed. */
static int
report_lookup(const struct generation *gen, const struct bootstrap *b)
{
	size_t i;
	int changed = 0;

	for (i = 0; i < bootstrap_count(b); i++) {
		const struct bootstrap_name *name = bootstrap_name(b, i);

		if (name->nips > 0 && name_changed(&gen->conf, name)) {
			log_info("bootstrap: %s has %zu address(es), first %s",
			    name->host, name->nips, name->ips[0]);
			changed = 1;
		} else if (name->nips == 0 &&
		    !has_addresses(&gen->conf, name->host) && gen->retry_ms)
			log_debug("bootstrap: cannot resolve %s: %s (again)",
			    name->host, name->error);
		else if (name->nips == 0 &&
		    !has_addresses(&gen->conf, name->host))
			log_warn("bootstrap: cannot resolve %s: %s; its "
			    "upstreams answer SERVFAIL until it resolves",
			    name->host, name->error);
		else if (name->nips == 0)
			log_warn("bootstrap: cannot resolve %s again: %s; "
			    "keeping its addresses", name->host, name->error);
	}
	return changed;
}

static void
lookup_retry_cb(evutil_socket_t fd, short events, void *arg)
{
	struct server *srv = arg;

	generation_resolve(srv);
}

/* Names that never resolved are tried again, later each time. */
static void
schedule_retry(struct server *srv, struct generation *gen)
{
	struct timeval tv;

	gen->retry_ms = gen->retry_ms == 0 ? LOOKUP_RETRY_FIRST_MS :
	    gen->retry_ms * 2;
	if (gen->retry_ms > LOOKUP_RETRY_MAX_MS)
		gen->retry_ms = LOOKUP_RETRY_MAX_MS;
	tv.tv_sec = gen->retry_ms / 1000;
	tv.tv_usec = (gen->retry_ms % 1000) * 1000;
	if (gen->lookup_retry == NULL)
		gen->lookup_retry = evtimer_new(srv->base, lookup_retry_cb, srv);
	if (gen->lookup_retry != NULL)
		evtimer_add(gen->lookup_retry, &tv);
	log_debug("bootstrap: trying again in %u ms", gen->retry_ms);
}

/* A copy of srv's generation with what b found takes over. */
static void
take_addresses(struct server *srv, const struct bootstrap *b)
{
	struct generation *gen = generation_copy(srv->gen);
	char err[600] = "out of memory";

	if (gen == NULL || apply_addresses(&gen->conf, b, &srv->gen->conf) ==
	    -1 || generation_start(gen, srv, err, sizeof(err)) == -1) {
		log_err("bootstrap: cannot use the new addresses: %s", err);
		generation_free(gen);
		return;
	}
	gen->retry_ms = srv->gen->retry_ms;
	take_over(srv, gen);
	log_info("bootstrap: %zu upstream(s) in force", gen->conf.nupstreams);
}

static void
lookup_done_cb(struct bootstrap *b, void *arg)
{
	struct server *srv = arg;

	srv->gen->lookup = NULL;	/* b is freed here, last */
	if (report_lookup(srv->gen, b))
		take_addresses(srv, b);
	if (has_unresolved(&srv->gen->conf))
		schedule_retry(srv, srv->gen);
	else
		srv->gen->retry_ms = 0;
	bootstrap_free(b);
}

void
generation_resolve(struct server *srv)
{
	struct generation *gen = srv->gen;
	char err[200];
	size_t i;

	for (i = 0; i < gen->conf.nupstreams &&
	    !bootstrap_wants(&gen->conf.upstreams[i]); i++)
		;
	if (i == gen->conf.nupstreams || gen->lookup != NULL)
		return;
	if (gen->retry_ms == 0)
		log_info("resolving upstream host names through the bootstrap "
		    "servers in plaintext DNS (the certificate checks still "
		    "apply)");
	gen->lookup = bootstrap_start(srv->base, &gen->conf, lookup_done_cb,
	    srv, err, sizeof(err));
	if (gen->lookup == NULL) {
		log_err("bootstrap: %s", err);
		if (has_unresolved(&gen->conf))
			schedule_retry(srv, gen);
	}
}

int
generation_resolving(const struct server *srv)
{
	return srv->gen->lookup != NULL;
}

void
generation_free_retiring(struct server *srv)
{
	struct generation *gen;

	while ((gen = srv->retiring) != NULL) {
		srv->retiring = gen->next_retiring;
		generation_free(gen);
	}
}
