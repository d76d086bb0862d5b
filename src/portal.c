/* SPDX-License-Identifier: ISC */
/*
 * Portal mode (see portal.h): started and ended over the control socket,
 * timed by an event of its own, its upstream set made like a forward
 * zone's from one dns:// upstream. An ended portal's set finishes its
 * queries (they fail over to the upstreams in force) and is freed after
 * the query timeout, as a reload retires a generation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "conf.h"
#include "log.h"
#include "portal.h"
#include "server.h"
#include "status.h"
#include "upstream.h"
#include "verify.h"

#define RETIRE_GRACE_MS 1000	/* after the query timeout */

/* One portal's upstream; it outlives its portal by the query timeout. */
struct portal_session {
	struct conf_upstream up;	/* dns://SERVER; the set points here */
	struct verify_policy policy;	/* unused by plain DNS; the set's */
	struct upstream_set *set;
	struct event *retire;		/* frees it, once ended */
	struct portal *portal;
	struct portal_session *next_retired;
};

struct portal {
	struct server *srv;
	struct portal_session *on;	/* NULL: portal mode is off */
	struct portal_session *retired;	/* ended, finishing their queries */
	struct event *expiry;
	uint64_t ends_ms;		/* server_now_ms when it expires */
	unsigned seconds;		/* as asked */
	uint64_t starts;
	char last_end[80];		/* why the last one ended; "" none */
};

int
portal_parse_duration(const char *text, unsigned *seconds)
{
	char *end;
	unsigned long n;

	if (text == NULL || text[0] < '0' || text[0] > '9')
		return -1;
	n = strtoul(text, &end, 10);
	if (end == text || end[0] == '\0' || end[1] != '\0' || n > PORTAL_MAX_S)
		return -1;
	if (end[0] == 'm')
		n *= 60;
	else if (end[0] != 's')
		return -1;
	if (n == 0 || n > PORTAL_MAX_S)
		return -1;
	*seconds = (unsigned)n;
	return 0;
}

static char *
result(int ok, const char *message)
{
	char *out = NULL;

	status_result_json(ok, message, &out);
	return out;
}

static void
session_free(struct portal_session *s)
{
	if (s == NULL)
		return;
	if (s->retire != NULL)
		event_free(s->retire);
	upstream_set_free(s->set);
	conf_upstream_free(&s->up);
	free(s);
}

static void
retire_cb(evutil_socket_t fd, short events, void *arg)
{
	struct portal_session *s = arg, **p = &s->portal->retired;

	while (*p != s)
		p = &(*p)->next_retired;
	*p = s->next_retired;
	session_free(s);
}

/* The portal's set stops taking queries; freed after the query timeout. */
static void
retire(struct portal *pt)
{
	struct portal_session *s = pt->on;
	unsigned ms = pt->srv->conf->timeout_ms + RETIRE_GRACE_MS;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	pt->on = NULL;
	evtimer_del(pt->expiry);
	s->set->retiring = 1;
	if ((s->retire = evtimer_new(pt->srv->base, retire_cb, s)) == NULL) {
		session_free(s);
		return;
	}
	s->portal = pt;
	s->next_retired = pt->retired;
	pt->retired = s;
	evtimer_add(s->retire, &tv);
}

static void
end(struct portal *pt, const char *why)
{
	char label[80];

	snprintf(label, sizeof(label), "%s", upstream_label(
	    &pt->on->set->list[0]));
	snprintf(pt->last_end, sizeof(pt->last_end), "%s", why);
	retire(pt);
	log_warn("portal mode off (%s): queries go to the encrypted upstreams "
	    "again; plain DNS to %s has ended", why, label);
}

static void
expiry_cb(evutil_socket_t fd, short events, void *arg)
{
	struct portal *pt = arg;

	if (pt->on != NULL)
		end(pt, "expired");
}

static struct portal *
portal_get(struct server *srv)
{
	if (srv->portal == NULL && (srv->portal = calloc(1,
	    sizeof(*srv->portal))) != NULL) {
		srv->portal->srv = srv;
		srv->portal->expiry = evtimer_new(srv->base, expiry_cb,
		    srv->portal);
		if (srv->portal->expiry == NULL) {
			free(srv->portal);
			srv->portal = NULL;
		}
	}
	return srv->portal;
}

/* A session for "IP", "IP:PORT" or "[IPv6]:PORT"; NULL with msg. */
static struct portal_session *
session_new(struct server *srv, const char *server, char *msg, size_t len)
{
	struct portal_session *s = calloc(1, sizeof(*s));
	char url[140], why[240];

	snprintf(url, sizeof(url), "dns://%.100s", server);
	if (s == NULL || strlen(server) > 100 ||
	    conf_parse_plain_url(url, &s->up, why, sizeof(why)) == -1) {
		snprintf(msg, len, "portal: server '%s': expected IP, IP:PORT "
		    "or [IPv6]:PORT", url + 6);
		goto fail;
	}
	s->set = upstream_set_new_list(srv, &s->up, 1, CONF_ORDERED, NULL,
	    NULL, &s->policy, why, sizeof(why));
	if (s->set == NULL) {
		snprintf(msg, len, "portal: %s", why);
		goto fail;
	}
	return s;
fail:
	session_free(s);
	return NULL;
}

static char *
start(struct server *srv, unsigned seconds, const char *server)
{
	struct portal *pt = portal_get(srv);
	struct portal_session *s;
	struct timeval tv = { seconds, 0 };
	char msg[300];
	int renewed;

	if (pt == NULL)
		return result(0, "portal: out of memory");
	if ((s = session_new(srv, server, msg, sizeof(msg))) == NULL)
		return result(0, msg);
	if ((renewed = pt->on != NULL))
		retire(pt);
	pt->on = s;
	pt->seconds = seconds;
	pt->ends_ms = server_now_ms(srv) + (uint64_t)seconds * 1000;
	pt->starts++;
	evtimer_add(pt->expiry, &tv);
	log_warn("portal mode on%s: every query not served locally goes in "
	    "plain DNS (unencrypted, unauthenticated) to %s for %u s "
	    "(ctstub portal); its answers are not cached; `ctstub portal "
	    "--off` ends it", renewed ? " again" : "", upstream_label(
	    &s->set->list[0]), seconds);
	snprintf(msg, sizeof(msg), "portal mode on: plain DNS to %s for %u s; "
	    "log in in the browser now (`ctstub portal --off` ends it early)",
	    upstream_label(&s->set->list[0]), seconds);
	return result(1, msg);
}

char *
portal_command(struct server *srv, const char *args)
{
	char server[128], extra[2];
	unsigned seconds;

	if (args != NULL && strcmp(args, "off") == 0) {
		if (srv->portal == NULL || srv->portal->on == NULL)
			return result(1, "portal mode was not on");
		end(srv->portal, "ended by the user");
		return result(1, "portal mode off: queries go to the encrypted "
		    "upstreams again");
	}
	if (args == NULL || sscanf(args, "on %u %127s %1s", &seconds, server,
	    extra) != 2 || seconds == 0 || seconds > PORTAL_MAX_S)
		return result(0, "portal: usage: portal on SECONDS SERVER | "
		    "portal off");
	return start(srv, seconds, server);
}

struct upstream_set *
portal_set(const struct server *srv)
{
	return srv->portal != NULL && srv->portal->on != NULL ?
	    srv->portal->on->set : NULL;
}

int
portal_owns(const struct server *srv, const struct upstream_set *set)
{
	const struct portal_session *s;

	if (srv->portal == NULL)
		return 0;
	if (srv->portal->on != NULL && srv->portal->on->set == set)
		return 1;
	for (s = srv->portal->retired; s != NULL; s = s->next_retired)
		if (s->set == set)
			return 1;
	return 0;
}

unsigned
portal_left(const struct server *srv, const char **server)
{
	const struct portal *pt = srv->portal;
	uint64_t now = server_now_ms(srv);

	*server = "";
	if (pt == NULL || pt->on == NULL)
		return 0;
	*server = upstream_label(&pt->on->set->list[0]);
	return pt->ends_ms > now ? (unsigned)((pt->ends_ms - now + 999) /
	    1000) : 0;
}

uint64_t
portal_starts(const struct server *srv)
{
	return srv->portal != NULL ? srv->portal->starts : 0;
}

json_t *
portal_json(const struct server *srv)
{
	const char *server;
	unsigned left = portal_left(srv, &server);
	const struct portal *pt = srv->portal;
	int on = pt != NULL && pt->on != NULL;

	return json_pack("{s:s, s:s?, s:I, s:I, s:I, s:s?}", "state",
	    on ? "on" : "off", "server", on ? server : NULL, "seconds_left",
	    (json_int_t)left, "seconds", (json_int_t)(on ? pt->seconds : 0),
	    "starts", (json_int_t)portal_starts(srv), "last_end",
	    pt != NULL && pt->last_end[0] ? pt->last_end : NULL);
}

void
portal_free(struct server *srv)
{
	struct portal *pt = srv->portal;
	struct portal_session *s;

	if (pt == NULL)
		return;
	session_free(pt->on);
	while ((s = pt->retired) != NULL) {
		pt->retired = s->next_retired;
		session_free(s);
	}
	event_free(pt->expiry);
	free(pt);
	srv->portal = NULL;
}
