/* SPDX-License-Identifier: ISC */
/*
 * The evidence an upstream presented at its last full handshake that
 * passed every check: the verified chain (subject, issuer, expiry, key
 * pin), the SCTs with their logs and operators, and the pin that matched.
 * Fixed-size copies, so it outlives the connection and the log list it
 * was checked with (`ctstub status`, `ctstub probe`).
 *
 * Beside them, the raw evidence of that verification (struct
 * trust_evidence: the leaf and issuer DER and every SCT as presented),
 * so the CT decision can be made again under another log list or at
 * another time (`ctstub loglist update` asks for it over the control
 * socket: "evidence").
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

/* One SCT as the peer presented it: i2o_SCT bytes and where it was. */
struct trust_raw_sct {
	unsigned char *der;		/* owned */
	size_t len;
	enum ct_source source;
};

/* The raw evidence; every pointer owned (trust_evidence_clear). */
struct trust_evidence {
	unsigned char *leaf;		/* DER; NULL: none recorded */
	size_t leaf_len;
	unsigned char *issuer;		/* the verified issuer's DER, or NULL */
	size_t issuer_len;
	struct trust_raw_sct *scts;
	size_t nscts;
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
	struct trust_evidence evidence;	/* owned: free with trust_clear */
};

/*
 * Records what ssl presented after a full handshake that passed: its
 * verified chain, the CT result (may be NULL), which of pins matched and
 * the raw evidence. Replaces (and frees) what t held; a t never recorded
 * must be zeroed first.
 */
void trust_record(struct upstream_trust *t, SSL *ssl,
    const struct ct_result *ct, const struct conf_pins *pins);

/*
 * t holds chain's certificates (the first TRUST_MAX_CERTS) and nothing
 * else: what t held is freed first, so t must be zeroed or recorded
 * before (free it with trust_clear); chain stays the caller's.
 */
void trust_record_chain(struct upstream_trust *t, STACK_OF(X509) *chain);

/* "sha256/BASE64" of cert's public key into out (TRUST_PIN_TEXT). */
void trust_pin_text(X509 *cert, char out[TRUST_PIN_TEXT]);

/*
 * A deep copy of src into dst (what dst held is freed); 0, or -1 without
 * memory (dst then has src's copies without the raw evidence).
 */
int trust_copy(struct upstream_trust *dst, const struct upstream_trust *src);

/* Frees what t owns and zeroes it; NULL-safe, idempotent. */
void trust_clear(struct upstream_trust *t);
void trust_evidence_clear(struct trust_evidence *ev);

/*
 * Leaf, issuer (may be NULL) and every SCT of scts into ev (zeroed by
 * the caller). Out of memory leaves it partial.
 */
void trust_evidence_of(struct trust_evidence *ev, X509 *leaf, X509 *issuer,
    const STACK_OF(SCT) *scts);

/* "embedded", "tls", "ocsp" (the evidence's spelling) and back; -1. */
const char *trust_source_name(enum ct_source source);
int trust_source_parse(const char *name, enum ct_source *out);

/*
 * The CT decision made again on ev: under list and policy at time at
 * (the SCT signatures checked with list's keys, as in a handshake).
 * Returns what ct_evaluate() returns; res is the caller's to free.
 */
int trust_evidence_check(const struct trust_evidence *ev,
    const struct ct_policy *policy, const struct loglist *list, time_t at,
    struct ct_result *res, char *err, size_t errlen);

/* The verified chain, one certificate per line with its pin. */
void trust_print_chain(FILE *out, const struct upstream_trust *t);

#endif
