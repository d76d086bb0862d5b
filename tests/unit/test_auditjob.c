/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the pure parts of auditjob.c: how a new tree head
 * compares with the largest one kept (shrunk, forked, consistency
 * needed), and gzip bodies (zlib's own compress2 with a gzip wrapper
 * through deflateInit2 makes the input; a body over the cap and a
 * corrupt one fail).
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "auditjob.h"
#include "check.h"

static void
test_heads(void)
{
	struct audit_head kept = { 1, 10, 0, { 1 } }, h = kept;
	char reason[200];
	int need = 0;

	CHECK("nothing kept: fine, no consistency proof",
	    auditjob_compare_heads(&(struct audit_head){ 0 }, &h, &need,
	    reason, sizeof(reason)) == 0 && need == 0);
	CHECK("the same tree: fine", auditjob_compare_heads(&kept, &h, &need,
	    reason, sizeof(reason)) == 0 && need == 0);
	h.size = 11;
	CHECK("a larger tree needs a consistency proof",
	    auditjob_compare_heads(&kept, &h, &need, reason,
	    sizeof(reason)) == 0 && need == 1);
	h.size = 9;
	CHECK("a smaller tree: shrank", auditjob_compare_heads(&kept, &h,
	    &need, reason, sizeof(reason)) == -1 &&
	    strstr(reason, "shrank") != NULL);
	h.size = 10;
	h.root[0] = 2;
	CHECK("the same size, another root: split view",
	    auditjob_compare_heads(&kept, &h, &need, reason,
	    sizeof(reason)) == -1 && strstr(reason, "split view") != NULL);
}

/* gzip-wrapped deflate of in. */
static size_t
gzip(const unsigned char *in, size_t len, unsigned char *out, size_t max)
{
	z_stream z = { 0 };
	size_t n;

	if (deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)max;
	n = deflate(&z, Z_FINISH) == Z_STREAM_END ? z.total_out : 0;
	deflateEnd(&z);
	return n;
}

static void
test_gunzip(void)
{
	static unsigned char plain[100000], packed[120000];
	unsigned char *out = NULL;
	size_t n, got = 0;

	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (unsigned char)(i * 7 / 13);
	n = gzip(plain, sizeof(plain), packed, sizeof(packed));
	CHECK("gzip fixture", n > 0);
	CHECK("gunzip gives the bytes back", auditjob_gunzip(packed, n,
	    1 << 20, &out, &got) == 0 && got == sizeof(plain) &&
	    memcmp(out, plain, got) == 0);
	free(out);
	out = NULL;
	CHECK("over the cap fails", auditjob_gunzip(packed, n, 50000, &out,
	    &got) == -1 && out == NULL);
	packed[n / 2] ^= 0xff;
	CHECK("a corrupt body fails", auditjob_gunzip(packed, n, 1 << 20,
	    &out, &got) == -1 && out == NULL);
	CHECK("a truncated body fails", auditjob_gunzip(packed, 10, 1 << 20,
	    &out, &got) == -1);
}

static void
test_proof_path(void)
{
	unsigned char all_slash[32], plain[32];
	char path[256];

	/* 0xff bytes: base64 "////...//8=", the longest escaping */
	memset(all_slash, 0xff, sizeof(all_slash));
	auditjob_proof_path(all_slash, 18446744073709551615ull, path,
	    sizeof(path));
	CHECK("every '/' and '=' escaped, the whole path kept",
	    strncmp(path, "ct/v1/get-proof-by-hash?hash=%2F%2F%2F", 38) == 0 &&
	    strstr(path, "8%3D&tree_size=18446744073709551615") != NULL &&
	    strchr(path + 29, '/') == NULL);
	memset(plain, 0, sizeof(plain));
	auditjob_proof_path(plain, 8, path, sizeof(path));
	CHECK("zeros: AAAA...A%3D", strcmp(path, "ct/v1/get-proof-by-hash?hash="
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D&tree_size=8") ==
	    0);
}

int
main(void)
{
	test_heads();
	test_proof_path();
	test_gunzip();
	return CHECK_DONE();
}
