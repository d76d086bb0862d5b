/* SPDX-License-Identifier: ISC */
/* Connect, handshake and verify one upstream TLS connection. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>

#include "audit.h"
#include "conf.h"
#include "log.h"
#include "server.h"
#include "tls.h"
#include "tlsconn.h"
#include "upstream.h"
#include "verify.h"

struct tlsconn {
	struct upstream *up;
	struct bufferevent *bev;
	SSL *ssl;
	int ready;
	struct verify_state verify;
	struct ct_result ct;		/* filled by the CT callback */
	struct tls_session_slot session;
	const char *alpn;		/* required protocol, or NULL */
	const struct tlsconn_handler *handler;
	void *arg;
};

int
tlsconn_write(struct tlsconn *tc, const void *data, size_t len)
{
	return bufferevent_write(tc->bev, data, len);
}

void
tlsconn_free(struct tlsconn *tc)
{
	if (tc == NULL)
		return;
	/*
	 * Without a shutdown mark OpenSSL would flag the session of a
	 * verified connection as not resumable when the SSL is freed.
	 */
	if (tc->ready)
		SSL_set_shutdown(tc->ssl, SSL_SENT_SHUTDOWN |
		    SSL_RECEIVED_SHUTDOWN);
	bufferevent_free(tc->bev);	/* frees the SSL too */
	tls_session_slot_clear(&tc->session);
	ct_result_free(&tc->ct);
	free(tc);
}

static void
fail_before_ready(struct tlsconn *tc, const char *reason,
    enum verify_refusal refused)
{
	/* for the status verdict: a list too old to know the logs? */
	tc->up->ct_unknown_logs = refused != VERIFY_REFUSED_CT ? 0 :
	    (unsigned)ct_result_unknown_logs(&tc->ct,
	    tc->up->ct_unknown_first, sizeof(tc->up->ct_unknown_first));
	upstream_failed(tc->up, reason, refused);
	tc->handler->lost(tc->arg, tc->up->last_error, 0);
}

static int
alpn_selected(SSL *ssl, const char *want)
{
	const unsigned char *got;
	unsigned len;

	SSL_get0_alpn_selected(ssl, &got, &len);
	return len == strlen(want) && memcmp(got, want, len) == 0;
}

static void
handle_connected(struct tlsconn *tc)
{
	char reason[600];
	enum verify_refusal refused;

	refused = verify_established(tc->ssl, &tc->verify, reason,
	    sizeof(reason));
	if (refused != VERIFY_NOT_REFUSED) {
		fail_before_ready(tc, reason, refused);
		return;
	}
	if (audit_refusal(tc->up->set->srv->audit,
	    SSL_get0_peer_certificate(tc->ssl), reason, sizeof(reason))) {
		fail_before_ready(tc, reason, VERIFY_REFUSED_CT);
		return;
	}
	if (tc->alpn != NULL && !alpn_selected(tc->ssl, tc->alpn)) {
		snprintf(reason, sizeof(reason), "server did not negotiate "
		    "ALPN %s", tc->alpn);
		fail_before_ready(tc, reason, VERIFY_REFUSED_ALPN);
		return;
	}
	tc->ready = 1;
	bufferevent_set_timeouts(tc->bev, NULL, NULL);
	tls_session_verified(&tc->session, &tc->up->session,
	    SSL_session_reused(tc->ssl), SSL_get0_peer_certificate(tc->ssl),
	    time(NULL));
	upstream_verified(tc->up, tc->ssl, &tc->ct, tc->verify.pins);
	ct_result_free(&tc->ct);
	log_debug("upstream %s: connected, %s%s", tc->up->label,
	    SSL_get_version(tc->ssl),
	    SSL_session_reused(tc->ssl) ? ", resumed" : "");
	tc->handler->ready(tc->arg);
}

static void
handshake_failed(struct tlsconn *tc, short events)
{
	char fallback[300], reason[600];
	enum verify_refusal refused;
	unsigned long e = bufferevent_get_openssl_error(tc->bev);
	int err = EVUTIL_SOCKET_ERROR();

	/* a socket error (refused, reset) says more than OpenSSL's wrapper */
	if (events & BEV_EVENT_TIMEOUT)
		snprintf(fallback, sizeof(fallback), "TLS handshake timed out");
	else if (err != 0 && (e == 0 || ERR_GET_LIB(e) == ERR_LIB_SYS ||
	    ERR_GET_LIB(e) == 0))
		snprintf(fallback, sizeof(fallback), "%s", strerror(err));
	else if (e != 0)
		ERR_error_string_n(e, fallback, sizeof(fallback));
	else
		snprintf(fallback, sizeof(fallback), "connection closed during "
		    "the TLS handshake");
	refused = verify_failure_reason(tc->ssl, &tc->verify, fallback, reason,
	    sizeof(reason));
	fail_before_ready(tc, reason, refused);
}

static void
event_cb(struct bufferevent *bev, short events, void *arg)
{
	struct tlsconn *tc = arg;
	char reason[200];

	if (events & BEV_EVENT_CONNECTED) {
		handle_connected(tc);
		return;
	}
	if (!(events & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)))
		return;
	if (!tc->ready) {
		handshake_failed(tc, events);
		return;
	}
	snprintf(reason, sizeof(reason), "upstream %s closed the connection",
	    tc->up->label);
	log_debug("%s", reason);
	tc->handler->lost(tc->arg, reason, 1);
}

/*
 * Acknowledge at once: a server that sends small answers with Nagle on
 * (BIND's DoT does) would otherwise hold each one until our delayed ACK.
 * Linux clears this flag by itself, so it is set again after every read.
 */
static void
quick_ack(evutil_socket_t fd)
{
#ifdef TCP_QUICKACK
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#else
	(void)fd;
#endif
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct tlsconn *tc = arg;

	quick_ack(bufferevent_getfd(bev));
	if (tc->ready)
		tc->handler->readable(tc->arg, bufferevent_get_input(bev));
}

static struct bufferevent *
open_bev(struct tlsconn *tc)
{
	struct server *srv = tc->up->set->srv;
	unsigned ms = srv->conf->timeout_ms / 2;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct bufferevent *bev;

	bev = bufferevent_openssl_socket_new(srv->base, -1, tc->ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL)
		return NULL;
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	bufferevent_setcb(bev, read_cb, NULL, event_cb, tc);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	return bev;
}

/* Queries are small and latency matters: no Nagle delay. */
static void
set_nodelay(evutil_socket_t fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

struct tlsconn *
tlsconn_open(struct upstream *up, SSL_CTX *ctx, const char *alpn,
    const struct tlsconn_handler *handler, void *arg)
{
	const struct conf_upstream *cu = up->conf;
	struct tlsconn *tc = calloc(1, sizeof(*tc));

	if (tc == NULL || (tc->ssl = SSL_new(ctx)) == NULL)
		goto fail;
	tc->up = up;
	tc->alpn = alpn;
	tc->handler = handler;
	tc->arg = arg;
	tls_session_offer(tc->ssl, &up->session, &tc->session, time(NULL));
	tls_attach_session_slot(tc->ssl, &tc->session);
	if (verify_prepare(tc->ssl, &tc->verify, up->set->policy, &cu->addr,
	    cu->name, &cu->pins, up->label) == -1)
		goto fail;
	tc->verify.report = &tc->ct;
	tc->bev = open_bev(tc);
	if (tc->bev == NULL)
		goto fail;
	if (bufferevent_socket_connect(tc->bev,
	    (const struct sockaddr *)&cu->addr.sa, (int)cu->addr.salen) == -1) {
		upstream_failed(up, strerror(errno), VERIFY_NOT_REFUSED);
		tlsconn_free(tc);
		return NULL;
	}
	set_nodelay(bufferevent_getfd(tc->bev));
	quick_ack(bufferevent_getfd(tc->bev));
	return tc;
fail:
	if (tc != NULL)
		SSL_free(tc->ssl);
	free(tc);
	upstream_failed(up, "cannot set up a TLS connection",
	    VERIFY_NOT_REFUSED);
	return NULL;
}
