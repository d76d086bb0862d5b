/* SPDX-License-Identifier: ISC */
/* Loading, starting, swapping and retiring configurations. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "bootstrap.h"
#include "cache.h"
#include "generation.h"
#include "log.h"
#include "loglist.h"
#include "server.h"
#include "upstream.h"

#define RETIRE_GRACE_MS 1000	/* after the old query timeout */

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

struct generation *
generation_load(const char *path, FILE *errs)
{
	struct generation *gen = calloc(1, sizeof(*gen));
	char err[600];

	if (gen == NULL) {
		fprintf(errs, "%s: out of memory\n", path);
		return NULL;
	}
	if (conf_load(path, &gen->conf, errs) != 0) {
		generation_free(gen);
		return NULL;
	}
	gen->loglist = loglist_load(gen->conf.ct_log_list, err, sizeof(err));
	if (gen->loglist == NULL) {
		fprintf(errs, "%s\n", err);
		generation_free(gen);
		return NULL;
	}
	set_policy(gen);
	return gen;
}

int
generation_start(struct generation *gen, struct server *srv, char *err,
    size_t errlen)
{
	if (bootstrap_resolve(&gen->conf, gen->conf.timeout_ms, err,
	    errlen) == -1)
		return -1;
	gen->upstreams = upstream_set_new(srv, &gen->conf, &gen->policy, err,
	    errlen);
	return gen->upstreams == NULL ? -1 : 0;
}

void
generation_free(struct generation *gen)
{
	if (gen == NULL)
		return;
	if (gen->retire != NULL)
		event_free(gen->retire);
	upstream_set_free(gen->upstreams);
	loglist_free(gen->loglist);
	conf_free(&gen->conf);
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

	old->upstreams->retiring = 1;
	old->retire = evtimer_new(srv->base, retire_cb, old);
	if (old->retire == NULL) {
		generation_free(old);
		return;
	}
	old->next_retiring = srv->retiring;
	srv->retiring = old;
	evtimer_add(old->retire, &tv);
}

/* Cache settings changed: a new, empty cache (the old keys differ). */
static int
replace_cache(struct server *srv, const struct conf *conf)
{
	struct cache *cache = server_cache_new(conf);

	if (cache == NULL)
		return -1;
	cache_free(srv->cache);
	srv->cache = cache;
	log_info("reload: cache settings changed; the cache starts empty");
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

int
generation_reload(struct server *srv, char *msg, size_t len)
{
	struct generation *gen = load_for_reload(srv, msg, len), *old;
	char err[600] = "out of memory";

	if (gen == NULL || generation_start(gen, srv, err, sizeof(err)) == -1 ||
	    (!same_cache_settings(&srv->gen->conf, &gen->conf) &&
	    replace_cache(srv, &gen->conf) == -1)) {
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
	old = srv->gen;
	upstream_set_carry_stats(gen->upstreams, old->upstreams);
	server_use(srv, gen);
	retire(srv, old);
	srv->stats.reloads++;
	if (gen->loglist->note[0])
		log_warn("CT log list %s: %s", gen->conf.ct_log_list,
		    gen->loglist->note);
	generation_warn_if_stale(gen);
	snprintf(msg, len, "reloaded %s: %zu upstream(s), CT log list %s",
	    gen->conf.path, gen->conf.nupstreams, gen->loglist->version);
	log_info("%s", msg);
	return 0;
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
