/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer: the HTTP/1.1 response parser (http1.c) on arbitrary bytes,
 * fed in pieces whose sizes the first input byte chooses, then a clean
 * close. The body must never exceed the cap, whatever the framing says.
 */
#include <stdint.h>
#include <stdlib.h>

#include <event2/buffer.h>

#include "http1.h"

#define CAP 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct http1_response r = { 0 };
	struct evbuffer *in = evbuffer_new();
	enum http1_rc rc = HTTP1_MORE;
	size_t step, off;

	if (in == NULL || len == 0 || http1_init(&r, CAP) == -1)
		goto out;
	step = (size_t)data[0] % 16 + 1;
	for (off = 1; off < len && rc == HTTP1_MORE; off += step) {
		evbuffer_add(in, data + off, len - off < step ? len - off :
		    step);
		rc = http1_parse(&r, in, 0);
	}
	if (rc == HTTP1_MORE)
		rc = http1_parse(&r, in, 1);
	if (evbuffer_get_length(r.body) > CAP)
		abort();
 out:
	http1_clear(&r);
	if (in != NULL)
		evbuffer_free(in);
	return 0;
}
