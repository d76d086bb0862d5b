/* SPDX-License-Identifier: ISC */
/* DNS-over-TLS (RFC 7858): framing, pipelining, id matching. */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "dnsmsg.h"
#include "log.h"
#include "query.h"
#include "tlsconn.h"
#include "transport.h"
#include "upstream.h"

#define SLOTS_FIRST	64
#define SLOTS_MAX	65536

/* A query that timed out: its id stays taken until the answer arrives. */
static struct query cancelled_slot;
#define CANCELLED (&cancelled_slot)

struct dot_conn {
	struct upstream *up;
	struct tlsconn *tls;
	int ready;			/* verified; queries may be written */
	struct query_list waiting;	/* until ready */
	struct query **slots;		/* sent queries by wire id */
	size_t nslots;
	uint16_t *free_ids;
	size_t nfree;
};

static int
grow_slots(struct dot_conn *conn)
{
	size_t n = conn->nslots ? conn->nslots * 2 : SLOTS_FIRST, i;
	struct query **slots;
	uint16_t *ids;

	if (n > SLOTS_MAX)
		return -1;
	slots = realloc(conn->slots, n * sizeof(*slots));
	if (slots == NULL)
		return -1;
	conn->slots = slots;
	ids = realloc(conn->free_ids, n * sizeof(*ids));
	if (ids == NULL)
		return -1;
	conn->free_ids = ids;
	/* new ids pushed highest first so the lowest is taken next */
	for (i = n; i > conn->nslots; i--) {
		conn->slots[i - 1] = NULL;
		conn->free_ids[conn->nfree++] = (uint16_t)(i - 1);
	}
	conn->nslots = n;
	return 0;
}

static int
take_id(struct dot_conn *conn, uint16_t *id)
{
	if (conn->nfree == 0 && grow_slots(conn) == -1)
		return -1;
	*id = conn->free_ids[--conn->nfree];
	return 0;
}

static void
release_id(struct dot_conn *conn, uint16_t id)
{
	conn->slots[id] = NULL;
	conn->free_ids[conn->nfree++] = id;
}

/* Writes q with a fresh id; -1 when every id of the connection is taken. */
static int
write_query(struct dot_conn *conn, struct query *q)
{
	uint8_t frame[2 + 1024];
	uint16_t id;
	size_t n;

	if (take_id(conn, &id) == -1)
		return -1;
	n = dnsmsg_upstream_query(q->msg, &q->info, id, frame + 2,
	    sizeof(frame) - 2);
	dnsmsg_put16(frame, (uint16_t)n);
	conn->slots[id] = q;
	q->wire_id = id;
	tlsconn_write(conn->tls, frame, n + 2);
	return 0;
}

static void
handle_answer(struct dot_conn *conn, const uint8_t *msg, size_t len)
{
	uint16_t id = dnsmsg_get16(msg);
	struct query *q = id < conn->nslots ? conn->slots[id] : NULL;

	if (q == NULL) {
		char line[160];

		snprintf(line, sizeof(line), "upstream %s sent an answer for "
		    "id %u, which was never asked: dropped", conn->up->label,
		    id);
		upstream_anomaly(conn->up, "unasked id", line);
		return;
	}
	release_id(conn, id);
	if (q == CANCELLED)
		return;
	q->conn = NULL;
	query_answer(q, msg, len);
}

static void
collect_queries(struct dot_conn *conn, struct query_list *out)
{
	size_t i;

	TAILQ_CONCAT(out, &conn->waiting, conn_link);
	for (i = 0; i < conn->nslots; i++)
		if (conn->slots[i] != NULL && conn->slots[i] != CANCELLED)
			TAILQ_INSERT_TAIL(out, conn->slots[i], conn_link);
}

static void
dot_close(void *arg, const char *reason, enum query_retry retry)
{
	struct dot_conn *conn = arg;
	struct query_list queries = TAILQ_HEAD_INITIALIZER(queries);
	char why[sizeof(conn->up->last_error)];

	/* reason may live in the upstream, which the failures may rewrite */
	snprintf(why, sizeof(why), "%s", reason);
	if (conn->up->conn == conn)
		upstream_disconnected(conn->up);
	collect_queries(conn, &queries);
	tlsconn_free(conn->tls);
	free(conn->slots);
	free(conn->free_ids);
	free(conn);
	query_list_fail(&queries, why, retry);
}

static void
ready_cb(void *arg)
{
	struct dot_conn *conn = arg;
	struct query *q;

	conn->ready = 1;
	while ((q = TAILQ_FIRST(&conn->waiting)) != NULL) {
		TAILQ_REMOVE(&conn->waiting, q, conn_link);
		if (write_query(conn, q) == -1) {
			q->conn = NULL;
			query_upstream_failed(q, "too many queries on one "
			    "connection", QUERY_NO_RETRY);
		}
	}
}

int
dot_read_frames(struct evbuffer *in,
    void (*frame_cb)(void *arg, const uint8_t *msg, size_t len), void *arg)
{
	uint8_t hdr[2];
	size_t len;

	while (evbuffer_copyout(in, hdr, 2) == 2) {
		len = dnsmsg_get16(hdr);
		if (len < DNS_HEADER_LEN)
			return -1;
		if (evbuffer_get_length(in) < 2 + len)
			return 0;
		evbuffer_drain(in, 2);
		frame_cb(arg, evbuffer_pullup(in, (ssize_t)len), len);
		evbuffer_drain(in, len);
	}
	return 0;
}

static void
answer_cb(void *arg, const uint8_t *msg, size_t len)
{
	handle_answer(arg, msg, len);
}

static void
readable_cb(void *arg, struct evbuffer *in)
{
	struct dot_conn *conn = arg;

	if (dot_read_frames(in, answer_cb, conn) == -1) {
		upstream_failed(conn->up, "sent a malformed DNS frame", 0);
		dot_close(conn, conn->up->last_error, QUERY_NO_RETRY);
	}
}

/* Servers close idle connections: each query may then be resent once. */
static void
lost_cb(void *arg, const char *reason, int was_ready)
{
	dot_close(arg, reason, was_ready ? QUERY_RETRY_ONCE : QUERY_NO_RETRY);
}

static const struct tlsconn_handler dot_handler = {
	ready_cb, readable_cb, lost_cb
};

static void *
dot_open(struct upstream *up)
{
	struct dot_conn *conn = calloc(1, sizeof(*conn));

	if (conn == NULL) {
		upstream_failed(up, "out of memory", 0);
		return NULL;
	}
	conn->up = up;
	TAILQ_INIT(&conn->waiting);
	conn->tls = tlsconn_open(up, up->set->tls_dot, NULL, &dot_handler,
	    conn);
	if (conn->tls == NULL) {
		free(conn);
		return NULL;
	}
	return conn;
}

static void
dot_send(void *arg, struct query *q)
{
	struct dot_conn *conn = arg;

	q->conn = conn;
	if (!conn->ready) {
		TAILQ_INSERT_TAIL(&conn->waiting, q, conn_link);
		return;
	}
	if (write_query(conn, q) == 0)
		return;
	/*
	 * Every id is held by a query sent and never answered: start afresh
	 * on a new connection (closing frees the ids) and send q there.
	 */
	q->conn = NULL;
	dot_close(conn, "too many unanswered queries on one connection",
	    QUERY_RETRY_ONCE);
	query_upstream_failed(q, "too many unanswered queries on one "
	    "connection", QUERY_RETRY_ONCE);
}

static void
dot_cancel(void *arg, struct query *q)
{
	struct dot_conn *conn = arg;

	if (conn->ready && q->wire_id < conn->nslots &&
	    conn->slots[q->wire_id] == q)
		conn->slots[q->wire_id] = CANCELLED;
	else
		TAILQ_REMOVE(&conn->waiting, q, conn_link);
	q->conn = NULL;
}

const struct transport transport_dot = {
	"DoT", dot_open, dot_send, dot_cancel, dot_close, 0
};
