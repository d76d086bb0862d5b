/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for fetch.c and http1.c, and for the raw trust evidence
 * (trust.c): an HTTPS server in this process on 127.0.0.1 (a certificate
 * minted here, served with bufferevent_openssl on the same event loop)
 * answers each request as the test case says: bodies by length, chunked
 * and by close, caps, redirects, content types, refusals, time-outs and
 * certificate failures, each with the line fetch reports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/ct.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "fetch.h"
#include "http1.h"
#include "loglist.h"
#include "trust.h"

/* ---- http1 parser ---- */

static enum http1_rc
parse_all(struct http1_response *r, const char *text, size_t step, int eof)
{
	struct evbuffer *in = evbuffer_new();
	size_t len = strlen(text), off;
	enum http1_rc rc = HTTP1_MORE;

	http1_init(r, 100);
	for (off = 0; off < len && rc == HTTP1_MORE; off += step) {
		size_t n = len - off < step ? len - off : step;

		evbuffer_add(in, text + off, n);
		rc = http1_parse(r, in, 0);
	}
	if (rc == HTTP1_MORE && eof)
		rc = http1_parse(r, in, 1);
	evbuffer_free(in);
	return rc;
}

static int
body_is(struct http1_response *r, const char *want)
{
	size_t n = evbuffer_get_length(r->body);
	char buf[200];

	if (n >= sizeof(buf))
		return 0;
	evbuffer_copyout(r->body, buf, n);
	buf[n] = '\0';
	return strcmp(buf, want) == 0;
}

static void
test_http1(void)
{
	struct http1_response r = { 0 };
	size_t step;

	for (step = 1; step <= 64; step *= 4) {
		CHECK("http1: content-length", parse_all(&r,
		    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
		    "Content-Type: application/json\r\n\r\n"
		    "hello", step, 0) == HTTP1_DONE && body_is(&r, "hello") &&
		    strcmp(r.content_type, "application/json") == 0);
		CHECK("http1: chunked with extension and trailer",
		    parse_all(&r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
		    "chunked\r\n\r\n3;x=1\r\nhel\r\n2\r\nlo\r\n0\r\nX: y\r\n"
		    "\r\n", step, 0) == HTTP1_DONE && body_is(&r, "hello"));
		CHECK("http1: 100 continue skipped", parse_all(&r,
		    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
		    "Content-Length: 2\r\n\r\nok", step, 0) == HTTP1_DONE &&
		    r.status == 200 && body_is(&r, "ok"));
	}
	CHECK("http1: body ends at a clean close", parse_all(&r,
	    "HTTP/1.0 200 OK\r\n\r\nabc", 7, 1) == HTTP1_DONE &&
	    body_is(&r, "abc"));
	CHECK("http1: truncated by length", parse_all(&r, "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 10\r\n\r\nabc", 7, 1) == HTTP1_ERROR &&
	    strstr(r.error, "after 3 of 10 bytes") != NULL);
	CHECK("http1: truncated chunked", parse_all(&r, "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n5\r\nab", 7, 1) == HTTP1_ERROR &&
	    strstr(r.error, "chunked") != NULL);
	CHECK("http1: length over the cap", parse_all(&r, "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 101\r\n\r\n", 7, 0) == HTTP1_ERROR &&
	    strstr(r.error, "over the limit of 100") != NULL);
	CHECK("http1: close-delimited body over the cap", parse_all(&r,
	    "HTTP/1.1 200 OK\r\n\r\n" "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789012345678901234567890",
	    9, 0) == HTTP1_ERROR && strstr(r.error, "over the limit") != NULL);
	CHECK("http1: chunks over the cap", parse_all(&r, "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n60\r\n", 5, 0) == HTTP1_MORE &&
	    parse_all(&r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n65\r\n", 5, 0) == HTTP1_ERROR);
	CHECK("http1: not HTTP", parse_all(&r, "SSH-2.0-x\r\n", 3, 0) ==
	    HTTP1_ERROR);
	CHECK("http1: bad content-length", parse_all(&r, "HTTP/1.1 200 OK\r\n"
	    "Content-Length: -1\r\n\r\n", 3, 0) == HTTP1_ERROR);
	CHECK("http1: length and chunked", parse_all(&r, "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 3, 0) ==
	    HTTP1_ERROR);
	CHECK("http1: redirect location", parse_all(&r, "HTTP/1.1 302 Found\r\n"
	    "Location: https://a.test/x\r\nContent-Length: 0\r\n\r\n", 3, 0) ==
	    HTTP1_DONE && r.status == 302 &&
	    strcmp(r.location, "https://a.test/x") == 0);
	http1_clear(&r);
}

static void
test_urls(void)
{
	char host[256], path[256], err[300];
	uint16_t port;

	CHECK("url: name, default port", fetch_parse_url(
	    "https://a.test/x.json", host, sizeof(host), &port, path,
	    sizeof(path), err, sizeof(err)) == 0 && strcmp(host, "a.test") == 0 && port == 443 &&
	    strcmp(path, "/x.json") == 0);
	CHECK("url: IPv6 and port", fetch_parse_url("https://[::1]:8443",
	    host, sizeof(host), &port, path, sizeof(path), err,
	    sizeof(err)) == 0 && strcmp(host, "::1") == 0 && port == 8443 &&
	    strcmp(path, "/") == 0);
	CHECK("url: http refused", fetch_parse_url("http://a.test/", host,
	    sizeof(host), &port, path, sizeof(path), err, sizeof(err)) == -1);
	CHECK("url: bad port", fetch_parse_url("https://a.test:99999/", host,
	    sizeof(host), &port, path, sizeof(path), err, sizeof(err)) == -1);
	CHECK("url: user info", fetch_parse_url("https://u@a.test/", host,
	    sizeof(host), &port, path, sizeof(path), err, sizeof(err)) == -1);
}

/* ---- an HTTPS server in this process ---- */

struct server {
	struct event_base *base;
	SSL_CTX *ctx;
	struct evconnlistener *listener;
	uint16_t port;
	const char *answer;	/* sent to every request; NULL: nothing */
	int requests;
	int close;		/* close after the answer */
	char request[1024];	/* the last request's head */
};

static EVP_PKEY *
new_key(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* A self-signed certificate for IP 127.0.0.1 and DNS list.example.test. */
static X509 *
new_cert(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509_EXTENSION *ext;
	X509V3_CTX v3;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"fetch test", -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
	    "IP:127.0.0.1, DNS:list.example.test");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, key, EVP_sha256());
	X509_NAME_free(name);
	return x;
}

static void	server_event_cb(struct bufferevent *, short, void *);

/* The answer is out: close (without a TLS close_notify). */
static void
server_write_cb(struct bufferevent *bev, void *arg)
{
	bufferevent_free(bev);
}

static void
server_read_cb(struct bufferevent *bev, void *arg)
{
	struct server *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (evbuffer_search(in, "\r\n\r\n", 4, NULL).pos == -1)
		return;
	s->request[evbuffer_copyout(in, s->request,
	    sizeof(s->request) - 1)] = '\0';
	evbuffer_drain(in, evbuffer_get_length(in));
	s->requests++;
	if (s->answer != NULL) {
		bufferevent_write(bev, s->answer, strlen(s->answer));
		bufferevent_setcb(bev, NULL, s->close ? server_write_cb : NULL,
		    server_event_cb, s);
	}
}

static void
server_event_cb(struct bufferevent *bev, short events, void *arg)
{
	if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		bufferevent_free(bev);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct server *s = arg;
	struct bufferevent *bev = bufferevent_openssl_socket_new(s->base, fd,
	    SSL_new(s->ctx), BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);

	bufferevent_setcb(bev, server_read_cb, NULL, server_event_cb, s);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static int
server_start(struct server *s, X509 *cert, EVP_PKEY *key)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->ctx = SSL_CTX_new(TLS_server_method());
	if (s->ctx == NULL || SSL_CTX_use_certificate(s->ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(s->ctx, key) != 1)
		return -1;
	s->listener = evconnlistener_new_bind(s->base, accept_cb, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
	    (struct sockaddr *)&sin, sizeof(sin));
	if (s->listener == NULL || getsockname(evconnlistener_get_fd(
	    s->listener), (struct sockaddr *)&sin, &len) == -1)
		return -1;
	s->port = ntohs(sin.sin_port);
	return 0;
}

/* ---- fetch against it ---- */

struct outcome {
	int done;
	int ok;
	int status;
	char error[800];
	char body[256];
};

static void
done_cb(struct fetch_result *res, void *arg)
{
	struct outcome *o = arg;

	o->done = 1;
	o->ok = res->ok;
	o->status = res->status;
	snprintf(o->error, sizeof(o->error), "%s", res->error);
	if (res->body != NULL)
		snprintf(o->body, sizeof(o->body), "%s", res->body);
}

static int
resolve_cb(void *arg, const char *host, uint16_t port,
    struct conf_address *out, char *err, size_t errlen)
{
	if (strcmp(host, "list.example.test") != 0 &&
	    strcmp(host, "other.example.test") != 0) {
		snprintf(err, errlen, "cannot resolve %s", host);
		return -1;
	}
	return conf_parse_address("127.0.0.1", port, out);
}

/* Fetches path from the server (answering answer) and returns what came. */
static struct outcome
run(struct server *s, SSL_CTX *client, const char *url, const char *answer,
    const char *type, unsigned timeout_ms)
{
	struct fetch_request req = { .ctx = client, .resolve = resolve_cb,
	    .max_body = 64, .timeout_ms = timeout_ms, .content_type = type };
	struct outcome o = { 0 };
	struct fetch *f;

	req.url = url;
	s->answer = answer;
	if ((f = fetch_start(s->base, &req, done_cb, &o)) == NULL)
		return o;
	while (!o.done && event_base_loop(s->base, EVLOOP_ONCE) == 0)
		;
	fetch_free(f);
	return o;
}

static int
has(const struct outcome *o, const char *text)
{
	if (strstr(o->error, text) != NULL)
		return 1;
	printf("# error was: %s\n", o->error);
	return 0;
}

static void
test_fetch(struct server *s, SSL_CTX *client, SSL_CTX *stranger)
{
	char url[200], loop[400], dead[200];
	struct outcome o;

	snprintf(url, sizeof(url), "https://list.example.test:%u/l.json",
	    s->port);
	o = run(s, client, url, "HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/json\r\nContent-Length: 4\r\n\r\n{ok}", NULL, 5000);
	CHECK("fetch: a body by length", o.ok && strcmp(o.body, "{ok}") == 0);
	snprintf(loop, sizeof(loop), "GET /l.json HTTP/1.1\r\nHost: "
	    "list.example.test:%u\r\n", s->port);
	CHECK("fetch: the request line and Host", strncmp(s->request, loop,
	    strlen(loop)) == 0 && strstr(s->request, "\r\nAccept-Encoding: "
	    "identity\r\n") != NULL && strstr(s->request, "\r\nConnection: "
	    "close\r\n") != NULL);
	o = run(s, client, url, "HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/json; charset=utf-8\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n2\r\n{o\r\n2\r\nk}\r\n0\r\n\r\n", "application/json", 5000);
	CHECK("fetch: chunked, content type with parameter", o.ok &&
	    strcmp(o.body, "{ok}") == 0);
	o = run(s, client, url, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
	    "Content-Length: 2\r\n\r\nhi", "application/json", 5000);
	CHECK("fetch: wrong content type", !o.ok && has(&o, "content type "
	    "\"text/html\", not application/json"));
	o = run(s, client, url, "HTTP/1.1 404 Not Found\r\nContent-Length: 0"
	    "\r\n\r\n", NULL, 5000);
	CHECK("fetch: HTTP status", !o.ok && o.status == 404 &&
	    has(&o, "HTTP status 404"));
	o = run(s, client, url, "HTTP/1.1 200 OK\r\nContent-Length: 65\r\n\r\n",
	    NULL, 5000);
	CHECK("fetch: too big", !o.ok && has(&o, "over the limit of 64"));
	s->close = 1;
	o = run(s, client, url, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"
	    "abc", NULL, 5000);
	CHECK("fetch: truncated", !o.ok && has(&o, "after 3 of 9 bytes"));
	o = run(s, client, url, "HTTP/1.1 200 OK\r\n\r\nabc", NULL, 5000);
	CHECK("fetch: a body to the close needs a TLS close", !o.ok &&
	    has(&o, "without a TLS close after 3 bytes"));
	s->close = 0;
	snprintf(loop, sizeof(loop), "HTTP/1.1 302 Found\r\nLocation: "
	    "https://list.example.test:%u/again\r\nContent-Length: 0\r\n\r\n",
	    s->port);
	s->requests = 0;
	o = run(s, client, url, loop, NULL, 5000);
	CHECK("fetch: redirect loop stops after 3", !o.ok &&
	    has(&o, "more than 3 redirects") && s->requests == 4);
	o = run(s, client, url, "HTTP/1.1 301 Moved\r\nLocation: "
	    "http://list.example.test/l.json\r\nContent-Length: 0\r\n\r\n",
	    NULL, 5000);
	CHECK("fetch: redirect to http refused", !o.ok &&
	    has(&o, "only https URLs are followed"));
	o = run(s, client, url, NULL, NULL, 300);
	CHECK("fetch: time-out", !o.ok && has(&o, "timed out after 300 ms"));
	o = run(s, stranger, url, "HTTP/1.1 200 OK\r\n\r\n", NULL, 5000);
	CHECK("fetch: untrusted certificate", !o.ok &&
	    has(&o, "certificate chain not trusted"));
	snprintf(url, sizeof(url), "https://127.0.0.2:%u/", s->port);
	o = run(s, client, url, "HTTP/1.1 200 OK\r\n\r\n", NULL, 5000);
	CHECK("fetch: wrong address or refused", !o.ok &&
	    (strstr(o.error, "does not match IP 127.0.0.2") != NULL ||
	    has(&o, "Connection refused")));
	snprintf(url, sizeof(url), "https://nowhere.example.test:%u/",
	    s->port);
	o = run(s, client, url, NULL, NULL, 5000);
	CHECK("fetch: resolver failure", !o.ok &&
	    has(&o, "cannot resolve nowhere.example.test"));
	/* a port nothing listens on: bind one, close it */
	{
		uint16_t port = s->port;
		struct evconnlistener *l = s->listener;

		s->listener = NULL;
		evconnlistener_free(l);
		snprintf(dead, sizeof(dead), "https://list.example.test:%u/",
		    port);
		o = run(s, client, dead, NULL, NULL, 5000);
		CHECK("fetch: refused", !o.ok && has(&o, "connection to "
		    "127.0.0.1") && has(&o, "Connection refused"));
	}
}

/* ---- raw evidence ---- */

static X509 *
pem(const char *name)
{
	char path[4096];
	X509 *x = NULL;
	FILE *fp;

	snprintf(path, sizeof(path), CHECK_SRCDIR "/tests/data/realcerts/%s",
	    name);
	if ((fp = fopen(path, "r")) != NULL) {
		x = PEM_read_X509(fp, NULL, NULL, NULL);
		fclose(fp);
	}
	return x;
}

static int
der(X509 *x, unsigned char **out, size_t *len)
{
	int n = i2d_X509(x, out);

	*len = n > 0 ? (size_t)n : 0;
	return n > 0 ? 0 : -1;
}

/* The embedded SCTs of leaf as evidence with the given source. */
static void
make_evidence(struct trust_evidence *ev, X509 *leaf, X509 *issuer,
    enum ct_source source)
{
	STACK_OF(SCT) *scts = X509_get_ext_d2i(leaf, NID_ct_precert_scts, NULL,
	    NULL);
	unsigned char *p = NULL;
	int i;

	memset(ev, 0, sizeof(*ev));
	der(leaf, &ev->leaf, &ev->leaf_len);
	der(issuer, &ev->issuer, &ev->issuer_len);
	ev->scts = calloc((size_t)sk_SCT_num(scts), sizeof(*ev->scts));
	for (i = 0; i < sk_SCT_num(scts); i++) {
		int n = i2o_SCT(sk_SCT_value(scts, i), &p);

		ev->scts[i].der = malloc((size_t)n);
		memcpy(ev->scts[i].der, p, (size_t)n);
		OPENSSL_free(p);
		p = NULL;
		ev->scts[i].len = (size_t)n;
		ev->scts[i].source = source;
		ev->nscts++;
	}
	SCT_LIST_free(scts);
}

static void
test_evidence(void)
{
	X509 *leaf = pem("github-com-2025.leaf.pem");
	X509 *issuer = pem("github-com-2025.issuer.pem");
	struct tm tm = { .tm_year = 125, .tm_mon = 5, .tm_mday = 1 };
	time_t at = timegm(&tm);
	struct loglist *all, *no_le;
	struct ct_result a, b;
	struct ct_policy pol;
	struct trust_evidence ev;
	char err[300];
	enum ct_source src;

	all = loglist_load(CHECK_SRCDIR "/tests/data/ct/realcerts-logs.json",
	    err, sizeof(err));
	no_le = loglist_load(CHECK_SRCDIR
	    "/tests/data/ct/realcerts-no-letsencrypt.json", err, sizeof(err));
	if (leaf == NULL || issuer == NULL || all == NULL || no_le == NULL) {
		SKIP("evidence", "test data missing");
		return;
	}
	ct_policy_default(&pol);
	make_evidence(&ev, leaf, issuer, CT_SOURCE_EMBEDDED);
	CHECK("evidence: accepted as the certificate itself is",
	    trust_evidence_check(&ev, &pol, all, at, &a, err, sizeof(err)) ==
	    ct_check_cert(&pol, all, leaf, issuer, at, &b, err, sizeof(err)) &&
	    a.accepted && strcmp(a.reason, b.reason) == 0);
	ct_result_free(&a);
	ct_result_free(&b);
	CHECK("evidence: the same verdict under another list",
	    trust_evidence_check(&ev, &pol, no_le, at, &a, err, sizeof(err)) ==
	    ct_check_cert(&pol, no_le, leaf, issuer, at, &b, err,
	    sizeof(err)) && strcmp(a.reason, b.reason) == 0);
	ct_result_free(&a);
	ct_result_free(&b);
	trust_evidence_clear(&ev);
	/* the source decides what the signature covers */
	make_evidence(&ev, leaf, issuer, CT_SOURCE_TLS);
	CHECK("evidence: embedded SCTs claimed as TLS ones fail",
	    trust_evidence_check(&ev, &pol, all, at, &a, err,
	    sizeof(err)) == 0 && strstr(a.reason, "bad signature") != NULL);
	ct_result_free(&a);
	ev.scts[0].len--;
	CHECK("evidence: a cut SCT is unreadable", trust_evidence_check(&ev,
	    &pol, all, at, &a, err, sizeof(err)) == -1);
	ct_result_free(&a);
	trust_evidence_clear(&ev);
	trust_evidence_clear(&ev);
	CHECK("evidence: source names", trust_source_parse("tls", &src) == 0 &&
	    src == CT_SOURCE_TLS && strcmp(trust_source_name(
	    CT_SOURCE_OCSP), "ocsp") == 0 && trust_source_parse("x", &src) ==
	    -1);
	loglist_free(all);
	loglist_free(no_le);
	X509_free(leaf);
	X509_free(issuer);
}

int
main(void)
{
	struct server s = { 0 };
	EVP_PKEY *key = new_key(), *other_key = new_key();
	X509 *cert = new_cert(key), *other = new_cert(other_key);
	SSL_CTX *client = SSL_CTX_new(TLS_client_method());
	SSL_CTX *stranger = SSL_CTX_new(TLS_client_method());

	test_http1();
	test_urls();
	test_evidence();
	s.base = event_base_new();
	SSL_CTX_set_verify(client, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_verify(stranger, SSL_VERIFY_PEER, NULL);
	X509_STORE_add_cert(SSL_CTX_get_cert_store(client), cert);
	X509_STORE_add_cert(SSL_CTX_get_cert_store(stranger), other);
	if (server_start(&s, cert, key) == -1)
		CHECK("fetch: test server starts", 0);
	else
		test_fetch(&s, client, stranger);
	if (s.listener != NULL)
		evconnlistener_free(s.listener);
	SSL_CTX_free(s.ctx);
	SSL_CTX_free(client);
	SSL_CTX_free(stranger);
	X509_free(cert);
	X509_free(other);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other_key);
	event_base_free(s.base);
	return CHECK_DONE();
}
