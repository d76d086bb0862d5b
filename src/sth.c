/* SPDX-License-Identifier: ISC */
/* RFC 6962 Signed Tree Heads and proof answers (see include/sth.h). */
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "base64.h"
#include "sth.h"

/* RFC 5246 HashAlgorithm and SignatureAlgorithm codes. */
#define TLS_HASH_SHA256	4
#define TLS_SIG_RSA	1
#define TLS_SIG_ECDSA	3
#define SIG_TREE_HASH	1	/* RFC 6962 SignatureType tree_hash */

static void
put_be(unsigned char *p, uint64_t v, size_t width)
{
	for (size_t i = 0; i < width; i++)
		p[i] = (unsigned char)(v >> (8 * (width - 1 - i)));
}

/* The signature algorithm must be SHA-256 with the key's own type. */
static int
sig_alg_ok(const unsigned char *ds, EVP_PKEY *key)
{
	if (ds[0] != TLS_HASH_SHA256)
		return 0;
	if (ds[1] == TLS_SIG_ECDSA)
		return EVP_PKEY_is_a(key, "EC");
	if (ds[1] == TLS_SIG_RSA)
		return EVP_PKEY_is_a(key, "RSA");
	return 0;
}

int
sth_verify(const struct sth *s, EVP_PKEY *key)
{
	unsigned char tbs[2 + 8 + 8 + MERKLE_HASH_LEN];
	EVP_MD_CTX *md;
	size_t n;
	int ok;

	if (key == NULL || s->sig_len < 4 || !sig_alg_ok(s->sig, key))
		return -1;
	n = (size_t)s->sig[2] << 8 | s->sig[3];
	if (n != s->sig_len - 4)
		return -1;
	tbs[0] = 0;	/* v1 */
	tbs[1] = SIG_TREE_HASH;
	put_be(tbs + 2, s->timestamp_ms, 8);
	put_be(tbs + 10, s->size, 8);
	memcpy(tbs + 18, s->root, MERKLE_HASH_LEN);
	if ((md = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestVerify(md, s->sig + 4, n, tbs, sizeof(tbs)) == 1;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok ? 0 : -1;
}

/* A strict-base64 JSON string of exactly want bytes (0: up to max). */
static int
get_b64(json_t *obj, const char *key, unsigned char *out, size_t max,
    size_t want, size_t *got)
{
	json_t *v = json_object_get(obj, key);
	size_t n;

	if (!json_is_string(v) || base64_decode_n(json_string_value(v),
	    json_string_length(v), out, max, &n) == -1 ||
	    (want != 0 && n != want))
		return -1;
	if (got != NULL)
		*got = n;
	return 0;
}

static int
get_u64(json_t *obj, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static json_t *
load_object(const char *buf, size_t len, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;

	if (len > STH_MAX_JSON) {
		snprintf(err, errlen, "answer over %u bytes", STH_MAX_JSON);
		return NULL;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || !json_is_object(root)) {
		snprintf(err, errlen, "answer is not a JSON object%s%s",
		    root == NULL ? ": " : "", root == NULL ? jerr.text : "");
		json_decref(root);
		return NULL;
	}
	return root;
}

int
sth_parse_json(const char *buf, size_t len, struct sth *out, char *err,
    size_t errlen)
{
	json_t *root = load_object(buf, len, err, errlen);
	int rc = -1;

	if (root == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	if (get_u64(root, "tree_size", &out->size) == -1)
		snprintf(err, errlen, "get-sth: bad or missing tree_size");
	else if (get_u64(root, "timestamp", &out->timestamp_ms) == -1)
		snprintf(err, errlen, "get-sth: bad or missing timestamp");
	else if (get_b64(root, "sha256_root_hash", out->root,
	    sizeof(out->root), MERKLE_HASH_LEN, NULL) == -1)
		snprintf(err, errlen, "get-sth: sha256_root_hash is not 32 "
		    "bytes of base64");
	else if (get_b64(root, "tree_head_signature", out->sig,
	    sizeof(out->sig), 0, &out->sig_len) == -1)
		snprintf(err, errlen, "get-sth: bad tree_head_signature");
	else
		rc = 0;
	json_decref(root);
	return rc;
}

static int
get_proof(json_t *root, const char *field,
    unsigned char (*proof)[MERKLE_HASH_LEN], size_t *n)
{
	json_t *arr = json_object_get(root, field), *v;
	size_t i, got;

	if (!json_is_array(arr) || json_array_size(arr) > MERKLE_MAX_PROOF)
		return -1;
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) || base64_decode_n(json_string_value(v),
		    json_string_length(v), proof[i], MERKLE_HASH_LEN,
		    &got) == -1 || got != MERKLE_HASH_LEN)
			return -1;
	}
	*n = json_array_size(arr);
	return 0;
}

int
sth_parse_proof_json(const char *buf, size_t len, const char *field,
    unsigned char (*proof)[MERKLE_HASH_LEN], size_t *n, uint64_t *leaf_index,
    char *err, size_t errlen)
{
	json_t *root = load_object(buf, len, err, errlen);
	int rc = -1;

	if (root == NULL)
		return -1;
	if (leaf_index != NULL && get_u64(root, "leaf_index", leaf_index) == -1)
		snprintf(err, errlen, "proof: bad or missing leaf_index");
	else if (get_proof(root, field, proof, n) == -1)
		snprintf(err, errlen, "proof: \"%s\" is not an array of at most "
		    "%d base64 hashes", field, MERKLE_MAX_PROOF);
	else
		rc = 0;
	json_decref(root);
	return rc;
}
