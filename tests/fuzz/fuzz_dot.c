/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer: DoT framing (dot_read_frames) over a byte stream that
 * arrives split at arbitrary points. Input: one byte c (low 4 bits), then
 * c chunk sizes (one byte each, 0 meaning 256), then the stream. The
 * frames delivered, and where a malformed frame stops the stream, must be
 * the same however the stream is split as when it arrives whole.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "dnsmsg.h"
#include "transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

struct frames {
	uint8_t bytes[3 * 65536];
	size_t len;
	size_t count;
};

static void
frame_cb(void *arg, const uint8_t *msg, size_t len)
{
	struct frames *f = arg;

	if (len < DNS_HEADER_LEN || msg == NULL)
		abort();
	f->count++;
	/* what arrived, in order (bounded) */
	if (f->len + 2 + len <= sizeof(f->bytes)) {
		dnsmsg_put16(f->bytes + f->len, (uint16_t)len);
		memcpy(f->bytes + f->len + 2, msg, len);
		f->len += 2 + len;
	}
}

/* Feeds stream in chunks; returns 1 if framing failed (-1). */
static int
feed(const uint8_t *stream, size_t n, const uint8_t *sizes, size_t nsizes,
    struct frames *f)
{
	struct evbuffer *in = evbuffer_new();
	size_t off = 0, i = 0;
	int bad = 0;

	if (in == NULL)
		abort();
	while (off < n && !bad) {
		size_t chunk = n;

		if (nsizes > 0) {
			chunk = sizes[i++ % nsizes];
			if (chunk == 0)
				chunk = 256;
		}

		if (chunk > n - off)
			chunk = n - off;
		evbuffer_add(in, stream + off, chunk);
		off += chunk;
		bad = dot_read_frames(in, frame_cb, f) == -1;
	}
	evbuffer_free(in);
	return bad;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct frames whole, split;
	size_t nsizes;
	int bad_whole, bad_split;

	if (len < 1)
		return 0;
	nsizes = data[0] & 15;
	if (len < 1 + nsizes)
		return 0;
	memset(&whole, 0, sizeof(whole));
	memset(&split, 0, sizeof(split));
	bad_whole = feed(data + 1 + nsizes, len - 1 - nsizes, NULL, 0, &whole);
	bad_split = feed(data + 1 + nsizes, len - 1 - nsizes, data + 1, nsizes,
	    &split);
	if (bad_whole != bad_split || whole.count != split.count ||
	    whole.len != split.len || memcmp(whole.bytes, split.bytes,
	    whole.len) != 0)
		abort();
	return 0;
}
