/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer: an RFC 6962 log's JSON answer (get-sth, get-proof-by-hash,
 * get-sth-consistency), parsed by all three parsers; a parsed tree head's
 * signature is checked with a key.
 */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "sth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static EVP_PKEY *key;
	unsigned char proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
	struct sth s;
	uint64_t idx;
	size_t n;
	char err[256];

	if (key == NULL &&
	    (key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		abort();
	if (sth_parse_json((const char *)data, len, &s, err,
	    sizeof(err)) == 0)
		(void)sth_verify(&s, key);
	(void)sth_parse_proof_json((const char *)data, len, "audit_path",
	    proof, &n, &idx, err, sizeof(err));
	(void)sth_parse_proof_json((const char *)data, len, "consistency",
	    proof, &n, NULL, err, sizeof(err));
	return 0;
}
