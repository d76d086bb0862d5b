/* SPDX-License-Identifier: ISC */
/*
 * One client query: parse, cache, coalescing, dispatch, timeout, reply or
 * SERVFAIL with an Extended DNS Error.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "cache.h"
#include "conf.h"
#include "listen.h"
#include "localzone.h"
#include "log.h"
#include "portal.h"
#include "query.h"
#include "server.h"
#include "upstream.h"
#include "zones.h"

static uint64_t
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec;
}

/* The answer goes to the client, or to the control socket's asker. */
static void
deliver(const struct query_origin *origin, const uint8_t *msg, size_t len,
    const char *source)
{
	struct query_watch *w = origin->watch;

	if (w == NULL) {
		listen_send(origin, msg, len);
		return;
	}
	query_unwatch(w);	/* detached first: done_cb may free w */
	w->done_cb(w, msg, len, source);
}

void
query_unwatch(struct query_watch *w)
{
	if (w->query != NULL)
		w->query->origin.watch = NULL;
	w->query = NULL;
}

/* Largest answer for origin: TCP and the control socket take any size. */
static size_t
max_answer(const struct query_origin *origin, const struct dnsmsg_query *info)
{
	return origin->tcp || origin->watch ? DNS_MAX_MSG : info->udp_size;
}

static void
reply_error(const struct query_origin *origin, const uint8_t *msg,
    size_t len, const struct dnsmsg_query *info, int rcode, int ede,
    const char *text)
{
	uint8_t out[DNS_ERROR_MAX];
	size_t n = dnsmsg_error_response(msg, len, info, rcode, ede, text, out,
	    sizeof(out));

	if (n > 0 || origin->watch != NULL)	/* the asker always hears */
		deliver(origin, out, n, "ctstub");
}

/*
 * The upstream (or cached) answer rewritten for the client whose query is
 * msg: its question bytes and flags; -1 if malformed.
 */
static int
reply_answer(const struct query_origin *origin, const uint8_t *msg,
    const struct dnsmsg_query *info, const uint8_t *resp, size_t len,
    const char *source)
{
	uint8_t out[DNS_MAX_MSG];
	size_t n = dnsmsg_client_response(resp, len, msg, info,
	    max_answer(origin, info), out, sizeof(out));

	if (n == 0)
		return -1;
	deliver(origin, out, n, source);
	return 0;
}

/*
 * "upstream IP:PORT" (q's) for the report of a query watched through
 * origin; NULL, at no cost, for the clients' queries.
 */
static const char *
source_of(const struct query *q, const struct query_origin *origin,
    char *buf, size_t len)
{
	if (origin->watch == NULL)
		return NULL;
	snprintf(buf, len, "upstream %s", upstream_label(q->up));
	return buf;
}

/* In-flight table: leaders by cache key, for coalescing. */
static struct query **
table_slot(struct server *srv, const struct cache_key *key)
{
	return &srv->inflight_table[key->hash % SERVER_INFLIGHT_BUCKETS];
}

/* A leader for key going to the same upstreams: never across zones. */
static struct query *
table_find(struct server *srv, const struct cache_key *key,
    const struct upstream_set *set)
{
	struct query *q = *table_slot(srv, key);

	for (; q != NULL; q = q->table_next)
		if (q->key.hash == key->hash && q->key.len == key->len &&
		    q->set == set &&
		    memcmp(q->key.bytes, key->bytes, key->len) == 0)
			return q;
	return NULL;
}

static void
table_remove(struct query *q)
{
	struct query **p = table_slot(q->srv, &q->key);

	for (; *p != NULL; p = &(*p)->table_next)
		if (*p == q) {
			*p = q->table_next;
			return;
		}
}

static void
query_free(struct query *q)
{
	if (q->origin.watch != NULL)
		q->origin.watch->query = NULL;
	upstream_cancel(q);
	listen_untrack(q);
	if (q->leader == NULL)
		table_remove(q);
	q->srv->inflight--;
	if (q->timer != NULL)
		event_free(q->timer);
	free(q);
}

static void
answer_followers(struct query *leader, const uint8_t *resp, size_t len)
{
	struct query *f;
	char source[100];

	while ((f = TAILQ_FIRST(&leader->followers)) != NULL) {
		TAILQ_REMOVE(&leader->followers, f, follower_link);
		reply_answer(&f->origin, f->msg, &f->info, resp, len,
		    source_of(leader, &f->origin, source, sizeof(source)));
		query_free(f);
	}
}

/* serve-stale (RFC 8767): an expired answer, with EDE 3, or 0. */
static int
reply_stale(struct query *q, const char *reason)
{
	uint8_t stale[DNS_MAX_MSG], out[DNS_MAX_MSG];
	size_t max = max_answer(&q->origin, &q->info), n;

	if (!q->srv->conf->serve_stale)
		return 0;
	n = cache_lookup_stale(q->srv->cache, &q->key, now_seconds(), stale,
	    sizeof(stale));
	if (n == 0 || (n = dnsmsg_client_response(stale, n, q->msg, &q->info,
	    max, out, sizeof(out))) == 0)
		return 0;
	n = dnsmsg_add_ede(out, n, max, DNS_EDE_STALE, reason);
	deliver(&q->origin, out, n, "cache (stale)");
	q->srv->stats.stale_answers++;
	log_debug("query %llu: stale answer: %s", (unsigned long long)q->serial,
	    reason);
	return 1;
}

/* Stale answer if serve-stale has one, else SERVFAIL with the reason. */
static void
reply_failure(struct query *q, const char *reason)
{
	if (reply_stale(q, reason))
		return;
	log_debug("query %llu: SERVFAIL: %s", (unsigned long long)q->serial,
	    reason);
	q->srv->stats.servfail++;
	reply_error(&q->origin, q->msg, q->len, &q->info, DNS_RCODE_SERVFAIL,
	    DNS_EDE_NO_REACHABLE, reason);
}

void
query_fail(struct query *q, const char *reason)
{
	struct query *f;

	reply_failure(q, reason);
	while ((f = TAILQ_FIRST(&q->followers)) != NULL) {
		TAILQ_REMOVE(&q->followers, f, follower_link);
		reply_failure(f, reason);
		query_free(f);
	}
	query_free(q);
}

#define FAILURE_PARTS 8	/* upstreams named in a failure's EDE, at most */

/*
 * Joins parts with "; " into out (DNS_EDE_TEXT_MAX + 1 bytes): when they
 * do not fit, each gets a fair share, a short one leaving its rest to the
 * others.
 */
static void
join_fairly(const char **parts, size_t n, char *out)
{
	size_t len[FAILURE_PARTS], cut[FAILURE_PARTS], i, left = n, used = 0;
	size_t room = DNS_EDE_TEXT_MAX - 2 * (n - 1);
	int fixed[FAILURE_PARTS] = { 0 }, again = 1;

	for (i = 0; i < n; i++)
		cut[i] = len[i] = strlen(parts[i]);
	while (again && left > 0) {
		again = 0;
		for (i = 0; i < n; i++)
			if (!fixed[i] && len[i] <= (room - used) / left) {
				fixed[i] = again = 1;
				used += len[i];
				left--;
			}
	}
	for (i = 0; i < n; i++)
		if (!fixed[i])
			cut[i] = (room - used) / left;
	out[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(out + strlen(out), DNS_EDE_TEXT_MAX + 1 - strlen(out),
		    "%s%.*s", i ? "; " : "", (int)cut[i], parts[i]);
}

/*
 * Why q failed: the reason of each upstream it tried (its last error, or
 * last for q->up, the freshest), within the EDE text limit. Nothing is
 * kept per query: the upstreams hold their errors.
 */
static const char *
failure_text(const struct query *q, const char *last, char *out)
{
	const struct upstream_set *set = q->set;
	const char *parts[FAILURE_PARTS];
	size_t i, n = 0;

	if (last != NULL && q->up != NULL && q->up->set != set)
		parts[n++] = last;	/* its set was replaced by a reload */
	for (i = 0; i < q->attempts && i < set->count && n < FAILURE_PARTS;
	    i++) {
		const struct upstream *up =
		    &set->list[(q->first_upstream + i) % set->count];
		const char *text = up == q->up && last ? last : up->last_error;

		if (text[0] != '\0')
			parts[n++] = text;
	}
	if (n <= 1)
		return n == 1 ? parts[0] : last;
	join_fairly(parts, n, out);
	return out;
}

/*
 * The upstreams serving the names of zone z (NULL: no zone): a forward
 * zone's own, or else the configured ones; NULL when z is served locally.
 */
static struct upstream_set *
zone_upstreams(struct server *srv, const struct zone *z)
{
	struct upstream_set *portal = portal_set(srv);

	/* portal mode: every name not served locally */
	if (portal != NULL && (z == NULL || z->kind == ZONE_PUBLIC ||
	    z->kind == ZONE_FORWARD))
		return portal;
	if (z == NULL || z->kind == ZONE_PUBLIC)
		return srv->upstreams;
	return z->kind == ZONE_FORWARD ? z->upstreams : NULL;
}

/* The upstreams serving a name now; NULL for a locally served name. */
static struct upstream_set *
serving_set(struct server *srv, const uint8_t *msg,
    const struct dnsmsg_query *info)
{
	size_t off;

	return zone_upstreams(srv, zones_match(srv->zones, msg, info, &off));
}

static void answer_locally(struct server *srv, struct zone *z,
    size_t zone_off, const struct query_origin *origin, const uint8_t *msg,
    size_t len, const struct dnsmsg_query *info);

/* A reload made q's name a locally served one: q and its followers. */
static void
answer_local_now(struct query *q)
{
	struct query *f;
	size_t off;
	struct zone *z = zones_match(q->srv->zones, q->msg, &q->info, &off);

	while ((f = TAILQ_FIRST(&q->followers)) != NULL) {
		TAILQ_REMOVE(&q->followers, f, follower_link);
		answer_locally(f->srv, z, off, &f->origin, f->msg, f->len,
		    &f->info);
		query_free(f);
	}
	answer_locally(q->srv, z, off, &q->origin, q->msg, q->len, &q->info);
	query_free(q);
}

/*
 * q's set was replaced (a reload, the end of portal mode): q starts over
 * on the upstreams serving its name now, which it has not tried yet; -1
 * when the name is served locally now.
 */
static int
move_to_serving_set(struct query *q)
{
	struct upstream_set *now = serving_set(q->srv, q->msg, &q->info);

	if (now == NULL)
		return -1;
	if (now != q->set) {
		q->set = now;
		q->attempts = 0;
		q->first_upstream = upstream_first(now);
	}
	return 0;
}

/*
 * The try loop. q goes to the next upstream it may use (the strategy's
 * order, those in back-off skipped), or is answered SERVFAIL with the
 * reason of each upstream it tried. The upstreams are those of q's zone,
 * taken again from the configuration in force after a reload (which may
 * have made the name a locally served one).
 */
static void
query_try_next(struct query *q, const char *previous)
{
	struct server *srv = q->srv;
	const char *reason = previous ? previous : "no upstream configured";
	char joined[DNS_EDE_TEXT_MAX + 1];
	struct upstream *up;

	if (srv->stopping) {
		query_fail(q, "ctstub is shutting down");
		return;
	}
	if (q->set->retiring && move_to_serving_set(q) == -1) {
		answer_local_now(q);
		return;
	}
	if (q->attempts == 0 && q->up == NULL)
		q->first_upstream = upstream_first(q->set);
	up = upstream_pick(q->set, q->first_upstream, &q->attempts, &reason);
	if (up == NULL) {
		const char *all = failure_text(q, previous, joined);

		query_fail(q, all ? all : reason);
		return;
	}
	upstream_send(up, q);
}

/* An upstream left to try, or a replaced set (its successor's are). */
static int
query_can_fail_over(const struct query *q)
{
	return q->attempts < q->set->count || q->set->retiring;
}

/*
 * Half the timeout passed without an answer. Only when the upstream sent
 * nothing at all since q went to it is it stalled: then the connection q
 * waits on is closed and its queries move on. Otherwise this one name is
 * slow (its authoritative servers may be dead) and only q moves on. With
 * no upstream left to try, q waits for the rest of its time.
 */
static void
query_half_timeout(struct query *q, const char *reason)
{
	struct upstream *up = q->up;

	if (up == NULL || !query_can_fail_over(q))
		return;
	if (upstream_silent_since(up, q->sent_us)) {
		upstream_stalled(up, q->conn, reason);
		return;
	}
	log_debug("query %llu: %s; trying the next upstream",
	    (unsigned long long)q->serial, reason);
	upstream_cancel(q);
	query_try_next(q, reason);
}

/* The whole timeout passed: SERVFAIL, and a silent upstream is stalled. */
static void
query_full_timeout(struct query *q, const char *reason)
{
	struct upstream *up = q->up;
	void *conn = q->conn;
	char joined[DNS_EDE_TEXT_MAX + 1];

	if (up != NULL && upstream_silent_since(up, q->sent_us)) {
		upstream_cancel(q);
		upstream_stalled(up, conn, reason);
	}
	query_fail(q, failure_text(q, reason, joined));
}

/*
 * The query's timer fires when its upstream has had half the timeout, and
 * again when the whole timeout is over.
 */
static void
query_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	struct query *q = arg;
	unsigned ms = q->srv->conf->timeout_ms;
	struct timeval rest = { (ms - ms / 2) / 1000,
	    ((ms - ms / 2) % 1000) * 1000 };
	char reason[128];

	snprintf(reason, sizeof(reason), "no answer from upstream %s within "
	    "%u ms", upstream_label(q->up), q->timed_out ? ms : ms / 2);
	if (q->timed_out) {
		query_full_timeout(q, reason);
		return;
	}
	q->timed_out = 1;
	evtimer_add(q->timer, &rest);	/* before q may move or end */
	query_half_timeout(q, reason);
}

/* A leader gets a timer; a follower is answered with its leader. */
static struct query *
query_new(struct server *srv, const uint8_t *msg, size_t len,
    const struct query_origin *origin, const struct dnsmsg_query *info,
    const struct cache_key *key, struct upstream_set *set,
    struct query *leader)
{
	struct query *q = calloc(1, sizeof(*q) + len);

	if (q == NULL)
		return NULL;
	if (leader == NULL &&
	    (q->timer = evtimer_new(srv->base, query_timeout_cb, q)) == NULL) {
		free(q);
		return NULL;
	}
	q->msg = q->bytes;
	memcpy(q->msg, msg, len);
	q->len = len;
	q->srv = srv;
	q->serial = ++srv->next_serial;
	q->info = *info;
	q->origin = *origin;
	q->key = *key;
	q->set = set;
	if (q->origin.watch != NULL)
		q->origin.watch->query = q;
	q->leader = leader;
	TAILQ_INIT(&q->followers);
	if (leader != NULL)
		TAILQ_INSERT_TAIL(&leader->followers, q, follower_link);
	else {
		struct query **slot = table_slot(srv, key);

		q->table_next = *slot;
		*slot = q;
		/* one common timeout: libevent keeps these in a plain queue */
		evtimer_add(q->timer, srv->attempt_timeout);
	}
	srv->inflight++;
	listen_track(q);
	return q;
}

static void
log_query(const struct query *q, const char *how)
{
	char name[256] = "?";

	if (!log_debug_enabled())
		return;
	dnsmsg_question_name(q->msg, q->len, name, sizeof(name));
	log_debug("query %llu: %s type %u from %s: %s",
	    (unsigned long long)q->serial, name, q->info.qtype,
	    q->origin.tcp ? "TCP" : "UDP", how);
}

/* Answers from the cache when it can; no allocation on this path. */
static int
answer_from_cache(struct server *srv, const struct query_origin *origin,
    const uint8_t *msg, const struct dnsmsg_query *info,
    const struct cache_key *key)
{
	uint8_t cached[DNS_MAX_MSG];
	size_t n = cache_lookup(srv->cache, key, now_seconds(), cached,
	    sizeof(cached));

	return n > 0 && reply_answer(origin, msg, info, cached, n, "cache") ==
	    0;
}

/* A locally served name: answered here, without any upstream. */
static void
answer_locally(struct server *srv, struct zone *z, size_t zone_off,
    const struct query_origin *origin, const uint8_t *msg, size_t len,
    const struct dnsmsg_query *info)
{
	uint8_t resp[DNS_ERROR_MAX + 128];
	size_t n = localzone_answer(z, msg, info, zone_off, resp,
	    sizeof(resp));

	srv->stats.local_answers++;
	z->answers++;
	if (n == 0 || reply_answer(origin, msg, info, resp, n, "ctstub "
	    "(locally served name)") == -1)
		reply_error(origin, msg, len, info, DNS_RCODE_SERVFAIL,
		    DNS_EDE_OTHER, "cannot make the local answer");
}

/*
 * The zone of the query: a local one answers it here (1); else *set gets
 * the upstreams to ask, a forward zone's or the configured ones (0).
 */
static int
route(struct server *srv, const struct query_origin *origin,
    const uint8_t *msg, size_t len, const struct dnsmsg_query *info,
    struct upstream_set **set)
{
	size_t off;
	struct zone *z = zones_match(srv->zones, msg, info, &off);

	if ((*set = zone_upstreams(srv, z)) == NULL) {
		answer_locally(srv, z, off, origin, msg, len, info);
		return 1;
	}
	if (z != NULL && z->kind == ZONE_FORWARD)
		z->queries++;
	return 0;
}

void
query_start(struct server *srv, const uint8_t *msg, size_t len,
    const struct query_origin *origin)
{
	struct dnsmsg_query info;
	struct cache_key key;
	struct upstream_set *set;
	struct query *q, *leader;
	int rc = dnsmsg_parse_query(msg, len, &info);

	if (origin->tcp != NULL)
		srv->stats.queries_tcp++;
	else if (origin->watch == NULL)
		srv->stats.queries_udp++;
	if (rc == DNSMSG_DROP) {
		srv->stats.dropped++;
		if (origin->watch != NULL)	/* its asker still hears */
			deliver(origin, NULL, 0, "ctstub");
		return;
	}
	if (rc != DNS_RCODE_NOERROR) {
		reply_error(origin, msg, len, info.question_end ? &info : NULL,
		    rc, 0, NULL);
		return;
	}
	dnsmsg_limit_udp(&info, (uint16_t)srv->conf->max_udp_size);
	/*
	 * The cache first: it holds only answers from the upstreams that
	 * serve the name now (remember(); a reload that changes the zones
	 * starts an empty one), never one for a locally served name.
	 */
	cache_key_of(srv->cache, msg, &info, &key);
	if (answer_from_cache(srv, origin, msg, &info, &key)) {
		srv->stats.cache_hits++;
		return;
	}
	if (route(srv, origin, msg, len, &info, &set))
		return;
	if (srv->stopping || srv->inflight >= srv->conf->max_inflight) {
		srv->stats.dropped++;
		reply_error(origin, msg, len, &info, DNS_RCODE_SERVFAIL,
		    DNS_EDE_OTHER, "too many queries in flight");
		return;
	}
	leader = table_find(srv, &key, set);
	q = query_new(srv, msg, len, origin, &info, &key, set, leader);
	if (q == NULL) {
		reply_error(origin, msg, len, &info, DNS_RCODE_SERVFAIL,
		    DNS_EDE_OTHER, "out of memory");
		return;
	}
	if (leader != NULL) {
		srv->stats.coalesced++;
		log_query(q, "joins an identical query in flight");
		return;
	}
	log_query(q, "sent upstream");
	query_try_next(q, NULL);
}

/*
 * Caches the answer without the upstream's padding (most of a padded
 * answer's bytes): rewritten as for an EDNS client, which serving undoes
 * for clients without EDNS. Only when the upstreams it came from still
 * serve the name: not after a reload moved it to another zone or made it
 * a locally served one.
 */
static void
remember(struct query *q, const uint8_t *resp, size_t len)
{
	uint8_t compact[DNS_MAX_MSG];
	struct dnsmsg_query as_edns = q->info;
	size_t n;

	if (serving_set(q->srv, q->msg, &q->info) != q->set ||
	    portal_owns(q->srv, q->set))	/* plaintext: never kept */
		return;
	as_edns.has_edns = 1;
	n = dnsmsg_client_response(resp, len, q->msg, &as_edns, DNS_MAX_MSG,
	    compact, sizeof(compact));
	if (n > 0)
		cache_store(q->srv->cache, &q->key, compact, n, now_seconds());
}

/* A bad answer: logged once per kind, and q goes on to its next try. */
static void
answer_refused(struct query *q, const char *why)
{
	char reason[200];

	snprintf(reason, sizeof(reason), "upstream %s sent a bad answer: %s",
	    upstream_label(q->up), why ? why : "malformed message");
	upstream_anomaly(q->up, "bad answer", reason);
	query_try_next(q, reason);
}

void
query_answer(struct query *q, const uint8_t *resp, size_t len)
{
	const struct conf *conf = q->srv->conf;
	const char *why = NULL;
	uint8_t answer[DNS_MAX_MSG];
	char source[100];

	upstream_heard(q->up);
	if (len > sizeof(answer) ||
	    dnsmsg_check_response(resp, len, q->msg, q->len, &why) == -1) {
		answer_refused(q, why);
		return;
	}
	/* cache-min-ttl and cache-max-ttl: served as they are kept */
	memcpy(answer, resp, len);
	dnsmsg_clamp_ttls(answer, len, conf->cache_min_ttl,
	    conf->cache_max_ttl);
	if (reply_answer(&q->origin, q->msg, &q->info, answer, len,
	    source_of(q, &q->origin, source, sizeof(source))) == -1) {
		answer_refused(q, NULL);
		return;
	}
	log_debug("query %llu: answered by %s (%zu bytes)",
	    (unsigned long long)q->serial, upstream_label(q->up), len);
	upstream_answered(q);
	/* only answers from verified upstreams ever get here */
	remember(q, answer, len);
	answer_followers(q, answer, len);
	query_free(q);
}

static int
may_resend(struct query *q, enum query_retry retry)
{
	if (q->srv->stopping)
		return 0;
	if (retry == QUERY_RETRY_ONCE && !q->retried)
		return q->retried = 1;
	if (retry == QUERY_RETRY_UNPROCESSED && q->resends < QUERY_MAX_RESENDS)
		return ++q->resends;
	return 0;
}

void
query_upstream_failed(struct query *q, const char *reason,
    enum query_retry retry)
{
	struct upstream *up = q->up;

	log_debug("query %llu: upstream %s failed: %s",
	    (unsigned long long)q->serial, upstream_label(up), reason);
	/* the same upstream once more, unless a reload replaced it */
	if (up != NULL && !up->set->retiring && may_resend(q, retry) &&
	    upstream_usable(up)) {
		upstream_send(up, q);
		return;
	}
	query_try_next(q, reason);
}

void
query_list_fail(struct query_list *list, const char *reason,
    enum query_retry retry)
{
	struct query *q;

	while ((q = TAILQ_FIRST(list)) != NULL) {
		TAILQ_REMOVE(list, q, conn_link);
		q->conn = NULL;
		query_upstream_failed(q, reason, retry);
	}
}

void
query_list_insert_by_age(struct query_list *list, struct query *q)
{
	struct query *older;

	TAILQ_FOREACH_REVERSE(older, list, query_list, conn_link)
		if (older->serial < q->serial)
			break;
	if (older == NULL)
		TAILQ_INSERT_HEAD(list, q, conn_link);
	else
		TAILQ_INSERT_AFTER(list, older, q, conn_link);
}
