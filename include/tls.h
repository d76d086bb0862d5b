/* SPDX-License-Identifier: ISC */
/*
 * TLS client context shared by every upstream connection: TLS >= 1.2,
 * peer verification on, CA bundle, client-side session cache whose entries
 * are kept per upstream only after the connection passed every check.
 */
#ifndef CTSTUB_TLS_H
#define CTSTUB_TLS_H

#include <stddef.h>

#include <openssl/ct.h>
#include <openssl/ssl.h>

/*
 * Returns a new SSL_CTX or NULL with err filled. Trust: the CA store of
 * share_trust when given (loaded once for several contexts), else ca_file,
 * else the system bundle. ct_store: the CT logs OpenSSL checks SCT
 * signatures with; the context takes it over (also on failure); NULL: no
 * CT.
 */
SSL_CTX *tls_ctx_new(const char *ca_file, SSL_CTX *share_trust,
    CTLOG_STORE *ct_store, const unsigned char *alpn, size_t alpn_len,
    char *err, size_t errlen);

/*
 * Per-connection session hand-off: OpenSSL reports new sessions through
 * tls_session_cb; the connection registers where they go.
 */
struct tls_session_slot {
	SSL_SESSION *pending;	/* seen before the connection was verified */
	SSL_SESSION **store;	/* where verified sessions are kept, or NULL */
};

/* Attaches slot to ssl (see tls_session_slot). */
void tls_attach_session_slot(SSL *ssl, struct tls_session_slot *slot);
/* The connection passed every check: keep its sessions from now on. */
void tls_session_verified(struct tls_session_slot *slot, SSL_SESSION **store);
void tls_session_slot_clear(struct tls_session_slot *slot);

/* Drains the OpenSSL error queue into one line. */
void tls_error_string(char *buf, size_t len);

#endif
