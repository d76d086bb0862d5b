/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for ctentry.c. The precert entry of a real certificate is
 * right when the real logs' SCT signatures verify over it (RFC 6962 3.2
 * signs version || signature_type || the same TimestampedEntry), with the
 * log keys of tests/data/ct/realcerts-logs.json; the Sycamore SCT of
 * le-home-liukun-2026 carries a real leaf_index extension. Data tiles are
 * built here by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ct.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "ctentry.h"
#include "loglist.h"

#define CERTS	CHECK_SRCDIR "/tests/data/realcerts/"
#define LOGS	CHECK_SRCDIR "/tests/data/ct/realcerts-logs.json"

static unsigned char *
pem_der(const char *name, size_t *len)
{
	char path[4096];
	unsigned char *der = NULL;
	X509 *x = NULL;
	FILE *fp;
	int n;

	snprintf(path, sizeof(path), CERTS "%s.pem", name);
	if ((fp = fopen(path, "r")) != NULL) {
		x = PEM_read_X509(fp, NULL, NULL, NULL);
		fclose(fp);
	}
	if (x == NULL || (n = i2d_X509(x, &der)) <= 0) {
		printf("# cannot read %s\n", path);
		X509_free(x);
		return NULL;
	}
	*len = (size_t)n;
	X509_free(x);
	return der;
}

/* The log's signature over 0x00 0x00 || e->data verifies. */
static int
sct_sig_ok(const struct loglist *list, SCT *sct, const struct ctentry *e)
{
	unsigned char *id, *sig, *msg;
	const struct loglist_log *log;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t idlen, siglen;
	int ok = 0;

	idlen = SCT_get0_log_id(sct, &id);
	siglen = SCT_get0_signature(sct, &sig);
	log = loglist_find(list, id, idlen);
	if (md == NULL || log == NULL || log->ctlog == NULL ||
	    (msg = malloc(e->len + 2)) == NULL)
		goto out;
	msg[0] = 0;
	msg[1] = 0;
	memcpy(msg + 2, e->data, e->len);
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
	    CTLOG_get0_public_key(log->ctlog)) == 1 &&
	    EVP_DigestVerify(md, sig, siglen, msg, e->len + 2) == 1;
	free(msg);
out:
	EVP_MD_CTX_free(md);
	return ok;
}

/* Every embedded SCT of the chain verifies over our precert entry. */
static void
test_real(const struct loglist *list, const char *chain, int want_index)
{
	char leafn[128], issn[128], name[160], err[256];
	unsigned char *leaf, *iss, *ext;
	const unsigned char *p;
	size_t leaf_len = 0, iss_len = 0, ext_len;
	STACK_OF(SCT) *scts = NULL;
	X509 *x = NULL;
	int good = 0, nidx = 0, total;
	uint64_t idx;

	snprintf(leafn, sizeof(leafn), "%s.leaf", chain);
	snprintf(issn, sizeof(issn), "%s.issuer", chain);
	leaf = pem_der(leafn, &leaf_len);
	iss = pem_der(issn, &iss_len);
	p = leaf;
	if (leaf == NULL || iss == NULL ||
	    (x = d2i_X509(NULL, &p, (long)leaf_len)) == NULL ||
	    (scts = X509_get_ext_d2i(x, NID_ct_precert_scts, NULL, NULL)) ==
	    NULL) {
		CHECK("fixture", 0);
		goto out;
	}
	total = sk_SCT_num(scts);
	for (int i = 0; i < total; i++) {
		SCT *sct = sk_SCT_value(scts, i);
		struct ctentry e;

		ext_len = SCT_get0_extensions(sct, &ext);
		if (ctentry_build(&e, CTENTRY_PRECERT, leaf, leaf_len, iss,
		    iss_len, SCT_get_timestamp(sct), ext, ext_len, err,
		    sizeof(err)) == -1)
			continue;
		good += sct_sig_ok(list, sct, &e);
		nidx += ctentry_leaf_index(ext, ext_len, &idx) == 0;
		ctentry_free(&e);
	}
	snprintf(name, sizeof(name), "%s: every embedded SCT (%d) signs our "
	    "precert entry", chain, total);
	CHECK(name, total > 0 && good == total);
	snprintf(name, sizeof(name), "%s: %d SCT with a leaf_index", chain,
	    want_index);
	CHECK(name, nidx == want_index);
	if (total > 0) {
		struct ctentry e;

		/* The wrong issuer: a different key hash, no signature. */
		ctentry_build(&e, CTENTRY_PRECERT, leaf, leaf_len, leaf,
		    leaf_len, SCT_get_timestamp(sk_SCT_value(scts, 0)), NULL, 0,
		    err, sizeof(err));
		snprintf(name, sizeof(name), "%s: the leaf as its own issuer "
		    "signs nothing", chain);
		CHECK(name, e.data == NULL || !sct_sig_ok(list,
		    sk_SCT_value(scts, 0), &e));
		ctentry_free(&e);
	}
out:
	SCT_LIST_free(scts);
	X509_free(x);
	OPENSSL_free(leaf);
	OPENSSL_free(iss);
}

static void
test_x509_entry(void)
{
	static const unsigned char cert[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	static const unsigned char want[] = {
		0, 0, 0, 0, 0, 0, 0x01, 0x02,	/* timestamp 258 */
		0, 0,				/* x509_entry */
		0, 0, 5, 0x30, 0x03, 0x02, 0x01, 0x05,
		0, 0				/* no extensions */
	};
	unsigned char mtl[2 + sizeof(want)], hash[32];
	struct ctentry e;
	char err[128];

	CHECK("x509 entry built", ctentry_build(&e, CTENTRY_X509, cert,
	    sizeof(cert), NULL, 0, 258, NULL, 0, err, sizeof(err)) == 0);
	CHECK("x509 entry bytes", e.len == sizeof(want) &&
	    memcmp(e.data, want, sizeof(want)) == 0);
	mtl[0] = mtl[1] = 0;
	memcpy(mtl + 2, want, sizeof(want));
	merkle_leaf_hash(mtl, sizeof(mtl), hash);
	CHECK("leaf hash over the MerkleTreeLeaf", memcmp(hash, e.leaf_hash,
	    32) == 0);
	ctentry_free(&e);
	CHECK("precert entry without an issuer refused",
	    ctentry_build(&e, CTENTRY_PRECERT, cert, sizeof(cert), NULL, 0,
	    1, NULL, 0, err, sizeof(err)) == -1 && strstr(err, "issuer"));
	ctentry_free(NULL);
}

static void
test_leaf_index(void)
{
	static const unsigned char one[] = { 0, 0, 5, 0, 0, 0, 1, 2 };
	static const unsigned char other_then[] = { 7, 0, 1, 9,
	    0, 0, 5, 0x12, 0x34, 0x56, 0x78, 0x9a };
	static const unsigned char dup[] = { 0, 0, 5, 0, 0, 0, 0, 1,
	    0, 0, 5, 0, 0, 0, 0, 2 };
	static const unsigned char short_idx[] = { 0, 0, 4, 0, 0, 0, 1 };
	static const unsigned char overrun[] = { 0, 0, 9, 0, 0, 0, 1, 2 };
	static const unsigned char other[] = { 3, 0, 0 };
	uint64_t v = 0;

	CHECK("leaf_index 258", ctentry_leaf_index(one, sizeof(one), &v) ==
	    0 && v == 258);
	CHECK("leaf_index after another extension, 40 bits",
	    ctentry_leaf_index(other_then, sizeof(other_then), &v) == 0 &&
	    v == 0x123456789aull);
	CHECK("no extensions: none", ctentry_leaf_index(NULL, 0, &v) == 1);
	CHECK("only another extension: none", ctentry_leaf_index(other,
	    sizeof(other), &v) == 1);
	CHECK("duplicate leaf_index malformed", ctentry_leaf_index(dup,
	    sizeof(dup), &v) == -1);
	CHECK("4-byte leaf_index malformed", ctentry_leaf_index(short_idx,
	    sizeof(short_idx), &v) == -1);
	CHECK("length past the end malformed", ctentry_leaf_index(overrun,
	    sizeof(overrun), &v) == -1);
	CHECK("truncated header malformed", ctentry_leaf_index(one, 2, &v) ==
	    -1);
}

static void
test_tile(void)
{
	/* x509 leaf, precert leaf, x509 leaf */
	static const unsigned char tile[] = {
		0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0xaa, 0, 0,
		    0, 32, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		0, 0, 0, 0, 0, 0, 0, 2, 0, 1,
		    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
		    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
		    0, 0, 2, 0xbb, 0xcc, 0, 8, 0, 0, 5, 0, 0, 0, 1, 2,
		    0, 0, 1, 0xdd, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1, 0xee, 0, 0, 0, 0,
	};
	const unsigned char *te;
	size_t n;

	CHECK("tile entry 0: x509, 16 bytes", ctentry_tile_entry(tile,
	    sizeof(tile), 0, &te, &n) == 0 && te == tile && n == 16);
	CHECK("tile entry 1: precert with extensions, 57 bytes",
	    ctentry_tile_entry(tile, sizeof(tile), 1, &te, &n) == 0 &&
	    te == tile + 50 && n == 57 && te[n - 1] == 2);
	CHECK("tile entry 2", ctentry_tile_entry(tile, sizeof(tile), 2, &te,
	    &n) == 0 && te[7] == 3 && n == 16);
	CHECK("no entry 3", ctentry_tile_entry(tile, sizeof(tile), 3, &te,
	    &n) == -1);
	CHECK("truncated tile", ctentry_tile_entry(tile, sizeof(tile) - 1, 2,
	    &te, &n) == -1);
	CHECK("fingerprints not a multiple of 32", ctentry_tile_entry(tile,
	    49, 0, &te, &n) == -1);
}

int
main(void)
{
	char err[512];
	struct loglist *list = loglist_load(LOGS, err, sizeof(err));

	if (list == NULL)
		printf("# %s\n", err);
	CHECK("real log list loads", list != NULL);
	if (list != NULL) {
		test_real(list, "github-com-2025", 0);
		test_real(list, "le-home-liukun-2026", 1);
	}
	test_x509_entry();
	test_leaf_index();
	test_tile();
	loglist_free(list);
	return CHECK_DONE();
}
