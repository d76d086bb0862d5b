/* SPDX-License-Identifier: ISC */
/*
 * An HTTP/1.1 response parser for fetch.c: status line, headers (the few
 * a client acts on), and a body delimited by Content-Length, chunked
 * transfer coding or the end of the connection, capped at a size the
 * caller gives. It reads whatever bytes have arrived and says whether it
 * needs more; the bytes are untrusted (fuzzed by tests/fuzz/fuzz_http1.c).
 */
#ifndef CTSTUB_HTTP1_H
#define CTSTUB_HTTP1_H

#include <stddef.h>
#include <sys/types.h>

#include <event2/buffer.h>

#define HTTP1_MAX_HEADERS 16384		/* status line and headers */
#define HTTP1_MAX_LOCATION 2048

enum http1_stage { HTTP1_STATUS, HTTP1_HEADERS, HTTP1_BODY, HTTP1_CHUNK_SIZE,
    HTTP1_CHUNK_DATA, HTTP1_CHUNK_END, HTTP1_TRAILERS, HTTP1_COMPLETE };

enum http1_rc { HTTP1_MORE, HTTP1_DONE, HTTP1_ERROR };

/*
 * One response. Zero it and set max_body, then call http1_parse() as bytes
 * arrive. body is owned by the struct (http1_clear). error is one line
 * when http1_parse() returned HTTP1_ERROR.
 */
struct http1_response {
	size_t max_body;
	enum http1_stage stage;
	int status;			/* 200, ... */
	off_t content_length;		/* -1: none given */
	int chunked;
	size_t chunk_left;
	size_t header_bytes;
	char content_type[128];		/* "" when absent */
	char content_encoding[64];
	char location[HTTP1_MAX_LOCATION];
	struct evbuffer *body;
	char error[200];
};

/* Resets r for a new response with this body cap. 0 or -1 (memory). */
int http1_init(struct http1_response *r, size_t max_body);

/*
 * Consumes what it can from in. eof: the peer closed cleanly (ends a body
 * without a length; anywhere else the response is truncated). Returns
 * HTTP1_DONE once the whole response is in (status, headers, body).
 */
enum http1_rc http1_parse(struct http1_response *r, struct evbuffer *in,
    int eof);

/* Frees the body; NULL-safe, idempotent. */
void http1_clear(struct http1_response *r);

#endif
