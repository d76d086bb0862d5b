/* SPDX-License-Identifier: ISC */
/* HTTP/1.1 responses, parsed incrementally from an evbuffer. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http1.h"

static enum http1_rc	fail(struct http1_response *, const char *, ...)
			    __attribute__((format(printf, 2, 3)));

static enum http1_rc
fail(struct http1_response *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	return HTTP1_ERROR;
}

int
http1_init(struct http1_response *r, size_t max_body)
{
	http1_clear(r);
	memset(r, 0, sizeof(*r));
	r->max_body = max_body;
	r->content_length = -1;
	r->body = evbuffer_new();
	return r->body != NULL ? 0 : -1;
}

void
http1_clear(struct http1_response *r)
{
	if (r == NULL || r->body == NULL)
		return;
	evbuffer_free(r->body);
	r->body = NULL;
}

/*
 * The next line (CRLF or LF) within the header budget, NUL-terminated
 * and without its end; NULL when it has not all arrived (*err set when it
 * never can).
 */
static char *
next_line(struct http1_response *r, struct evbuffer *in, int *err)
{
	size_t len;
	char *line;

	*err = 0;
	line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
	if (line == NULL) {
		if (r->header_bytes + evbuffer_get_length(in) >
		    HTTP1_MAX_HEADERS)
			*err = 1;
		return NULL;
	}
	r->header_bytes += len + 2;
	if (r->header_bytes > HTTP1_MAX_HEADERS || strlen(line) != len) {
		free(line);
		*err = 1;
		return NULL;
	}
	return line;
}

static enum http1_rc
parse_status(struct http1_response *r, const char *line)
{
	int code;

	if (strncmp(line, "HTTP/1.", 7) != 0 || (line[7] != '0' &&
	    line[7] != '1') || line[8] != ' ' || !isdigit((unsigned char)
	    line[9]) || !isdigit((unsigned char)line[10]) ||
	    !isdigit((unsigned char)line[11]) || (line[12] != ' ' &&
	    line[12] != '\0'))
		return fail(r, "not an HTTP/1.x status line");
	code = (line[9] - '0') * 100 + (line[10] - '0') * 10 + line[11] - '0';
	if (code < 100 || code > 599)
		return fail(r, "bad HTTP status %d", code);
	r->status = code;
	return HTTP1_MORE;
}

/* Copies value (spaces trimmed) into out; -1 if it does not fit. */
static int
copy_value(const char *value, char *out, size_t len)
{
	size_t n;

	while (*value == ' ' || *value == '\t')
		value++;
	n = strlen(value);
	while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
		n--;
	if (n >= len)
		return -1;
	memcpy(out, value, n);
	out[n] = '\0';
	return 0;
}

static enum http1_rc
parse_length(struct http1_response *r, const char *value)
{
	char digits[24];
	off_t n = 0;
	size_t i;

	if (copy_value(value, digits, sizeof(digits)) == -1 || digits[0] == 0)
		return fail(r, "bad Content-Length");
	for (i = 0; digits[i] != '\0'; i++) {
		if (!isdigit((unsigned char)digits[i]) || n > 1000000000000LL)
			return fail(r, "bad Content-Length");
		n = n * 10 + (digits[i] - '0');
	}
	if (r->content_length != -1 && r->content_length != n)
		return fail(r, "conflicting Content-Length headers");
	r->content_length = n;
	return HTTP1_MORE;
}

static enum http1_rc
parse_header(struct http1_response *r, char *line)
{
	char *colon = strchr(line, ':'), *value;
	char coding[32];

	if (colon == NULL || colon == line)
		return fail(r, "malformed header line");
	*colon = '\0';
	value = colon + 1;
	if (strcasecmp(line, "Content-Length") == 0)
		return parse_length(r, value);
	if (strcasecmp(line, "Transfer-Encoding") == 0) {
		if (copy_value(value, coding, sizeof(coding)) == -1 ||
		    strcasecmp(coding, "chunked") != 0)
			return fail(r, "unsupported Transfer-Encoding");
		r->chunked = 1;
	} else if (strcasecmp(line, "Content-Type") == 0) {
		if (copy_value(value, r->content_type,
		    sizeof(r->content_type)) == -1)
			return fail(r, "Content-Type too long");
	} else if (strcasecmp(line, "Content-Encoding") == 0) {
		if (copy_value(value, r->content_encoding,
		    sizeof(r->content_encoding)) == -1)
			return fail(r, "Content-Encoding too long");
	} else if (strcasecmp(line, "Location") == 0) {
		if (copy_value(value, r->location, sizeof(r->location)) == -1)
			return fail(r, "Location too long");
	}
	return HTTP1_MORE;
}

/* The headers are in: where the body starts, or the next response. */
static enum http1_rc
end_headers(struct http1_response *r)
{
	if (r->status < 200) {		/* 100 Continue and friends */
		size_t max = r->max_body;

		http1_clear(r);
		if (http1_init(r, max) == -1)
			return fail(r, "out of memory");
		return HTTP1_MORE;
	}
	if (r->chunked && r->content_length != -1)
		return fail(r, "both Content-Length and chunked");
	if (r->status == 204 || r->status == 304 || r->content_length == 0) {
		r->stage = HTTP1_COMPLETE;
		return HTTP1_DONE;
	}
	if (r->content_length > (off_t)r->max_body)
		return fail(r, "body of %lld bytes is over the limit of %zu",
		    (long long)r->content_length, r->max_body);
	r->stage = r->chunked ? HTTP1_CHUNK_SIZE : HTTP1_BODY;
	return HTTP1_MORE;
}

static enum http1_rc
parse_head(struct http1_response *r, struct evbuffer *in, int eof)
{
	enum http1_rc rc = HTTP1_MORE;
	char *line;
	int err;

	while (rc == HTTP1_MORE && (r->stage == HTTP1_STATUS ||
	    r->stage == HTTP1_HEADERS)) {
		if ((line = next_line(r, in, &err)) == NULL) {
			if (err)
				return fail(r, "headers over %d bytes or "
				    "malformed", HTTP1_MAX_HEADERS);
			return eof ? fail(r, "connection closed in the "
			    "headers") : HTTP1_MORE;
		}
		if (r->stage == HTTP1_STATUS) {
			rc = parse_status(r, line);
			r->stage = HTTP1_HEADERS;
		} else if (line[0] == '\0')
			rc = end_headers(r);
		else
			rc = parse_header(r, line);
		free(line);
	}
	return rc;
}

/* Moves up to want bytes of in to the body, within the cap. */
static enum http1_rc
take_body(struct http1_response *r, struct evbuffer *in, size_t want,
    size_t *taken)
{
	size_t n = evbuffer_get_length(in);

	if (n > want)
		n = want;
	if (evbuffer_get_length(r->body) + n > r->max_body)
		return fail(r, "body over the limit of %zu bytes", r->max_body);
	if (evbuffer_remove_buffer(in, r->body, n) != (int)n)
		return fail(r, "out of memory");
	*taken = n;
	return HTTP1_MORE;
}

static enum http1_rc
parse_plain_body(struct http1_response *r, struct evbuffer *in, int eof)
{
	size_t have = evbuffer_get_length(r->body), taken;
	size_t want = r->content_length >= 0 ?
	    (size_t)r->content_length - have : (size_t)-1;

	if (take_body(r, in, want, &taken) == HTTP1_ERROR)
		return HTTP1_ERROR;
	if (r->content_length >= 0 &&
	    evbuffer_get_length(r->body) == (size_t)r->content_length) {
		r->stage = HTTP1_COMPLETE;
		return HTTP1_DONE;
	}
	if (!eof)
		return HTTP1_MORE;
	if (r->content_length >= 0)
		return fail(r, "connection closed after %zu of %lld bytes",
		    evbuffer_get_length(r->body),
		    (long long)r->content_length);
	r->stage = HTTP1_COMPLETE;	/* delimited by the (clean) close */
	return HTTP1_DONE;
}

static enum http1_rc
parse_chunk_size(struct http1_response *r, char *line)
{
	char *end;
	unsigned long long n;

	if (!isxdigit((unsigned char)line[0]))
		return fail(r, "bad chunk size");
	n = strtoull(line, &end, 16);
	if (*end != '\0' && *end != ';' && *end != ' ' && *end != '\t')
		return fail(r, "bad chunk size");
	if (n > r->max_body || evbuffer_get_length(r->body) + n > r->max_body)
		return fail(r, "body over the limit of %zu bytes", r->max_body);
	r->chunk_left = (size_t)n;
	r->stage = n == 0 ? HTTP1_TRAILERS : HTTP1_CHUNK_DATA;
	return HTTP1_MORE;
}

/* Chunk-size lines, CRLF after data and trailers: lines of their own. */
static enum http1_rc
parse_chunk_line(struct http1_response *r, struct evbuffer *in, int eof)
{
	enum http1_rc rc = HTTP1_MORE;
	char *line;
	int err;

	/* chunk framing counts against the header budget's size per line */
	r->header_bytes = 0;
	if ((line = next_line(r, in, &err)) == NULL) {
		if (err)
			return fail(r, "malformed chunk framing");
		return eof ? fail(r, "connection closed in a chunked body "
		    "after %zu bytes", evbuffer_get_length(r->body)) :
		    HTTP1_MORE;
	}
	if (r->stage == HTTP1_CHUNK_SIZE)
		rc = parse_chunk_size(r, line);
	else if (r->stage == HTTP1_CHUNK_END) {
		if (line[0] != '\0')
			rc = fail(r, "chunk data longer than its size");
		r->stage = HTTP1_CHUNK_SIZE;
	} else if (line[0] == '\0') {	/* end of the trailers */
		r->stage = HTTP1_COMPLETE;
		rc = HTTP1_DONE;
	}
	free(line);
	return rc;
}

static enum http1_rc
truncated(struct http1_response *r, int eof)
{
	return eof ? fail(r, "connection closed in a chunked body after %zu "
	    "bytes", evbuffer_get_length(r->body)) : HTTP1_MORE;
}

static enum http1_rc
parse_chunked(struct http1_response *r, struct evbuffer *in, int eof)
{
	enum http1_rc rc = HTTP1_MORE;
	size_t before, taken;

	while (rc == HTTP1_MORE) {
		before = evbuffer_get_length(in);
		if (before == 0)
			return truncated(r, eof);
		if (r->stage != HTTP1_CHUNK_DATA) {
			rc = parse_chunk_line(r, in, eof);
			if (rc == HTTP1_MORE &&
			    evbuffer_get_length(in) == before)
				return HTTP1_MORE;	/* a partial line */
			continue;
		}
		if (take_body(r, in, r->chunk_left, &taken) == HTTP1_ERROR)
			return HTTP1_ERROR;
		r->chunk_left -= taken;
		if (r->chunk_left == 0)
			r->stage = HTTP1_CHUNK_END;
	}
	return rc;
}

enum http1_rc
http1_parse(struct http1_response *r, struct evbuffer *in, int eof)
{
	enum http1_rc rc;

	if (r->stage == HTTP1_COMPLETE)
		return HTTP1_DONE;
	if (r->body == NULL)
		return fail(r, "out of memory");
	if (r->stage == HTTP1_STATUS || r->stage == HTTP1_HEADERS) {
		rc = parse_head(r, in, eof);
		if (rc != HTTP1_MORE || r->stage == HTTP1_STATUS ||
		    r->stage == HTTP1_HEADERS)
			return rc;
	}
	if (r->stage == HTTP1_BODY)
		return parse_plain_body(r, in, eof);
	return parse_chunked(r, in, eof);
}
