/* SPDX-License-Identifier: ISC */
/* Resolve upstream host names once at start-up through c-ares. */
#include <arpa/inet.h>
#include <netdb.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include <ares.h>

#include "bootstrap.h"
#include "conf.h"
#include "log.h"

#define BOOTSTRAP_MAX_ADDRS 8

struct lookup {
	const struct conf_upstream *u;
	struct conf_address addrs[BOOTSTRAP_MAX_ADDRS];
	size_t naddrs;
	int pending;
	char error[120];
};

static void
host_cb(void *arg, int status, int timeouts, struct hostent *he)
{
	struct lookup *l = arg;
	char ip[INET6_ADDRSTRLEN];
	int i;

	l->pending--;
	if (status != ARES_SUCCESS) {
		snprintf(l->error, sizeof(l->error), "%s", ares_strerror(status));
		return;
	}
	for (i = 0; he->h_addr_list[i] != NULL &&
	    l->naddrs < BOOTSTRAP_MAX_ADDRS; i++) {
		if (inet_ntop(he->h_addrtype, he->h_addr_list[i], ip,
		    sizeof(ip)) != NULL && conf_parse_address(ip, l->u->port,
		    &l->addrs[l->naddrs]) == 0)
			l->naddrs++;
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

/* Runs c-ares until the lookup is done or the deadline passes. */
static void
wait_for(ares_channel ch, struct lookup *l, unsigned timeout_ms)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (l->pending > 0) {
		struct timeval max = { 0, 100000 }, tv, *tvp;
		fd_set r, w;
		int nfds;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000 > timeout_ms) {
			ares_cancel(ch);
			break;
		}
		FD_ZERO(&r);
		FD_ZERO(&w);
		nfds = ares_fds(ch, &r, &w);
		tvp = ares_timeout(ch, &max, &tv);
		select(nfds, &r, &w, NULL, tvp);
		ares_process(ch, &r, &w);
	}
}

static int
resolve_one(ares_channel ch, struct conf *c, size_t i, unsigned timeout_ms,
    char *err, size_t errlen)
{
	struct lookup l;

	memset(&l, 0, sizeof(l));
	l.u = &c->upstreams[i];
	l.pending = 2;
	ares_gethostbyname(ch, l.u->host, AF_INET, host_cb, &l);
	ares_gethostbyname(ch, l.u->host, AF_INET6, host_cb, &l);
	wait_for(ch, &l, timeout_ms);
	if (l.naddrs == 0) {
		snprintf(err, errlen, "upstream '%s': cannot resolve %s through "
		    "the bootstrap servers: %s", l.u->url, l.u->host,
		    l.error[0] ? l.error : "timed out");
		return -1;
	}
	log_info("upstream %s: %s has %zu address(es)", l.u->url, l.u->host,
	    l.naddrs);
	return conf_upstream_resolved(c, i, l.addrs, l.naddrs) == 0 ? 0 : -1;
}

int
bootstrap_resolve(struct conf *c, unsigned timeout_ms, char *err,
    size_t errlen)
{
	struct ares_options opts = { .flags = ARES_FLAG_NOSEARCH };
	char servers[1024];
	ares_channel ch;
	size_t i;
	int rc = 0;

	for (i = 0; i < c->nupstreams && c->upstreams[i].addr.salen; i++)
		;
	if (i == c->nupstreams)
		return 0;
	if (ares_init_options(&ch, &opts, ARES_OPT_FLAGS) != ARES_SUCCESS ||
	    servers_csv(c, servers, sizeof(servers)) == -1 ||
	    ares_set_servers_ports_csv(ch, servers) != ARES_SUCCESS) {
		snprintf(err, errlen, "cannot set up the bootstrap resolver");
		return -1;
	}
	log_warn("resolving upstream host names through bootstrap %s in "
	    "plaintext DNS (the certificate checks still apply)", servers);
	for (i = 0; i < c->nupstreams && rc == 0; i++)
		if (c->upstreams[i].addr.salen == 0)
			rc = resolve_one(ch, c, i, timeout_ms, err, errlen);
	ares_destroy(ch);
	return rc;
}
