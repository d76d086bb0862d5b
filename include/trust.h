/* SPDX-License-Identifier: ISC */
/*
 * The evidence an upstream presented at its last full handshake that
 * passed every check: the verified chain (subject, issuer, expiry, key
 * pin), the SCTs with their logs and operators, and the pin that matched.
 * Fixed-size copies, so it outlives the connection and the log list it
 * was checked with (`ctstub status`, `ctstub probe`).
 */
#ifndef CTSTUB_TRUST_H
#define CTSTUB_TRUST_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <openssl/ssl.h>

#include "conf.h"
#include "ct.h"

#define TRUST_MAX_CERTS 4
#define TRUST_MAX_SCTS 8
#define TRUST_PIN_TEXT 64	/* "sha256/" + base64 of 32 bytes */

struct trust_cert {
	char subject[256];
	char issuer[256];
	time_t not_after;
	char pin[TRUST_PIN_TEXT];
};

struct trust_sct {
	char log[96];		/* description, or the log id in base64 */
	char operator_name[64];	/* "" when the log is unknown */
	uint64_t timestamp_ms;
	const char *source;	/* static text */
	const char *verdict;	/* static text */
	unsigned char log_id[LOGLIST_ID_LEN];	/* for horizon.c */
	size_t log_id_len;	/* 0 when the SCT had none */
	int counted;		/* the verdict was CT_SCT_COUNTED */
	int embedded;		/* from the certificate's extension */
};

struct upstream_trust {
	time_t verified_at;	/* 0: never verified */
	char tls_version[16];
	size_t ncerts;
	struct trust_cert certs[TRUST_MAX_CERTS];
	size_t nscts;		/* SCTs kept (at most TRUST_MAX_SCTS) */
	struct trust_sct scts[TRUST_MAX_SCTS];
	char ct_summary[CT_REASON_MAX];	/* the CT decision's reason line */
	char pin_matched[TRUST_PIN_TEXT];	/* "" when no pins are set */
};

/*
 * Records what ssl presented after a full handshake that passed: its
 * verified chain, the CT result (may be NULL) and which of pins matched.
 */
void trust_record(struct upstream_trust *t, SSL *ssl,
    const struct ct_result *ct, const struct conf_pins *pins);

/* t holds chain's certificates (the first TRUST_MAX_CERTS) and nothing
 * else; chain stays the caller's. */
void trust_record_chain(struct upstream_trust *t, STACK_OF(X509) *chain);

/* "sha256/BASE64" of cert's public key into out (TRUST_PIN_TEXT). */
void trust_pin_text(X509 *cert, char out[TRUST_PIN_TEXT]);

/* The verified chain, one certificate per line with its pin. */
void trust_print_chain(FILE *out, const struct upstream_trust *t);

#endif
