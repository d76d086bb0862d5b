/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the query state machine (query.c) and the upstream set
 * (upstream.c), deterministic: a fake transport stands in for DoT/DoH
 * (struct transport is an ops table), the server's clock is a variable the
 * test moves, and query timers are fired by hand (event_active) instead of
 * waiting for them. Covers the half and full timeouts (a slow name against
 * a silent upstream), failover, the retry after an idle close, the resends
 * of unprocessed queries, back-off growth, cap, probes and reset, the
 * strategies, which connection a stall closes, and forward zones (their
 * own upstreams only, no coalescing across zones).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "check.h"
#include "conf.h"
#include "dnsmsg.h"
#include "query.h"
#include "server.h"
#include "transport.h"
#include "upstream.h"
#include "verify.h"
#include "zones.h"

#define TIMEOUT_MS 2000

/* --- the clock --------------------------------------------------------- */

static uint64_t fake_now_us = 1000000000;

static uint64_t
fake_clock_us(void)
{
	return fake_now_us;
}

static void
advance_ms(unsigned ms)
{
	fake_now_us += (uint64_t)ms * 1000;
}

/* --- the fake transport ----------------------------------------------- */

struct fake_conn {
	struct upstream *up;
	struct query_list queries;
	int number;			/* opens so far, this one included */
	struct fake_conn *detached_next;
};

static struct {
	int opens, sends, cancels, closes;
	int refuse_open;		/* open fails (connection refused) */
	struct query *last_sent;
	struct fake_conn *last_closed_conn;	/* freed: compare only */
	int last_closed_number;
	enum query_retry last_retry;
} fake;

static void *
fake_open(struct upstream *up)
{
	struct fake_conn *c;

	if (fake.refuse_open) {
		upstream_failed(up, "Connection refused", 0);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	c->up = up;
	c->number = ++fake.opens;
	TAILQ_INIT(&c->queries);
	return c;
}

static void
fake_send(void *arg, struct query *q)
{
	struct fake_conn *c = arg;

	q->conn = c;
	TAILQ_INSERT_TAIL(&c->queries, q, conn_link);
	fake.sends++;
	fake.last_sent = q;
}

static void
fake_cancel(void *arg, struct query *q)
{
	struct fake_conn *c = arg;

	TAILQ_REMOVE(&c->queries, q, conn_link);
	q->conn = NULL;
	fake.cancels++;
}

static void
fake_close(void *arg, const char *reason, enum query_retry retry)
{
	struct fake_conn *c = arg, **p;
	struct query_list list = TAILQ_HEAD_INITIALIZER(list);
	char why[200];

	snprintf(why, sizeof(why), "%s", reason);
	if (c->up->conn == c)
		upstream_disconnected(c->up);
	for (p = (struct fake_conn **)&c->up->detached; *p != NULL;
	    p = &(*p)->detached_next)
		if (*p == c) {
			*p = c->detached_next;
			break;
		}
	TAILQ_CONCAT(&list, &c->queries, conn_link);
	fake.closes++;
	fake.last_closed_conn = c;
	fake.last_closed_number = c->number;
	fake.last_retry = retry;
	free(c);
	query_list_fail(&list, why, retry);
}

static const struct transport fake_transport = {
	"fake", fake_open, fake_send, fake_cancel, fake_close, 0
};

/* --- a server with upstreams on the fake transport ----------------------- */

static struct server srv;
static struct conf conf;
static struct verify_policy policy;

static void
setup(int nupstreams, const char *strategy)
{
	/* never reached: the tests fire the timers by hand */
	static const struct timeval half = { 3600, 0 };
	char text[600], err[600];
	int i, n;

	memset(&srv, 0, sizeof(srv));
	memset(&fake, 0, sizeof(fake));
	n = snprintf(text, sizeof(text), "timeout %d\nupstream-strategy %s\n",
	    TIMEOUT_MS, strategy);
	for (i = 0; i < nupstreams; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		    "upstream dot://127.0.0.%d:853\n", i + 1);
	if (conf_load_string("test", text, &conf, stderr) != 0)
		abort();
	srv.base = event_base_new();
	srv.clock_us = fake_clock_us;
	srv.conf = &conf;
	srv.cache = server_cache_new(&conf);
	srv.upstreams = upstream_set_new(&srv, &conf, &policy, err,
	    sizeof(err));
	if (srv.base == NULL || srv.cache == NULL || srv.upstreams == NULL) {
		fprintf(stderr, "setup: %s\n", err);
		abort();
	}
	for (i = 0; i < nupstreams; i++)
		srv.upstreams->list[i].transport = &fake_transport;
	srv.attempt_timeout = &half;
}

static void
teardown(void)
{
	srv.stopping = 1;
	upstream_set_free(srv.upstreams);
	cache_free(srv.cache);
	event_base_free(srv.base);
	conf_free(&conf);
}

static struct upstream *
up_at(size_t i)
{
	return &srv.upstreams->list[i];
}

/* --- messages -------------------------------------------------------------- */

static size_t
make_query(uint8_t *buf, uint16_t id, const char *label)
{
	size_t n = DNS_HEADER_LEN, l = strlen(label);

	memset(buf, 0, DNS_HEADER_LEN);
	dnsmsg_put16(buf, id);
	dnsmsg_put16(buf + 2, 0x0100);		/* RD */
	dnsmsg_put16(buf + 4, 1);
	buf[n++] = (uint8_t)l;
	memcpy(buf + n, label, l);
	n += l;
	memcpy(buf + n, "\4test\0", 6);
	n += 6;
	dnsmsg_put16(buf + n, 1);		/* A */
	dnsmsg_put16(buf + n + 2, 1);		/* IN */
	return n + 4;
}

/* A client asks label.test; the query as the transport got it. */
static struct query *
ask(const char *label)
{
	static const struct query_origin nowhere;	/* the reply is dropped */
	static uint16_t id = 1;
	uint8_t msg[300];
	size_t len = make_query(msg, id++, label);

	fake.last_sent = NULL;
	query_start(&srv, msg, len, &nowhere);
	return fake.last_sent;
}

/* q's upstream answers it (NOERROR, no records). */
static void
answer(struct query *q)
{
	struct fake_conn *c = q->conn;
	uint8_t resp[300];

	memcpy(resp, q->msg, q->len);
	resp[2] |= 0x80;			/* QR */
	resp[3] |= 0x80;			/* RA */
	TAILQ_REMOVE(&c->queries, q, conn_link);
	q->conn = NULL;
	query_answer(q, resp, q->len);
}

/* q's upstream answers it with an A record (an answer the cache keeps). */
static void
answer_a(struct query *q)
{
	static const uint8_t rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4,
	    192, 0, 2, 1 };
	struct fake_conn *c = q->conn;
	uint8_t resp[300];

	memcpy(resp, q->msg, q->len);
	resp[2] |= 0x80;			/* QR */
	resp[3] |= 0x80;			/* RA */
	dnsmsg_put16(resp + 6, 1);		/* ANCOUNT */
	memcpy(resp + q->len, rr, sizeof(rr));
	TAILQ_REMOVE(&c->queries, q, conn_link);
	q->conn = NULL;
	query_answer(q, resp, q->len + sizeof(rr));
}

/* The server closed the connection q waits on (retry as a transport). */
static void
drop_conn(struct query *q, enum query_retry retry)
{
	fake_close(q->conn, "closed by the server", retry);
}

/* The server refused q's stream: never processed (a DoH REFUSED_STREAM). */
static void
refuse(struct query *q)
{
	struct fake_conn *c = q->conn;

	TAILQ_REMOVE(&c->queries, q, conn_link);
	q->conn = NULL;
	query_upstream_failed(q, "stream refused", QUERY_RETRY_UNPROCESSED);
}

/* Fires q's timer now, as libevent would at half / the whole timeout. */
static void
fire_timer(struct query *q, unsigned advance)
{
	advance_ms(advance);
	event_active(q->timer, EV_TIMEOUT, 1);
	event_base_loop(srv.base, EVLOOP_NONBLOCK);
}

static size_t
conn_count(const struct upstream *up)
{
	const struct fake_conn *c = up->conn;
	const struct query *q;
	size_t n = 0;

	if (c == NULL)
		return 0;
	TAILQ_FOREACH(q, &c->queries, conn_link)
		n++;
	return n;
}

/* --- tests ----------------------------------------------------------------- */

static void
test_answered(void)
{
	struct query *q;

	setup(2, "ordered");
	q = ask("a");
	CHECK("answered: sent to the first upstream", q != NULL &&
	    q->up == up_at(0) && fake.opens == 1);
	advance_ms(30);
	answer(q);
	CHECK("answered: nothing left in flight", srv.inflight == 0);
	CHECK("answered: counted", up_at(0)->stats.answers == 1 &&
	    srv.stats.servfail == 0);
	CHECK("answered: answer time measured (30 ms)",
	    up_at(0)->srtt_us == 30000);
	teardown();
}

/*
 * Issue 11 item 4: a slow name on an upstream that answers others. Only the
 * slow query moves on; the connection stays, with its other queries, and
 * no back-off starts.
 */
static void
test_slow_name_fails_over_alone(void)
{
	struct query *slow, *other, *late;

	setup(2, "ordered");
	slow = ask("slow");
	other = ask("other");
	advance_ms(100);
	late = ask("late");
	answer(other);				/* the upstream is alive */
	fire_timer(slow, TIMEOUT_MS / 2 - 100);
	CHECK("slow name, half timeout: moved to the second upstream",
	    slow->up == up_at(1) && fake.cancels == 1);
	CHECK("slow name, half timeout: first upstream not failed",
	    up_at(0)->backoff_ms == 0 && up_at(0)->stats.failures == 0);
	CHECK("slow name, half timeout: first connection kept with its query",
	    fake.closes == 0 && up_at(0)->conn != NULL &&
	    conn_count(up_at(0)) == 1 && late->up == up_at(0));
	CHECK("slow name: a failover counted", up_at(0)->stats.failovers == 1);
	answer(slow);
	answer(late);
	CHECK("slow name: both answered, nothing in flight",
	    srv.inflight == 0 && srv.stats.servfail == 0);
	teardown();
}

static void
test_slow_name_one_upstream(void)
{
	struct query *slow, *other;

	setup(1, "ordered");
	slow = ask("slow");
	fire_timer(slow, TIMEOUT_MS / 2);
	CHECK("one upstream, half timeout: the query keeps waiting",
	    slow->up == up_at(0) && slow->conn != NULL && fake.cancels == 0);
	other = ask("other");
	answer(other);
	fire_timer(slow, TIMEOUT_MS / 2);
	CHECK("one upstream, full timeout: SERVFAIL",
	    srv.stats.servfail == 1 && srv.inflight == 0);
	CHECK("one upstream, full timeout: the upstream answered others: "
	    "no back-off, connection kept", up_at(0)->backoff_ms == 0 &&
	    fake.closes == 0 && up_at(0)->conn != NULL);
	other = ask("next");
	CHECK("one upstream: the next query goes out on the same connection",
	    other != NULL && other->up == up_at(0) && fake.opens == 1);
	teardown();
}

/* An upstream that sends nothing at all while queries wait is stalled. */
static void
test_silent_upstream_stalls(void)
{
	struct query *a, *b;

	setup(2, "ordered");
	a = ask("a");
	b = ask("b");
	fire_timer(a, TIMEOUT_MS / 2);
	CHECK("silent, half timeout: upstream failed (back-off 1 s)",
	    up_at(0)->backoff_ms == 1000 && up_at(0)->stats.failures == 1);
	CHECK("silent, half timeout: its connection closed",
	    fake.closes == 1 && up_at(0)->conn == NULL);
	CHECK("silent, half timeout: both queries moved on",
	    a->up == up_at(1) && b->up == up_at(1) && conn_count(up_at(1)) == 2);
	fire_timer(a, TIMEOUT_MS / 2);
	CHECK("silent again, full timeout: the second stalled too",
	    up_at(1)->backoff_ms == 1000 && fake.closes == 2);
	CHECK("silent again: SERVFAIL for it, and for the other query (no "
	    "upstream left)", srv.stats.servfail == 2 && srv.inflight == 0);
	teardown();
}

/*
 * Issue 11 item 8: the connection a stall closes is the one the query
 * waits on. A DoH connection detached on GOAWAY still finishes its streams
 * while up->conn is a new connection with queries of its own.
 */
static void
test_stall_closes_the_waited_connection(void)
{
	struct query *old, *fresh;
	struct fake_conn *detached;

	setup(2, "ordered");
	old = ask("old");
	detached = old->conn;
	upstream_disconnected(up_at(0));		/* as on GOAWAY */
	detached->detached_next = up_at(0)->detached;
	up_at(0)->detached = detached;
	advance_ms(10);
	fresh = ask("fresh");
	CHECK("GOAWAY: a new query opened a new connection",
	    fake.opens == 2 && fresh->conn != detached);
	fire_timer(old, TIMEOUT_MS / 2 - 10);
	CHECK("GOAWAY: the stall closed the detached connection",
	    fake.closes == 1 && fake.last_closed_conn == detached);
	CHECK("GOAWAY: the new connection and its query stay",
	    up_at(0)->conn != NULL && fresh->up == up_at(0) &&
	    conn_count(up_at(0)) == 1);
	CHECK("GOAWAY: the detached list is empty again",
	    up_at(0)->detached == NULL);
	teardown();
}

/* upstream_set_free closes detached connections too (no leak, no UAF). */
static void
test_set_free_closes_detached(void)
{
	struct query *q;
	struct fake_conn *detached;

	setup(1, "ordered");
	q = ask("q");
	detached = q->conn;
	upstream_disconnected(up_at(0));
	up_at(0)->detached = detached;
	teardown();
	CHECK("shutdown: the detached connection was closed",
	    fake.closes == 1 && fake.last_closed_conn == detached);
}

static void
test_retry_once_after_idle_close(void)
{
	struct query *q;

	setup(2, "ordered");
	q = ask("q");
	drop_conn(q, QUERY_RETRY_ONCE);
	CHECK("idle close: resent to the same upstream on a new connection",
	    q->up == up_at(0) && fake.opens == 2 && q->retried);
	drop_conn(q, QUERY_RETRY_ONCE);
	CHECK("idle close again: on to the next upstream",
	    q->up == up_at(1) && up_at(0)->stats.failovers == 1);
	drop_conn(q, QUERY_NO_RETRY);
	CHECK("a plain failure on the last upstream: SERVFAIL",
	    srv.stats.servfail == 1 && srv.inflight == 0);
	teardown();
}

static void
test_resends_unprocessed(void)
{
	struct query *q;
	int i;

	setup(2, "ordered");
	q = ask("q");
	for (i = 0; i < QUERY_MAX_RESENDS; i++)
		refuse(q);
	CHECK("refused 4 times: resent to the same upstream each time",
	    q->up == up_at(0) && fake.sends == 1 + QUERY_MAX_RESENDS &&
	    fake.opens == 1);
	refuse(q);
	CHECK("refused a 5th time: on to the next upstream", q->up == up_at(1));
	refuse(q);
	CHECK("no resend left: SERVFAIL", srv.stats.servfail == 1 &&
	    srv.inflight == 0);
	teardown();
}

static void
test_backoff(void)
{
	static const unsigned want[] = { 1000, 2000, 4000, 8000, 16000, 32000,
	    64000, 128000, 256000, 300000, 300000 };
	struct upstream *up;
	struct timeval tv, now;
	size_t i;
	int grew = 1;

	setup(1, "ordered");
	up = up_at(0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		upstream_failed(up, "Connection refused", 0);
		grew &= up->backoff_ms == want[i] &&
		    up->retry_at_ms == fake_now_us / 1000 + want[i];
	}
	CHECK("back-off doubles from 1 s and stops at 5 minutes", grew);
	CHECK("in back-off: not usable", !upstream_usable(up));
	evtimer_pending(up->probe, &tv);
	gettimeofday(&now, NULL);
	CHECK("in a long back-off after network failures: probed within 5 s",
	    tv.tv_sec - now.tv_sec <= 5);
	advance_ms(300000);
	CHECK("after the back-off: usable (connects)",
	    upstream_usable(up) && up->conn != NULL);
	teardown();
}

static void
test_refusal_probe_waits(void)
{
	struct upstream *up;
	struct timeval tv, now;
	int i;

	setup(1, "ordered");
	up = up_at(0);
	for (i = 0; i < 6; i++)
		upstream_failed(up, "certificate has no SCT", 1);
	evtimer_pending(up->probe, &tv);
	gettimeofday(&now, NULL);
	CHECK("refused: the probe waits out the 32 s back-off",
	    tv.tv_sec - now.tv_sec >= 31);
	teardown();
}

/* What ends a back-off: an answer, a verified handshake, a network change. */
static void
test_backoff_reset(void)
{
	struct upstream *up;
	struct query *q;
	SSL *ssl;

	setup(1, "ordered");
	up = up_at(0);
	ssl = SSL_new(srv.upstreams->tls_dot);
	upstream_failed(up, "Connection refused", 0);
	upstream_failed(up, "Connection refused", 0);
	upstream_verified(up, ssl, NULL, NULL);
	CHECK("a verified handshake after network failures ends the back-off",
	    up->backoff_ms == 0 && up->retry_at_ms == 0 &&
	    up->last_error[0] == '\0');

	q = ask("q");
	fire_timer(q, TIMEOUT_MS / 2);
	fire_timer(q, TIMEOUT_MS / 2);			/* silent: stalled */
	CHECK("a silent upstream is stalled", up->backoff_ms == 1000);
	upstream_verified(up, ssl, NULL, NULL);
	CHECK("after a stall a handshake alone does not end the back-off",
	    up->backoff_ms == 1000);
	upstream_failed(up, "Connection refused", 0);
	upstream_verified(up, ssl, NULL, NULL);
	CHECK("... but after a later network failure it does",
	    up->backoff_ms == 0);

	advance_ms(5000);
	q = ask("q2");
	answer(q);
	upstream_failed(up, "Connection refused", 0);
	upstream_failed(up, "Connection refused", 0);
	advance_ms(1000);
	q = ask("q3");
	CHECK("in back-off, one upstream: SERVFAIL at once",
	    q == NULL && srv.stats.servfail == 2);
	upstream_set_end_backoffs(srv.upstreams, "the network changed");
	CHECK("a network change ends the back-off",
	    up->backoff_ms == 0 && up->retry_at_ms == 0);
	q = ask("q4");
	CHECK("after a network change queries go out again",
	    q != NULL && q->up == up);
	answer(q);
	CHECK("an answer keeps it healthy", up->backoff_ms == 0 &&
	    up->stats.answers == 2);
	SSL_free(ssl);
	teardown();
}

static void
test_strategies(void)
{
	size_t got[4];
	int i;

	setup(3, "ordered");
	for (i = 0; i < 3; i++)
		got[i] = upstream_first(srv.upstreams);
	CHECK("ordered: always the first", got[0] == 0 && got[1] == 0 &&
	    got[2] == 0);
	teardown();

	setup(3, "round-robin");
	for (i = 0; i < 4; i++)
		got[i] = upstream_first(srv.upstreams);
	CHECK("round-robin: each in turn", got[0] == 0 && got[1] == 1 &&
	    got[2] == 2 && got[3] == 0);
	teardown();

	setup(3, "fastest");
	up_at(0)->srtt_us = 5000;
	up_at(1)->srtt_us = 0;
	up_at(2)->srtt_us = 3000;
	CHECK("fastest: an unmeasured upstream is measured first",
	    upstream_first(srv.upstreams) == 1);
	up_at(1)->srtt_us = 1000;
	CHECK("fastest: the lowest answer time",
	    upstream_first(srv.upstreams) == 1);
	upstream_failed(up_at(1), "Connection refused", 0);
	CHECK("fastest: not one in back-off", upstream_first(srv.upstreams) == 2);
	up_at(2)->srtt_us = 9000;
	CHECK("fastest: the next fastest", upstream_first(srv.upstreams) == 0);
	teardown();
}

/* Failover walks the strategy's order, skipping upstreams in back-off. */
static void
test_pick_skips_backoff(void)
{
	struct query *q;

	setup(3, "round-robin");
	upstream_failed(up_at(1), "Connection refused", 0);
	ask("first");				/* starts at 0 */
	q = ask("second");			/* starts at 1: in back-off */
	CHECK("failover: one in back-off is skipped", q != NULL &&
	    q->up == up_at(2) && q->attempts == 2);
	upstream_failed(up_at(0), "Connection refused", 0);
	drop_conn(q, QUERY_NO_RETRY);		/* 2 failed, 0 in back-off */
	CHECK("failover: none left: SERVFAIL", srv.stats.servfail == 1 &&
	    srv.inflight == 1);
	teardown();

	setup(2, "ordered");
	fake.refuse_open = 1;
	q = ask("unreachable");
	CHECK("no upstream can connect: SERVFAIL at once", q == NULL &&
	    srv.stats.servfail == 1 && srv.inflight == 0 &&
	    up_at(0)->backoff_ms == 1000 && up_at(1)->backoff_ms == 1000);
	teardown();
}

/* The forward zone "test." of zc, its upstream on the fake transport. */
static struct zones *
zones_with_forward(struct conf *zc, struct upstream_set **set)
{
	char err[600];
	struct zones *zs;
	size_t i;

	if (conf_load_string("zones", "upstream dot://127.0.0.1\n"
	    "forward-zone test. dot://127.0.0.9:853\n", zc, stderr) != 0 ||
	    (zs = zones_new(zc, err, sizeof(err))) == NULL ||
	    zones_start(zs, &srv, &policy, NULL, err, sizeof(err)) == -1)
		abort();
	for (i = 0; i < zs->count; i++)
		if (zs->list[i].kind == ZONE_FORWARD)
			*set = zs->list[i].upstreams;
	(*set)->list[0].transport = &fake_transport;
	return zs;
}

/*
 * Issue 13: a forward zone's names go to its upstreams only (none left:
 * SERVFAIL, never the public ones), and a query is never joined to one for
 * the same name going to other upstreams (a reload moved the name).
 */
static void
test_forward_zone(void)
{
	struct conf zc;
	struct upstream_set *zone_set = NULL;
	struct zones *zs;
	struct query *q1, *q3;

	setup(1, "ordered");
	zs = zones_with_forward(&zc, &zone_set);
	srv.zones = zs;
	q1 = ask("a");
	CHECK("zone: a.test goes to the zone's upstream", q1 != NULL &&
	    q1->up == &zone_set->list[0] && q1->set == zone_set &&
	    up_at(0)->stats.queries == 0);
	CHECK("zone: counted for the zone", zs->list[zs->count - 1].queries ==
	    1);
	ask("a");
	CHECK("zone: the same question to the same zone is joined",
	    srv.stats.coalesced == 1 && fake.sends == 1);
	srv.zones = NULL;	/* as after a reload without the zone */
	q3 = ask("a");
	CHECK("zone: the same question going elsewhere is not joined",
	    q3 != NULL && q3->up == up_at(0) && srv.stats.coalesced == 1 &&
	    fake.sends == 2);
	answer_a(q1);
	CHECK("zone: an answer from upstreams that no longer serve the name "
	    "is not cached", cache_entries(srv.cache) == 0);
	if (q3 != NULL)
		answer_a(q3);
	CHECK("zone: all answered", srv.inflight == 0);
	CHECK("zone: one from those that serve it is cached",
	    cache_entries(srv.cache) == 1);
	srv.zones = zs;
	fake_close(zone_set->list[0].conn, "closed by the server",
	    QUERY_NO_RETRY);
	fake.refuse_open = 1;
	ask("b");
	CHECK("zone: its upstream unreachable: SERVFAIL, not the public one",
	    srv.stats.servfail == 1 && srv.inflight == 0 &&
	    up_at(0)->stats.queries == 1 && zone_set->list[0].backoff_ms ==
	    1000);
	zones_free(zs);
	conf_free(&zc);
	teardown();
}

int
main(void)
{
	test_answered();
	test_slow_name_fails_over_alone();
	test_slow_name_one_upstream();
	test_silent_upstream_stalls();
	test_stall_closes_the_waited_connection();
	test_set_free_closes_detached();
	test_retry_once_after_idle_close();
	test_resends_unprocessed();
	test_backoff();
	test_refusal_probe_waits();
	test_backoff_reset();
	test_strategies();
	test_pick_skips_backoff();
	test_forward_zone();
	return CHECK_DONE();
}
