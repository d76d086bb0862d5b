/* SPDX-License-Identifier: ISC */
/*
 * What upstream.c needs from a transport (dot.c, doh.c). A connection
 * belongs to its upstream (upstream->conn) and holds, without owning, the
 * queries sent on it; before calling query_answer() or
 * query_upstream_failed() it forgets the query (q->conn = NULL).
 */
#ifndef CTSTUB_TRANSPORT_H
#define CTSTUB_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "query.h"

struct evbuffer;
struct upstream;

struct transport {
	const char *name;
	/* Starts connecting; NULL (and upstream_failed called) on failure. */
	void *(*open)(struct upstream *up);
	/* Queues q until the connection is verified, then sends it. */
	void (*send)(void *conn, struct query *q);
	/* Forgets q (timeout, client gone). */
	void (*cancel)(void *conn, struct query *q);
	/*
	 * Detaches from the upstream, fails every query with reason
	 * (retry as for query_upstream_failed) and frees.
	 */
	void (*close)(void *conn, const char *reason, enum query_retry retry);
	/*
	 * 1: datagrams, no session (plain DNS): a lost or slow answer says
	 * nothing about the upstream, which is never taken as stalled.
	 */
	int datagrams;
};

/*
 * DoT framing (RFC 7858: a 2-byte length, then the message), from dot.c,
 * also for tests and fuzzing: frame_cb gets each complete message of in,
 * which is drained of it; a partial frame stays for the next read. -1 on
 * a frame shorter than a DNS header (the connection must close), else 0.
 */
int dot_read_frames(struct evbuffer *in,
    void (*frame_cb)(void *arg, const uint8_t *msg, size_t len), void *arg);

/*
 * For fuzzing the DoH callbacks: a DoH connection for up with no TLS
 * under it (what nghttp2 writes is dropped), verified at once; up->conn is
 * left to the caller. doh_feed() hands it bytes as if the server sent
 * them. Close it with transport_doh.close.
 */
void *doh_open_plain(struct upstream *up);
void doh_feed(void *conn, struct evbuffer *in);

extern const struct transport transport_dot;
extern const struct transport transport_doh;
extern const struct transport transport_plain;

#endif
