/* SPDX-License-Identifier: ISC */
/* HTTPS GET over bufferevent_openssl: redirects, caps, one error line. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "fetch.h"
#include "http1.h"
#include "verify.h"

#define MAX_HOST 256

struct fetch {
	struct event_base *base;
	struct fetch_request req;	/* url and content_type copied */
	char host[MAX_HOST];
	uint16_t port;
	char path[FETCH_MAX_URL];
	int redirects;
	struct bufferevent *bev;	/* owns the SSL */
	SSL *ssl;
	int connected;			/* handshake done and checked */
	char peer[80];			/* "IP:PORT" dialled */
	struct event *deadline;
	struct event *finish;		/* runs done from the loop */
	struct http1_response resp;
	struct fetch_result res;
	fetch_done_fn done;
	void *arg;
};

static void	fail(struct fetch *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	dial(struct fetch *);

static void
close_conn(struct fetch *f)
{
	if (f->bev != NULL)
		bufferevent_free(f->bev);	/* frees the SSL */
	f->bev = NULL;
	f->ssl = NULL;
	f->connected = 0;
}

/* Ends the fetch: done runs from the loop with f->res. */
static void
finish(struct fetch *f)
{
	close_conn(f);
	evtimer_del(f->deadline);
	event_active(f->finish, 0, 0);
}

/* "URL: message" as the result; ends the fetch. */
static void
fail(struct fetch *f, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f->res.ok = 0;
	snprintf(f->res.error, sizeof(f->res.error), "%.300s: %s",
	    f->res.url, msg);
	finish(f);
}

static void
finish_cb(evutil_socket_t fd, short events, void *arg)
{
	struct fetch *f = arg;

	f->done(&f->res, f->arg);	/* may free f */
}

static void
deadline_cb(evutil_socket_t fd, short events, void *arg)
{
	struct fetch *f = arg;

	fail(f, "timed out after %u ms", f->req.timeout_ms);
}

int
fetch_parse_url(const char *url, char *host, size_t hostlen, uint16_t *port,
    char *path, size_t pathlen, char *err, size_t errlen)
{
	const char *p, *end, *slash;
	unsigned long n;
	char *q;

	if (strncasecmp(url, "https://", 8) != 0) {
		snprintf(err, errlen, "%s: not an https:// URL", url);
		return -1;
	}
	p = url + 8;
	slash = p + strcspn(p, "/?#");
	end = slash;
	*port = 443;
	if (*p == '[') {		/* [IPv6] */
		const char *close = memchr(p, ']', (size_t)(slash - p));

		if (close == NULL)
			goto bad;
		end = close + 1;
		if ((size_t)(close - p - 1) >= hostlen)
			goto bad;
		memcpy(host, p + 1, (size_t)(close - p - 1));
		host[close - p - 1] = '\0';
	} else {
		const char *colon = memchr(p, ':', (size_t)(slash - p));

		end = colon ? colon : slash;
		if ((size_t)(end - p) >= hostlen)
			goto bad;
		memcpy(host, p, (size_t)(end - p));
		host[end - p] = '\0';
	}
	if (host[0] == '\0' || strpbrk(host, "@ \t%") != NULL)
		goto bad;
	if (*end == ':') {
		errno = 0;
		n = strtoul(end + 1, &q, 10);
		if (q != slash || q == end + 1 || n == 0 || n > 65535)
			goto bad;
		*port = (uint16_t)n;
	} else if (end != slash)
		goto bad;
	if (*slash == '#' || strchr(slash, '#') != NULL ||
	    snprintf(path, pathlen, "%s%s", *slash == '/' ? "" : "/", slash) >=
	    (int)pathlen || strpbrk(path, " \t\r\n") != NULL)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "%s: not a valid https URL", url);
	return -1;
}

/* An IP literal is dialled as it is; a name goes to the resolver hook. */
static int
address_for(struct fetch *f, struct conf_address *addr, char *err,
    size_t errlen)
{
	if (conf_parse_address(f->host, f->port, addr) == 0)
		return 0;
	if (f->req.resolve == NULL) {
		snprintf(err, errlen, "no way to look up %s", f->host);
		return -1;
	}
	return f->req.resolve(f->req.resolve_arg, f->host, f->port, addr, err,
	    errlen);
}

static int
is_ip(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
}

/* Host name or IP check, and SNI for names only (RFC 6066 §3). */
static int
default_prepare(SSL *ssl, const char *host)
{
	X509_VERIFY_PARAM *param = SSL_get0_param(ssl);

	if (is_ip(host))
		return X509_VERIFY_PARAM_set1_ip_asc(param, host) == 1 ? 0 :
		    -1;
	/* SNI from the param's own (non-const) copy of the name */
	return X509_VERIFY_PARAM_set1_host(param, host, 0) == 1 &&
	    SSL_set_tlsext_host_name(ssl,
	    X509_VERIFY_PARAM_get0_host(param, 0)) == 1 ? 0 : -1;
}

static void
send_request(struct fetch *f)
{
	struct evbuffer *out = bufferevent_get_output(f->bev);
	int v6 = strchr(f->host, ':') != NULL;

	evbuffer_add_printf(out, "GET %s HTTP/1.1\r\nHost: %s%s%s", f->path,
	    v6 ? "[" : "", f->host, v6 ? "]" : "");
	if (f->port != 443)
		evbuffer_add_printf(out, ":%u", f->port);
	evbuffer_add_printf(out, "\r\nUser-Agent: ctstub\r\nAccept: %s\r\n"
	    "Accept-Encoding: %s\r\nConnection: close\r\n\r\n",
	    f->req.content_type ? f->req.content_type : "*/*",
	    f->req.accept_encoding ? f->req.accept_encoding : "identity");
}

static void
handshake_done(struct fetch *f)
{
	const struct fetch_tls_hooks *h = f->req.hooks;
	char reason[600];
	long v = SSL_get_verify_result(f->ssl);

	f->res.reached = 1;
	if (v != X509_V_OK) {
		verify_error_text(v, SSL_get0_param(f->ssl), reason,
		    sizeof(reason));
		fail(f, "TLS: %s", reason);
		return;
	}
	if (h != NULL && h->established != NULL &&
	    h->established(f->ssl, h->arg, reason, sizeof(reason)) == -1) {
		fail(f, "TLS: %s", reason);
		return;
	}
	f->connected = 1;
	send_request(f);
}

static void
handshake_failed(struct fetch *f, short events)
{
	const struct fetch_tls_hooks *h = f->req.hooks;
	unsigned long e = bufferevent_get_openssl_error(f->bev);
	int err = EVUTIL_SOCKET_ERROR();
	char fallback[300], reason[600];

	/* libevent reports SSL_ERROR_SYSCALL as error 5 of library 0 */
	int sys = e == 0 || ERR_GET_LIB(e) == ERR_LIB_SYS ||
	    ERR_GET_LIB(e) == 0;

	if (err != 0 && sys)
		snprintf(fallback, sizeof(fallback), "%s", strerror(err));
	else if (e != 0 && !sys)
		ERR_error_string_n(e, fallback, sizeof(fallback));
	else
		snprintf(fallback, sizeof(fallback), "connection closed during "
		    "the TLS handshake");
	ERR_clear_error();
	if (h != NULL && h->failed != NULL)
		h->failed(f->ssl, h->arg, fallback, reason, sizeof(reason));
	else if (SSL_get_verify_result(f->ssl) != X509_V_OK)
		verify_error_text(SSL_get_verify_result(f->ssl),
		    SSL_get0_param(f->ssl), reason, sizeof(reason));
	else
		snprintf(reason, sizeof(reason), "%s", fallback);
	if (err != 0 && sys && SSL_get_verify_result(f->ssl) == X509_V_OK)
		fail(f, "connection to %s: %s", f->peer, reason);
	else {
		f->res.reached = 1;
		fail(f, "TLS with %s: %s", f->peer, reason);
	}
}

static void	response_complete(struct fetch *);

/* Parses what came; eof: the peer closed cleanly. The parser's verdict. */
static enum http1_rc
parse_input(struct fetch *f, int eof)
{
	enum http1_rc r = http1_parse(&f->resp,
	    bufferevent_get_input(f->bev), eof);

	switch (r) {
	case HTTP1_DONE:
		response_complete(f);
		break;
	case HTTP1_ERROR:
		if (f->resp.status != 0)
			f->res.status = f->resp.status;
		fail(f, "%s", f->resp.error);
		break;
	case HTTP1_MORE:
		if (eof)
			fail(f, "connection closed before the response ended");
		break;
	}
	return r;
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct fetch *f = arg;

	if (f->connected)
		parse_input(f, 0);
}

static void
event_cb(struct bufferevent *bev, short events, void *arg)
{
	struct fetch *f = arg;

	if (events & BEV_EVENT_CONNECTED) {
		handshake_done(f);
		return;
	}
	if (!f->connected) {
		handshake_failed(f, events);
		return;
	}
	if (events & BEV_EVENT_EOF)
		parse_input(f, 1);
	/* an unclean end: only what is complete without it counts */
	else if (parse_input(f, 0) != HTTP1_MORE)
		return;
	else if (f->resp.stage == HTTP1_BODY && f->resp.content_length < 0 &&
	    !f->resp.chunked)
		/* only a TLS close_notify proves such a body complete */
		fail(f, "connection cut without a TLS close after %zu bytes",
		    evbuffer_get_length(f->resp.body));
	else
		parse_input(f, 1);	/* truncated: names what is missing */
}

static int
new_ssl(struct fetch *f)
{
	static const unsigned char alpn[] = "\x08http/1.1";
	const struct fetch_tls_hooks *h = f->req.hooks;

	if ((f->ssl = SSL_new(f->req.ctx)) == NULL ||
	    SSL_set_alpn_protos(f->ssl, alpn, sizeof(alpn) - 1) != 0)
		return -1;
	if (h != NULL && h->prepare != NULL)
		return h->prepare(f->ssl, f->host, h->arg);
	return default_prepare(f->ssl, f->host);
}

/* Connects to f->host:f->port for f->path. */
static void
dial(struct fetch *f)
{
	struct conf_address addr;
	char err[300];

	if (address_for(f, &addr, err, sizeof(err)) == -1) {
		fail(f, "%s", err);
		return;
	}
	conf_address_str(&addr, f->peer, sizeof(f->peer));
	if (new_ssl(f) == -1 || http1_init(&f->resp, f->req.max_body) == -1) {
		SSL_free(f->ssl);
		f->ssl = NULL;
		fail(f, "cannot set up TLS");
		return;
	}
	f->bev = bufferevent_openssl_socket_new(f->base, -1, f->ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (f->bev == NULL) {
		SSL_free(f->ssl);
		f->ssl = NULL;
		fail(f, "out of memory");
		return;
	}
	bufferevent_setcb(f->bev, read_cb, NULL, event_cb, f);
	bufferevent_enable(f->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(f->bev, (struct sockaddr *)&addr.sa,
	    (int)addr.salen) == -1) {
		fail(f, "connect to %s: %s", f->peer, strerror(errno));
	}
}

/* Sets the URL to fetch next: host, port and path from it. */
static int
set_url(struct fetch *f, const char *url)
{
	char err[300];

	snprintf(f->res.url, sizeof(f->res.url), "%s", url);
	if (fetch_parse_url(url, f->host, sizeof(f->host), &f->port, f->path,
	    sizeof(f->path), err, sizeof(err)) == -1) {
		fail(f, "not a valid https URL");
		return -1;
	}
	return 0;
}

static void
redirect(struct fetch *f)
{
	char next[FETCH_MAX_URL], from[FETCH_MAX_URL];
	const char *loc = f->resp.location;

	snprintf(from, sizeof(from), "%s", f->res.url);
	if (loc[0] == '\0') {
		fail(f, "HTTP status %d without a Location", f->resp.status);
		return;
	}
	if (++f->redirects > FETCH_MAX_REDIRECTS) {
		fail(f, "more than %d redirects", FETCH_MAX_REDIRECTS);
		return;
	}
	if (loc[0] == '/' && loc[1] != '/') {	/* same host */
		int v6 = strchr(f->host, ':') != NULL;

		if (snprintf(next, sizeof(next), "https://%s%s%s:%u%s",
		    v6 ? "[" : "", f->host, v6 ? "]" : "", f->port, loc) >=
		    (int)sizeof(next)) {
			fail(f, "redirect URL too long");
			return;
		}
	} else if (strncasecmp(loc, "https://", 8) == 0)
		snprintf(next, sizeof(next), "%s", loc);
	else {
		fail(f, "redirect to %.200s refused: only https URLs are "
		    "followed", loc);
		return;
	}
	close_conn(f);
	if (set_url(f, next) == 0)
		dial(f);
}

/* The media type without parameters matches want (case aside). */
static int
type_matches(const char *got, const char *want)
{
	size_t n = strcspn(got, "; \t");

	return n == strlen(want) && strncasecmp(got, want, n) == 0;
}

static void
response_complete(struct fetch *f)
{
	struct http1_response *r = &f->resp;
	size_t len = evbuffer_get_length(r->body);
	int s = r->status;

	f->res.status = s;
	if (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) {
		redirect(f);
		return;
	}
	if (s != 200) {
		fail(f, "HTTP status %d", s);
		return;
	}
	snprintf(f->res.content_type, sizeof(f->res.content_type), "%s",
	    r->content_type);
	snprintf(f->res.content_encoding, sizeof(f->res.content_encoding),
	    "%s", r->content_encoding);
	if (f->req.content_type != NULL &&
	    !type_matches(r->content_type, f->req.content_type)) {
		fail(f, "content type \"%.100s\", not %s", r->content_type[0] ?
		    r->content_type : "(none)", f->req.content_type);
		return;
	}
	if ((f->res.body = malloc(len + 1)) == NULL) {
		fail(f, "out of memory");
		return;
	}
	evbuffer_remove(r->body, f->res.body, len);
	f->res.body[len] = '\0';
	f->res.body_len = len;
	f->res.ok = 1;
	finish(f);
}

struct fetch *
fetch_start(struct event_base *base, const struct fetch_request *req,
    fetch_done_fn done, void *arg)
{
	struct fetch *f = calloc(1, sizeof(*f));
	struct timeval tv;

	if (f == NULL)
		return NULL;
	f->base = base;
	f->req = *req;
	f->done = done;
	f->arg = arg;
	f->req.url = NULL;
	f->req.content_type = req->content_type ? strdup(req->content_type) :
	    NULL;
	f->req.accept_encoding = req->accept_encoding ?
	    strdup(req->accept_encoding) : NULL;
	f->deadline = evtimer_new(base, deadline_cb, f);
	f->finish = event_new(base, -1, 0, finish_cb, f);
	if (f->deadline == NULL || f->finish == NULL ||
	    (req->content_type != NULL && f->req.content_type == NULL) ||
	    (req->accept_encoding != NULL && f->req.accept_encoding == NULL) ||
	    strpbrk(req->accept_encoding ? req->accept_encoding : "",
	    "\r\n") != NULL ||
	    strpbrk(req->content_type ? req->content_type : "", "\r\n") !=
	    NULL) {
		fetch_free(f);
		return NULL;
	}
	tv.tv_sec = req->timeout_ms / 1000;
	tv.tv_usec = (req->timeout_ms % 1000) * 1000;
	evtimer_add(f->deadline, &tv);
	if (set_url(f, req->url) == 0)
		dial(f);
	return f;
}

void
fetch_free(struct fetch *f)
{
	if (f == NULL)
		return;
	close_conn(f);
	http1_clear(&f->resp);
	if (f->deadline != NULL)
		event_free(f->deadline);
	if (f->finish != NULL)
		event_free(f->finish);
	free(f->res.body);
	free((char *)(uintptr_t)f->req.content_type);
	free((char *)(uintptr_t)f->req.accept_encoding);
	free(f);
}
