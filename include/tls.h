/* SPDX-License-Identifier: ISC */
/*
 * TLS client context shared by every upstream connection: TLS >= 1.2,
 * peer verification on, CA bundle, client-side session cache whose entries
 * are kept per upstream only after the connection passed every check.
 *
 * A resumed session skips the certificate checks, so the trust a full
 * handshake established has a bound: TLS_SESSION_MAX_S after that
 * handshake, never past the leaf's notAfter. Every session stored from the
 * connection (the tickets a resumed connection receives too) expires by
 * that bound, and an expired session is never offered: a chain of
 * resumptions cannot extend it.
 */
#ifndef CTSTUB_TLS_H
#define CTSTUB_TLS_H

#include <stddef.h>
#include <time.h>

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

#define TLS_SESSION_MAX_S (24 * 3600)	/* trust from one full handshake */

/*
 * Per-connection session hand-off: OpenSSL reports new sessions through
 * tls_session_cb; the connection registers where they go.
 */
struct tls_session_slot {
	SSL_SESSION *pending;	/* seen before the connection was verified */
	SSL_SESSION **store;	/* where verified sessions are kept, or NULL */
	time_t offered_until;	/* bound of the session offered (0: none) */
	time_t until;		/* bound of the sessions kept from now on */
};

/* Attaches slot to ssl (see tls_session_slot). */
void tls_attach_session_slot(SSL *ssl, struct tls_session_slot *slot);
/*
 * Offers *store on ssl if it is still within its bound at now (an expired
 * one is freed and *store cleared), and remembers that bound in slot.
 */
void tls_session_offer(SSL *ssl, SSL_SESSION **store,
    struct tls_session_slot *slot, time_t now);
/*
 * The connection passed every check at now: keep its sessions in *store
 * from now on, bounded by the session it resumed (resumed) or else by
 * tls_trust_bound(leaf, now).
 */
void tls_session_verified(struct tls_session_slot *slot, SSL_SESSION **store,
    int resumed, X509 *leaf, time_t now);
/* What new_session_cb does with a session: 1 if slot took it over. */
int tls_session_keep(struct tls_session_slot *slot, SSL_SESSION *sess,
    time_t now);
void tls_session_slot_clear(struct tls_session_slot *slot);

/* min(now + TLS_SESSION_MAX_S, leaf's notAfter); now if unreadable. */
time_t tls_trust_bound(X509 *leaf, time_t now);
/* Lowers sess's timeout so it expires by until; -1 if it already has. */
int tls_session_bound(SSL_SESSION *sess, time_t until, time_t now);

/* Drains the OpenSSL error queue into one line. */
void tls_error_string(char *buf, size_t len);

#endif
