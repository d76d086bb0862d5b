/* SPDX-License-Identifier: ISC */
/* Upstream host names through c-ares, driven by the libevent loop. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ares.h>
#include <event2/event.h>

#include "bootstrap.h"
#include "conf.h"
#include "log.h"

#define BOOTSTRAP_MAX_SOCKETS 16	/* c-ares uses one or two per server */

/* A socket c-ares asked us to watch. */
struct bootstrap_socket {
	ares_socket_t fd;
	struct event *ev;	/* NULL: slot free */
	struct bootstrap *b;
};

struct bootstrap {
	ares_channel channel;
	int channel_ok;
	struct event_base *base;
	struct event *timer;	/* c-ares timeouts, our deadline, the kick */
	struct timespec deadline;
	struct bootstrap_socket sockets[BOOTSTRAP_MAX_SOCKETS];
	struct bootstrap_name *names;
	size_t nnames;
	int freeing;		/* ares_destroy runs: no more bookkeeping */
	bootstrap_done_fn done;
	void *arg;
};

int
bootstrap_wants(const struct conf_upstream *u)
{
	return u->host != NULL && (u->addr.salen == 0 || u->resolved);
}

static int
ip_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
add_ip(struct bootstrap_name *n, int family, const void *addr)
{
	char ip[INET6_ADDRSTRLEN];
	size_t i;

	if (inet_ntop(family, addr, ip, sizeof(ip)) == NULL)
		return;
	for (i = 0; i < n->nips; i++)
		if (strcmp(n->ips[i], ip) == 0)
			return;
	if (n->nips < BOOTSTRAP_MAX_ADDRS)
		memcpy(n->ips[n->nips++], ip, sizeof(ip));
}

static void
host_cb(void *arg, int status, int timeouts, struct hostent *he)
{
	struct bootstrap_name *n = arg;
	int i;

	n->pending--;
	if (status == ARES_EDESTRUCTION)
		return;
	if (status != ARES_SUCCESS) {
		/* "no data" for one family says less than a real failure */
		if (status != ARES_ENODATA || n->error[0] == '\0')
			snprintf(n->error, sizeof(n->error), "%s",
			    status == ARES_ECANCELLED ? "timed out" :
			    ares_strerror(status));
		return;
	}
	for (i = 0; he->h_addr_list[i] != NULL; i++)
		add_ip(n, he->h_addrtype, he->h_addr_list[i]);
	qsort(n->ips, n->nips, sizeof(n->ips[0]), ip_cmp);
}

static size_t
names_pending(const struct bootstrap *b)
{
	size_t i, pending = 0;

	for (i = 0; i < b->nnames; i++)
		pending += (size_t)b->names[i].pending;
	return pending;
}

static int
past(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec ||
	    (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/*
 * After c-ares ran: the deadline cancels what is left; when nothing is
 * left, done (the last thing: it may free b); else the timer is re-armed
 * for c-ares's next timeout.
 */
static void
settle(struct bootstrap *b)
{
	struct timeval max = { 0, 200000 }, tv;

	if (names_pending(b) > 0 && past(&b->deadline))
		ares_cancel(b->channel);
	if (names_pending(b) == 0) {
		b->done(b, b->arg);
		return;
	}
	evtimer_add(b->timer, ares_timeout(b->channel, &max, &tv));
}

static void
timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct bootstrap *b = arg;

	ares_process_fd(b->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	settle(b);
}

static void
socket_cb(evutil_socket_t fd, short events, void *arg)
{
	struct bootstrap_socket *s = arg;
	struct bootstrap *b = s->b;

	ares_process_fd(b->channel, events & EV_READ ? fd : ARES_SOCKET_BAD,
	    events & EV_WRITE ? fd : ARES_SOCKET_BAD);
	settle(b);
}

static struct bootstrap_socket *
find_socket(struct bootstrap *b, ares_socket_t fd)
{
	size_t i;

	for (i = 0; i < BOOTSTRAP_MAX_SOCKETS; i++)
		if (b->sockets[i].ev != NULL && b->sockets[i].fd == fd)
			return &b->sockets[i];
	return NULL;
}

/* c-ares opened, changed or closed a socket: watch it accordingly. */
static void
sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct bootstrap *b = data;
	struct bootstrap_socket *s = find_socket(b, fd);
	short what = (short)((readable ? EV_READ : 0) |
	    (writable ? EV_WRITE : 0));
	size_t i;

	if (s != NULL) {
		event_free(s->ev);
		s->ev = NULL;
	}
	if (what == 0 || b->freeing)
		return;
	for (i = 0; i < BOOTSTRAP_MAX_SOCKETS && b->sockets[i].ev; i++)
		;
	if (i == BOOTSTRAP_MAX_SOCKETS)
		return;		/* unwatched: its query times out */
	s = &b->sockets[i];
	s->fd = fd;
	s->b = b;
	s->ev = event_new(b->base, fd, what | EV_PERSIST, socket_cb, s);
	if (s->ev != NULL && event_add(s->ev, NULL) == -1) {
		event_free(s->ev);
		s->ev = NULL;
	}
}

static int
servers_csv(const struct conf *c, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < c->nbootstraps; i++) {
		char one[80];
		int n;

		conf_address_str(&c->bootstraps[i], one, sizeof(one));
		n = snprintf(buf + used, len - used, "%s%s", i ? "," : "", one);
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
	}
	return 0;
}

const struct bootstrap_name *
bootstrap_find(const struct bootstrap *b, const char *host)
{
	size_t i;

	for (i = 0; i < b->nnames; i++)
		if (strcmp(b->names[i].host, host) == 0)
			return &b->names[i];
	return NULL;
}

/* The distinct names of c's upstreams that want the bootstrap servers. */
static int
collect_names(struct bootstrap *b, const struct conf *c)
{
	size_t i;

	b->names = calloc(c->nupstreams ? c->nupstreams : 1,
	    sizeof(*b->names));
	if (b->names == NULL)
		return -1;
	for (i = 0; i < c->nupstreams; i++) {
		const struct conf_upstream *u = &c->upstreams[i];

		if (!bootstrap_wants(u) || bootstrap_find(b, u->host) != NULL)
			continue;
		if ((b->names[b->nnames].host = strdup(u->host)) == NULL)
			return -1;
		b->nnames++;
	}
	return 0;
}

static int
channel_new(struct bootstrap *b, const char *servers)
{
	struct ares_options opts;

	memset(&opts, 0, sizeof(opts));
	opts.flags = ARES_FLAG_NOSEARCH;
	opts.sock_state_cb = sock_state_cb;
	opts.sock_state_cb_data = b;
	if (ares_init_options(&b->channel, &opts, ARES_OPT_FLAGS |
	    ARES_OPT_SOCK_STATE_CB) != ARES_SUCCESS)
		return -1;
	b->channel_ok = 1;
	if (servers == NULL || servers[0] == '\0')
		return 0;	/* the system's resolv.conf */
	return ares_set_servers_ports_csv(b->channel, servers) !=
	    ARES_SUCCESS ? -1 : 0;
}

/* Looks b's names up at servers within timeout_ms; 0 or -1 with err. */
static int
lookup_all(struct bootstrap *b, const char *servers, unsigned timeout_ms,
    char *err, size_t errlen)
{
	struct timeval now = { 0, 0 };
	size_t i;

	if (channel_new(b, servers) == -1) {
		snprintf(err, errlen, "cannot set up the bootstrap resolver");
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b->deadline);
	b->deadline.tv_sec += timeout_ms / 1000;
	b->deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (b->deadline.tv_nsec >= 1000000000) {
		b->deadline.tv_sec++;
		b->deadline.tv_nsec -= 1000000000;
	}
	log_debug("bootstrap: looking up %zu host name(s) at %s", b->nnames,
	    servers && servers[0] ? servers : "the system's resolvers");
	for (i = 0; i < b->nnames; i++) {
		b->names[i].pending = 2;
		ares_gethostbyname(b->channel, b->names[i].host, AF_INET,
		    host_cb, &b->names[i]);
		ares_gethostbyname(b->channel, b->names[i].host, AF_INET6,
		    host_cb, &b->names[i]);
	}
	/* answers from /etc/hosts come at once: report them from the loop */
	evtimer_add(b->timer, &now);
	return 0;
}

static struct bootstrap *
bootstrap_new(struct event_base *base, bootstrap_done_fn done, void *arg)
{
	struct bootstrap *b = calloc(1, sizeof(*b));

	if (b == NULL || (b->timer = evtimer_new(base, timer_cb, b)) == NULL) {
		bootstrap_free(b);
		return NULL;
	}
	b->base = base;
	b->done = done;
	b->arg = arg;
	return b;
}

struct bootstrap *
bootstrap_start(struct event_base *base, const struct conf *c,
    bootstrap_done_fn done, void *arg, char *err, size_t errlen)
{
	struct bootstrap *b = bootstrap_new(base, done, arg);
	char servers[1024];

	if (b == NULL || collect_names(b, c) == -1 || b->nnames == 0) {
		snprintf(err, errlen, b && b->names && b->nnames == 0 ?
		    "no host name to resolve" : "out of memory");
		goto fail;
	}
	if (servers_csv(c, servers, sizeof(servers)) == -1) {
		snprintf(err, errlen, "cannot set up the bootstrap resolver");
		goto fail;
	}
	if (lookup_all(b, servers, c->timeout_ms, err, errlen) == 0)
		return b;
fail:
	bootstrap_free(b);
	return NULL;
}

struct bootstrap *
bootstrap_lookup(struct event_base *base, const char *host,
    const char *servers, unsigned timeout_ms, bootstrap_done_fn done,
    void *arg, char *err, size_t errlen)
{
	struct bootstrap *b = bootstrap_new(base, done, arg);

	if (b == NULL || (b->names = calloc(1, sizeof(*b->names))) == NULL ||
	    (b->names[0].host = strdup(host)) == NULL) {
		snprintf(err, errlen, "out of memory");
		bootstrap_free(b);
		return NULL;
	}
	b->nnames = 1;
	if (lookup_all(b, servers, timeout_ms, err, errlen) == 0)
		return b;
	bootstrap_free(b);
	return NULL;
}

size_t
bootstrap_count(const struct bootstrap *b)
{
	return b->nnames;
}

const struct bootstrap_name *
bootstrap_name(const struct bootstrap *b, size_t i)
{
	return &b->names[i];
}

void
bootstrap_free(struct bootstrap *b)
{
	size_t i;

	if (b == NULL)
		return;
	b->freeing = 1;
	if (b->channel_ok)
		ares_destroy(b->channel);
	for (i = 0; i < BOOTSTRAP_MAX_SOCKETS; i++)
		if (b->sockets[i].ev != NULL)
			event_free(b->sockets[i].ev);
	if (b->timer != NULL)
		event_free(b->timer);
	for (i = 0; b->names != NULL && i < b->nnames; i++)
		free(b->names[i].host);
	free(b->names);
	free(b);
}
