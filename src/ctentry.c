/* SPDX-License-Identifier: ISC */
/*
 * CT log entries for SCTs, the leaf_index extension and data tiles
 * (RFC 6962 3.4, C2SP static-ct-api). See include/ctentry.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509.h>

#include "ctentry.h"
#include "verify.h"

#define U24_MAX 0xffffffu

static void
put_be(unsigned char *p, uint64_t v, size_t width)
{
	for (size_t i = 0; i < width; i++)
		p[i] = (unsigned char)(v >> (8 * (width - 1 - i)));
}

static uint64_t
get_be(const unsigned char *p, size_t width)
{
	uint64_t v = 0;

	for (size_t i = 0; i < width; i++)
		v = v << 8 | p[i];
	return v;
}

/* The DER TBSCertificate of leaf without its SCT list: the precert's. */
static unsigned char *
precert_tbs(const unsigned char *leaf, size_t len, size_t *out_len)
{
	const unsigned char *p = leaf;
	unsigned char *tbs = NULL;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	int loc, n;

	if (x == NULL || p != leaf + len)
		goto out;
	while ((loc = X509_get_ext_by_NID(x, NID_ct_precert_scts, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(x, loc));
	if ((n = i2d_re_X509_tbs(x, &tbs)) > 0)
		*out_len = (size_t)n;
out:
	X509_free(x);
	return tbs;
}

static int
issuer_key_hash(const unsigned char *issuer, size_t len,
    unsigned char out[32])
{
	const unsigned char *p = issuer;
	X509 *x;
	int rc = -1;

	if (issuer == NULL || len == 0)
		return -1;
	x = d2i_X509(NULL, &p, (long)len);
	if (x != NULL && p == issuer + len)
		rc = verify_spki_sha256(x, out);
	X509_free(x);
	return rc;
}

/* timestamp || type || [key hash] || body<2^24> || ext<2^16> */
static int
assemble(struct ctentry *e, uint64_t ts, const unsigned char *key_hash,
    const unsigned char *body, size_t body_len, const unsigned char *ext,
    size_t ext_len)
{
	size_t n = 8 + 2 + (key_hash ? 32 : 0) + 3 + body_len + 2 + ext_len;
	unsigned char *p;

	if (body_len == 0 || body_len > U24_MAX || ext_len > 0xffff ||
	    (e->data = p = malloc(n)) == NULL)
		return -1;
	put_be(p, ts, 8);
	put_be(p + 8, (uint64_t)e->type, 2);
	p += 10;
	if (key_hash != NULL) {
		memcpy(p, key_hash, 32);
		p += 32;
	}
	put_be(p, body_len, 3);
	memcpy(p + 3, body, body_len);
	p += 3 + body_len;
	put_be(p, ext_len, 2);
	if (ext_len > 0)
		memcpy(p + 2, ext, ext_len);
	e->len = n;
	return 0;
}

/* SHA-256(0x00 || version 0 || leaf_type 0 || TimestampedEntry). */
static int
hash_leaf(struct ctentry *e)
{
	unsigned char *mtl = malloc(e->len + 2);

	if (mtl == NULL)
		return -1;
	mtl[0] = 0;	/* v1 */
	mtl[1] = 0;	/* timestamped_entry */
	memcpy(mtl + 2, e->data, e->len);
	merkle_leaf_hash(mtl, e->len + 2, e->leaf_hash);
	free(mtl);
	return 0;
}

int
ctentry_build(struct ctentry *e, int type, const unsigned char *leaf,
    size_t leaf_len, const unsigned char *issuer, size_t issuer_len,
    uint64_t timestamp_ms, const unsigned char *ext, size_t ext_len,
    char *err, size_t errlen)
{
	unsigned char key_hash[32], *tbs = NULL;
	size_t tbs_len = 0;
	int rc;

	memset(e, 0, sizeof(*e));
	e->type = type;
	if (type == CTENTRY_X509) {
		rc = assemble(e, timestamp_ms, NULL, leaf, leaf_len, ext,
		    ext_len);
	} else if (issuer_key_hash(issuer, issuer_len, key_hash) == -1) {
		snprintf(err, errlen, "issuer certificate unreadable");
		return -1;
	} else if ((tbs = precert_tbs(leaf, leaf_len, &tbs_len)) == NULL) {
		snprintf(err, errlen, "leaf certificate unreadable");
		return -1;
	} else {
		rc = assemble(e, timestamp_ms, key_hash, tbs, tbs_len, ext,
		    ext_len);
	}
	OPENSSL_free(tbs);
	if (rc == 0 && hash_leaf(e) == 0)
		return 0;
	ctentry_free(e);
	snprintf(err, errlen, "cannot build the log entry (out of memory "
	    "or oversized)");
	return -1;
}

void
ctentry_free(struct ctentry *e)
{
	if (e == NULL)
		return;
	free(e->data);
	e->data = NULL;
	e->len = 0;
}

int
ctentry_leaf_index(const unsigned char *ext, size_t len, uint64_t *index)
{
	size_t off = 0, n;
	int found = 0;

	while (off < len) {
		if (len - off < 3)
			return -1;
		n = (size_t)get_be(ext + off + 1, 2);
		if (len - off - 3 < n)
			return -1;
		if (ext[off] == CTENTRY_EXT_LEAF_INDEX) {
			if (found || n != 5)
				return -1;
			*index = get_be(ext + off + 3, 5);
			found = 1;
		}
		off += 3 + n;
	}
	return found ? 0 : 1;
}

/* Skips a vector with a width-byte length at *off; -1 if it overruns. */
static int
skip_vec(const unsigned char *p, size_t len, size_t *off, size_t width)
{
	size_t n;

	if (len - *off < width)
		return -1;
	n = (size_t)get_be(p + *off, width);
	if (len - *off - width < n)
		return -1;
	*off += width + n;
	return 0;
}

/* One TileLeaf at *off: its TimestampedEntry's extent, and *off past it. */
static int
tile_leaf(const unsigned char *p, size_t len, size_t *off, size_t *te_len)
{
	size_t start = *off, fp_start;
	int type;

	if (len - *off < 10)
		return -1;
	type = (int)get_be(p + *off + 8, 2);
	*off += 10;
	if (type == CTENTRY_PRECERT) {
		if (len - *off < 32)
			return -1;
		*off += 32;
	} else if (type != CTENTRY_X509)
		return -1;
	if (skip_vec(p, len, off, 3) == -1 || skip_vec(p, len, off, 2) == -1)
		return -1;
	*te_len = *off - start;
	if (type == CTENTRY_PRECERT && skip_vec(p, len, off, 3) == -1)
		return -1;
	fp_start = *off;
	if (skip_vec(p, len, off, 2) == -1 || (*off - fp_start - 2) % 32 != 0)
		return -1;
	return 0;
}

int
ctentry_tile_entry(const unsigned char *tile, size_t len, unsigned pos,
    const unsigned char **te, size_t *te_len)
{
	size_t off = 0, start, n;

	for (unsigned i = 0; i <= pos; i++) {
		start = off;
		if (off >= len || tile_leaf(tile, len, &off, &n) == -1)
			return -1;
		if (i == pos) {
			*te = tile + start;
			*te_len = n;
		}
	}
	return 0;
}
