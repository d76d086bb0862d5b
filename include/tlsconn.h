/* SPDX-License-Identifier: ISC */
/*
 * A verified TLS connection to one upstream, shared by the DoT and DoH
 * transports: non-blocking connect (bufferevent_openssl), handshake with a
 * timeout, the trust decision (verify.c), the resumption rule (tls.c), and
 * the reason when any of it fails. Nothing may be written before the
 * handler's ready callback. The transport owns the tlsconn.
 */
#ifndef CTSTUB_TLSCONN_H
#define CTSTUB_TLSCONN_H

#include <stddef.h>

#include <event2/buffer.h>
#include <openssl/ssl.h>

struct tlsconn;
struct upstream;

struct tlsconn_handler {
	/* Verified: the transport may write now. */
	void (*ready)(void *arg);
	/* Bytes arrived in in. */
	void (*readable)(void *arg, struct evbuffer *in);
	/*
	 * The connection is over. Before ready the upstream was already told
	 * (refusal or failure, logged) and reason is its log line; after ready
	 * it was closed by the server or the network.
	 */
	void (*lost)(void *arg, const char *reason, int was_ready);
};

/*
 * Starts connecting to up with ctx; NULL (upstream_failed called).
 * alpn: the protocol the server must select ("h2"), or NULL.
 */
struct tlsconn *tlsconn_open(struct upstream *up, SSL_CTX *ctx,
    const char *alpn, const struct tlsconn_handler *handler, void *arg);
void tlsconn_free(struct tlsconn *tc);
int tlsconn_write(struct tlsconn *tc, const void *data, size_t len);

#endif
