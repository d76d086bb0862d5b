/* SPDX-License-Identifier: ISC */
/*
 * merkle: the Merkle tree of a Certificate Transparency log (RFC 6962
 * section 2.1, RFC 9162 section 2.1) and its tiles (C2SP tlog-tiles, as
 * static-ct-api logs serve it).
 *
 * Hashes: a leaf is SHA-256(0x00 || entry), a node SHA-256(0x01 || left ||
 * right). Proofs are verified with the RFC 9162 algorithms.
 *
 * Tiles: the hash at tile level L, index n, position i is the root of the
 * complete subtree of height 8L that covers leaves (n * 256 + i) * 256^L
 * onward; a tile holds 256 of them, or fewer (a partial tile, path suffix
 * ".p/W") at the right edge of the tree. A struct merkle_tiles holds the
 * tiles fetched so far (borrowed, not copied) and computes inclusion and
 * consistency proofs from them; every tile it lacked is listed in
 * `missing`, so a first pass with no tiles says which ones to fetch.
 */
#ifndef CTSTUB_MERKLE_H
#define CTSTUB_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_LEN		32
#define MERKLE_MAX_PROOF	64	/* hashes in a proof: tree height */
#define MERKLE_TILE_HEIGHT	8
#define MERKLE_TILE_WIDTH	256
#define MERKLE_TILE_MAX_LEVEL	5	/* levels 0-5 cover 2^48 entries */
#define MERKLE_MAX_TILES	(2 * MERKLE_MAX_PROOF)
#define MERKLE_PATH_MAX		96	/* "tile/data/x...x/NNN.p/WWW" */

/* Level used in a tile path for data tiles ("tile/data/..."). */
#define MERKLE_DATA_LEVEL	(-1)

struct merkle_tile_id {
	int		level;	/* 0-5, or MERKLE_DATA_LEVEL */
	uint64_t	index;
	unsigned	width;	/* 1-256; under 256: a partial tile */
};

/* A fetched tile: width hashes of MERKLE_HASH_LEN at hashes (borrowed). */
struct merkle_tile {
	struct merkle_tile_id	 id;
	const unsigned char	*hashes;
};

struct merkle_tiles {
	uint64_t		 size;		/* tree size the tiles are for */
	const struct merkle_tile *tiles;	/* borrowed */
	size_t			 ntiles;
	struct merkle_tile_id	 missing[MERKLE_MAX_TILES];
	size_t			 nmissing;	/* distinct tiles lacked */
};

void	merkle_leaf_hash(const unsigned char *entry, size_t len,
	    unsigned char out[MERKLE_HASH_LEN]);
void	merkle_node_hash(const unsigned char left[MERKLE_HASH_LEN],
	    const unsigned char right[MERKLE_HASH_LEN],
	    unsigned char out[MERKLE_HASH_LEN]);

/* 0 if proof (n hashes) proves leaf at index in the tree (size, root). */
int	merkle_verify_inclusion(uint64_t index, uint64_t size,
	    const unsigned char leaf[MERKLE_HASH_LEN],
	    const unsigned char (*proof)[MERKLE_HASH_LEN], size_t n,
	    const unsigned char root[MERKLE_HASH_LEN]);

/*
 * 0 if proof (n hashes) proves the tree (size1, root1) is a prefix of
 * (size2, root2). Equal sizes need equal roots and an empty proof; size1
 * 0 needs an empty proof.
 */
int	merkle_verify_consistency(uint64_t size1, uint64_t size2,
	    const unsigned char root1[MERKLE_HASH_LEN],
	    const unsigned char root2[MERKLE_HASH_LEN],
	    const unsigned char (*proof)[MERKLE_HASH_LEN], size_t n);

/*
 * The tile of the given level (0-5, or MERKLE_DATA_LEVEL for the data tile,
 * which matches level 0) holding entry `pos` of that level in a tree of
 * `size` leaves: full, or partial when it is the rightmost one. -1 if
 * that entry is not in the tree.
 */
int	merkle_tile_for(int level, uint64_t pos, uint64_t size,
	    struct merkle_tile_id *out);

/*
 * The tile's path below the monitoring prefix: "tile/L/N[.p/W]" with N in
 * 3-digit elements, all but the last prefixed with "x"
 * ("tile/0/x001/x234/067.p/8"). -1 if buf is too small.
 */
int	merkle_tile_path(const struct merkle_tile_id *t, char *buf,
	    size_t len);

/*
 * The inclusion proof of leaf `index` in the tree of t->size leaves, from
 * t's tiles, into proof (*n hashes). -1 if index >= size, or when a tile
 * was lacking (then t->missing lists what to fetch). Resets t->missing.
 */
int	merkle_tiles_inclusion(struct merkle_tiles *t, uint64_t index,
	    unsigned char (*proof)[MERKLE_HASH_LEN], size_t *n);

/* The consistency proof from size1 to t->size, the same way. */
int	merkle_tiles_consistency(struct merkle_tiles *t, uint64_t size1,
	    unsigned char (*proof)[MERKLE_HASH_LEN], size_t *n);

/* The root of the tree of t->size leaves (size 0: SHA-256 of nothing). */
int	merkle_tiles_root(struct merkle_tiles *t,
	    unsigned char root[MERKLE_HASH_LEN]);

#endif
