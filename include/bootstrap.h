/* SPDX-License-Identifier: ISC */
/*
 * Resolution of DoH upstream host names that have no 'address': asks the
 * 'bootstrap' servers with c-ares, in plaintext (said in the log; the
 * certificate checks still apply to every address found). Every name is
 * looked up at once (A and AAAA), on the event loop: nothing blocks. The
 * caller (generation.c) decides what to do with the answers.
 */
#ifndef CTSTUB_BOOTSTRAP_H
#define CTSTUB_BOOTSTRAP_H

#include <netinet/in.h>
#include <stddef.h>

#define BOOTSTRAP_MAX_ADDRS 8

struct conf;
struct conf_upstream;
struct event_base;
struct bootstrap;

/* One host name and what the bootstrap servers said about it. */
struct bootstrap_name {
	char *host;
	char ips[BOOTSTRAP_MAX_ADDRS][INET6_ADDRSTRLEN];	/* sorted */
	size_t nips;			/* 0: not resolved (error says why) */
	char error[120];
	int pending;			/* lookups (A, AAAA) not done */
};

/* Called once every name is done or the time (timeout_ms) is up. */
typedef void (*bootstrap_done_fn)(struct bootstrap *b, void *arg);

/* Does u take its addresses from the bootstrap servers? */
int bootstrap_wants(const struct conf_upstream *u);

/*
 * Starts looking up every name of c's upstreams that bootstrap_wants()
 * through c's bootstrap servers. done runs later from the loop, never
 * from this call; the caller frees b (after done, or to cancel). NULL with
 * err when c-ares cannot be set up or c has no such name.
 */
struct bootstrap *bootstrap_start(struct event_base *base,
    const struct conf *c, bootstrap_done_fn done, void *arg, char *err,
    size_t errlen);

/*
 * One name looked up at servers ("IP:PORT,[IPv6]:PORT", c-ares's CSV)
 * within timeout_ms, the same way: for SCT auditing, which asks ctstub's
 * own listener, so a log's host name is resolved through the verified
 * upstreams (servers NULL or "": the system's resolvers, for `ctstub
 * check --audit`). done and freeing as for bootstrap_start.
 */
struct bootstrap *bootstrap_lookup(struct event_base *base, const char *host,
    const char *servers, unsigned timeout_ms, bootstrap_done_fn done,
    void *arg, char *err, size_t errlen);

/* The names looked up (valid until bootstrap_free). */
size_t bootstrap_count(const struct bootstrap *b);
const struct bootstrap_name *bootstrap_name(const struct bootstrap *b,
    size_t i);
/* The entry for host, or NULL. */
const struct bootstrap_name *bootstrap_find(const struct bootstrap *b,
    const char *host);

/* Cancels what is still running (done is not called) and frees; NULL-safe. */
void bootstrap_free(struct bootstrap *b);

#endif
