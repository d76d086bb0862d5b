/* SPDX-License-Identifier: ISC */
/*
 * One SCT's inclusion proof from its log, step by step over fetch.c
 * (see include/auditjob.h).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <zlib.h>

#include "auditjob.h"
#include "fetch.h"
#include "sth.h"

#define MAX_TILE_BODY	(8u << 20)	/* a data tile, after gzip */
#define MAX_JSON_BODY	STH_MAX_JSON

enum step {
	STEP_HEAD,		/* checkpoint or get-sth */
	STEP_CONSISTENCY,	/* get-sth-consistency */
	STEP_PROOF,		/* get-proof-by-hash */
	STEP_DATA,		/* the data tile */
	STEP_TILE		/* a hash tile */
};

struct auditjob {
	struct event_base *base;
	SSL_CTX		*ctx;
	char		 name[96];
	unsigned char	 log_id[32];
	EVP_PKEY	*key;
	int		 tiled;
	char		 base_url[FETCH_MAX_URL];
	char		 ip[64];	/* the host's address; "": an IP */
	char		 host[256];	/* the URL's host */
	char		 origin[CHECKPOINT_ORIGIN_MAX];
	long		 mmd;
	struct ctentry	 entry;		/* our copy: data owned */
	uint64_t	 ts_ms;
	uint64_t	 index;		/* tiled: the SCT's leaf_index */
	struct audit_head *kept;
	struct audit_head old;		/* kept when this job started */
	struct audit_head head;		/* the tree head this job checks */
	int		 need_consistency;
	enum step	 step;
	struct merkle_tile_id want;	/* the tile being fetched */
	struct merkle_tile tiles[MERKLE_MAX_TILES];
	unsigned char	*bodies[MERKLE_MAX_TILES];
	size_t		 ntiles;
	struct fetch	*fetch;
	struct event	*finish;	/* runs done from the loop */
	struct auditjob_result res;
	auditjob_done_fn done;
	void		*arg;
};

static void	fetched_cb(struct fetch_result *, void *);
static void	next_tile(struct auditjob *);

static void
finish_cb(evutil_socket_t fd, short events, void *arg)
{
	struct auditjob *j = arg;

	j->done(&j->res, j->arg);
}

static void
end(struct auditjob *j, enum auditjob_outcome outcome, const char *fmt, ...)
{
	va_list ap;

	j->res.outcome = outcome;
	j->res.tree_size = j->head.size;
	va_start(ap, fmt);
	vsnprintf(j->res.reason, sizeof(j->res.reason), fmt, ap);
	va_end(ap);
	event_active(j->finish, 0, 0);
}

/* fetch's resolver: the address looked up for the log's own host. */
static int
resolve_cb(void *arg, const char *host, uint16_t port,
    struct conf_address *out, char *err, size_t errlen)
{
	struct auditjob *j = arg;

	if (strcmp(host, j->host) != 0 ||
	    conf_parse_address(j->ip, port, out) == -1) {
		snprintf(err, errlen, "%s: not the log's host %s", host,
		    j->host);
		return -1;
	}
	return 0;
}

static void
get(struct auditjob *j, enum step step, const char *path, size_t max)
{
	struct fetch_request req = { 0 };
	char url[FETCH_MAX_URL];

	snprintf(url, sizeof(url), "%s%s", j->base_url, path);
	req.url = url;
	req.ctx = j->ctx;
	req.max_body = max;
	req.timeout_ms = AUDITJOB_TIMEOUT_MS;
	if (j->ip[0] != '\0') {
		req.resolve = resolve_cb;
		req.resolve_arg = j;
	}
	j->step = step;
	fetch_free(j->fetch);
	if ((j->fetch = fetch_start(j->base, &req, fetched_cb, j)) == NULL)
		end(j, AUDITJOB_UNREACHABLE, "out of memory");
}

int
auditjob_compare_heads(const struct audit_head *kept,
    const struct audit_head *h, int *need, char *reason, size_t len)
{
	*need = 0;
	if (!kept->have)
		return 0;
	if (h->size < kept->size) {
		snprintf(reason, len, "the tree shrank: %llu entries signed "
		    "after %llu", (unsigned long long)h->size,
		    (unsigned long long)kept->size);
		return -1;
	}
	if (h->size == kept->size) {
		if (memcmp(h->root, kept->root, MERKLE_HASH_LEN) == 0)
			return 0;
		snprintf(reason, len, "a split view: two signed trees of %llu "
		    "entries with different roots",
		    (unsigned long long)h->size);
		return -1;
	}
	*need = 1;
	return 0;
}

void
auditjob_proof_path(const unsigned char *leaf_hash,
    uint64_t size, char *path, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	char b64[48], esc[3 * sizeof(b64)], *q = esc;
	const char *s;

	EVP_EncodeBlock((unsigned char *)b64, leaf_hash, MERKLE_HASH_LEN);
	for (s = b64; *s != '\0'; s++) {
		if (*s == '+' || *s == '/' || *s == '=') {
			*q++ = '%';
			*q++ = hex[(unsigned char)*s >> 4];
			*q++ = hex[*s & 15];
		} else
			*q++ = *s;
	}
	*q = '\0';
	snprintf(path, len, "ct/v1/get-proof-by-hash?hash=%s&tree_size=%llu",
	    esc, (unsigned long long)size);
}

/* Asks for what proves the entry in the verified head. */
static void
prove(struct auditjob *j)
{
	char path[256];

	if (j->head.timestamp_ms < j->ts_ms + (uint64_t)j->mmd * 1000 &&
	    (j->tiled ? j->index >= j->head.size : 0)) {
		end(j, AUDITJOB_PENDING, "the log's tree (%llu entries) is "
		    "not yet MMD past the SCT",
		    (unsigned long long)j->head.size);
		return;
	}
	if (!j->tiled && j->need_consistency) {
		snprintf(path, sizeof(path), "ct/v1/get-sth-consistency?"
		    "first=%llu&second=%llu", (unsigned long long)j->old.size,
		    (unsigned long long)j->head.size);
		get(j, STEP_CONSISTENCY, path, MAX_JSON_BODY);
		return;
	}
	if (!j->tiled) {
		auditjob_proof_path(j->entry.leaf_hash, j->head.size, path,
		    sizeof(path));
		get(j, STEP_PROOF, path, MAX_JSON_BODY);
		return;
	}
	if (j->index >= j->head.size) {
		end(j, AUDITJOB_NOT_INCLUDED, "entry %llu is not in the log's "
		    "tree of %llu entries, signed after the MMD",
		    (unsigned long long)j->index,
		    (unsigned long long)j->head.size);
		return;
	}
	merkle_tile_for(MERKLE_DATA_LEVEL, j->index, j->head.size, &j->want);
	merkle_tile_path(&j->want, path, sizeof(path));
	get(j, STEP_DATA, path, MAX_TILE_BODY);
}

/* A verified head: compare with the kept one, then prove. */
static void
have_head(struct auditjob *j)
{
	char reason[AUDITJOB_REASON_MAX];

	if (auditjob_compare_heads(j->kept, &j->head, &j->need_consistency,
	    reason, sizeof(reason)) == -1) {
		end(j, AUDITJOB_NOT_INCLUDED, "%s", reason);
		return;
	}
	j->old = *j->kept;
	prove(j);
}

static void
got_checkpoint(struct auditjob *j, const struct fetch_result *r)
{
	struct checkpoint c;
	char err[200];

	if (checkpoint_parse((const char *)r->body, r->body_len, j->log_id,
	    j->origin, &c, err, sizeof(err)) == -1) {
		end(j, AUDITJOB_UNREACHABLE, "%s", err);
		return;
	}
	if (checkpoint_verify(&c, j->key) == -1) {
		end(j, AUDITJOB_NOT_INCLUDED, "the checkpoint's signature does "
		    "not verify with the log's key");
		return;
	}
	j->head.have = 1;
	j->head.size = c.sth.size;
	j->head.timestamp_ms = c.sth.timestamp_ms;
	memcpy(j->head.root, c.sth.root, MERKLE_HASH_LEN);
	have_head(j);
}

static void
got_sth(struct auditjob *j, const struct fetch_result *r)
{
	struct sth s;
	char err[200];

	if (sth_parse_json((const char *)r->body, r->body_len, &s, err,
	    sizeof(err)) == -1) {
		end(j, AUDITJOB_UNREACHABLE, "%s", err);
		return;
	}
	if (sth_verify(&s, j->key) == -1) {
		end(j, AUDITJOB_NOT_INCLUDED, "the tree head's signature does "
		    "not verify with the log's key");
		return;
	}
	j->head.have = 1;
	j->head.size = s.size;
	j->head.timestamp_ms = s.timestamp_ms;
	memcpy(j->head.root, s.root, MERKLE_HASH_LEN);
	have_head(j);
}

/* The job's head is proven: keep it when it is the largest. */
static void
included(struct auditjob *j)
{
	if (!j->kept->have || j->head.size > j->kept->size)
		*j->kept = j->head;
	end(j, AUDITJOB_INCLUDED, "included in the tree of %llu entries",
	    (unsigned long long)j->head.size);
}

static void
got_consistency(struct auditjob *j, const struct fetch_result *r)
{
	unsigned char proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
	char err[200];
	size_t n;

	if (sth_parse_proof_json((const char *)r->body, r->body_len,
	    "consistency", proof, &n, NULL, err, sizeof(err)) == -1) {
		end(j, AUDITJOB_UNREACHABLE, "%s", err);
		return;
	}
	if (merkle_verify_consistency(j->old.size, j->head.size, j->old.root,
	    j->head.root, (const unsigned char (*)[MERKLE_HASH_LEN])proof,
	    n) == -1) {
		end(j, AUDITJOB_NOT_INCLUDED, "a split view: the tree of %llu "
		    "entries is not consistent with the one of %llu seen before",
		    (unsigned long long)j->head.size,
		    (unsigned long long)j->old.size);
		return;
	}
	j->need_consistency = 0;
	prove(j);
}

static void
got_proof(struct auditjob *j, const struct fetch_result *r)
{
	unsigned char proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
	char err[200];
	uint64_t idx;
	size_t n;

	if (sth_parse_proof_json((const char *)r->body, r->body_len,
	    "audit_path", proof, &n, &idx, err, sizeof(err)) == -1) {
		end(j, AUDITJOB_UNREACHABLE, "%s", err);
		return;
	}
	if (merkle_verify_inclusion(idx, j->head.size, j->entry.leaf_hash,
	    (const unsigned char (*)[MERKLE_HASH_LEN])proof, n,
	    j->head.root) == -1) {
		end(j, AUDITJOB_NOT_INCLUDED, "the inclusion proof for entry "
		    "%llu does not verify against the signed tree of %llu",
		    (unsigned long long)idx, (unsigned long long)j->head.size);
		return;
	}
	included(j);
}

/* get-proof-by-hash found nothing: a lie only once the MMD has passed. */
static void
proof_missing(struct auditjob *j, const struct fetch_result *r)
{
	if (j->head.timestamp_ms < j->ts_ms + (uint64_t)j->mmd * 1000) {
		end(j, AUDITJOB_PENDING, "not in the tree of %llu entries yet "
		    "(inside the MMD)", (unsigned long long)j->head.size);
		return;
	}
	end(j, AUDITJOB_NOT_INCLUDED, "not in the tree of %llu entries "
	    "signed after the MMD (get-proof-by-hash: HTTP %d)",
	    (unsigned long long)j->head.size, r->status);
}

/* The body, gunzipped when the log sent it gzip-encoded. */
static int
take_body(struct fetch_result *r, unsigned char **out, size_t *len)
{
	if (strcasecmp(r->content_encoding, "gzip") == 0) {
		if (auditjob_gunzip(r->body, r->body_len, MAX_TILE_BODY, out,
		    len) == -1)
			return -1;
		return 0;
	}
	if (r->content_encoding[0] != '\0' &&
	    strcasecmp(r->content_encoding, "identity") != 0)
		return -1;
	*out = r->body;
	*len = r->body_len;
	r->body = NULL;
	return 0;
}

static void
got_data(struct auditjob *j, struct fetch_result *r)
{
	const unsigned char *te;
	unsigned char *body;
	size_t len, te_len;
	int same;

	if (take_body(r, &body, &len) == -1) {
		end(j, AUDITJOB_UNREACHABLE, "data tile: bad encoding");
		return;
	}
	if (ctentry_tile_entry(body, len, (unsigned)(j->index %
	    MERKLE_TILE_WIDTH), &te, &te_len) == -1) {
		free(body);
		end(j, AUDITJOB_UNREACHABLE, "data tile: malformed or short");
		return;
	}
	same = te_len == j->entry.len && memcmp(te, j->entry.data,
	    te_len) == 0;
	free(body);
	if (!same) {
		end(j, AUDITJOB_NOT_INCLUDED, "entry %llu of the log is not "
		    "this certificate", (unsigned long long)j->index);
		return;
	}
	next_tile(j);
}

static void
got_tile(struct auditjob *j, struct fetch_result *r)
{
	struct merkle_tile *t;

	if (r->body_len != (size_t)j->want.width * MERKLE_HASH_LEN ||
	    j->ntiles == MERKLE_MAX_TILES) {
		end(j, AUDITJOB_UNREACHABLE, "hash tile of %zu bytes for "
		    "width %u", r->body_len, j->want.width);
		return;
	}
	t = &j->tiles[j->ntiles];
	t->id = j->want;
	t->hashes = r->body;
	j->bodies[j->ntiles++] = r->body;
	r->body = NULL;
	next_tile(j);
}

/* Proofs from the tiles so far; fetch the first one lacking. */
static void
next_tile(struct auditjob *j)
{
	unsigned char inc[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
	unsigned char con[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
	struct merkle_tiles t = { .size = j->head.size, .tiles = j->tiles,
	    .ntiles = j->ntiles };
	char path[MERKLE_PATH_MAX];
	size_t ni = 0, nc = 0;

	if (merkle_tiles_inclusion(&t, j->index, inc, &ni) == -1 ||
	    (j->need_consistency &&
	    merkle_tiles_consistency(&t, j->old.size, con, &nc) == -1)) {
		if (t.nmissing == 0 || t.nmissing == MERKLE_MAX_TILES) {
			end(j, AUDITJOB_UNREACHABLE, "cannot compute the proof "
			    "from tiles");
			return;
		}
		j->want = t.missing[0];
		merkle_tile_path(&j->want, path, sizeof(path));
		get(j, STEP_TILE, path, MERKLE_TILE_WIDTH * MERKLE_HASH_LEN);
		return;
	}
	if (j->need_consistency && merkle_verify_consistency(j->old.size,
	    j->head.size, j->old.root, j->head.root,
	    (const unsigned char (*)[MERKLE_HASH_LEN])con, nc) == -1) {
		end(j, AUDITJOB_NOT_INCLUDED, "a split view: the tree of %llu "
		    "entries is not consistent with the one of %llu seen before",
		    (unsigned long long)j->head.size,
		    (unsigned long long)j->old.size);
		return;
	}
	if (merkle_verify_inclusion(j->index, j->head.size, j->entry.leaf_hash,
	    (const unsigned char (*)[MERKLE_HASH_LEN])inc, ni,
	    j->head.root) == -1) {
		end(j, AUDITJOB_NOT_INCLUDED, "the tiles do not prove entry "
		    "%llu in the signed tree of %llu",
		    (unsigned long long)j->index,
		    (unsigned long long)j->head.size);
		return;
	}
	included(j);
}

/* A partial tile the log no longer serves: ask for the full one. */
static int
retry_full_tile(struct auditjob *j, const struct fetch_result *r)
{
	char path[MERKLE_PATH_MAX];

	if (r->status != 404 || j->want.width == MERKLE_TILE_WIDTH ||
	    (j->step != STEP_TILE && j->step != STEP_DATA))
		return 0;
	j->want.width = MERKLE_TILE_WIDTH;
	merkle_tile_path(&j->want, path, sizeof(path));
	get(j, j->step, path, j->step == STEP_DATA ? MAX_TILE_BODY :
	    MERKLE_TILE_WIDTH * MERKLE_HASH_LEN);
	return 1;
}

static void
fetched_cb(struct fetch_result *r, void *arg)
{
	struct auditjob *j = arg;

	if (!r->ok) {
		if (j->step == STEP_PROOF && (r->status == 404 ||
		    r->status == 400))
			proof_missing(j, r);
		else if (!retry_full_tile(j, r))
			end(j, AUDITJOB_UNREACHABLE, "%s", r->error);
		return;
	}
	switch (j->step) {
	case STEP_HEAD:
		if (j->tiled)
			got_checkpoint(j, r);
		else
			got_sth(j, r);
		break;
	case STEP_CONSISTENCY:
		got_consistency(j, r);
		break;
	case STEP_PROOF:
		got_proof(j, r);
		break;
	case STEP_DATA:
		got_data(j, r);
		break;
	case STEP_TILE:
		got_tile(j, r);
		break;
	}
}

static int
copy_entry(struct ctentry *dst, const struct ctentry *src)
{
	*dst = *src;
	if ((dst->data = malloc(src->len)) == NULL)
		return -1;
	memcpy(dst->data, src->data, src->len);
	return 0;
}

struct auditjob *
auditjob_start(struct event_base *base, SSL_CTX *ctx,
    const struct auditjob_log *log, const struct ctentry *entry,
    uint64_t ts_ms, const unsigned char *ext, size_t ext_len,
    struct audit_head *kept, auditjob_done_fn done, void *arg)
{
	struct auditjob *j = calloc(1, sizeof(*j));
	size_t n;

	if (j == NULL || copy_entry(&j->entry, entry) == -1 ||
	    (j->finish = event_new(base, -1, 0, finish_cb, j)) == NULL) {
		auditjob_free(j);
		return NULL;
	}
	j->base = base;
	SSL_CTX_up_ref(ctx);
	j->ctx = ctx;
	snprintf(j->name, sizeof(j->name), "%s", log->name);
	memcpy(j->log_id, log->id, sizeof(j->log_id));
	EVP_PKEY_up_ref(log->key);
	j->key = log->key;
	j->tiled = log->tiled;
	n = strlen(log->base_url);
	snprintf(j->base_url, sizeof(j->base_url), "%s%s", log->base_url,
	    n > 0 && log->base_url[n - 1] == '/' ? "" : "/");
	snprintf(j->origin, sizeof(j->origin), "%s",
	    log->origin ? log->origin : "");
	snprintf(j->ip, sizeof(j->ip), "%s", log->ip ? log->ip : "");
	auditjob_url_host(j->base_url, j->host, sizeof(j->host));
	j->mmd = log->mmd;
	j->ts_ms = ts_ms;
	j->kept = kept;
	j->done = done;
	j->arg = arg;
	if (j->tiled && ctentry_leaf_index(ext, ext_len, &j->index) != 0) {
		end(j, AUDITJOB_NOT_INCLUDED, "the tiled log's SCT has no valid "
		    "leaf_index extension");
		return j;
	}
	get(j, STEP_HEAD, j->tiled ? "checkpoint" : "ct/v1/get-sth",
	    j->tiled ? CHECKPOINT_MAX : MAX_JSON_BODY);
	return j;
}

void
auditjob_free(struct auditjob *j)
{
	if (j == NULL)
		return;
	fetch_free(j->fetch);
	SSL_CTX_free(j->ctx);
	EVP_PKEY_free(j->key);
	if (j->finish != NULL)
		event_free(j->finish);
	for (size_t i = 0; i < j->ntiles; i++)
		free(j->bodies[i]);
	ctentry_free(&j->entry);
	free(j);
}

int
auditjob_url_host(const char *url, char *host, size_t len)
{
	char path[FETCH_MAX_URL], err[200];
	unsigned char addr[16];
	uint16_t port;

	if (fetch_parse_url(url, host, len, &port, path, sizeof(path), err,
	    sizeof(err)) == -1) {
		host[0] = '\0';
		return -1;
	}
	return inet_pton(AF_INET, host, addr) == 1 ||
	    inet_pton(AF_INET6, host, addr) == 1 ? 1 : 0;
}

int
auditjob_gunzip(const unsigned char *in, size_t len, size_t max,
    unsigned char **out, size_t *out_len)
{
	z_stream z = { 0 };
	unsigned char *buf;
	size_t cap = len * 4 + 1024;
	int rc = Z_OK;

	if (cap > max)
		cap = max;
	if (len > UINT32_MAX || (buf = malloc(cap)) == NULL)
		return -1;
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		free(buf);
		return -1;
	}
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	do {
		if (z.total_out == cap) {
			unsigned char *nb;

			if (cap == max || (nb = realloc(buf, cap * 2 > max ?
			    max : cap * 2)) == NULL)
				break;
			buf = nb;
			cap = cap * 2 > max ? max : cap * 2;
		}
		z.next_out = buf + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out);
		rc = inflate(&z, Z_NO_FLUSH);
	} while (rc == Z_OK);
	*out_len = z.total_out;
	inflateEnd(&z);
	if (rc != Z_STREAM_END || z.avail_in != 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}
