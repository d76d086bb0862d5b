/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer: a static-ct-api checkpoint as a log would serve it, parsed
 * with a fixed log id (32 bytes 0x11, name "example.test/log" gives key
 * id 53e3ed83) and, when it parses, its signature checked with a key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static EVP_PKEY *key;
	unsigned char log_id[32];
	struct checkpoint c;
	char err[256];

	if (key == NULL &&
	    (key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		abort();
	memset(log_id, 0x11, sizeof(log_id));
	if (checkpoint_parse((const char *)data, len, log_id, NULL, &c, err,
	    sizeof(err)) == 0)
		(void)checkpoint_verify(&c, key);
	return 0;
}
