/*
 * One DNS-over-TLS connection (RFC 7858) to an upstream: TLS via
 * bufferevent_openssl, 2-byte framing, pipelined queries with our own ids,
 * answers matched out of order. No query byte is written before the
 * connection passed verify_established(). The upstream owns the
 * connection; the connection holds (does not own) the queries sent on it.
 */
#ifndef CTSTUB_DOT_H
#define CTSTUB_DOT_H

struct dot_conn;
struct query;
struct upstream;

/* Starts connecting; NULL (and upstream_failed called) on failure. */
struct dot_conn *dot_conn_open(struct upstream *up);
/* Queues q until the connection is verified, then writes it. */
void dot_conn_send(struct dot_conn *conn, struct query *q);
/* Forgets q (timeout, shutdown). */
void dot_conn_cancel(struct dot_conn *conn, struct query *q);
/*
 * Detaches from the upstream, fails every query with reason (may_retry as
 * for query_upstream_failed) and frees the connection.
 */
void dot_conn_close(struct dot_conn *conn, const char *reason, int may_retry);

#endif
