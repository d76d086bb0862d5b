/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for sth.c and checkpoint.c: tree heads signed here with a
 * fresh P-256 key, as get-sth JSON and as static-ct-api checkpoints. The
 * checkpoint key id 53e3ed83 for name "example.test/log" and a log id of
 * 32 bytes 0x11 was computed outside this code (Python hashlib:
 * SHA-256(name || 0x0A || 0x05 || log id)[:4]).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "check.h"
#include "checkpoint.h"
#include "sth.h"

#define NAME "example.test/log"

static const unsigned char KID[4] = { 0x53, 0xe3, 0xed, 0x83 };
static unsigned char LOG_ID[32];

static void
be(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * (n - 1 - i)));
}

/* DigitallySigned (SHA-256, ECDSA) over the TreeHeadSignature. */
static size_t
sign_head(EVP_PKEY *key, uint64_t ts, uint64_t size, const unsigned char *root,
    unsigned char *out)
{
	unsigned char tbs[50];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t n = 200;

	tbs[0] = 0;
	tbs[1] = 1;
	be(tbs + 2, ts, 8);
	be(tbs + 10, size, 8);
	memcpy(tbs + 18, root, 32);
	out[0] = 4;
	out[1] = 3;
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, out + 4, &n, tbs, sizeof(tbs)) != 1)
		n = 0;
	EVP_MD_CTX_free(md);
	be(out + 2, n, 2);
	return n + 4;
}

static void
b64(const unsigned char *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

/* A checkpoint for (size, root) signed by key; the head says head_size. */
static void
note(char *out, size_t len, EVP_PKEY *key, uint64_t size,
    uint64_t head_size, const unsigned char *root, const unsigned char *kid,
    const char *extra_text, const char *extra_sig)
{
	unsigned char raw[300];
	char rootb[64], sigb[420];
	size_t n;

	memcpy(raw, kid, 4);
	be(raw + 4, 1700000000000ull, 8);
	n = sign_head(key, 1700000000000ull, head_size, root, raw + 12);
	b64(root, 32, rootb);
	b64(raw, 12 + n, sigb);
	snprintf(out, len, NAME "\n%llu\n%s\n%s\n%s\xe2\x80\x94 " NAME " %s\n",
	    (unsigned long long)size, rootb, extra_text, extra_sig, sigb);
}

static int
parse(const char *text, struct checkpoint *c, char *err, size_t errlen)
{
	return checkpoint_parse(text, strlen(text), LOG_ID, NULL, c, err,
	    errlen);
}

static void
test_checkpoint(EVP_PKEY *key)
{
	static const unsigned char other_kid[4] = { 1, 2, 3, 4 };
	unsigned char root[32];
	struct checkpoint c;
	char buf[2048], err[256], *p;

	memset(root, 0xab, sizeof(root));
	note(buf, sizeof(buf), key, 5, 5, root, KID, "", "");
	CHECK("checkpoint parses", parse(buf, &c, err, sizeof(err)) == 0);
	CHECK("checkpoint fields", strcmp(c.origin, NAME) == 0 &&
	    c.sth.size == 5 && memcmp(c.sth.root, root, 32) == 0 &&
	    c.sth.timestamp_ms == 1700000000000ull);
	CHECK("checkpoint signature verifies", checkpoint_verify(&c, key) ==
	    0);
	CHECK("expected origin accepted", checkpoint_parse(buf, strlen(buf),
	    LOG_ID, NAME, &c, err, sizeof(err)) == 0);
	CHECK("another origin refused", checkpoint_parse(buf, strlen(buf),
	    LOG_ID, "other.test/log", &c, err, sizeof(err)) == -1 &&
	    strstr(err, "origin"));
	note(buf, sizeof(buf), key, 5, 5, root, KID, "",
	    "\xe2\x80\x94 witness.test/w AAECAwQF\n");
	CHECK("a witness signature is ignored", parse(buf, &c, err,
	    sizeof(err)) == 0 && checkpoint_verify(&c, key) == 0);
	note(buf, sizeof(buf), key, 5, 5, root, other_kid, "", "");
	CHECK("the log's name with another key id: no signature",
	    parse(buf, &c, err, sizeof(err)) == -1 &&
	    strstr(err, "no signature"));
	note(buf, sizeof(buf), key, 6, 5, root, KID, "", "");
	CHECK("a size the log did not sign fails",
	    parse(buf, &c, err, sizeof(err)) == 0 &&
	    checkpoint_verify(&c, key) == -1);
	note(buf, sizeof(buf), key, 5, 5, root, KID, "ext line\n", "");
	CHECK("an extension line is refused", parse(buf, &c, err,
	    sizeof(err)) == -1 && strstr(err, "extension"));
	note(buf, sizeof(buf), key, 5, 5, root, KID, "", "");
	p = strstr(buf, "\n\n");
	p[1] = 'x';
	CHECK("no blank line refused", parse(buf, &c, err, sizeof(err)) ==
	    -1);
	note(buf, sizeof(buf), key, 5, 5, root, KID, "", "");
	buf[2] = '\t';
	CHECK("a control character refused", parse(buf, &c, err,
	    sizeof(err)) == -1);
	note(buf, sizeof(buf), key, 5, 5, root, KID, "", "");
	buf[strlen(buf) - 1] = '\0';
	CHECK("no final newline refused", parse(buf, &c, err, sizeof(err)) ==
	    -1);
	note(buf, sizeof(buf), key, 5, 5, root, KID, "", "");
	memcpy(buf + strlen(NAME) + 1, "05", 2);
	CHECK("a size with a leading zero refused", parse(buf, &c, err,
	    sizeof(err)) == -1);
	CHECK("origin of a submission URL", checkpoint_origin_of(
	    "https://log.example.test/2025h1//", buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "log.example.test/2025h1") == 0);
	CHECK("no origin of an empty URL", checkpoint_origin_of("https://",
	    buf, sizeof(buf)) == -1);
}

static void
test_sth_json(EVP_PKEY *key)
{
	unsigned char root[32], sig[300], proof[MERKLE_MAX_PROOF][32];
	char rootb[64], sigb[420], buf[2048], err[256];
	struct sth s;
	uint64_t idx = 0;
	size_t n;

	memset(root, 0x5a, sizeof(root));
	b64(root, 32, rootb);
	b64(sig, sign_head(key, 1234, 77, root, sig), sigb);
	snprintf(buf, sizeof(buf), "{\"tree_size\":77,\"timestamp\":1234,"
	    "\"sha256_root_hash\":\"%s\",\"tree_head_signature\":\"%s\"}",
	    rootb, sigb);
	CHECK("get-sth parses", sth_parse_json(buf, strlen(buf), &s, err,
	    sizeof(err)) == 0 && s.size == 77 && s.timestamp_ms == 1234);
	CHECK("get-sth signature verifies", sth_verify(&s, key) == 0);
	s.timestamp_ms++;
	CHECK("another timestamp fails", sth_verify(&s, key) == -1);
	s.timestamp_ms--;
	s.sig[1] = 1;	/* says RSA */
	CHECK("an RSA algorithm code with an EC key fails",
	    sth_verify(&s, key) == -1);
	snprintf(buf, sizeof(buf), "{\"tree_size\":-1,\"timestamp\":1234,"
	    "\"sha256_root_hash\":\"%s\",\"tree_head_signature\":\"%s\"}",
	    rootb, sigb);
	CHECK("negative tree size refused", sth_parse_json(buf, strlen(buf),
	    &s, err, sizeof(err)) == -1 && strstr(err, "tree_size"));
	snprintf(buf, sizeof(buf), "{\"tree_size\":1,\"timestamp\":1,"
	    "\"sha256_root_hash\":\"AAAA\",\"tree_head_signature\":\"%s\"}",
	    sigb);
	CHECK("short root hash refused", sth_parse_json(buf, strlen(buf), &s,
	    err, sizeof(err)) == -1 && strstr(err, "root"));
	CHECK("not JSON refused", sth_parse_json("[1]", 3, &s, err,
	    sizeof(err)) == -1);
	snprintf(buf, sizeof(buf), "{\"leaf_index\":3,\"audit_path\":"
	    "[\"%s\",\"%s\"]}", rootb, rootb);
	CHECK("get-proof-by-hash parses", sth_parse_proof_json(buf,
	    strlen(buf), "audit_path", proof, &n, &idx, err, sizeof(err)) ==
	    0 && n == 2 && idx == 3 && memcmp(proof[1], root, 32) == 0);
	snprintf(buf, sizeof(buf), "{\"consistency\":[\"%s\",\"AA==\"]}",
	    rootb);
	CHECK("a short proof hash refused", sth_parse_proof_json(buf,
	    strlen(buf), "consistency", proof, &n, NULL, err,
	    sizeof(err)) == -1);
	CHECK("missing leaf_index refused", sth_parse_proof_json(
	    "{\"audit_path\":[]}", 17, "audit_path", proof, &n, &idx, err,
	    sizeof(err)) == -1);
}

int
main(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	memset(LOG_ID, 0x11, sizeof(LOG_ID));
	CHECK("key", key != NULL);
	if (key != NULL) {
		test_checkpoint(key);
		test_sth_json(key);
	}
	EVP_PKEY_free(key);
	return CHECK_DONE();
}
