/* SPDX-License-Identifier: ISC */
/*
 * CT Merkle tree hashing, proof verification (RFC 9162 2.1.3.2, 2.1.4.2)
 * and proofs computed from tlog tiles. See include/merkle.h.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "merkle.h"

typedef unsigned char merkle_hash[MERKLE_HASH_LEN];

void
merkle_leaf_hash(const unsigned char *entry, size_t len,
    unsigned char out[MERKLE_HASH_LEN])
{
	static const unsigned char prefix = 0x00;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	/* Only allocation fails here: a zero hash then matches no proof. */
	if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(ctx, &prefix, 1) ||
	    !EVP_DigestUpdate(ctx, entry, len) ||
	    !EVP_DigestFinal_ex(ctx, out, NULL))
		memset(out, 0, MERKLE_HASH_LEN);
	EVP_MD_CTX_free(ctx);
}

void
merkle_node_hash(const unsigned char left[MERKLE_HASH_LEN],
    const unsigned char right[MERKLE_HASH_LEN],
    unsigned char out[MERKLE_HASH_LEN])
{
	unsigned char buf[1 + 2 * MERKLE_HASH_LEN];

	buf[0] = 0x01;
	memcpy(buf + 1, left, MERKLE_HASH_LEN);
	memcpy(buf + 1 + MERKLE_HASH_LEN, right, MERKLE_HASH_LEN);
	SHA256(buf, sizeof(buf), out);
}

/* Shifts fn and sn right until fn's low bit is set or fn is 0. */
static void
skip_right_edge(uint64_t *fn, uint64_t *sn)
{
	while ((*fn & 1) == 0 && *fn != 0) {
		*fn >>= 1;
		*sn >>= 1;
	}
}

int
merkle_verify_inclusion(uint64_t index, uint64_t size,
    const unsigned char leaf[MERKLE_HASH_LEN],
    const unsigned char (*proof)[MERKLE_HASH_LEN], size_t n,
    const unsigned char root[MERKLE_HASH_LEN])
{
	uint64_t fn = index, sn;
	merkle_hash r;
	size_t i;

	if (index >= size)
		return -1;
	sn = size - 1;
	memcpy(r, leaf, MERKLE_HASH_LEN);
	for (i = 0; i < n; i++) {
		if (sn == 0)
			return -1;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(proof[i], r, r);
			skip_right_edge(&fn, &sn);
		} else
			merkle_node_hash(r, proof[i], r);
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, MERKLE_HASH_LEN) == 0 ? 0 : -1;
}

static int
is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

int
merkle_verify_consistency(uint64_t size1, uint64_t size2,
    const unsigned char root1[MERKLE_HASH_LEN],
    const unsigned char root2[MERKLE_HASH_LEN],
    const unsigned char (*proof)[MERKLE_HASH_LEN], size_t n)
{
	uint64_t fn, sn;
	merkle_hash fr, sr;
	size_t i = 0;

	if (size1 > size2)
		return -1;
	if (size1 == size2)
		return n == 0 && memcmp(root1, root2, MERKLE_HASH_LEN) == 0 ?
		    0 : -1;
	if (size1 == 0)
		return n == 0 ? 0 : -1;
	if (n == 0)
		return -1;
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	/* A power-of-2 first tree is its own first hash. */
	if (is_pow2(size1))
		memcpy(fr, root1, MERKLE_HASH_LEN);
	else
		memcpy(fr, proof[i++], MERKLE_HASH_LEN);
	memcpy(sr, fr, MERKLE_HASH_LEN);
	for (; i < n; i++) {
		if (sn == 0)
			return -1;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(proof[i], fr, fr);
			merkle_node_hash(proof[i], sr, sr);
			skip_right_edge(&fn, &sn);
		} else
			merkle_node_hash(sr, proof[i], sr);
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(fr, root1, MERKLE_HASH_LEN) == 0 &&
	    memcmp(sr, root2, MERKLE_HASH_LEN) == 0 ? 0 : -1;
}

int
merkle_tile_for(int level, uint64_t pos, uint64_t size,
    struct merkle_tile_id *out)
{
	int l = level == MERKLE_DATA_LEVEL ? 0 : level;
	uint64_t entries;

	if (l < 0 || l > MERKLE_TILE_MAX_LEVEL)
		return -1;
	entries = size >> (MERKLE_TILE_HEIGHT * l);
	if (pos >= entries)
		return -1;
	out->level = level;
	out->index = pos / MERKLE_TILE_WIDTH;
	out->width = out->index < entries / MERKLE_TILE_WIDTH ?
	    MERKLE_TILE_WIDTH : (unsigned)(entries % MERKLE_TILE_WIDTH);
	return 0;
}

int
merkle_tile_path(const struct merkle_tile_id *t, char *buf, size_t len)
{
	unsigned groups[8];
	uint64_t v = t->index;
	size_t used;
	int n = 0, w;

	do {
		groups[n++] = (unsigned)(v % 1000);
		v /= 1000;
	} while (v != 0);
	if (t->level == MERKLE_DATA_LEVEL)
		w = snprintf(buf, len, "tile/data");
	else
		w = snprintf(buf, len, "tile/%d", t->level);
	while (w >= 0 && (size_t)w < len && n-- > 0) {
		used = (size_t)w;
		w = snprintf(buf + used, len - used, "/%s%03u",
		    n > 0 ? "x" : "", groups[n]);
		w = w < 0 ? w : w + (int)used;
	}
	if (w >= 0 && (size_t)w < len && t->width < MERKLE_TILE_WIDTH) {
		used = (size_t)w;
		w = snprintf(buf + used, len - used, ".p/%u", t->width);
		w = w < 0 ? w : w + (int)used;
	}
	return w < 0 || (size_t)w >= len ? -1 : 0;
}

static void
note_missing(struct merkle_tiles *t, const struct merkle_tile_id *id)
{
	size_t i;

	for (i = 0; i < t->nmissing; i++)
		if (t->missing[i].level == id->level &&
		    t->missing[i].index == id->index)
			return;
	if (t->nmissing < MERKLE_MAX_TILES)
		t->missing[t->nmissing++] = *id;
}

static const struct merkle_tile *
find_tile(const struct merkle_tiles *t, int level, uint64_t index,
    unsigned min_width)
{
	size_t i;

	for (i = 0; i < t->ntiles; i++)
		if (t->tiles[i].id.level == level &&
		    t->tiles[i].id.index == index &&
		    t->tiles[i].id.width >= min_width)
			return &t->tiles[i];
	return NULL;
}

/*
 * The root of the complete subtree of height h with index k, from the
 * tile holding its 2^(h mod 8) hashes at level h / 8. Zeros when lacking.
 */
static void
complete_hash(struct merkle_tiles *t, unsigned h, uint64_t k,
    unsigned char out[MERKLE_HASH_LEN])
{
	merkle_hash level[MERKLE_TILE_WIDTH];
	const struct merkle_tile *tile;
	struct merkle_tile_id id;
	int l = (int)(h / MERKLE_TILE_HEIGHT);
	unsigned r = h % MERKLE_TILE_HEIGHT, count = 1u << r, pos, i;
	uint64_t first = k << r;

	memset(out, 0, MERKLE_HASH_LEN);
	if (merkle_tile_for(l, first, t->size, &id) == -1) {
		t->nmissing = MERKLE_MAX_TILES;	/* cannot be fetched */
		return;
	}
	pos = (unsigned)(first % MERKLE_TILE_WIDTH);
	if ((tile = find_tile(t, l, id.index, pos + count)) == NULL) {
		note_missing(t, &id);
		return;
	}
	memcpy(level, tile->hashes + (size_t)pos * MERKLE_HASH_LEN,
	    (size_t)count * MERKLE_HASH_LEN);
	for (; count > 1; count /= 2)
		for (i = 0; i < count / 2; i++)
			merkle_node_hash(level[2 * i], level[2 * i + 1],
			    level[i]);
	memcpy(out, level[0], MERKLE_HASH_LEN);
}

static uint64_t
largest_pow2_below(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

/* MTH(D[a:b]) for a range the proof algorithms ask for (b > a). */
static void
range_hash(struct merkle_tiles *t, uint64_t a, uint64_t b,
    unsigned char out[MERKLE_HASH_LEN])
{
	merkle_hash left, right;
	uint64_t n = b - a, k;
	unsigned h = 0;

	if (is_pow2(n) && a % n == 0) {
		while ((1ull << h) < n)
			h++;
		complete_hash(t, h, a >> h, out);
		return;
	}
	k = largest_pow2_below(n);
	range_hash(t, a, a + k, left);
	range_hash(t, a + k, b, right);
	merkle_node_hash(left, right, out);
}

static void
append(struct merkle_tiles *t, uint64_t a, uint64_t b,
    unsigned char (*proof)[MERKLE_HASH_LEN], size_t *n)
{
	if (*n < MERKLE_MAX_PROOF)
		range_hash(t, a, b, proof[(*n)++]);
}

/* RFC 6962 PATH(m, D[a:b]). */
static void
inclusion_path(struct merkle_tiles *t, uint64_t m, uint64_t a, uint64_t b,
    unsigned char (*proof)[MERKLE_HASH_LEN], size_t *n)
{
	uint64_t k;

	if (b - a <= 1)
		return;
	k = largest_pow2_below(b - a);
	if (m < a + k) {
		inclusion_path(t, m, a, a + k, proof, n);
		append(t, a + k, b, proof, n);
	} else {
		inclusion_path(t, m, a + k, b, proof, n);
		append(t, a, a + k, proof, n);
	}
}

/* RFC 6962 SUBPROOF(m, D[a:b], whole): m leaves counted from a. */
static void
consistency_path(struct merkle_tiles *t, uint64_t m, uint64_t a, uint64_t b,
    int whole, unsigned char (*proof)[MERKLE_HASH_LEN], size_t *n)
{
	uint64_t k;

	if (m == b - a) {
		if (!whole)
			append(t, a, b, proof, n);
		return;
	}
	k = largest_pow2_below(b - a);
	if (m <= k) {
		consistency_path(t, m, a, a + k, whole, proof, n);
		append(t, a + k, b, proof, n);
	} else {
		consistency_path(t, m - k, a + k, b, 0, proof, n);
		append(t, a, a + k, proof, n);
	}
}

int
merkle_tiles_inclusion(struct merkle_tiles *t, uint64_t index,
    unsigned char (*proof)[MERKLE_HASH_LEN], size_t *n)
{
	t->nmissing = 0;
	*n = 0;
	if (index >= t->size)
		return -1;
	inclusion_path(t, index, 0, t->size, proof, n);
	return t->nmissing == 0 ? 0 : -1;
}

int
merkle_tiles_consistency(struct merkle_tiles *t, uint64_t size1,
    unsigned char (*proof)[MERKLE_HASH_LEN], size_t *n)
{
	t->nmissing = 0;
	*n = 0;
	if (size1 > t->size)
		return -1;
	if (size1 > 0 && size1 < t->size)
		consistency_path(t, size1, 0, t->size, 1, proof, n);
	return t->nmissing == 0 ? 0 : -1;
}

int
merkle_tiles_root(struct merkle_tiles *t, unsigned char root[MERKLE_HASH_LEN])
{
	t->nmissing = 0;
	if (t->size == 0) {
		SHA256(NULL, 0, root);
		return 0;
	}
	range_hash(t, 0, t->size, root);
	return t->nmissing == 0 ? 0 : -1;
}
