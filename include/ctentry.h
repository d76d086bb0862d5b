/* SPDX-License-Identifier: ISC */
/*
 * ctentry: what a CT log puts in its Merkle tree for one SCT (RFC 6962
 * 3.4): the TimestampedEntry of an x509_entry (the certificate, for SCTs
 * in the TLS extension or OCSP) or a precert_entry (the issuer's key hash
 * and the TBSCertificate without the SCT list extension, for embedded
 * SCTs); the MerkleTreeLeaf hash; the SCT's static-ct-api `leaf_index`
 * extension; and the entries of a static-ct-api data tile (TileLeaf).
 *
 * Tile and extension bytes come from the network: every length is checked.
 */
#ifndef CTSTUB_CTENTRY_H
#define CTSTUB_CTENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "merkle.h"

#define CTENTRY_X509		0
#define CTENTRY_PRECERT		1
#define CTENTRY_EXT_LEAF_INDEX	0	/* static-ct-api extension type */

/* One SCT's entry. data is owned (ctentry_free). */
struct ctentry {
	int		 type;		/* CTENTRY_X509 or CTENTRY_PRECERT */
	unsigned char	*data;		/* the TimestampedEntry */
	size_t		 len;
	unsigned char	 leaf_hash[MERKLE_HASH_LEN]; /* of its MerkleTreeLeaf */
};

/*
 * Builds the entry for an SCT with this timestamp and extensions over the
 * leaf certificate (DER) issued by issuer (DER; needed for precert
 * entries only). Returns 0, or -1 with one line in err.
 */
int	ctentry_build(struct ctentry *e, int type,
	    const unsigned char *leaf, size_t leaf_len,
	    const unsigned char *issuer, size_t issuer_len,
	    uint64_t timestamp_ms, const unsigned char *ext, size_t ext_len,
	    char *err, size_t errlen);

/* Frees e->data; NULL and a zeroed entry are fine. */
void	ctentry_free(struct ctentry *e);

/*
 * The `leaf_index` in an SCT's extensions (CtExtensions: 1-byte type,
 * 2-byte length, data). 0 and *index set; 1 when there is none; -1 when
 * the extensions are malformed (bad lengths, duplicates, an index not
 * 5 bytes).
 */
int	ctentry_leaf_index(const unsigned char *ext, size_t len,
	    uint64_t *index);

/*
 * The TimestampedEntry of entry `pos` of a data tile (a sequence of
 * TileLeaf). 0 and *te, *te_len pointing into tile; -1 when the tile is
 * malformed or has fewer entries.
 */
int	ctentry_tile_entry(const unsigned char *tile, size_t len,
	    unsigned pos, const unsigned char **te, size_t *te_len);

#endif
