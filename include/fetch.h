/* SPDX-License-Identifier: ISC */
/*
 * An asynchronous HTTPS GET on the caller's event_base: HTTP/1.1 over
 * bufferevent_openssl (ALPN http/1.1), Content-Length, chunked or
 * close-delimited bodies under a cap, at most FETCH_MAX_REDIRECTS
 * redirects and only to https, one total time-out, and one line saying
 * what failed. Used by `ctstub loglist update` (its own event_base) and
 * meant for the daemon too (CT log tiles and tree heads).
 *
 * Certificates: the caller's SSL_CTX verifies the chain (SSL_VERIFY_PEER,
 * its CA store); fetch checks the host name of every URL it dials (SNI
 * and X509_VERIFY_PARAM_set1_host) unless the caller's hooks do that
 * themselves (verify.c's verify_prepare with the name does), and runs the
 * caller's established hook after each handshake, before any byte of the
 * request: that is where ctstub's CT and pin checks go.
 */
#ifndef CTSTUB_FETCH_H
#define CTSTUB_FETCH_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "conf.h"

#define FETCH_MAX_REDIRECTS 3
#define FETCH_MAX_URL 2048

struct event_base;
struct fetch;

/* The caller's part in the TLS checks; every hook is optional. */
struct fetch_tls_hooks {
	/*
	 * Before the handshake of each connection (redirects make new
	 * ones): set up the checks on ssl for host. When set, it must also
	 * set the host name check and SNI; 0 or -1.
	 */
	int (*prepare)(SSL *ssl, const char *host, void *arg);
	/* After the handshake: 0 to go on, -1 refused with reason. */
	int (*established)(SSL *ssl, void *arg, char *reason, size_t len);
	/* A failed handshake in words (default: the verify error). */
	void (*failed)(SSL *ssl, void *arg, const char *fallback,
	    char *reason, size_t len);
	void *arg;
};

/*
 * Where to dial host:port: fill out (0), or -1 with err. Called for the
 * first URL and for each redirect. Synchronous: a caller that must look
 * names up asynchronously does so before fetch_start.
 */
typedef int (*fetch_resolve_fn)(void *arg, const char *host, uint16_t port,
    struct conf_address *out, char *err, size_t errlen);

struct fetch_request {
	const char *url;		/* https://HOST[:PORT]/PATH */
	SSL_CTX *ctx;			/* verifies chains; not owned */
	const struct fetch_tls_hooks *hooks;	/* NULL: chain + name only */
	fetch_resolve_fn resolve;	/* NULL: HOST must be an IP literal */
	void *resolve_arg;
	size_t max_body;		/* bytes; more is an error */
	unsigned timeout_ms;		/* for everything, redirects included */
	const char *content_type;	/* required media type, or NULL */
	/*
	 * Accept-Encoding to send (NULL: identity). The body comes back as
	 * it was sent; content_encoding in the result says how.
	 */
	const char *accept_encoding;
};

/*
 * What came back. ok: a 200 with its whole body; otherwise error is the
 * one line (status is set when a response arrived). body is owned by
 * the fetch; the callback may take it (set body to NULL, free() it).
 */
struct fetch_result {
	int ok;
	int reached;			/* a server did the TLS handshake */
	int status;
	char error[800];
	char url[FETCH_MAX_URL];	/* the URL that answered (redirects) */
	char content_type[128];
	char content_encoding[64];
	unsigned char *body;		/* NUL-terminated for convenience */
	size_t body_len;
};

typedef void (*fetch_done_fn)(struct fetch_result *res, void *arg);

/*
 * Starts fetching req (copied: the strings need not outlive the call;
 * ctx and hooks must live until done). done runs once, from the loop,
 * never from this call; it may free the fetch. NULL when out of memory.
 */
struct fetch *fetch_start(struct event_base *base,
    const struct fetch_request *req, fetch_done_fn done, void *arg);

/* Cancels (done is not called) and frees; NULL-safe. */
void fetch_free(struct fetch *f);

/*
 * Splits "https://HOST[:PORT]/PATH" (HOST a name, an IPv4 or a
 * bracketed IPv6 address); 0 or -1 with err.
 */
int fetch_parse_url(const char *url, char *host, size_t hostlen,
    uint16_t *port, char *path, size_t pathlen, char *err, size_t errlen);

#endif
