/* DNS-over-TLS connection: framing, pipelining, id matching, failures. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>

#include "conf.h"
#include "dnsmsg.h"
#include "dot.h"
#include "log.h"
#include "query.h"
#include "server.h"
#include "tls.h"
#include "upstream.h"
#include "verify.h"

#define SLOTS_FIRST	64
#define SLOTS_MAX	65536

/* A query that timed out: its id stays taken until the answer arrives. */
static struct query cancelled_slot;
#define CANCELLED (&cancelled_slot)

struct dot_conn {
	struct upstream *up;
	struct bufferevent *bev;
	SSL *ssl;
	int ready;			/* verified; queries may be written */
	struct verify_state verify;
	struct tls_session_slot session;
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

static void
write_query(struct dot_conn *conn, struct query *q)
{
	uint8_t frame[2 + 1024];
	uint16_t id;
	size_t n;

	if (take_id(conn, &id) == -1) {
		q->conn = NULL;
		query_upstream_failed(q, "too many queries on one connection",
		    0);
		return;
	}
	n = dnsmsg_upstream_query(q->msg, &q->info, id, frame + 2,
	    sizeof(frame) - 2);
	dnsmsg_put16(frame, (uint16_t)n);
	conn->slots[id] = q;
	q->wire_id = id;
	bufferevent_write(conn->bev, frame, n + 2);
}

static void
handle_answer(struct dot_conn *conn, const uint8_t *msg, size_t len)
{
	uint16_t id = dnsmsg_get16(msg);
	struct query *q = id < conn->nslots ? conn->slots[id] : NULL;

	if (q == NULL) {
		log_warn("upstream %s sent an answer for id %u, which was "
		    "never asked: dropped", conn->up->label, id);
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

void
dot_conn_close(struct dot_conn *conn, const char *reason, int may_retry)
{
	struct query_list queries = TAILQ_HEAD_INITIALIZER(queries);
	struct query *q;
	char why[sizeof(conn->up->last_error)];

	/* reason may live in the upstream, which the failures may rewrite */
	snprintf(why, sizeof(why), "%s", reason);
	if (conn->up->conn == conn)
		conn->up->conn = NULL;
	collect_queries(conn, &queries);
	bufferevent_free(conn->bev);
	tls_session_slot_clear(&conn->session);
	free(conn->slots);
	free(conn->free_ids);
	free(conn);
	while ((q = TAILQ_FIRST(&queries)) != NULL) {
		TAILQ_REMOVE(&queries, q, conn_link);
		q->conn = NULL;
		query_upstream_failed(q, why, may_retry);
	}
}

static void
connection_refused(struct dot_conn *conn, const char *reason, int refused)
{
	upstream_failed(conn->up, reason, refused);
	dot_conn_close(conn, conn->up->last_error, 0);
}

static void
handle_connected(struct dot_conn *conn)
{
	char reason[600];
	struct query *q;

	if (verify_established(conn->ssl, &conn->verify, reason,
	    sizeof(reason)) == -1) {
		connection_refused(conn, reason, 1);
		return;
	}
	conn->ready = 1;
	bufferevent_set_timeouts(conn->bev, NULL, NULL);
	tls_session_verified(&conn->session, &conn->up->session);
	upstream_connected(conn->up);
	log_debug("upstream %s: connected, %s%s", conn->up->label,
	    SSL_get_version(conn->ssl),
	    SSL_session_reused(conn->ssl) ? ", resumed" : "");
	while ((q = TAILQ_FIRST(&conn->waiting)) != NULL) {
		TAILQ_REMOVE(&conn->waiting, q, conn_link);
		write_query(conn, q);
	}
}

static void
handshake_failed(struct dot_conn *conn, short events)
{
	char fallback[300], reason[600];
	unsigned long e = bufferevent_get_openssl_error(conn->bev);
	int err = EVUTIL_SOCKET_ERROR();

	if (events & BEV_EVENT_TIMEOUT)
		snprintf(fallback, sizeof(fallback), "TLS handshake timed out");
	else if (e != 0)
		ERR_error_string_n(e, fallback, sizeof(fallback));
	else if ((events & BEV_EVENT_ERROR) && err != 0)
		snprintf(fallback, sizeof(fallback), "%s", strerror(err));
	else
		snprintf(fallback, sizeof(fallback), "connection closed during "
		    "the TLS handshake");
	verify_failure_reason(conn->ssl, &conn->verify, fallback, reason,
	    sizeof(reason));
	connection_refused(conn, reason,
	    SSL_get_verify_result(conn->ssl) != X509_V_OK);
}

static void
event_cb(struct bufferevent *bev, short events, void *arg)
{
	struct dot_conn *conn = arg;
	char reason[200];

	if (events & BEV_EVENT_CONNECTED) {
		handle_connected(conn);
		return;
	}
	if (!(events & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)))
		return;
	if (!conn->ready) {
		handshake_failed(conn, events);
		return;
	}
	/* servers close idle connections: each query may be resent once */
	snprintf(reason, sizeof(reason), "upstream %s closed the connection",
	    conn->up->label);
	log_debug("%s", reason);
	dot_conn_close(conn, reason, 1);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct dot_conn *conn = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[2];
	size_t len;

	while (evbuffer_copyout(in, hdr, 2) == 2) {
		len = dnsmsg_get16(hdr);
		if (len < DNS_HEADER_LEN) {
			connection_refused(conn, "sent a malformed DNS frame",
			    0);
			return;
		}
		if (evbuffer_get_length(in) < 2 + len)
			return;
		evbuffer_drain(in, 2);
		handle_answer(conn, evbuffer_pullup(in, (ssize_t)len), len);
		evbuffer_drain(in, len);
	}
}

static struct bufferevent *
open_bev(struct dot_conn *conn)
{
	struct upstream *up = conn->up;
	struct server *srv = up->set->srv;
	unsigned ms = srv->conf->timeout_ms / 2;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct bufferevent *bev;

	bev = bufferevent_openssl_socket_new(srv->base, -1, conn->ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL)
		return NULL;
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	bufferevent_setcb(bev, read_cb, NULL, event_cb, conn);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	return bev;
}

struct dot_conn *
dot_conn_open(struct upstream *up)
{
	const struct conf_upstream *cu = up->conf;
	struct dot_conn *conn = calloc(1, sizeof(*conn));

	if (conn == NULL)
		goto fail;
	conn->up = up;
	TAILQ_INIT(&conn->waiting);
	conn->ssl = SSL_new(up->set->tls);
	if (conn->ssl == NULL)
		goto fail;
	if (up->session != NULL)
		SSL_set_session(conn->ssl, up->session);
	tls_attach_session_slot(conn->ssl, &conn->session);
	if (verify_prepare(conn->ssl, &conn->verify, up->set->policy,
	    &cu->addr, cu->name, &cu->pins, up->label) == -1)
		goto fail;
	conn->bev = open_bev(conn);
	if (conn->bev == NULL)
		goto fail;
	if (bufferevent_socket_connect(conn->bev,
	    (const struct sockaddr *)&cu->addr.sa, (int)cu->addr.salen) == -1) {
		upstream_failed(up, strerror(errno), 0);
		bufferevent_free(conn->bev);
		free(conn);
		return NULL;
	}
	return conn;
fail:
	if (conn != NULL && conn->bev == NULL)
		SSL_free(conn->ssl);
	free(conn);
	upstream_failed(up, "cannot set up a TLS connection", 0);
	return NULL;
}

void
dot_conn_send(struct dot_conn *conn, struct query *q)
{
	q->conn = conn;
	if (conn->ready)
		write_query(conn, q);
	else
		TAILQ_INSERT_TAIL(&conn->waiting, q, conn_link);
}

void
dot_conn_cancel(struct dot_conn *conn, struct query *q)
{
	if (conn->ready && q->wire_id < conn->nslots &&
	    conn->slots[q->wire_id] == q)
		conn->slots[q->wire_id] = CANCELLED;
	else
		TAILQ_REMOVE(&conn->waiting, q, conn_link);
	q->conn = NULL;
}
