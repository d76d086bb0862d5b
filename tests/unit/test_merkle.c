/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for merkle.c: hashes against the RFC 6962 test vector, and
 * proofs (verified, and computed from tiles) against a reference written
 * here straight from the RFC 6962 2.1 definitions (MTH, PATH, SUBPROOF)
 * over explicit leaf arrays, with tiles built from that reference.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "check.h"
#include "merkle.h"

typedef unsigned char hash_t[MERKLE_HASH_LEN];

/* ---- reference, from the RFC's recursive definitions ---------------- */

static void
ref_node(const hash_t l, const hash_t r, hash_t out)
{
	unsigned char buf[65];

	buf[0] = 1;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	SHA256(buf, sizeof(buf), out);
}

static uint64_t
split(uint64_t n)
{
	uint64_t k = 1;

	while (2 * k < n)
		k *= 2;
	return k;
}

/* MTH(D[0:n]) over leaf hashes. */
static void
ref_mth(const hash_t *leaves, uint64_t n, hash_t out)
{
	hash_t l, r;
	uint64_t k;

	if (n == 1) {
		memcpy(out, leaves[0], 32);
		return;
	}
	k = split(n);
	ref_mth(leaves, k, l);
	ref_mth(leaves + k, n - k, r);
	ref_node(l, r, out);
}

static void
ref_path(const hash_t *d, uint64_t m, uint64_t n, hash_t *proof, size_t *np)
{
	uint64_t k;

	if (n == 1)
		return;
	k = split(n);
	if (m < k) {
		ref_path(d, m, k, proof, np);
		ref_mth(d + k, n - k, proof[(*np)++]);
	} else {
		ref_path(d + k, m - k, n - k, proof, np);
		ref_mth(d, k, proof[(*np)++]);
	}
}

static void
ref_subproof(const hash_t *d, uint64_t m, uint64_t n, int b, hash_t *proof,
    size_t *np)
{
	uint64_t k;

	if (m == n) {
		if (!b)
			ref_mth(d, n, proof[(*np)++]);
		return;
	}
	k = split(n);
	if (m <= k) {
		ref_subproof(d, m, k, b, proof, np);
		ref_mth(d + k, n - k, proof[(*np)++]);
	} else {
		ref_subproof(d + k, m - k, n - k, 0, proof, np);
		ref_mth(d, k, proof[(*np)++]);
	}
}

/* Leaf hashes of n distinct entries: the index as 8 bytes. */
static hash_t *
make_leaves(uint64_t n)
{
	hash_t *d = calloc(n, sizeof(*d));
	unsigned char entry[8];
	uint64_t i;

	for (i = 0; d != NULL && i < n; i++) {
		for (int j = 0; j < 8; j++)
			entry[j] = (unsigned char)(i >> (8 * j));
		merkle_leaf_hash(entry, sizeof(entry), d[i]);
	}
	return d;
}

/* ---- RFC 6962 test vector ------------------------------------------- */

static const char *const VEC_ENTRIES[8] = {
	"", "\x00", "\x10", "\x20\x21", "\x30\x31", "\x40\x41\x42\x43",
	"\x50\x51\x52\x53\x54\x55\x56\x57",
	"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
};
static const size_t VEC_LENS[8] = { 0, 1, 1, 2, 2, 4, 8, 16 };

static void
hex(const char *s, hash_t out)
{
	for (int i = 0; i < 32; i++)
		sscanf(s + 2 * i, "%2hhx", &out[i]);
}

static void
test_vector(void)
{
	hash_t d[8], root, want;

	for (int i = 0; i < 8; i++)
		merkle_leaf_hash((const unsigned char *)VEC_ENTRIES[i],
		    VEC_LENS[i], d[i]);
	hex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	    want);
	CHECK("leaf hash of the empty entry", memcmp(d[0], want, 32) == 0);
	ref_mth(d, 8, root);
	hex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	    want);
	CHECK("root of the 8-entry RFC 6962 vector", memcmp(root, want, 32) ==
	    0);
	ref_mth(d, 5, root);
	hex("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	    want);
	CHECK("root of its first 5 entries", memcmp(root, want, 32) == 0);
}

/* ---- proof verification --------------------------------------------- */

static int
inclusion_all(const hash_t *d, uint64_t n)
{
	hash_t proof[MERKLE_MAX_PROOF], root, bad;
	size_t np;

	ref_mth(d, n, root);
	for (uint64_t m = 0; m < n; m++) {
		np = 0;
		ref_path(d, m, n, proof, &np);
		if (merkle_verify_inclusion(m, n, d[m],
		    (const hash_t *)proof, np, root) != 0)
			return 0;
		/* wrong index, wrong leaf, flipped proof byte, short proof */
		if (n > 1 && merkle_verify_inclusion((m + 1) % n, n, d[m],
		    (const hash_t *)proof, np, root) == 0)
			return 0;
		memcpy(bad, d[m], 32);
		bad[5] ^= 1;
		if (merkle_verify_inclusion(m, n, bad, (const hash_t *)proof,
		    np, root) == 0)
			return 0;
		if (np > 0) {
			proof[np - 1][0] ^= 1;
			if (merkle_verify_inclusion(m, n, d[m],
			    (const hash_t *)proof, np, root) == 0 ||
			    merkle_verify_inclusion(m, n, d[m],
			    (const hash_t *)proof, np - 1, root) == 0)
				return 0;
		}
	}
	return 1;
}

static int
consistency_all(const hash_t *d, uint64_t n)
{
	hash_t proof[MERKLE_MAX_PROOF], r1, r2;
	size_t np;

	ref_mth(d, n, r2);
	for (uint64_t m = 1; m <= n; m++) {
		np = 0;
		ref_mth(d, m, r1);
		if (m < n)
			ref_subproof(d, m, n, 1, proof, &np);
		if (merkle_verify_consistency(m, n, r1, r2,
		    (const hash_t *)proof, np) != 0)
			return 0;
		if (m < n && merkle_verify_consistency(m, n, r2, r2,
		    (const hash_t *)proof, np) == 0)
			return 0;
		if (np > 0) {
			proof[0][31] ^= 1;
			if (merkle_verify_consistency(m, n, r1, r2,
			    (const hash_t *)proof, np) == 0)
				return 0;
		}
	}
	return 1;
}

static void
test_verify(void)
{
	hash_t *d = make_leaves(70);
	hash_t r;
	int inc = 1, con = 1;

	if (d == NULL)
		return;
	for (uint64_t n = 1; n <= 70; n++) {
		inc = inc && inclusion_all(d, n);
		con = con && consistency_all(d, n);
	}
	CHECK("inclusion proofs of every leaf of trees 1-70", inc);
	CHECK("consistency proofs of every prefix of trees 1-70", con);
	ref_mth(d, 3, r);
	CHECK("index beyond the tree fails",
	    merkle_verify_inclusion(3, 3, d[0], NULL, 0, r) == -1);
	CHECK("a shrinking tree is never consistent",
	    merkle_verify_consistency(4, 3, r, r, NULL, 0) == -1);
	CHECK("equal sizes, different roots: not consistent",
	    merkle_verify_consistency(3, 3, r, d[0], NULL, 0) == -1);
	free(d);
}

/* ---- tiles ---------------------------------------------------------- */

static void
test_tile_paths(void)
{
	struct merkle_tile_id t = { 0, 1234067, 256 };
	char buf[MERKLE_PATH_MAX];

	CHECK("path of tile 1234067", merkle_tile_path(&t, buf,
	    sizeof(buf)) == 0 && strcmp(buf, "tile/0/x001/x234/067") == 0);
	t = (struct merkle_tile_id){ 2, 0, 1 };
	CHECK("partial tile path", merkle_tile_path(&t, buf,
	    sizeof(buf)) == 0 && strcmp(buf, "tile/2/000.p/1") == 0);
	t = (struct merkle_tile_id){ MERKLE_DATA_LEVEL, 1000, 17 };
	CHECK("data tile path", merkle_tile_path(&t, buf,
	    sizeof(buf)) == 0 && strcmp(buf, "tile/data/x001/000.p/17") == 0);
	CHECK("path too long for the buffer", merkle_tile_path(&t, buf, 12) ==
	    -1);
	/* The spec's example: a tree of 70,000 entries. */
	CHECK("70000: level 0 tile 272 full", merkle_tile_for(0, 272 * 256,
	    70000, &t) == 0 && t.index == 272 && t.width == 256);
	CHECK("70000: level 0 tile 273 partial, 112 wide", merkle_tile_for(0,
	    69999, 70000, &t) == 0 && t.index == 273 && t.width == 112);
	CHECK("70000: level 1 tile 1 partial, 17 wide", merkle_tile_for(1,
	    256, 70000, &t) == 0 && t.index == 1 && t.width == 17);
	CHECK("70000: level 2 tile 0, 1 wide", merkle_tile_for(2, 0, 70000,
	    &t) == 0 && t.index == 0 && t.width == 1);
	CHECK("70000: no level 3 tile", merkle_tile_for(3, 0, 70000, &t) ==
	    -1);
	CHECK("256: level 1 partial, 1 wide", merkle_tile_for(1, 0, 256, &t) ==
	    0 && t.width == 1);
	CHECK("data tile matches level 0", merkle_tile_for(MERKLE_DATA_LEVEL,
	    69999, 70000, &t) == 0 && t.level == MERKLE_DATA_LEVEL &&
	    t.width == 112);
}

/* Every tile of a tree of n leaves, from the reference MTH. */
struct tree {
	uint64_t n;
	hash_t *level[MERKLE_TILE_MAX_LEVEL + 1];
	struct merkle_tile tiles[1024];
	size_t ntiles;
};

static int
build_tiles(struct tree *tr, const hash_t *d, uint64_t n)
{
	uint64_t span = 1, count;

	memset(tr, 0, sizeof(*tr));
	tr->n = n;
	for (int l = 0; l <= MERKLE_TILE_MAX_LEVEL; l++, span *= 256) {
		if ((count = n / span) == 0)
			break;
		if ((tr->level[l] = calloc(count, 32)) == NULL)
			return 0;
		for (uint64_t i = 0; i < count; i++)
			ref_mth(d + i * span, span, tr->level[l][i]);
		for (uint64_t t = 0; t * 256 < count; t++) {
			struct merkle_tile *tile = &tr->tiles[tr->ntiles++];

			tile->id.level = l;
			tile->id.index = t;
			tile->id.width = count - t * 256 >= 256 ? 256 :
			    (unsigned)(count - t * 256);
			tile->hashes = tr->level[l][t * 256];
		}
	}
	return 1;
}

static void
free_tiles(struct tree *tr)
{
	for (int l = 0; l <= MERKLE_TILE_MAX_LEVEL; l++)
		free(tr->level[l]);
}

/* Fetches (from tr) what t says is missing; returns how many. */
static size_t
fetch_missing(const struct tree *tr, struct merkle_tiles *t,
    struct merkle_tile *have, size_t *nhave)
{
	size_t got = 0;

	for (size_t i = 0; i < t->nmissing; i++)
		for (size_t j = 0; j < tr->ntiles; j++)
			if (tr->tiles[j].id.level == t->missing[i].level &&
			    tr->tiles[j].id.index == t->missing[i].index &&
			    tr->tiles[j].id.width == t->missing[i].width) {
				have[(*nhave)++] = tr->tiles[j];
				got++;
			}
	t->tiles = have;
	t->ntiles = *nhave;
	return got;
}

/* Inclusion of leaf m from tiles: two passes, equal to the reference. */
static int
tile_inclusion(const struct tree *tr, const hash_t *d, uint64_t m,
    size_t *fetched)
{
	struct merkle_tile have[MERKLE_MAX_TILES];
	struct merkle_tiles t = { .size = tr->n };
	hash_t proof[MERKLE_MAX_PROOF], want[MERKLE_MAX_PROOF], root;
	size_t np, nwant = 0, nhave = 0;

	if (merkle_tiles_inclusion(&t, m, proof, &np) == 0 && tr->n > 1)
		return 0;	/* nothing fetched yet: must lack tiles */
	*fetched = fetch_missing(tr, &t, have, &nhave);
	if (*fetched != t.nmissing ||
	    merkle_tiles_inclusion(&t, m, proof, &np) != 0)
		return 0;
	ref_path(d, m, tr->n, want, &nwant);
	ref_mth(d, tr->n, root);
	if (np != nwant || memcmp(proof, want, np * 32) != 0 ||
	    merkle_verify_inclusion(m, tr->n, d[m], (const hash_t *)proof, np,
	    root) != 0)
		return 0;
	/* The root may need a tile more (the left subtree's own root). */
	if (merkle_tiles_root(&t, want[0]) == -1)
		fetch_missing(tr, &t, have, &nhave);
	return merkle_tiles_root(&t, want[0]) == 0 &&
	    memcmp(want[0], root, 32) == 0;
}

static int
tile_consistency(const struct tree *tr, const hash_t *d, uint64_t m)
{
	struct merkle_tile have[MERKLE_MAX_TILES];
	struct merkle_tiles t = { .size = tr->n };
	hash_t proof[MERKLE_MAX_PROOF], r1, r2;
	size_t np, nhave = 0;

	merkle_tiles_consistency(&t, m, proof, &np);
	fetch_missing(tr, &t, have, &nhave);
	if (merkle_tiles_consistency(&t, m, proof, &np) != 0)
		return 0;
	ref_mth(d, m, r1);
	ref_mth(d, tr->n, r2);
	return merkle_verify_consistency(m, tr->n, r1, r2,
	    (const hash_t *)proof, np) == 0;
}

static void
test_tiles(uint64_t n, const uint64_t *idx, size_t nidx)
{
	hash_t *d = make_leaves(n);
	struct tree *tr = calloc(1, sizeof(*tr));
	char name[96];
	size_t fetched = 0, maxfetched = 0;
	int ok = 1;

	if (d == NULL || tr == NULL || !build_tiles(tr, d, n)) {
		CHECK("tile fixture", 0);
		goto out;
	}
	for (size_t i = 0; ok && i < nidx; i++) {
		ok = tile_inclusion(tr, d, idx[i], &fetched);
		maxfetched = fetched > maxfetched ? fetched : maxfetched;
	}
	snprintf(name, sizeof(name), "tree of %llu: inclusion from tiles "
	    "equals the reference proof", (unsigned long long)n);
	CHECK(name, ok);
	/* one per level, and a partial one beside a full one on the edge */
	snprintf(name, sizeof(name), "tree of %llu: at most 4 tiles fetched "
	    "for a proof (%zu)", (unsigned long long)n, maxfetched);
	CHECK(name, maxfetched <= 4);
	ok = 1;
	for (size_t i = 0; ok && i < nidx; i++)
		ok = tile_consistency(tr, d, idx[i] + 1);
	snprintf(name, sizeof(name), "tree of %llu: consistency from tiles "
	    "verifies", (unsigned long long)n);
	CHECK(name, ok);
out:
	if (tr != NULL)
		free_tiles(tr);
	free(tr);
	free(d);
}

static void
test_tiles_lacking(void)
{
	struct merkle_tiles t = { .size = 70000 };
	hash_t proof[MERKLE_MAX_PROOF];
	size_t np;

	CHECK("no tiles: proof fails",
	    merkle_tiles_inclusion(&t, 300, proof, &np) == -1);
	CHECK("no tiles: level 0 tile 1, level 1 tiles 0 and 1, level 2 "
	    "listed", t.nmissing == 4 && t.missing[0].level == 0 &&
	    t.missing[0].index == 1 && t.missing[0].width == 256);
	CHECK("index past the tree fails",
	    merkle_tiles_inclusion(&t, 70000, proof, &np) == -1);
}

int
main(void)
{
	static const uint64_t small[] = { 0, 1, 2 };
	static const uint64_t mid[] = { 0, 255, 256, 300, 511 };
	static const uint64_t big[] = { 0, 65535, 65536, 69999, 67000 };

	test_vector();
	test_verify();
	test_tile_paths();
	test_tiles(3, small, 3);
	test_tiles(512, mid, 5);
	test_tiles(513, mid, 5);
	test_tiles(70000, big, 5);
	test_tiles_lacking();
	return CHECK_DONE();
}
