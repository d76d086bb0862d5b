/* SPDX-License-Identifier: ISC */
/* Route and address changes (netlink) end the upstreams' back-offs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "netwatch.h"
#include "server.h"
#include "upstream.h"
#include "zones.h"

#ifdef __linux__
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

/*
 * One reset per burst: resume or a new network brings a dozen messages
 * (links, addresses, routes) within a second.
 */
#define NETWATCH_SETTLE_MS	1000

struct netwatch {
	struct server *srv;
	int fd;
	struct event *read_ev;
	struct event *settle;
};

static void
settle_cb(evutil_socket_t fd, short events, void *arg)
{
	struct netwatch *nw = arg;

	log_info("network changed (address, route or link): ending upstream "
	    "back-offs");
	if (nw->srv->upstreams != NULL && !nw->srv->stopping) {
		upstream_set_end_backoffs(nw->srv->upstreams,
		    "the network changed");
		zones_end_backoffs(nw->srv->zones, "the network changed");
	}
}

static int
is_change(const struct nlmsghdr *h)
{
	switch (h->nlmsg_type) {
	case RTM_NEWADDR: case RTM_DELADDR:
	case RTM_NEWROUTE: case RTM_DELROUTE:
	case RTM_NEWLINK: case RTM_DELLINK:
		return 1;
	}
	return 0;
}

/* Does this datagram hold a change? (A lost one, ENOBUFS, counts too.) */
static int
read_changes(int fd)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	ssize_t n;
	int changed = 0;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) != 0) {
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		size_t len = (size_t)n;

		if (n < 0)
			return changed || errno == ENOBUFS;
		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
			changed |= is_change(h);
	}
	return changed;
}

static void
read_cb(evutil_socket_t fd, short events, void *arg)
{
	struct netwatch *nw = arg;
	struct timeval tv = { NETWATCH_SETTLE_MS / 1000,
	    (NETWATCH_SETTLE_MS % 1000) * 1000 };

	if (!read_changes(fd))
		return;
	log_debug("netlink: a route or address change");
	if (!evtimer_pending(nw->settle, NULL))
		evtimer_add(nw->settle, &tv);
}

static int
open_socket(void)
{
	struct sockaddr_nl sa;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    NETLINK_ROUTE);

	if (fd == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
	    RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

struct netwatch *
netwatch_start(struct server *srv)
{
	struct netwatch *nw = calloc(1, sizeof(*nw));

	if (nw == NULL)
		goto fail;
	nw->srv = srv;
	nw->fd = open_socket();
	if (nw->fd == -1) {
		log_warn("netlink unavailable (%s): back-offs end only by "
		    "probes after a network change", strerror(errno));
		free(nw);
		return NULL;
	}
	nw->read_ev = event_new(srv->base, nw->fd, EV_READ | EV_PERSIST,
	    read_cb, nw);
	nw->settle = evtimer_new(srv->base, settle_cb, nw);
	if (nw->read_ev == NULL || nw->settle == NULL ||
	    event_add(nw->read_ev, NULL) == -1)
		goto fail;
	return nw;
fail:
	log_warn("cannot watch network changes: out of memory");
	netwatch_free(nw);
	return NULL;
}

void
netwatch_free(struct netwatch *nw)
{
	if (nw == NULL)
		return;
	if (nw->read_ev != NULL)
		event_free(nw->read_ev);
	if (nw->settle != NULL)
		event_free(nw->settle);
	if (nw->fd != -1)
		close(nw->fd);
	free(nw);
}

#else	/* not Linux */

struct netwatch *
netwatch_start(struct server *srv)
{
	log_info("no netlink on this system: back-offs end only by probes "
	    "after a network change");
	return NULL;
}

void
netwatch_free(struct netwatch *nw)
{
}

#endif
