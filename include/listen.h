/* SPDX-License-Identifier: ISC */
/*
 * Plain DNS listeners: UDP and TCP (RFC 7766 framing, several queries per
 * connection, idle timeout, client limit). listen.c owns the sockets and
 * the TCP clients; a TCP client tracks (does not own) its queries so that
 * they are detached when it goes away.
 */
#ifndef CTSTUB_LISTEN_H
#define CTSTUB_LISTEN_H

#include <stddef.h>
#include <stdint.h>

struct conf;
struct listen_set;
struct query;
struct query_origin;
struct server;

/* Binds every listen address (before privileges are dropped). */
struct listen_set *listen_bind(const struct conf *conf, char *err,
    size_t errlen);
/* Starts serving on srv->base. */
int listen_start(struct listen_set *set, struct server *srv);
void listen_free(struct listen_set *set);

/* Sends an answer to where a query came from (dropped if gone). */
void listen_send(const struct query_origin *origin, const uint8_t *msg,
    size_t len);
/* A TCP query starts/stops being outstanding on its client. */
void listen_track(struct query *q);
void listen_untrack(struct query *q);

#endif
