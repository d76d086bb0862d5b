/* SPDX-License-Identifier: ISC */
/*
 * sth: RFC 6962 Signed Tree Heads. The TreeHeadSignature (version v1,
 * signature_type tree_hash, timestamp, tree_size, root hash) checked with
 * the log's key (ECDSA or RSA with SHA-256, RFC 6962 2.1.4), and the JSON
 * answers of an RFC 6962 log: get-sth, get-proof-by-hash and
 * get-sth-consistency (RFC 6962 4.3, 4.4, 4.5). static-ct-api checkpoints
 * carry the same signature (checkpoint.c).
 *
 * The JSON comes from the network: every field is type- and
 * length-checked, base64 is strict.
 */
#ifndef CTSTUB_STH_H
#define CTSTUB_STH_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "merkle.h"

#define STH_SIG_MAX	1024	/* a DigitallySigned: RSA-4096 fits */
#define STH_MAX_JSON	(64u << 10)	/* refuse bigger answers */

struct sth {
	uint64_t	timestamp_ms;
	uint64_t	size;
	unsigned char	root[MERKLE_HASH_LEN];
	unsigned char	sig[STH_SIG_MAX];	/* DigitallySigned */
	size_t		sig_len;
};

/* 0 if s->sig is the log's (key) signature over s's tree head. */
int	sth_verify(const struct sth *s, EVP_PKEY *key);

/* A get-sth answer into out. 0, or -1 with one line in err. */
int	sth_parse_json(const char *buf, size_t len, struct sth *out,
	    char *err, size_t errlen);

/*
 * The proof array `field` ("audit_path" or "consistency") of a
 * get-proof-by-hash or get-sth-consistency answer into proof (*n hashes,
 * at most MERKLE_MAX_PROOF); leaf_index, when not NULL, gets the answer's
 * "leaf_index" (required then). 0, or -1 with one line in err.
 */
int	sth_parse_proof_json(const char *buf, size_t len, const char *field,
	    unsigned char (*proof)[MERKLE_HASH_LEN], size_t *n,
	    uint64_t *leaf_index, char *err, size_t errlen);

#endif
