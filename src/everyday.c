/* SPDX-License-Identifier: ISC */
/* Control-socket commands for every day: query, flush, reset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "cache.h"
#include "dnsmsg.h"
#include "everyday.h"
#include "log.h"
#include "query.h"
#include "server.h"
#include "status.h"
#include "upstream.h"
#include "zones.h"

#define NAME_TEXT_MAX 1025	/* a name with every octet escaped, and NUL */

struct everyday_query {
	struct query_watch watch;	/* first: the watch is the query */
	struct everyday_query **slot;	/* the asker's pointer to this */
	struct server *srv;
	uint64_t started_us;
	void (*done_cb)(char *reply, void *arg);
	void *arg;
};

static char *
result(int ok, const char *message)
{
	char *out = NULL;

	status_result_json(ok, message, &out);
	return out;
}

/* Splits args into a name and an optional number; -1 when malformed. */
static int
parse_args(const char *args, char name[NAME_TEXT_MAX], long *number)
{
	char rest[32] = "", *end;
	int n = args ? sscanf(args, "%1024s %31s", name, rest) : 0;

	if (n < 1)
		return 0;
	if (n == 2) {
		*number = strtol(rest, &end, 10);
		if (*end != '\0' || *number < 0 || *number > 65535)
			return -1;
	}
	return n;
}

char *
everyday_flush(struct server *srv, const char *args)
{
	char name[NAME_TEXT_MAX], msg[NAME_TEXT_MAX + 64];
	uint8_t q[DNS_HEADER_LEN + 300];
	long unused = 0;
	size_t len, end, gone;
	int n = parse_args(args, name, &unused);

	if (n == 0) {
		gone = cache_flush(srv->cache, NULL, 0);
		snprintf(msg, sizeof(msg), "cache flushed: %zu answer(s) "
		    "dropped", gone);
		log_info("%s (ctstub flush)", msg);
		return result(1, msg);
	}
	if (n != 1 || (len = dnsmsg_make_query(name, 1, q, sizeof(q))) == 0 ||
	    (end = dnsmsg_skip_name(q, len, DNS_HEADER_LEN)) == 0)
		return result(0, "flush: not a domain name");
	gone = cache_flush(srv->cache, q + DNS_HEADER_LEN, end -
	    DNS_HEADER_LEN);
	snprintf(msg, sizeof(msg), "%s flushed: %zu answer(s) dropped", name,
	    gone);
	log_info("%s (ctstub flush)", msg);
	return result(1, msg);
}

char *
everyday_reset(struct server *srv)
{
	char msg[80];
	size_t ended = upstream_set_end_backoffs(srv->upstreams,
	    "ctstub reset") + zones_end_backoffs(srv->zones, "ctstub reset");

	snprintf(msg, sizeof(msg), "%zu back-off(s) ended", ended);
	log_info("%s (ctstub reset)", msg);
	return result(1, msg);
}

static char *
answer_json(const struct everyday_query *eq, const uint8_t *msg, size_t len,
    const char *source)
{
	char *b64 = malloc(4 * ((len + 2) / 3) + 1), *out = NULL;
	double ms = (double)(server_now_us(eq->srv) - eq->started_us) / 1000;
	json_t *doc;

	if (len == 0) {		/* dropped: no answer to show */
		free(b64);
		status_result_json(0, "the daemon dropped the query", &out);
		return out;
	}
	if (b64 == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)b64, msg, (int)len);
	doc = json_pack("{s:b, s:s, s:i, s:s, s:b, s:f, s:s}", "ok", 1,
	    "message", "answered", "rcode", dnsmsg_rcode(msg, len), "source",
	    source, "cached", strncmp(source, "cache", 5) == 0, "time_ms", ms,
	    "answer", b64);
	free(b64);
	if (doc != NULL) {
		char *text = json_dumps(doc, 0);

		if (text != NULL && (out = malloc(strlen(text) + 2)) != NULL)
			sprintf(out, "%s\n", text);
		free(text);
	}
	json_decref(doc);
	return out;
}

static void
answered_cb(struct query_watch *w, const uint8_t *msg, size_t len,
    const char *source)
{
	struct everyday_query *eq = (struct everyday_query *)w;
	void (*done_cb)(char *, void *) = eq->done_cb;
	void *arg = eq->arg;
	char *reply = answer_json(eq, msg, len, source);

	*eq->slot = NULL;
	free(eq);
	done_cb(reply, arg);
}

void
everyday_query_start(struct server *srv, const char *args,
    struct everyday_query **slot, void (*done_cb)(char *reply, void *arg),
    void *arg)
{
	char name[NAME_TEXT_MAX];
	uint8_t msg[DNS_HEADER_LEN + 300];
	struct query_origin origin;
	struct everyday_query *eq;
	long type = 1;
	size_t len;

	*slot = NULL;
	if (parse_args(args, name, &type) < 1 ||
	    (len = dnsmsg_make_query(name, (uint16_t)type, msg,
	    sizeof(msg))) == 0) {
		done_cb(result(0, "query: usage: query NAME [TYPE-NUMBER]"),
		    arg);
		return;
	}
	if ((eq = calloc(1, sizeof(*eq))) == NULL) {
		done_cb(result(0, "query: out of memory"), arg);
		return;
	}
	eq->watch.done_cb = answered_cb;
	eq->slot = slot;
	eq->srv = srv;
	eq->started_us = server_now_us(srv);
	eq->done_cb = done_cb;
	eq->arg = arg;
	*slot = eq;
	memset(&origin, 0, sizeof(origin));
	origin.watch = &eq->watch;
	query_start(srv, msg, len, &origin);
}

void
everyday_query_free(struct everyday_query *eq)
{
	if (eq == NULL)
		return;
	query_unwatch(&eq->watch);
	*eq->slot = NULL;
	free(eq);
}
