/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer: a static-ct-api data tile (every entry walked, the last one
 * read up to the 256th), and the same bytes as an SCT's extensions
 * (leaf_index); a level 0 tile of the same bytes feeds a tile proof.
 */
#include <stdint.h>

#include "ctentry.h"
#include "merkle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void
tile_proof(const uint8_t *data, size_t len)
{
	unsigned char proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
	struct merkle_tile tile = { { 0, 0, 0 }, data };
	struct merkle_tiles t = { 0 };
	size_t n;

	tile.id.width = (unsigned)(len / MERKLE_HASH_LEN);
	if (tile.id.width == 0 || tile.id.width > MERKLE_TILE_WIDTH)
		return;
	t.size = tile.id.width;
	t.tiles = &tile;
	t.ntiles = 1;
	(void)merkle_tiles_inclusion(&t, t.size - 1, proof, &n);
	(void)merkle_tiles_consistency(&t, 1, proof, &n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const unsigned char *te;
	uint64_t idx;
	size_t n;
	unsigned pos;

	for (pos = 0; pos < MERKLE_TILE_WIDTH; pos++)
		if (ctentry_tile_entry(data, len, pos, &te, &n) == -1)
			break;
	(void)ctentry_leaf_index(data, len, &idx);
	tile_proof(data, len);
	return 0;
}
