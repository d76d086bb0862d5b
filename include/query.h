/* SPDX-License-Identifier: ISC */
/*
 * One client query from arrival to reply. query.c owns every struct query:
 * listen.c hands bytes in through query_start(), transports hand answers
 * and failures back through query_answer() and query_upstream_failed()
 * after they have forgotten the query.
 */
#ifndef CTSTUB_QUERY_H
#define CTSTUB_QUERY_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "cache.h"
#include "dnsmsg.h"

struct server;
struct listen_socket;
struct tcp_client;
struct upstream;
struct event;

/*
 * A query asked through the control socket (`ctstub query`): its answer
 * goes to done_cb, with who gave it, instead of to a client socket. The
 * asker owns it; query.c points query at the query while it is in flight.
 */
struct query_watch {
	/* Once: the answer as a TCP client gets it; source: "cache",
	 * "cache (stale)", "upstream IP:PORT" or "ctstub" (an error). */
	void (*done_cb)(struct query_watch *w, const uint8_t *msg,
	    size_t len, const char *source);
	struct query *query;		/* (query.c) in flight, or NULL */
};

/* Where the query came from and where its answer goes. */
struct query_origin {
	struct listen_socket *udp;	/* NULL for TCP */
	struct sockaddr_storage peer;	/* UDP peer */
	socklen_t peerlen;
	/* UDP on a wildcard listener: the address asked, to answer from */
	int local_family;		/* 0 (none), AF_INET or AF_INET6 */
	union {
		struct in_pktinfo v4;
		struct in6_pktinfo v6;
	} local;
	struct tcp_client *tcp;		/* NULL for UDP or once it left */
	struct query_watch *watch;	/* set: asked by the control socket */
};

TAILQ_HEAD(query_list, query);

struct query {
	struct server *srv;
	uint64_t serial;
	struct cache_key key;		/* cache and in-flight key */
	struct query *leader;		/* set: waits on an identical query */
	struct query_list followers;	/* (leader) identical queries */
	TAILQ_ENTRY(query) follower_link;
	struct query *table_next;	/* (leader) in the in-flight table */
	uint8_t *msg;			/* the client's query (in this block) */
	size_t len;
	struct dnsmsg_query info;
	struct query_origin origin;
	TAILQ_ENTRY(query) client_link;	/* in its TCP client's list */
	struct event *timer;
	struct upstream_set *set;	/* its zone's upstreams (or all) */
	size_t first_upstream;		/* where this query's tries start */
	size_t attempts;		/* upstreams tried so far */
	uint64_t sent_us;		/* when it went to its upstream */
	int retried;			/* resent once after an idle close */
	int resends;			/* resent because never processed */
	int timed_out;			/* its first upstream did not answer */
	struct upstream *up;		/* the upstream it waits on */
	void *conn;			/* the transport connection it waits on */
	uint16_t wire_id;		/* DoT: our id on that connection */
	void *stream;			/* DoH: its HTTP/2 stream; plain
					 * DNS: its exchange */
	TAILQ_ENTRY(query) conn_link;	/* in that connection's queue */
	uint8_t bytes[];		/* msg points here */
};

/*
 * A message arrived from a client: answered from the cache, or joined to
 * an identical query in flight, or sent upstream. The query copies it.
 */
void query_start(struct server *srv, const uint8_t *msg, size_t len,
    const struct query_origin *origin);
/*
 * The asker of a watched query goes away before its answer: the query
 * goes on (its answer fills the cache) but reports to nobody.
 */
void query_unwatch(struct query_watch *w);
/* An upstream answered q; q must no longer be known to the transport. */
void query_answer(struct query *q, const uint8_t *resp, size_t len);
/* May the query go to the same upstream again? */
enum query_retry {
	QUERY_NO_RETRY,		/* no: on to the next upstream */
	QUERY_RETRY_ONCE,	/* the server closed an idle connection */
	QUERY_RETRY_UNPROCESSED	/* the server said it never processed it */
};

#define QUERY_MAX_RESENDS 4	/* bound for QUERY_RETRY_UNPROCESSED */

/* q's upstream failed it; the transport has forgotten q. */
void query_upstream_failed(struct query *q, const char *reason,
    enum query_retry retry);
/* query_upstream_failed() for every query of a closed connection. */
void query_list_fail(struct query_list *list, const char *reason,
    enum query_retry retry);
/* Put q into list in age order, the oldest first (conn_link). */
void query_list_insert_by_age(struct query_list *list, struct query *q);
/* No upstream can take q: SERVFAIL with reason as Extended DNS Error. */
void query_fail(struct query *q, const char *reason);

#endif
