/* SPDX-License-Identifier: ISC */
/*
 * auditjob: one SCT's inclusion proof, fetched from its log over HTTPS
 * (fetch.c) on the caller's event loop and checked with merkle.c,
 * ctentry.c, sth.c and checkpoint.c.
 *
 * Tiled (static-ct-api) log: the checkpoint (signature checked with the
 * log's key), the data tile holding the SCT's leaf_index (the entry must
 * be this certificate's, gzip accepted), then the hash tiles the
 * inclusion proof needs. RFC 6962 log: get-sth (signature checked), then
 * get-proof-by-hash with the entry's leaf hash. Both: a tree head is
 * compared with the largest one kept for the log (struct audit_head,
 * the caller's, updated on success): smaller is a shrunk tree, the same
 * size with another root a fork, larger needs a consistency proof (from
 * the tiles, or get-sth-consistency).
 *
 * A log URL with a host name is dialled at the address the caller looked
 * up (auditjob_log.ip); a redirect to another host fails.
 *
 * Outcomes: included; pending (the tree head is not yet MMD past the
 * SCT); unreachable (the log could not be asked, or answered something
 * unsigned that makes no sense: try again later); not included (a proof
 * that the log broke its promise: see auditjob_outcome).
 */
#ifndef CTSTUB_AUDITJOB_H
#define CTSTUB_AUDITJOB_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "checkpoint.h"
#include "ctentry.h"
#include "merkle.h"

#define AUDITJOB_TIMEOUT_MS	10000
#define AUDITJOB_REASON_MAX	256

struct event_base;
struct auditjob;

/* The largest tree head of a log seen so far. */
struct audit_head {
	int		have;
	uint64_t	size;
	uint64_t	timestamp_ms;
	unsigned char	root[MERKLE_HASH_LEN];
};

/* What the job needs to know about the log; strings copied by start. */
struct auditjob_log {
	const char	*name;		/* for messages */
	const unsigned char *id;	/* 32 bytes */
	EVP_PKEY	*key;		/* the job takes a reference */
	int		 tiled;
	const char	*base_url;	/* monitoring_url, or url */
	const char	*ip;		/* where its host is; NULL: an IP */
	const char	*origin;	/* tiled: the checkpoint origin */
	long		 mmd;		/* seconds */
};

enum auditjob_outcome {
	AUDITJOB_INCLUDED,
	AUDITJOB_PENDING,
	AUDITJOB_UNREACHABLE,
	AUDITJOB_NOT_INCLUDED
};

struct auditjob_result {
	enum auditjob_outcome outcome;
	char		reason[AUDITJOB_REASON_MAX];
	uint64_t	tree_size;	/* the tree it was checked against */
};

typedef void (*auditjob_done_fn)(const struct auditjob_result *res,
    void *arg);

/*
 * Starts proving that entry (the SCT's, timestamp ts_ms, extensions ext)
 * is in the log. kept must live until done; entry and ext are copied.
 * done runs once, from the loop; it may free the job. NULL when out of
 * memory.
 */
struct auditjob	*auditjob_start(struct event_base *base, SSL_CTX *ctx,
		    const struct auditjob_log *log, const struct ctentry *entry,
		    uint64_t ts_ms, const unsigned char *ext, size_t ext_len,
		    struct audit_head *kept, auditjob_done_fn done, void *arg);

/* Cancels (done is not called) and frees; NULL-safe. */
void		 auditjob_free(struct auditjob *j);

/*
 * Compares a verified tree head with the kept one: 0 same tree or needs
 * a consistency proof (*need set), -1 with reason for a shrunk or forked
 * tree.
 */
int		 auditjob_compare_heads(const struct audit_head *kept,
		    const struct audit_head *h, int *need, char *reason,
		    size_t len);

/*
 * "ct/v1/get-proof-by-hash?hash=B64&tree_size=N" with '+', '/' and '='
 * percent-escaped (at most 29 + 3 * 44 + 31 bytes: give 256).
 */
void		 auditjob_proof_path(const unsigned char *leaf_hash,
		    uint64_t size, char *path, size_t len);

/* The host of an https URL into host: 1 an IP address, 0 a name, -1. */
int		 auditjob_url_host(const char *url, char *host, size_t len);

/* Inflates a gzip body into a new buffer (at most max bytes); -1. */
int		 auditjob_gunzip(const unsigned char *in, size_t len,
		    size_t max, unsigned char **out, size_t *out_len);

#endif
