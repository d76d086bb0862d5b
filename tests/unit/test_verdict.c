/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for verdict.c: the status verdict for each kind of trouble,
 * including those the integration tests cannot stage (no CT evaluation,
 * ALPN, an unresolved name, an upstream not tried since a reload).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "check.h"
#include "conf.h"
#include "generation.h"
#include "loglist.h"
#include "server.h"
#include "upstream.h"
#include "verdict.h"
#include "verify.h"

static struct server srv;
static struct generation gen;
static struct loglist list;
static struct conf conf;
static char verdict[VERDICT_MAX];

static void
setup(void)
{
	char err[600];

	if (conf_load_string("test", "upstream dot://127.0.0.1:853\n"
	    "upstream dot://127.0.0.2:853\n", &conf, stderr) != 0)
		abort();
	list.timestamp = time(NULL) - 3 * 86400;
	gen.policy.loglist = &list;
	srv.base = event_base_new();
	srv.conf = &conf;
	srv.gen = &gen;
	srv.loglist = &list;
	srv.upstreams = upstream_set_new(&srv, &conf, &gen.policy, err,
	    sizeof(err));
	if (srv.base == NULL || srv.upstreams == NULL) {
		fprintf(stderr, "setup: %s\n", err);
		abort();
	}
}

/* Upstream i refused (kind) or failed (0) with reason: in back-off. */
static void
down(size_t i, enum verify_refusal kind, const char *reason)
{
	struct upstream *up = &srv.upstreams->list[i];

	up->backoff_ms = 1000;
	up->refused = kind;
	snprintf(up->last_error, sizeof(up->last_error), "upstream %s %s: %s",
	    up->label, kind ? "rejected" : "failed", reason);
}

static void
up_again(size_t i)
{
	struct upstream *up = &srv.upstreams->list[i];

	up->backoff_ms = 0;
	up->refused = 0;
	up->ct_unknown_logs = 0;
	up->last_error[0] = '\0';
}

/* Both upstreams refused with kind: the verdict starts with want. */
static void
both(const char *label, enum verify_refusal kind, const char *reason,
    const char *want)
{
	enum verdict_state state;

	down(0, kind, reason);
	down(1, kind, reason);
	state = verdict_of(&srv, verdict, sizeof(verdict));
	CHECK(label, state == VERDICT_FAILING &&
	    strncmp(verdict, want, strlen(want)) == 0);
	if (strncmp(verdict, want, strlen(want)) != 0)
		printf("# got: %s\n", verdict);
	up_again(0);
	up_again(1);
}

static void
test_kinds(void)
{
	size_t i;

	both("no CT evaluation", VERIFY_REFUSED_NO_CT,
	    "CT: no CT evaluation took place", "all upstreams refused: no CT "
	    "evaluation took place — read the chain with `ctstub probe URL`");
	both("ALPN", VERIFY_REFUSED_ALPN, "server did not negotiate ALPN h2",
	    "all upstreams refused: server did not negotiate ALPN h2 — is it "
	    "a DoH server? use its dot:// line");
	both("clock", VERIFY_REFUSED_CLOCK, "certificate chain not trusted: "
	    "certificate has expired", "all upstreams refused: certificate "
	    "not yet valid or expired (certificate chain not trusted: "
	    "certificate has expired) — check the clock "
	    "(docs/troubleshooting.md#wrong-clock)");
	for (i = 0; i < 2; i++) {
		srv.upstreams->list[i].ct_unknown_logs = 2;
		snprintf(srv.upstreams->list[i].ct_unknown_first,
		    sizeof(srv.upstreams->list[i].ct_unknown_first),
		    "log 11f95a6d");
	}
	both("CT, unknown logs", VERIFY_REFUSED_CT, "CT: ...",
	    "all upstreams refused: CT: the log list does not know log "
	    "11f95a6d and other logs, which signed the certificate (list 3 "
	    "days old) — install a newer list");
}

static void
test_mixed(void)
{
	struct upstream *up = &srv.upstreams->list[1];
	enum verdict_state state;

	down(0, VERIFY_REFUSED_PIN, "no certificate ... matches a pin");
	down(1, 0, "Connection refused");
	state = verdict_of(&srv, verdict, sizeof(verdict));
	CHECK("refused and failing: all down, the first named",
	    state == VERDICT_FAILING && strncmp(verdict, "all upstreams down: "
	    "upstream 127.0.0.1:853: pin mismatch", 55) == 0);
	up_again(1);
	state = verdict_of(&srv, verdict, sizeof(verdict));
	CHECK("one of two: degraded", state == VERDICT_DEGRADED &&
	    strncmp(verdict, "degraded: 1 of 2 upstreams down; upstream "
	    "127.0.0.1:853: pin mismatch", 69) == 0);
	up_again(0);
	up->unknown = 1;
	state = verdict_of(&srv, verdict, sizeof(verdict));
	CHECK("not tried since a reload: healthy so far", state ==
	    VERDICT_HEALTHY && strcmp(verdict, "healthy so far: 1 upstream(s) "
	    "failing before the reload not tried since (a probe is on its "
	    "way)") == 0);
	CHECK("not tried since a reload: health unknown, never ok",
	    strcmp(upstream_health(up), "unknown") == 0);
	up->unknown = 0;
	state = verdict_of(&srv, verdict, sizeof(verdict));
	CHECK("all well: healthy", state == VERDICT_HEALTHY &&
	    strcmp(verdict, "healthy: 2 upstream(s), none in back-off") == 0);
	gen.policy.ct_list_max_age_days = 1;
	state = verdict_of(&srv, verdict, sizeof(verdict));
	CHECK("stale list: degraded", state == VERDICT_DEGRADED &&
	    strncmp(verdict, "degraded: stale list: the CT log list is 3 days "
	    "old", 50) == 0);
	gen.policy.ct_list_max_age_days = 0;
	CHECK("state names", strcmp(verdict_state_name(VERDICT_FAILING),
	    "failing") == 0);
}

static void
test_unresolved(void)
{
	struct conf_upstream *u = &conf.upstreams[0];	/* list[0].conf */
	enum verdict_state state;

	u->addr.salen = 0;
	u->host = strdup("dns.example.test");	/* what has no address yet */
	state = verdict_of(&srv, verdict, sizeof(verdict));
	CHECK("an unresolved name: down, degraded", state == VERDICT_DEGRADED &&
	    strstr(verdict, "upstream 127.0.0.1:853: dns.example.test is not "
	    "resolved yet — check the bootstrap servers") != NULL);
	CHECK("an unresolved name: health", strcmp(upstream_health(
	    &srv.upstreams->list[0]), "unresolved") == 0);
}

int
main(void)
{
	setup();
	test_kinds();
	test_mixed();
	test_unresolved();
	return CHECK_DONE();
}
