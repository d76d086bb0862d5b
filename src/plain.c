/* SPDX-License-Identifier: ISC */
/*
 * Plain DNS to a forward zone's dns:// upstream: each query on a UDP
 * socket of its own (connected: the kernel drops datagrams from other
 * addresses; a fresh random source port), with a random id; an answer
 * with the wrong id or another question is dropped as a spoof, and a
 * truncated one (TC) is asked again over TCP. Never used for the public
 * upstreams: the configuration allows dns:// only in forward-zone lines.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "dnsmsg.h"
#include "log.h"
#include "query.h"
#include "server.h"
#include "transport.h"
#include "upstream.h"

struct plain_xfer;
TAILQ_HEAD(plain_xfers, plain_xfer);

/* The "connection" of a dns:// upstream: its queries in flight. */
struct plain_conn {
	struct upstream *up;
	struct plain_xfers xfers;
};

/* One query's exchange: UDP, then TCP after a truncated answer. */
struct plain_xfer {
	struct plain_conn *conn;
	struct query *q;
	uint16_t id;
	evutil_socket_t fd;		/* UDP; -1 once on TCP */
	struct event *ev;		/* UDP readable, or a deferred error */
	struct bufferevent *tcp;
	const char *error;		/* reported from the event loop */
	uint8_t *answer;		/* TCP: the first frame, copied */
	size_t answer_len;
	TAILQ_ENTRY(plain_xfer) link;
};

static void
xfer_free(struct plain_xfer *x)
{
	TAILQ_REMOVE(&x->conn->xfers, x, link);
	if (x->ev != NULL)
		event_free(x->ev);
	if (x->fd != -1)
		close(x->fd);
	if (x->tcp != NULL)
		bufferevent_free(x->tcp);
	free(x->answer);
	free(x);
}

/* Ends x; its query, forgotten by the transport, is returned. */
static struct query *
xfer_end(struct plain_xfer *x)
{
	struct query *q = x->q;

	q->conn = NULL;
	q->stream = NULL;
	xfer_free(x);
	return q;
}

/* The upstream failed this exchange (refused, unreachable, reset). */
static void
xfer_fail(struct plain_xfer *x, const char *reason)
{
	struct upstream *up = x->conn->up;
	struct query *q = xfer_end(x);

	upstream_failed(up, reason, VERIFY_NOT_REFUSED);
	query_upstream_failed(q, up->last_error, QUERY_NO_RETRY);
}

/* Is msg the answer to x (its id and, in any case, its question)? */
static int
is_answer(const struct plain_xfer *x, const uint8_t *msg, size_t len)
{
	const char *why;

	return len >= DNS_HEADER_LEN && dnsmsg_get16(msg) == x->id &&
	    dnsmsg_check_response(msg, len, x->q->msg, x->q->len, &why) == 0;
}

/* The answer (msg must not live in x, which is freed first). */
static void
deliver(struct plain_xfer *x, const uint8_t *msg, size_t len)
{
	struct query *q = xfer_end(x);

	query_answer(q, msg, len);
}

static void tcp_read_cb(struct bufferevent *bev, void *arg);
static void tcp_event_cb(struct bufferevent *bev, short what, void *arg);

/* A truncated answer: the same query again over TCP. */
static void
retry_tcp(struct plain_xfer *x)
{
	struct upstream *up = x->conn->up;
	uint8_t frame[2 + 1024];
	size_t n;

	event_free(x->ev);
	x->ev = NULL;
	close(x->fd);
	x->fd = -1;
	n = dnsmsg_upstream_query(x->q->msg, &x->q->info, x->id, frame + 2,
	    sizeof(frame) - 2);
	/* deferred: a failed connect must not call back before it returns */
	x->tcp = bufferevent_socket_new(up->set->srv->base, -1,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (n == 0 || x->tcp == NULL) {
		xfer_fail(x, "cannot open a TCP connection");
		return;
	}
	dnsmsg_put16(frame, (uint16_t)n);
	bufferevent_setcb(x->tcp, tcp_read_cb, NULL, tcp_event_cb, x);
	bufferevent_write(x->tcp, frame, n + 2);
	bufferevent_enable(x->tcp, EV_READ);
	if (bufferevent_socket_connect(x->tcp,
	    (const struct sockaddr *)&up->conf->addr.sa,
	    (int)up->conf->addr.salen) == -1)
		xfer_fail(x, "TCP connect failed");
}

static void
udp_read_cb(evutil_socket_t fd, short events, void *arg)
{
	struct plain_xfer *x = arg;
	uint8_t msg[DNS_MAX_MSG];
	ssize_t n;

	if (x->error != NULL) {
		xfer_fail(x, x->error);
		return;
	}
	n = recv(fd, msg, sizeof(msg), 0);
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			xfer_fail(x, strerror(errno));
		return;
	}
	if (!is_answer(x, msg, (size_t)n)) {
		log_debug("upstream %s: a datagram that does not answer query "
		    "%llu: dropped", x->conn->up->label,
		    (unsigned long long)x->q->serial);
		return;
	}
	if (dnsmsg_get16(msg + 2) & DNS_FLAG_TC)
		retry_tcp(x);
	else
		deliver(x, msg, (size_t)n);
}

static void
frame_cb(void *arg, const uint8_t *msg, size_t len)
{
	struct plain_xfer *x = arg;

	/* one query per connection: the first frame is the answer */
	if (x->answer == NULL && (x->answer = malloc(len)) != NULL) {
		memcpy(x->answer, msg, len);
		x->answer_len = len;
	}
}

static void
tcp_read_cb(struct bufferevent *bev, void *arg)
{
	struct plain_xfer *x = arg;
	uint8_t *answer;
	size_t len;

	if (dot_read_frames(bufferevent_get_input(bev), frame_cb, x) == -1) {
		xfer_fail(x, "sent a malformed DNS frame over TCP");
		return;
	}
	if (x->answer == NULL)
		return;
	if (!is_answer(x, x->answer, x->answer_len)) {
		xfer_fail(x, "answered another query over TCP");
		return;
	}
	answer = x->answer;
	len = x->answer_len;
	x->answer = NULL;
	deliver(x, answer, len);
	free(answer);
}

static void
tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct plain_xfer *x = arg;

	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF))
		xfer_fail(x, what & BEV_EVENT_EOF ? "closed the TCP "
		    "connection without an answer" :
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

/* A connected UDP socket to up; -1 with *why. */
static evutil_socket_t
udp_socket(const struct upstream *up, const char **why)
{
	const struct conf_address *a = &up->conf->addr;
	evutil_socket_t fd = socket(a->sa.ss_family, SOCK_DGRAM |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd == -1 || connect(fd, (const struct sockaddr *)&a->sa,
	    a->salen) == -1) {
		*why = strerror(errno);
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

static void *
plain_open(struct upstream *up)
{
	struct plain_conn *conn = calloc(1, sizeof(*conn));

	if (conn == NULL) {
		upstream_failed(up, "out of memory", VERIFY_NOT_REFUSED);
		return NULL;
	}
	conn->up = up;
	TAILQ_INIT(&conn->xfers);
	up->ready = 1;		/* nothing to verify: plain DNS */
	return conn;
}

/* Sends x's query; an error is reported from the event loop. */
static void
xfer_start(struct plain_xfer *x)
{
	struct upstream *up = x->conn->up;
	uint8_t out[1024];
	size_t n;

	evutil_secure_rng_get_bytes(&x->id, sizeof(x->id));
	n = dnsmsg_upstream_query(x->q->msg, &x->q->info, x->id, out,
	    sizeof(out));
	if (n == 0)
		x->error = "cannot build the query";
	else if ((x->fd = udp_socket(up, &x->error)) != -1 &&
	    send(x->fd, out, n, 0) == -1)
		x->error = strerror(errno);
	x->ev = event_new(up->set->srv->base, x->fd, EV_READ | EV_PERSIST,
	    udp_read_cb, x);
	if (x->ev == NULL)
		x->error = "out of memory";
	else if (x->error != NULL)
		event_active(x->ev, EV_TIMEOUT, 1);
	else
		event_add(x->ev, NULL);
}

static void
plain_send(void *arg, struct query *q)
{
	struct plain_conn *conn = arg;
	struct plain_xfer *x = calloc(1, sizeof(*x));

	q->conn = conn;
	if (x == NULL) {
		q->conn = NULL;
		query_upstream_failed(q, "out of memory", QUERY_NO_RETRY);
		return;
	}
	x->conn = conn;
	x->q = q;
	x->fd = -1;
	q->stream = x;
	TAILQ_INSERT_TAIL(&conn->xfers, x, link);
	xfer_start(x);
	if (x->ev == NULL)
		xfer_fail(x, "out of memory");
}

static void
plain_cancel(void *arg, struct query *q)
{
	if (q->stream != NULL)
		xfer_end(q->stream);
	q->conn = NULL;
}

static void
plain_close(void *arg, const char *reason, enum query_retry retry)
{
	struct plain_conn *conn = arg;
	struct query_list queries = TAILQ_HEAD_INITIALIZER(queries);
	struct plain_xfer *x;
	struct query *q;
	char why[sizeof(conn->up->last_error)];

	/* reason may live in the upstream, which the failures may rewrite */
	snprintf(why, sizeof(why), "%s", reason);
	if (conn->up->conn == conn)
		upstream_disconnected(conn->up);
	while ((x = TAILQ_FIRST(&conn->xfers)) != NULL) {
		q = xfer_end(x);	/* once: the macro uses elm repeatedly */
		TAILQ_INSERT_TAIL(&queries, q, conn_link);
	}
	free(conn);
	query_list_fail(&queries, why, retry);
}

const struct transport transport_plain = {
	"plain DNS", plain_open, plain_send, plain_cancel, plain_close, 1
};
