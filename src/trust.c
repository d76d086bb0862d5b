/* SPDX-License-Identifier: ISC */
/* Copies of what a verified upstream presented, for status and probe. */
#include <stdlib.h>
#include <string.h>

#include <openssl/ct.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "trust.h"
#include "verify.h"

void
trust_pin_text(X509 *cert, char out[TRUST_PIN_TEXT])
{
	unsigned char hash[32], b64[48];

	if (verify_spki_sha256(cert, hash) == -1) {
		snprintf(out, TRUST_PIN_TEXT, "(no key)");
		return;
	}
	EVP_EncodeBlock(b64, hash, sizeof(hash));
	snprintf(out, TRUST_PIN_TEXT, "sha256/%s", b64);
}

static void
record_cert(struct trust_cert *c, X509 *cert)
{
	struct tm tm;

	X509_NAME_oneline(X509_get_subject_name(cert), c->subject,
	    sizeof(c->subject));
	X509_NAME_oneline(X509_get_issuer_name(cert), c->issuer,
	    sizeof(c->issuer));
	c->not_after = ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1 ?
	    timegm(&tm) : 0;
	trust_pin_text(cert, c->pin);
}

static void
record_sct(struct trust_sct *s, const struct ct_sct_info *info)
{
	unsigned char b64[48];

	if (info->log != NULL) {
		snprintf(s->log, sizeof(s->log), "%s", info->log->description);
		snprintf(s->operator_name, sizeof(s->operator_name), "%s",
		    info->log->operator_name);
	} else {
		EVP_EncodeBlock(b64, info->log_id, (int)info->log_id_len);
		snprintf(s->log, sizeof(s->log), "%s", b64);
		s->operator_name[0] = '\0';
	}
	s->timestamp_ms = info->timestamp_ms;
	s->source = ct_source_text(info->source);
	s->verdict = ct_verdict_text(info->verdict);
	memcpy(s->log_id, info->log_id, sizeof(s->log_id));
	s->log_id_len = info->log_id_len;
	s->counted = info->verdict == CT_SCT_COUNTED;
	s->embedded = info->source == CT_SOURCE_EMBEDDED;
}

void
trust_evidence_clear(struct trust_evidence *ev)
{
	size_t i;

	if (ev == NULL)
		return;
	for (i = 0; i < ev->nscts; i++)
		free(ev->scts[i].der);
	free(ev->scts);
	free(ev->leaf);
	free(ev->issuer);
	memset(ev, 0, sizeof(*ev));
}

void
trust_clear(struct upstream_trust *t)
{
	if (t == NULL)
		return;
	trust_evidence_clear(&t->evidence);
	memset(t, 0, sizeof(*t));
}

static unsigned char *
dup_bytes(const unsigned char *p, size_t len)
{
	unsigned char *q = p != NULL && len > 0 ? malloc(len) : NULL;

	if (q != NULL)
		memcpy(q, p, len);
	return q;
}

int
trust_copy(struct upstream_trust *dst, const struct upstream_trust *src)
{
	const struct trust_evidence *e = &src->evidence;
	struct trust_evidence *d;
	size_t i;

	trust_clear(dst);
	*dst = *src;
	d = &dst->evidence;
	memset(d, 0, sizeof(*d));
	if (e->leaf == NULL)
		return 0;
	d->leaf = dup_bytes(e->leaf, e->leaf_len);
	d->leaf_len = e->leaf_len;
	d->issuer = dup_bytes(e->issuer, e->issuer_len);
	d->issuer_len = e->issuer_len;
	if (e->nscts > 0)
		d->scts = calloc(e->nscts, sizeof(*d->scts));
	for (i = 0; d->scts != NULL && i < e->nscts; i++) {
		d->scts[i] = e->scts[i];
		if ((d->scts[i].der = dup_bytes(e->scts[i].der,
		    e->scts[i].len)) == NULL)
			break;
		d->nscts++;
	}
	if (d->leaf == NULL || (e->issuer != NULL && d->issuer == NULL) ||
	    d->nscts != e->nscts) {
		trust_evidence_clear(d);
		return -1;
	}
	return 0;
}

static const struct {
	enum ct_source source;
	const char *name;
	int openssl;
} sources[] = {
	{ CT_SOURCE_EMBEDDED, "embedded", SCT_SOURCE_X509V3_EXTENSION },
	{ CT_SOURCE_TLS, "tls", SCT_SOURCE_TLS_EXTENSION },
	{ CT_SOURCE_OCSP, "ocsp", SCT_SOURCE_OCSP_STAPLED_RESPONSE },
};

const char *
trust_source_name(enum ct_source source)
{
	size_t i;

	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (sources[i].source == source)
			return sources[i].name;
	return "unknown";
}

int
trust_source_parse(const char *name, enum ct_source *out)
{
	size_t i;

	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (strcmp(sources[i].name, name) == 0) {
			*out = sources[i].source;
			return 0;
		}
	return -1;
}

static int
openssl_source(enum ct_source source)
{
	size_t i;

	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (sources[i].source == source)
			return sources[i].openssl;
	return SCT_SOURCE_UNKNOWN;
}

/* DER of cert into a new buffer; 0 or -1. */
static int
copy_der(X509 *cert, unsigned char **out, size_t *len)
{
	unsigned char *p;
	int n = cert != NULL ? i2d_X509(cert, NULL) : -1;

	if (n <= 0 || (*out = p = malloc((size_t)n)) == NULL)
		return -1;
	i2d_X509(cert, &p);
	*len = (size_t)n;
	return 0;
}

static void
record_raw_sct(struct trust_evidence *ev, const SCT *sct)
{
	struct trust_raw_sct *raw = &ev->scts[ev->nscts];
	unsigned char *der = NULL;
	int n = i2o_SCT(sct, &der);

	if (n <= 0 || (raw->der = malloc((size_t)n)) == NULL) {
		OPENSSL_free(der);
		return;
	}
	memcpy(raw->der, der, (size_t)n);
	OPENSSL_free(der);
	raw->len = (size_t)n;
	raw->source = ct_source_of(sct);
	ev->nscts++;
}

/*
 * Leaf, issuer and every SCT OpenSSL collected (certificate, TLS
 * extension, OCSP). Out of memory leaves the evidence partial: the
 * pre-flight then refuses nothing it should not, it only sees less.
 */
void
trust_evidence_of(struct trust_evidence *ev, X509 *leaf, X509 *issuer,
    const STACK_OF(SCT) *scts)
{
	int i, n = scts != NULL ? sk_SCT_num(scts) : 0;

	if (leaf == NULL || copy_der(leaf, &ev->leaf, &ev->leaf_len) == -1)
		goto out;
	if (issuer != NULL)
		copy_der(issuer, &ev->issuer, &ev->issuer_len);
	if (n > 0 && (ev->scts = calloc((size_t)n, sizeof(*ev->scts))) != NULL)
		for (i = 0; i < n; i++)
			record_raw_sct(ev, sk_SCT_value(scts, i));
 out:
	ERR_clear_error();
}

static void
record_evidence(struct trust_evidence *ev, SSL *ssl)
{
	STACK_OF(X509) *chain = SSL_get0_verified_chain(ssl);

	if (chain == NULL || sk_X509_num(chain) < 1)
		return;
	trust_evidence_of(ev, sk_X509_value(chain, 0), sk_X509_num(chain) > 1 ?
	    sk_X509_value(chain, 1) : NULL, SSL_get0_peer_scts(ssl));
}

static X509 *
der_to_x509(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;

	if (der == NULL || len > 65536)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x != NULL && p != der + len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* The SCTs of ev with their sources; NULL when one is unreadable. */
static STACK_OF(SCT) *
evidence_scts(const struct trust_evidence *ev)
{
	STACK_OF(SCT) *scts = sk_SCT_new_null();
	size_t i;

	for (i = 0; scts != NULL && i < ev->nscts; i++) {
		const unsigned char *p = ev->scts[i].der;
		SCT *sct = o2i_SCT(NULL, &p, ev->scts[i].len);

		if (sct == NULL || p != ev->scts[i].der + ev->scts[i].len ||
		    !SCT_set_source(sct, openssl_source(ev->scts[i].source)) ||
		    !sk_SCT_push(scts, sct)) {
			SCT_free(sct);
			SCT_LIST_free(scts);
			return NULL;
		}
	}
	return scts;
}

int
trust_evidence_check(const struct trust_evidence *ev,
    const struct ct_policy *policy, const struct loglist *list, time_t at,
    struct ct_result *res, char *err, size_t errlen)
{
	X509 *leaf = der_to_x509(ev->leaf, ev->leaf_len);
	X509 *issuer = der_to_x509(ev->issuer, ev->issuer_len);
	STACK_OF(SCT) *scts = evidence_scts(ev);
	int rc;

	memset(res, 0, sizeof(*res));
	if (leaf == NULL || scts == NULL ||
	    (ev->issuer != NULL && issuer == NULL)) {
		snprintf(err, errlen, "unreadable evidence");
		snprintf(res->reason, sizeof(res->reason), "CT: evaluation "
		    "failed: unreadable evidence");
		rc = -1;
	} else
		rc = ct_check_scts(policy, list, leaf, issuer, scts, at, res,
		    err, errlen);
	ERR_clear_error();
	SCT_LIST_free(scts);
	X509_free(leaf);
	X509_free(issuer);
	return rc;
}

void
trust_record_chain(struct upstream_trust *t, STACK_OF(X509) *chain)
{
	int i;

	trust_clear(t);
	for (i = 0; chain != NULL && i < sk_X509_num(chain) &&
	    t->ncerts < TRUST_MAX_CERTS; i++) {
		record_cert(&t->certs[t->ncerts++], sk_X509_value(chain, i));
	}
}

void
trust_record(struct upstream_trust *t, SSL *ssl, const struct ct_result *ct,
    const struct conf_pins *pins)
{
	STACK_OF(X509) *chain = SSL_get0_verified_chain(ssl);
	int matched;
	size_t j;

	trust_record_chain(t, chain);
	record_evidence(&t->evidence, ssl);
	t->verified_at = time(NULL);
	snprintf(t->tls_version, sizeof(t->tls_version), "%s",
	    SSL_get_version(ssl));
	matched = pins != NULL && pins->count > 0 ? verify_pins(chain, pins) :
	    -1;
	if (matched >= 0)
		trust_pin_text(sk_X509_value(chain, matched), t->pin_matched);
	if (ct == NULL)
		return;
	snprintf(t->ct_summary, sizeof(t->ct_summary), "%s", ct->reason);
	for (j = 0; j < ct->nscts && t->nscts < TRUST_MAX_SCTS; j++)
		record_sct(&t->scts[t->nscts++], &ct->scts[j]);
}

void
trust_print_chain(FILE *out, const struct upstream_trust *t)
{
	char when[32];
	size_t i;

	fprintf(out, "verified chain:\n");
	for (i = 0; i < t->ncerts; i++) {
		const struct trust_cert *c = &t->certs[i];
		struct tm tm;

		gmtime_r(&c->not_after, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d", &tm);
		fprintf(out, "  %zu: %s\n     issuer %s\n     expires %s, "
		    "pin %s\n", i, c->subject, c->issuer, when, c->pin);
	}
}
