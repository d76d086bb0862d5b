/* SPDX-License-Identifier: ISC */
/* Copies of what a verified upstream presented, for status and probe. */
#include <string.h>

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
trust_record_chain(struct upstream_trust *t, STACK_OF(X509) *chain)
{
	int i;

	memset(t, 0, sizeof(*t));
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
