/* SPDX-License-Identifier: ISC */
/*
 * Base64 (RFC 4648, standard alphabet) for the log list's keys and ids
 * and for evidence passed over the control socket. Decoding is strict:
 * no whitespace, padding only at the end, unused bits zero, so one byte
 * string has exactly one accepted spelling.
 */
#ifndef CTSTUB_BASE64_H
#define CTSTUB_BASE64_H

#include <stddef.h>

/* Decodes in into out (at most outmax bytes); 0, or -1 if not strict. */
int base64_decode(const char *in, unsigned char *out, size_t outmax,
    size_t *outlen);

/* The same for the len characters at in (no NUL needed). */
int base64_decode_n(const char *in, size_t len, unsigned char *out,
    size_t outmax, size_t *outlen);

/* Decodes into a new buffer the caller frees; NULL if bad or no memory. */
unsigned char *base64_decode_alloc(const char *in, size_t *outlen);

/* Encodes len bytes into a new NUL-terminated string the caller frees. */
char *base64_encode_alloc(const unsigned char *in, size_t len);

#endif
