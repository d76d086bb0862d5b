/* One client query: parse, dispatch, timeout, reply or SERVFAIL with EDE. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "conf.h"
#include "listen.h"
#include "log.h"
#include "query.h"
#include "server.h"
#include "upstream.h"

static void
reply_error(const struct query_origin *origin, const uint8_t *msg,
    size_t len, const struct dnsmsg_query *info, int rcode, int ede,
    const char *text)
{
	uint8_t out[DNS_HEADER_LEN + 512 + 400];
	size_t n = dnsmsg_error_response(msg, len, info, rcode, ede, text, out,
	    sizeof(out));

	if (n > 0)
		listen_send(origin, out, n);
}

static void
query_free(struct query *q)
{
	upstream_cancel(q);
	listen_untrack(q);
	q->srv->inflight--;
	event_free(q->timer);
	free(q->msg);
	free(q);
}

void
query_fail(struct query *q, const char *reason)
{
	log_debug("query %llu: SERVFAIL: %s", (unsigned long long)q->serial,
	    reason);
	reply_error(&q->origin, q->msg, q->len, &q->info, DNS_RCODE_SERVFAIL,
	    DNS_EDE_NO_REACHABLE, reason);
	query_free(q);
}

static void
query_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	struct query *q = arg;
	char reason[128];

	snprintf(reason, sizeof(reason), "no answer from upstream %s within "
	    "%u ms", q->up ? upstream_label(q->up) : "(none)",
	    q->srv->conf->timeout_ms);
	query_fail(q, reason);
}

static struct query *
query_new(struct server *srv, const uint8_t *msg, size_t len,
    const struct query_origin *origin, const struct dnsmsg_query *info)
{
	const struct conf *conf = srv->conf;
	struct timeval tv = { conf->timeout_ms / 1000,
	    (conf->timeout_ms % 1000) * 1000 };
	struct query *q = calloc(1, sizeof(*q));

	if (q == NULL || (q->msg = malloc(len)) == NULL)
		goto fail;
	q->timer = evtimer_new(srv->base, query_timeout_cb, q);
	if (q->timer == NULL)
		goto fail;
	memcpy(q->msg, msg, len);
	q->len = len;
	q->srv = srv;
	q->serial = ++srv->next_serial;
	q->info = *info;
	q->origin = *origin;
	evtimer_add(q->timer, &tv);
	srv->inflight++;
	listen_track(q);
	return q;
fail:
	if (q != NULL)
		free(q->msg);
	free(q);
	return NULL;
}

void
query_start(struct server *srv, const uint8_t *msg, size_t len,
    const struct query_origin *origin)
{
	struct dnsmsg_query info;
	struct query *q;
	int rc = dnsmsg_parse_query(msg, len, &info);

	if (rc == DNSMSG_DROP)
		return;
	if (rc != DNS_RCODE_NOERROR) {
		reply_error(origin, msg, len, info.question_end ? &info : NULL,
		    rc, 0, NULL);
		return;
	}
	if (srv->stopping || srv->inflight >= srv->conf->max_inflight) {
		reply_error(origin, msg, len, &info, DNS_RCODE_SERVFAIL,
		    DNS_EDE_OTHER, "too many queries in flight");
		return;
	}
	q = query_new(srv, msg, len, origin, &info);
	if (q == NULL) {
		reply_error(origin, msg, len, &info, DNS_RCODE_SERVFAIL,
		    DNS_EDE_OTHER, "out of memory");
		return;
	}
	if (log_debug_enabled()) {
		char name[256] = "?";

		dnsmsg_question_name(msg, len, name, sizeof(name));
		log_debug("query %llu: %s type %u from %s",
		    (unsigned long long)q->serial, name, info.qtype,
		    origin->tcp ? "TCP" : "UDP");
	}
	upstream_dispatch(q, NULL);
}

void
query_answer(struct query *q, const uint8_t *resp, size_t len)
{
	uint8_t out[DNS_MAX_MSG];
	size_t max = q->origin.tcp ? DNS_MAX_MSG : q->info.udp_size;
	const char *why;
	char reason[200];
	size_t n;

	if (dnsmsg_check_response(resp, len, q->msg, q->len, &why) == -1 ||
	    (n = dnsmsg_client_response(resp, len, &q->info, max, out,
	    sizeof(out))) == 0) {
		snprintf(reason, sizeof(reason), "upstream %s sent a bad "
		    "answer: %s", upstream_label(q->up),
		    why ? why : "malformed message");
		log_warn("query %llu: %s", (unsigned long long)q->serial,
		    reason);
		upstream_dispatch(q, reason);
		return;
	}
	log_debug("query %llu: answered by %s (%zu bytes)",
	    (unsigned long long)q->serial, upstream_label(q->up), n);
	listen_send(&q->origin, out, n);
	query_free(q);
}

void
query_upstream_failed(struct query *q, const char *reason, int may_retry)
{
	log_debug("query %llu: upstream %s failed: %s",
	    (unsigned long long)q->serial, upstream_label(q->up), reason);
	if (may_retry && !q->retried && !q->srv->stopping) {
		q->retried = 1;
		q->next_upstream = upstream_index(q->up);
	}
	upstream_dispatch(q, reason);
}

void
query_list_fail(struct query_list *list, const char *reason, int may_retry)
{
	struct query *q;

	while ((q = TAILQ_FIRST(list)) != NULL) {
		TAILQ_REMOVE(list, q, conn_link);
		q->conn = NULL;
		query_upstream_failed(q, reason, may_retry);
	}
}
