/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer: the DoH client (doh.c) fed what a hostile server might send.
 * One DoH connection with no TLS under it (doh_open_plain) carries three
 * queries (HTTP/2 streams 1, 3, 5); the input is the server's byte stream
 * (preface SETTINGS, HEADERS, DATA, RST_STREAM, GOAWAY...), handed to
 * ctstub's nghttp2 callbacks in pieces whose sizes come from its first
 * byte. Then the connection is closed; every query must end (answered or
 * SERVFAIL) with nothing left in flight, and ASan watches the rest.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "conf.h"
#include "dnsmsg.h"
#include "log.h"
#include "query.h"
#include "server.h"
#include "transport.h"
#include "upstream.h"
#include "verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static struct server srv;
static struct conf conf;
static struct verify_policy policy;

/* DoH, except that no new connection is made: no sockets while fuzzing. */
static void *
fuzz_open(struct upstream *up)
{
	upstream_failed(up, "fuzz: no new connection", 0);
	return NULL;
}

static void
fuzz_send(void *conn, struct query *q)
{
	transport_doh.send(conn, q);
}

static void
fuzz_cancel(void *conn, struct query *q)
{
	transport_doh.cancel(conn, q);
}

static void
fuzz_close(void *conn, const char *reason, enum query_retry retry)
{
	transport_doh.close(conn, reason, retry);
}

static const struct transport fuzz_transport = {
	"DoH", fuzz_open, fuzz_send, fuzz_cancel, fuzz_close
};

static void
setup(void)
{
	static const struct timeval never = { 3600, 0 };
	char err[300];

	if (conf_load_string("fuzz", "upstream https://127.0.0.1/dns-query\n"
	    "cache-size 0\n", &conf, stderr) != 0)
		abort();
	srv.base = event_base_new();
	srv.conf = &conf;
	srv.cache = server_cache_new(&conf);
	srv.upstreams = upstream_set_new(&srv, &conf, &policy, err,
	    sizeof(err));
	srv.attempt_timeout = &never;
	if (srv.base == NULL || srv.cache == NULL || srv.upstreams == NULL)
		abort();
	srv.upstreams->list[0].transport = &fuzz_transport;
	log_init(1, getenv("FUZZ_VERBOSE") != NULL);
}

static void
ask(const char *label, uint16_t id)
{
	static const struct query_origin nowhere;	/* replies dropped */
	uint8_t msg[64];
	size_t n = DNS_HEADER_LEN, l = strlen(label);

	memset(msg, 0, sizeof(msg));
	dnsmsg_put16(msg, id);
	dnsmsg_put16(msg + 2, 0x0100);
	dnsmsg_put16(msg + 4, 1);
	msg[n++] = (uint8_t)l;
	memcpy(msg + n, label, l);
	n += l;
	memcpy(msg + n, "\7example\4test\0\0\1\0\1", 18);
	query_start(&srv, msg, n + 18, &nowhere);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct upstream *up;
	struct evbuffer *in;
	size_t off = 1, piece;

	if (srv.base == NULL)
		setup();
	if (len < 1)
		return 0;
	up = &srv.upstreams->list[0];
	up->backoff_ms = 0;
	up->retry_at_ms = 0;
	up->conn = doh_open_plain(up);
	if (up->conn == NULL)
		abort();
	ask("www", 1);
	ask("mail", 2);
	ask("txt", 3);
	piece = data[0] ? data[0] : len;
	in = evbuffer_new();
	while (off < len && up->conn != NULL) {
		size_t n = len - off < piece ? len - off : piece;

		evbuffer_add(in, data + off, n);
		off += n;
		doh_feed(up->conn, in);
	}
	evbuffer_free(in);
	/* whatever is left: the connection goes, its queries end */
	srv.stopping = 1;
	if (up->conn != NULL)
		transport_doh.close(up->conn, "fuzz: done", QUERY_NO_RETRY);
	while (up->detached != NULL)
		transport_doh.close(up->detached, "fuzz: done",
		    QUERY_NO_RETRY);
	srv.stopping = 0;
	if (srv.inflight != 0)
		abort();
	return 0;
}
