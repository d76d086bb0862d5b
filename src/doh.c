/* SPDX-License-Identifier: ISC */
/*
 * DNS-over-HTTPS (RFC 8484) over HTTP/2 with nghttp2: one stream per query
 * (POST application/dns-message, DNS id 0), many streams on one verified
 * connection, GOAWAY and RST_STREAM handled. nghttp2 is driven as in its
 * libevent client example: mem_recv on every read, then session_send; never
 * from inside its own callbacks.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <nghttp2/nghttp2.h>

#include "conf.h"
#include "dnsmsg.h"
#include "log.h"
#include "query.h"
#include "server.h"
#include "tlsconn.h"
#include "transport.h"
#include "upstream.h"

#define DOH_MAX_STREAMS		100	/* we announce; the server's limit rules */
#define DOH_QUERY_MAX		512
#define DOH_CONTENT_TYPE	"application/dns-message"

struct doh_stream {
	struct doh_conn *conn;
	struct query *q;		/* NULL once cancelled */
	int32_t id;
	uint8_t body[DOH_QUERY_MAX];
	size_t body_len;
	size_t body_sent;
	uint8_t *answer;
	size_t answer_len;
	int status;
	int content_type_ok;
	int too_large;
	TAILQ_ENTRY(doh_stream) link;
};

struct doh_conn {
	struct upstream *up;
	struct tlsconn *tls;
	nghttp2_session *session;
	int ready;
	int in_nghttp2;			/* inside mem_recv: no send, no close */
	int goaway;			/* the server is going away */
	int closing;
	char authority[300];
	struct query_list waiting;
	struct query_list refused;	/* never processed: to resend */
	TAILQ_HEAD(, doh_stream) streams;
	/*
	 * After GOAWAY the connection leaves up->conn but stays on the
	 * upstream's detached list until closed, so that it never outlives
	 * its upstream (upstream_set_free closes it).
	 */
	struct doh_conn *detached_next, **detached_prev;
	struct event *reap;		/* after GOAWAY: close once idle */
};

static void doh_close(void *, const char *, enum query_retry);
static void pump(struct doh_conn *, const char *);

static void
stream_free(struct doh_stream *s)
{
	TAILQ_REMOVE(&s->conn->streams, s, link);
	if (s->q != NULL)
		s->q->stream = NULL;
	free(s->answer);
	free(s);
}

/* Where the query goes next, after its stream ended. */
static void
stream_finish(struct doh_stream *s, uint32_t error_code)
{
	struct query *q = s->q;
	const char *label = s->conn->up->label;
	char reason[200];

	s->q = NULL;
	if (q == NULL)
		return;
	q->stream = NULL;
	/*
	 * Refused (also above a GOAWAY's last stream): never processed.
	 * nghttp2 closes such streams in no particular order; they go again
	 * the oldest first, so a query is not refused again and again.
	 */
	if (error_code == NGHTTP2_REFUSED_STREAM) {
		query_list_insert_by_age(&s->conn->refused, q);
		return;		/* q->conn stays: doh_cancel may still come */
	}
	q->conn = NULL;
	/* first: an oversized answer is reset by us (data_cb), not by them */
	if (s->too_large)
		snprintf(reason, sizeof(reason), "upstream %s sent an answer "
		    "over 65535 bytes", label);
	else if (error_code != NGHTTP2_NO_ERROR)
		snprintf(reason, sizeof(reason), "upstream %s reset the HTTP/2 "
		    "stream (%s)", label, nghttp2_http2_strerror(error_code));
	else if (s->status != 200)
		snprintf(reason, sizeof(reason), "upstream %s answered HTTP "
		    "status %d", label, s->status);
	else if (!s->content_type_ok)
		snprintf(reason, sizeof(reason), "upstream %s answered without "
		    "content-type " DOH_CONTENT_TYPE, label);
	else {
		query_answer(q, s->answer, s->answer_len);
		return;
	}
	log_debug("query %llu: %s", (unsigned long long)q->serial, reason);
	query_upstream_failed(q, reason, QUERY_NO_RETRY);
}

static ssize_t
send_cb(nghttp2_session *session, const uint8_t *data, size_t len,
    int flags, void *arg)
{
	struct doh_conn *conn = arg;

	if (conn->tls == NULL)		/* doh_open_plain: nowhere to write */
		return (ssize_t)len;
	if (tlsconn_write(conn->tls, data, len) == -1)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	return (ssize_t)len;
}

static int
header_cb(nghttp2_session *session, const nghttp2_frame *frame,
    const uint8_t *name, size_t namelen, const uint8_t *value,
    size_t valuelen, uint8_t flags, void *arg)
{
	struct doh_stream *s;
	size_t typelen = strlen(DOH_CONTENT_TYPE);

	if (frame->hd.type != NGHTTP2_HEADERS ||
	    frame->headers.cat != NGHTTP2_HCAT_RESPONSE)
		return 0;
	s = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
	if (s == NULL)
		return 0;
	if (namelen == 7 && memcmp(name, ":status", 7) == 0)
		s->status = valuelen == 3 ? atoi((const char *)value) : 0;
	else if (namelen == 12 && memcmp(name, "content-type", 12) == 0)
		s->content_type_ok = valuelen >= typelen &&
		    strncasecmp((const char *)value, DOH_CONTENT_TYPE,
		    typelen) == 0 && (valuelen == typelen ||
		    value[typelen] == ';');
	return 0;
}

static int
data_cb(nghttp2_session *session, uint8_t flags, int32_t stream_id,
    const uint8_t *data, size_t len, void *arg)
{
	struct doh_stream *s;
	uint8_t *grown;

	s = nghttp2_session_get_stream_user_data(session, stream_id);
	if (s == NULL || s->too_large)
		return 0;
	if (s->answer_len + len > DNS_MAX_MSG) {
		s->too_large = 1;
		nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id,
		    NGHTTP2_CANCEL);
		return 0;
	}
	grown = realloc(s->answer, s->answer_len + len);
	if (grown == NULL)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	s->answer = grown;
	memcpy(s->answer + s->answer_len, data, len);
	s->answer_len += len;
	return 0;
}

static int
stream_close_cb(nghttp2_session *session, int32_t stream_id,
    uint32_t error_code, void *arg)
{
	struct doh_conn *conn = arg;
	struct doh_stream *s;

	s = nghttp2_session_get_stream_user_data(session, stream_id);
	if (s == NULL || conn->closing)
		return 0;
	stream_finish(s, error_code);
	stream_free(s);
	return 0;
}

static void
reap_cb(evutil_socket_t fd, short events, void *arg)
{
	pump(arg, NULL);
}

/* New queries go to a new connection; this one finishes its streams. */
static void
detach(struct doh_conn *conn)
{
	struct upstream *up = conn->up;

	if (up->conn != conn)
		return;
	upstream_disconnected(up);
	conn->detached_next = up->detached;
	if (conn->detached_next != NULL)
		conn->detached_next->detached_prev = &conn->detached_next;
	conn->detached_prev = (struct doh_conn **)&up->detached;
	up->detached = conn;
	conn->reap = evtimer_new(up->set->srv->base, reap_cb, conn);
}

static void
undetach(struct doh_conn *conn)
{
	if (conn->detached_prev == NULL)
		return;
	if (conn->detached_next != NULL)
		conn->detached_next->detached_prev = conn->detached_prev;
	*conn->detached_prev = conn->detached_next;
	conn->detached_prev = NULL;
}

static int
frame_recv_cb(nghttp2_session *session, const nghttp2_frame *frame,
    void *arg)
{
	struct doh_conn *conn = arg;

	if (frame->hd.type != NGHTTP2_GOAWAY)
		return 0;
	/* streams above last_stream_id come back as REFUSED_STREAM */
	log_debug("upstream %s: GOAWAY, last stream %d", conn->up->label,
	    frame->goaway.last_stream_id);
	conn->goaway = 1;
	detach(conn);
	return 0;
}

static ssize_t
body_cb(nghttp2_session *session, int32_t stream_id, uint8_t *buf,
    size_t len, uint32_t *flags, nghttp2_data_source *source, void *arg)
{
	struct doh_stream *s = source->ptr;
	size_t n = s->body_len - s->body_sent;

	if (n > len)
		n = len;
	memcpy(buf, s->body + s->body_sent, n);
	s->body_sent += n;
	if (s->body_sent == s->body_len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static nghttp2_nv
header(const char *name, const char *value)
{
	nghttp2_nv nv = { (uint8_t *)(uintptr_t)name,
	    (uint8_t *)(uintptr_t)value, strlen(name), strlen(value),
	    NGHTTP2_NV_FLAG_NONE };

	return nv;
}

static void
submit_query(struct doh_conn *conn, struct query *q)
{
	struct doh_stream *s = calloc(1, sizeof(*s));
	nghttp2_data_provider body = { { .ptr = s }, body_cb };
	char length[8];
	nghttp2_nv nva[7];

	if (s == NULL)
		goto fail;
	s->conn = conn;
	s->q = q;
	/* DNS id 0 on the wire (RFC 8484 §4.1): answers are matched by stream */
	s->body_len = dnsmsg_upstream_query(q->msg, &q->info, 0, s->body,
	    sizeof(s->body));
	snprintf(length, sizeof(length), "%zu", s->body_len);
	nva[0] = header(":method", "POST");
	nva[1] = header(":scheme", "https");
	nva[2] = header(":authority", conn->authority);
	nva[3] = header(":path", conn->up->conf->path);
	nva[4] = header("content-type", DOH_CONTENT_TYPE);
	nva[5] = header("accept", DOH_CONTENT_TYPE);
	nva[6] = header("content-length", length);
	s->id = nghttp2_submit_request(conn->session, NULL, nva, 7, &body, s);
	if (s->id < 0)
		goto fail;
	TAILQ_INSERT_TAIL(&conn->streams, s, link);
	q->stream = s;
	return;
fail:
	free(s);
	q->conn = NULL;
	query_upstream_failed(q, "cannot start an HTTP/2 stream",
	    QUERY_NO_RETRY);
}

/* The queries of refused streams go again, to a new stream. */
static void
resend_refused(struct query_list *refused, const struct upstream *up)
{
	char reason[200];

	if (TAILQ_EMPTY(refused))
		return;
	snprintf(reason, sizeof(reason), "upstream %s refused the HTTP/2 "
	    "stream", up->label);
	query_list_fail(refused, reason, QUERY_RETRY_UNPROCESSED);
}

/*
 * After every read and submit: send what nghttp2 has, close when done,
 * then resend what was refused (not from inside nghttp2's callbacks).
 */
static void
pump(struct doh_conn *conn, const char *error)
{
	struct query_list refused = TAILQ_HEAD_INITIALIZER(refused);
	struct upstream *up = conn->up;
	char reason[300];
	int rv;

	if (error == NULL && (rv = nghttp2_session_send(conn->session)) != 0)
		error = nghttp2_strerror(rv);
	TAILQ_CONCAT(&refused, &conn->refused, conn_link);
	if (error != NULL) {
		snprintf(reason, sizeof(reason), "HTTP/2 error: %s", error);
		upstream_failed(up, reason, 0);
		doh_close(conn, up->last_error, QUERY_NO_RETRY);
	} else if ((!nghttp2_session_want_read(conn->session) &&
	    !nghttp2_session_want_write(conn->session)) ||
	    (conn->goaway && TAILQ_EMPTY(&conn->streams))) {
		snprintf(reason, sizeof(reason), "upstream %s ended the HTTP/2 "
		    "session", up->label);
		doh_close(conn, reason, QUERY_RETRY_ONCE);
	}
	resend_refused(&refused, up);
}

static void
readable_cb(void *arg, struct evbuffer *in)
{
	struct doh_conn *conn = arg;
	const char *error = NULL;
	size_t len;

	conn->in_nghttp2 = 1;
	while (error == NULL && (len = evbuffer_get_length(in)) > 0) {
		ssize_t n = nghttp2_session_mem_recv(conn->session,
		    evbuffer_pullup(in, -1), len);

		if (n < 0)
			error = nghttp2_strerror((int)n);
		else
			evbuffer_drain(in, (size_t)n);
	}
	conn->in_nghttp2 = 0;
	pump(conn, error);
}

static void
ready_cb(void *arg)
{
	struct doh_conn *conn = arg;
	nghttp2_settings_entry settings[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, DOH_MAX_STREAMS },
		{ NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
	};
	struct query *q;

	conn->ready = 1;
	nghttp2_submit_settings(conn->session, NGHTTP2_FLAG_NONE, settings,
	    sizeof(settings) / sizeof(settings[0]));
	while ((q = TAILQ_FIRST(&conn->waiting)) != NULL) {
		TAILQ_REMOVE(&conn->waiting, q, conn_link);
		submit_query(conn, q);
	}
	pump(conn, NULL);
}

static void
lost_cb(void *arg, const char *reason, int was_ready)
{
	doh_close(arg, reason, was_ready ? QUERY_RETRY_ONCE : QUERY_NO_RETRY);
}

static const struct tlsconn_handler doh_handler = {
	ready_cb, readable_cb, lost_cb
};

static nghttp2_session *
new_session(struct doh_conn *conn)
{
	nghttp2_session_callbacks *cbs;
	nghttp2_session *session = NULL;

	if (nghttp2_session_callbacks_new(&cbs) != 0)
		return NULL;
	nghttp2_session_callbacks_set_send_callback(cbs, send_cb);
	nghttp2_session_callbacks_set_on_header_callback(cbs, header_cb);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, data_cb);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs,
	    stream_close_cb);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs,
	    frame_recv_cb);
	if (nghttp2_session_client_new(&session, cbs, conn) != 0)
		session = NULL;
	nghttp2_session_callbacks_del(cbs);
	return session;
}

/* :authority is the configured name, else the address (port if not 443). */
static void
set_authority(struct doh_conn *conn)
{
	const struct conf_upstream *cu = conn->up->conf;
	char *colon;

	if (cu->name != NULL) {
		snprintf(conn->authority, sizeof(conn->authority), "%s",
		    cu->name);
		return;
	}
	snprintf(conn->authority, sizeof(conn->authority), "%s",
	    conn->up->label);
	colon = strrchr(conn->authority, ':');
	if (colon != NULL && strcmp(colon, ":443") == 0)
		*colon = '\0';
}

static struct doh_conn *
conn_new(struct upstream *up)
{
	struct doh_conn *conn = calloc(1, sizeof(*conn));

	if (conn == NULL || (conn->session = new_session(conn)) == NULL) {
		free(conn);
		upstream_failed(up, "cannot set up an HTTP/2 session", 0);
		return NULL;
	}
	conn->up = up;
	TAILQ_INIT(&conn->waiting);
	TAILQ_INIT(&conn->refused);
	TAILQ_INIT(&conn->streams);
	set_authority(conn);
	return conn;
}

static void *
doh_open(struct upstream *up)
{
	struct doh_conn *conn = conn_new(up);

	if (conn == NULL)
		return NULL;
	conn->tls = tlsconn_open(up, up->set->tls_doh, "h2", &doh_handler,
	    conn);
	if (conn->tls == NULL) {
		nghttp2_session_del(conn->session);
		free(conn);
		return NULL;
	}
	return conn;
}

void *
doh_open_plain(struct upstream *up)
{
	struct doh_conn *conn = conn_new(up);

	if (conn != NULL)
		ready_cb(conn);
	return conn;
}

void
doh_feed(void *conn, struct evbuffer *in)
{
	readable_cb(conn, in);
}

static void
doh_send(void *arg, struct query *q)
{
	struct doh_conn *conn = arg;

	q->conn = conn;
	if (!conn->ready) {
		TAILQ_INSERT_TAIL(&conn->waiting, q, conn_link);
		return;
	}
	submit_query(conn, q);
	if (!conn->in_nghttp2)
		pump(conn, NULL);
}

static void
doh_cancel(void *arg, struct query *q)
{
	struct doh_conn *conn = arg;
	struct doh_stream *s = q->stream;

	q->conn = NULL;
	if (s == NULL) {	/* waiting for the handshake, or refused */
		TAILQ_REMOVE(conn->ready ? &conn->refused : &conn->waiting, q,
		    conn_link);
		return;
	}
	s->q = NULL;
	q->stream = NULL;
	nghttp2_submit_rst_stream(conn->session, NGHTTP2_FLAG_NONE, s->id,
	    NGHTTP2_CANCEL);
	if (!conn->in_nghttp2)
		nghttp2_session_send(conn->session);
	/*
	 * Going away and maybe idle now: close it soon (not here, the caller
	 * may still use the connection), else it would wait for the server.
	 */
	if (conn->reap != NULL)
		event_active(conn->reap, EV_TIMEOUT, 1);
}

static void
doh_close(void *arg, const char *reason, enum query_retry retry)
{
	struct doh_conn *conn = arg;
	struct query_list queries = TAILQ_HEAD_INITIALIZER(queries);
	struct query_list refused = TAILQ_HEAD_INITIALIZER(refused);
	struct upstream *up = conn->up;
	char why[sizeof(conn->up->last_error)];
	struct doh_stream *s;

	snprintf(why, sizeof(why), "%s", reason);
	if (conn->up->conn == conn)
		upstream_disconnected(conn->up);
	undetach(conn);
	if (conn->reap != NULL)
		event_free(conn->reap);
	conn->closing = 1;
	TAILQ_CONCAT(&queries, &conn->waiting, conn_link);
	TAILQ_CONCAT(&refused, &conn->refused, conn_link);
	while ((s = TAILQ_FIRST(&conn->streams)) != NULL) {
		if (s->q != NULL)
			TAILQ_INSERT_TAIL(&queries, s->q, conn_link);
		stream_free(s);
	}
	nghttp2_session_del(conn->session);
	tlsconn_free(conn->tls);
	free(conn);
	resend_refused(&refused, up);
	query_list_fail(&queries, why, retry);
}

const struct transport transport_doh = {
	"DoH", doh_open, doh_send, doh_cancel, doh_close, 0
};
