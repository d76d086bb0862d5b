/* SPDX-License-Identifier: ISC */
/*
 * checkpoint: the tree head of a static-ct-api log (C2SP tlog-checkpoint
 * in a C2SP signed note). The note text is the origin line, the tree size
 * in decimal, the root hash in base64, and nothing else (static-ct-api
 * forbids extension lines); a blank line; then signature lines
 * "— NAME base64(key id || signature)". The log's own signature is the
 * one named after the origin whose key id is the first 4 bytes of
 * SHA-256(name || 0x0A || 0x05 || log id); its body is an
 * RFC6962NoteSignature (timestamp, then the TreeHeadSignature's
 * DigitallySigned), checked as an RFC 6962 STH (sth.c). Other signatures
 * (witnesses) are ignored.
 *
 * The note comes from the network: UTF-8 is checked, control characters
 * other than newline refused, sizes bounded.
 */
#ifndef CTSTUB_CHECKPOINT_H
#define CTSTUB_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "sth.h"

#define CHECKPOINT_MAX		(128u << 10)	/* bytes in a note */
#define CHECKPOINT_ORIGIN_MAX	256
#define CHECKPOINT_MAX_SIGS	64

struct checkpoint {
	char		origin[CHECKPOINT_ORIGIN_MAX];
	struct sth	sth;	/* size and root; timestamp, sig: the log's */
};

/*
 * Parses the note in buf and finds the log's signature (log_id: SHA-256
 * of the log's key). origin, when not NULL, is what the origin line must
 * be (the submission URL without scheme and trailing slash). Does not
 * check the signature: checkpoint_verify does. 0, or -1 with one line in
 * err.
 */
int	checkpoint_parse(const char *buf, size_t len,
	    const unsigned char log_id[32], const char *origin,
	    struct checkpoint *out, char *err, size_t errlen);

/* 0 if the log's signature in c verifies with key. */
int	checkpoint_verify(const struct checkpoint *c, EVP_PKEY *key);

/*
 * The origin a log with this submission URL uses: without "https://" or
 * "http://" and without trailing slashes. -1 if it does not fit.
 */
int	checkpoint_origin_of(const char *submission_url, char *out,
	    size_t len);

#endif
