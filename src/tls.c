/* SPDX-License-Identifier: ISC */
/* SSL_CTX construction, session hand-off rules, OpenSSL errors to text. */
#include <string.h>
#include <time.h>

#include <openssl/err.h>

#include "tls.h"

static int session_slot_index = -1;

static void
store_session(SSL_SESSION **store, SSL_SESSION *sess)
{
	if (*store != NULL)
		SSL_SESSION_free(*store);
	*store = sess;
}

/* When sess expires: OpenSSL's time plus timeout. */
static time_t
session_expiry(const SSL_SESSION *sess)
{
	return (time_t)SSL_SESSION_get_time(sess) +
	    (time_t)SSL_SESSION_get_timeout(sess);
}

int
tls_session_bound(SSL_SESSION *sess, time_t until, time_t now)
{
	time_t start = (time_t)SSL_SESSION_get_time(sess);

	if (until <= now || until <= start)
		return -1;
	/* OpenSSL dates a new ticket now, even on a resumed connection */
	if (session_expiry(sess) > until)
		SSL_SESSION_set_timeout(sess, (long)(until - start));
	return 0;
}

time_t
tls_trust_bound(X509 *leaf, time_t now)
{
	const ASN1_TIME *na = leaf != NULL ? X509_get0_notAfter(leaf) : NULL;
	time_t until = now + TLS_SESSION_MAX_S, not_after;
	struct tm tm;

	if (na == NULL || !ASN1_TIME_to_tm(na, &tm) ||
	    (not_after = timegm(&tm)) == (time_t)-1)
		return now;
	if (not_after < until)
		until = not_after;
	return until < now ? now : until;
}

int
tls_session_keep(struct tls_session_slot *slot, SSL_SESSION *sess,
    time_t now)
{
	if (!SSL_SESSION_is_resumable(sess))
		return 0;
	if (slot->store == NULL) {
		store_session(&slot->pending, sess);
		return 1;
	}
	if (tls_session_bound(sess, slot->until, now) == -1)
		return 0;
	store_session(slot->store, sess);
	return 1;
}

/* Called by OpenSSL with a new session; returning 1 takes ownership. */
static int
new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_session_slot *slot;

	slot = SSL_get_ex_data(ssl, session_slot_index);
	if (slot == NULL)
		return 0;
	return tls_session_keep(slot, sess, time(NULL));
}

void
tls_attach_session_slot(SSL *ssl, struct tls_session_slot *slot)
{
	SSL_set_ex_data(ssl, session_slot_index, slot);
}

void
tls_session_offer(SSL *ssl, SSL_SESSION **store,
    struct tls_session_slot *slot, time_t now)
{
	slot->offered_until = 0;
	if (*store == NULL)
		return;
	/* OpenSSL does not check a TLS 1.2 session's age as a client */
	if (session_expiry(*store) <= now) {
		store_session(store, NULL);
		return;
	}
	slot->offered_until = session_expiry(*store);
	SSL_set_session(ssl, *store);
}

void
tls_session_verified(struct tls_session_slot *slot, SSL_SESSION **store,
    int resumed, X509 *leaf, time_t now)
{
	SSL_SESSION *pending = slot->pending;

	/* a resumption carries the bound of the full handshake it came from */
	slot->until = resumed && slot->offered_until != 0 ?
	    slot->offered_until : tls_trust_bound(leaf, now);
	slot->store = store;
	slot->pending = NULL;
	if (pending != NULL && tls_session_keep(slot, pending, now) == 0)
		SSL_SESSION_free(pending);
}

void
tls_session_slot_clear(struct tls_session_slot *slot)
{
	if (slot->pending != NULL)
		SSL_SESSION_free(slot->pending);
	slot->pending = NULL;
	slot->store = NULL;
}

static int
load_trust(SSL_CTX *ctx, const char *ca_file, char *err, size_t errlen)
{
	int ok = ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
	    : SSL_CTX_set_default_verify_paths(ctx);

	if (ok != 1) {
		char why[256];

		tls_error_string(why, sizeof(why));
		snprintf(err, errlen, "cannot load CA certificates from %s: %s",
		    ca_file ? ca_file : "the system bundle", why);
		return -1;
	}
	return 0;
}

SSL_CTX *
tls_ctx_new(const char *ca_file, SSL_CTX *share_trust, CTLOG_STORE *ct_store,
    const unsigned char *alpn, size_t alpn_len, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if (session_slot_index == -1)
		session_slot_index = SSL_get_ex_new_index(0, NULL, NULL, NULL,
		    NULL);
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		CTLOG_STORE_free(ct_store);
		snprintf(err, errlen, "cannot create a TLS context");
		return NULL;
	}
	if (ct_store != NULL)
		SSL_CTX_set0_ctlog_store(ctx, ct_store);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
	if (alpn != NULL && SSL_CTX_set_alpn_protos(ctx, alpn,
	    (unsigned)alpn_len) != 0) {
		snprintf(err, errlen, "cannot set ALPN");
		goto fail;
	}
	if (share_trust != NULL)
		SSL_CTX_set1_cert_store(ctx, SSL_CTX_get_cert_store(share_trust));
	else if (load_trust(ctx, ca_file, err, errlen) == -1)
		goto fail;
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

void
tls_error_string(char *buf, size_t len)
{
	unsigned long e;
	size_t used = 0;

	buf[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		char one[200];

		ERR_error_string_n(e, one, sizeof(one));
		if (used < len) {
			int n = snprintf(buf + used, len - used, "%s%s",
			    used ? "; " : "", one);
			used += n > 0 ? (size_t)n : 0;
		}
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "unknown TLS error");
}
