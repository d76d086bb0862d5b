/* SPDX-License-Identifier: ISC */
/*
 * The daemon side of the everyday commands on the control socket:
 * "query NAME TYPE" (resolved as a client query is, cache included),
 * "flush [NAME]" and "reset" (every back-off ends, as on a network
 * change). Replies are JSON documents, newline-terminated, that the
 * caller frees: {"ok", "message"} (status_result_json), and for a query
 * also "rcode", "source", "cached", "time_ms" and "answer" (the DNS
 * message in base64).
 */
#ifndef CTSTUB_EVERYDAY_H
#define CTSTUB_EVERYDAY_H

struct server;
struct everyday_query;

/* args: "NAME" or nothing (the whole cache). */
char *everyday_flush(struct server *srv, const char *args);
char *everyday_reset(struct server *srv);

/*
 * Starts "query" with args "NAME TYPE" (TYPE a number). done_cb gets the
 * reply (which it frees) exactly once, maybe before this returns; *slot
 * holds the query in flight and is NULL again before done_cb runs.
 */
void everyday_query_start(struct server *srv, const char *args,
    struct everyday_query **slot, void (*done_cb)(char *reply, void *arg),
    void *arg);
/* The asker left: done_cb will not run; *slot is NULL after. NULL-safe. */
void everyday_query_free(struct everyday_query *eq);

#endif
