/* SPDX-License-Identifier: ISC */
/*
 * Network changes from the kernel: a NETLINK_ROUTE socket on the event
 * loop hears address, route and link changes (resume from sleep, a new
 * Wi-Fi network, the WAN coming back). A burst of them is debounced into
 * one call of upstream_set_end_backoffs() for the upstreams in force,
 * which ends their back-offs and probes them. netwatch.c owns the socket.
 */
#ifndef CTSTUB_NETWATCH_H
#define CTSTUB_NETWATCH_H

struct server;
struct netwatch;

/*
 * Starts watching on srv->base. NULL when netlink is not available (not
 * Linux, or the socket is refused): logged once, ctstub works without it.
 */
struct netwatch *netwatch_start(struct server *srv);
void netwatch_free(struct netwatch *nw);

#endif
