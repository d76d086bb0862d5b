/* SPDX-License-Identifier: ISC */
/* Strict base64 decoding and plain encoding (see base64.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base64.h"

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
base64_decode(const char *in, unsigned char *out, size_t outmax, size_t *outlen)
{
	return base64_decode_n(in, strlen(in), out, outmax, outlen);
}

int
base64_decode_n(const char *in, size_t len, unsigned char *out, size_t outmax,
    size_t *outlen)
{
	size_t i, n = 0;
	unsigned long v;
	int j, c, pad;

	if (len == 0 || len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		v = 0;
		pad = 0;
		for (j = 0; j < 4; j++) {
			if (in[i + j] == '=' && i + 4 == len && j >= 2) {
				pad++;
				c = 0;
			} else if (pad || (c = b64_value((unsigned char)
			    in[i + j])) < 0)
				return -1;
			v = v << 6 | (unsigned long)c;
		}
		if (n + 3 - (size_t)pad > outmax ||
		    (pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff)))
			return -1;
		out[n++] = (unsigned char)(v >> 16);
		if (pad < 2)
			out[n++] = (unsigned char)(v >> 8);
		if (pad < 1)
			out[n++] = (unsigned char)v;
	}
	*outlen = n;
	return 0;
}

unsigned char *
base64_decode_alloc(const char *in, size_t *outlen)
{
	size_t max = strlen(in) / 4 * 3 + 1;
	unsigned char *out = malloc(max);

	if (out != NULL && base64_decode(in, out, max, outlen) == -1) {
		free(out);
		return NULL;
	}
	return out;
}

char *
base64_encode_alloc(const unsigned char *in, size_t len)
{
	char *out;

	if (len > (size_t)1 << 28 || (out = malloc((len + 2) / 3 * 4 + 1)) ==
	    NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	return out;
}
