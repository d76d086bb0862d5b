/* SPDX-License-Identifier: ISC */
/*
 * base64: strict decoding of standard base64 (RFC 4648 section 4) for the
 * bytes ctstub reads from untrusted files and peers: log list keys and
 * ids, CT log tree heads, checkpoints and proofs.
 */
#ifndef CTSTUB_BASE64_H
#define CTSTUB_BASE64_H

#include <stddef.h>

/*
 * Decodes the len characters at in into out (at most outmax bytes) and
 * sets *outlen. Strict: no whitespace, padding only at the end, unused
 * bits zero, so a byte string has exactly one accepted spelling. Returns
 * 0, or -1 on any deviation or when out is too small (empty input too).
 */
int	base64_decode(const char *in, size_t len, unsigned char *out,
	    size_t outmax, size_t *outlen);

#endif
