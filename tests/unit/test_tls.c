/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for tls.c's session bound: a session lives at most
 * TLS_SESSION_MAX_S after the full handshake that verified the upstream,
 * never past the leaf's notAfter, and the tickets a resumed connection
 * receives keep the bound of the session it resumed (an injected clock).
 */
#include <string.h>
#include <time.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "check.h"
#include "tls.h"

#define HOUR	3600
#define DAY	86400

static const time_t T0 = 1767225600;	/* 2026-01-01T00:00:00Z */

/* A resumable-looking session dated start, with OpenSSL's timeout. */
static SSL_SESSION *
session_at(time_t start, long timeout)
{
	static const unsigned char id[] = "0123456789abcdef";
	SSL_SESSION *s = SSL_SESSION_new();

	if (s == NULL)
		return NULL;
	SSL_SESSION_set_protocol_version(s, TLS1_2_VERSION);
	SSL_SESSION_set1_id(s, id, sizeof(id) - 1);
	SSL_SESSION_set_time(s, (long)start);
	SSL_SESSION_set_timeout(s, timeout);
	return s;
}

static time_t
expiry(const SSL_SESSION *s)
{
	return (time_t)SSL_SESSION_get_time(s) +
	    (time_t)SSL_SESSION_get_timeout(s);
}

static X509 *
leaf_until(time_t not_after)
{
	X509 *x = X509_new();

	if (x != NULL && X509_time_adj_ex(X509_getm_notAfter(x), 0, 0,
	    &not_after) == NULL) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

static void
test_trust_bound(void)
{
	X509 *far = leaf_until(T0 + 90 * DAY), *soon = leaf_until(T0 + HOUR);

	CHECK("leaves", far != NULL && soon != NULL);
	CHECK("bound: 24 h after the full handshake",
	    tls_trust_bound(far, T0) == T0 + TLS_SESSION_MAX_S);
	CHECK("bound: never past notAfter", tls_trust_bound(soon, T0) ==
	    T0 + HOUR);
	CHECK("bound: an expired leaf gives nothing",
	    tls_trust_bound(soon, T0 + 2 * HOUR) == T0 + 2 * HOUR);
	CHECK("bound: no leaf gives nothing", tls_trust_bound(NULL, T0) == T0);
	X509_free(far);
	X509_free(soon);
}

/* A full handshake at T0, then resumptions up to 30 hours later. */
static void
test_resumption_chain(void)
{
	X509 *leaf = leaf_until(T0 + 90 * DAY);
	struct tls_session_slot slot;
	SSL_SESSION *store = NULL, *s;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = ctx != NULL ? SSL_new(ctx) : NULL;

	if (leaf == NULL || ssl == NULL) {
		CHECK("set-up", 0);
		goto out;
	}
	memset(&slot, 0, sizeof(slot));
	tls_session_verified(&slot, &store, 0, leaf, T0);
	s = session_at(T0, 7 * DAY);
	CHECK("full handshake: its session is kept", tls_session_keep(&slot,
	    s, T0) == 1 && store == s);
	CHECK("full handshake: expires 24 h later", expiry(store) ==
	    T0 + TLS_SESSION_MAX_S);
	tls_session_slot_clear(&slot);

	/* resumed at T0+20h: a new ticket dated then, 7 days lifetime */
	memset(&slot, 0, sizeof(slot));
	tls_session_offer(ssl, &store, &slot, T0 + 20 * HOUR);
	CHECK("offered at 20 h", store != NULL && slot.offered_until ==
	    T0 + TLS_SESSION_MAX_S);
	tls_session_verified(&slot, &store, 1, leaf, T0 + 20 * HOUR);
	s = session_at(T0 + 20 * HOUR, 7 * DAY);
	CHECK("ticket from a resumed connection kept", tls_session_keep(&slot,
	    s, T0 + 20 * HOUR) == 1 && store == s);
	CHECK("ticket from a resumed connection does not refresh the bound",
	    expiry(store) == T0 + TLS_SESSION_MAX_S);
	tls_session_slot_clear(&slot);

	/* at T0+24h the session is no longer offered */
	memset(&slot, 0, sizeof(slot));
	tls_session_offer(ssl, &store, &slot, T0 + TLS_SESSION_MAX_S);
	CHECK("not offered past the bound", store == NULL &&
	    slot.offered_until == 0);
	/* a resumed connection past its bound keeps nothing */
	slot.offered_until = T0 + TLS_SESSION_MAX_S;
	tls_session_verified(&slot, &store, 1, leaf, T0 + 30 * HOUR);
	s = session_at(T0 + 30 * HOUR, 7 * DAY);
	CHECK("ticket past the bound not kept", tls_session_keep(&slot, s,
	    T0 + 30 * HOUR) == 0 && store == NULL);
	SSL_SESSION_free(s);
	tls_session_slot_clear(&slot);
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	X509_free(leaf);
}

static void
test_pending(void)
{
	X509 *leaf = leaf_until(T0 + 2 * HOUR);
	struct tls_session_slot slot;
	SSL_SESSION *store = NULL, *s = session_at(T0, 7 * DAY);

	memset(&slot, 0, sizeof(slot));
	CHECK("before verification: held back", tls_session_keep(&slot, s,
	    T0) == 1 && slot.pending == s && store == NULL);
	tls_session_verified(&slot, &store, 0, leaf, T0);
	CHECK("after verification: kept, bounded by notAfter",
	    store == s && slot.pending == NULL && expiry(s) == T0 + 2 * HOUR);
	tls_session_slot_clear(&slot);
	SSL_SESSION_free(store);
	X509_free(leaf);
}

int
main(void)
{
	test_trust_bound();
	test_resumption_chain();
	test_pending();
	return CHECK_DONE();
}
