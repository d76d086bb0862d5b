/* SPDX-License-Identifier: ISC */
/*
 * mkpki: mint ctstub's test PKI.
 *
 *   build/mkpki OUTDIR [--now UNIXTIME]
 *
 * Writes a root and intermediates, test CT logs (fresh keys every run) with
 * a log list in Chrome's v3 schema, and one leaf per test variant carrying
 * real RFC 6962 SCTs: embedded through a precertificate, or for the TLS
 * extension (.sctl and OpenSSL serverinfo files).  All keys are EC P-256,
 * all signatures ECDSA with SHA-256.  Every SCT's log entry is written to
 * ct-entries.txt, so a test log server (ctlogserver.py) can publish it;
 * tiled test logs put a static-ct-api leaf_index extension in their SCTs.  See tests/tools/README.md for the
 * file list and what each variant is meant to prove.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>	/* SSL_EXT_* context bits only; no libssl call */
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define HOUR	3600L
#define DAY	86400L
#define ISO_LEN	32		/* "YYYY-MM-DDTHH:MM:SSZ" with room to spare */
#define B64_LEN	256		/* base64 of a P-256 SPKI (91 bytes) fits */
#define MAX_SCTS 13	/* 12 SCTs and the end mark */

/* RFC 6962 section 3.2 and the TLS 1.2 SignatureAndHashAlgorithm codes. */
enum {
	SCT_V1 = 0,
	SIG_TYPE_CERT_TIMESTAMP = 0,
	ENTRY_X509 = 0,
	ENTRY_PRECERT = 1,
	TLS_HASH_SHA256 = 4,
	TLS_SIG_ECDSA = 3,
	TLSEXT_TYPE_SCT = 18,
	EXT_LEAF_INDEX = 0	/* static-ct-api SCT extension */
};

#define AUDIT_MMD	5	/* seconds: the audit logs' merge delay */
#define TILED_FIRST_INDEX 1000	/* tiled logs' first entry: tiles 0-2 full */

/*
 * Serverinfo v2 context: offered in reply to the ClientHello extension, in
 * the TLS 1.2 ServerHello or the TLS 1.3 Certificate message (RFC 8446
 * 4.4.2 puts SCTs in the end-entity CertificateEntry); never on resumption.
 */
#define SCT_SERVERINFO_CONTEXT (SSL_EXT_CLIENT_HELLO | \
	SSL_EXT_TLS1_2_SERVER_HELLO | SSL_EXT_TLS1_3_CERTIFICATE | \
	SSL_EXT_IGNORE_ON_RESUMPTION)

/* ---- constant tables ------------------------------------------------ */

enum ca_id { CA_ROOT, CA_INTER, CA_INTER2, CA_UROOT, CA_UINTER, CA_COUNT };

struct ca_spec {
	const char *file;
	const char *cn;
	enum ca_id parent;	/* itself: self-signed */
	const char *constraints;
	const char *pin_name;	/* listed in pins.txt when not NULL */
};

static const struct ca_spec CA_SPECS[CA_COUNT] = {
	[CA_ROOT] = { "root", "ctstub test root", CA_ROOT,
	    "critical,CA:TRUE", "root" },
	[CA_INTER] = { "inter", "ctstub test intermediate", CA_ROOT,
	    "critical,CA:TRUE,pathlen:0", "inter" },
	[CA_INTER2] = { "inter2", "ctstub test intermediate 2", CA_ROOT,
	    "critical,CA:TRUE,pathlen:0", "inter2" },
	[CA_UROOT] = { "untrusted-root", "ctstub untrusted root", CA_UROOT,
	    "critical,CA:TRUE", NULL },
	[CA_UINTER] = { "untrusted-inter", "ctstub untrusted intermediate",
	    CA_UROOT, "critical,CA:TRUE,pathlen:0", NULL },
};

struct operator_spec {
	const char *name;
	const char *email;
};

static const struct operator_spec OPERATORS[] = {
	{ "Operator A", "ct-a@example.test" },
	{ "Operator B", "ct-b@example.test" },
	{ "Operator C", "ct-c@example.test" },
};
#define OPERATOR_COUNT (sizeof(OPERATORS) / sizeof(OPERATORS[0]))

enum log_state { LOG_USABLE, LOG_RETIRED, LOG_PENDING };
static const char *const STATE_NAMES[] = { "usable", "retired", "pending" };

struct log_spec {
	const char *name;
	int op;			/* index in OPERATORS; -1: not in the list */
	enum log_state state;
	long state_age;		/* state timestamp = now - state_age */
	const char *fixed_id;	/* base64 log id to claim, not the key hash */
	int tiled;		/* under tiled_logs, SCTs with leaf_index */
	long mmd;		/* 0: 24 hours */
};

/* Chrome's mimic id: its private key is public, so it must never count. */
static const struct log_spec LOG_SPECS[] = {
	{ "a1", 0, LOG_USABLE, 300 * DAY, NULL, 0, 0 },
	{ "a2", 0, LOG_USABLE, 300 * DAY, NULL, 0, 0 },
	{ "b1", 1, LOG_USABLE, 300 * DAY, NULL, 0, 0 },
	{ "p1", 1, LOG_PENDING, 10 * DAY, NULL, 0, 0 },
	{ "c1", 2, LOG_USABLE, 300 * DAY, NULL, 0, 0 },
	{ "r1", 2, LOG_RETIRED, 30 * DAY, NULL, 0, 0 },
	{ "x1", -1, LOG_USABLE, 0, NULL, 0, 0 },
	{ "x2", -1, LOG_USABLE, 0, NULL, 0, 0 },
	{ "x3", -1, LOG_USABLE, 0, NULL, 0, 0 },
	{ "x4", -1, LOG_USABLE, 0, NULL, 0, 0 },
	{ "x5", -1, LOG_USABLE, 0, NULL, 0, 0 },
	{ "x6", -1, LOG_USABLE, 0, NULL, 0, 0 },
	{ "x7", -1, LOG_USABLE, 0, NULL, 0, 0 },
	{ "x8", -1, LOG_USABLE, 0, NULL, 0, 0 },
	{ "x9", -1, LOG_USABLE, 0, NULL, 0, 0 },
	{ "x10", -1, LOG_USABLE, 0, NULL, 0, 0 },
	{ "x11", -1, LOG_USABLE, 0, NULL, 0, 0 },
	{ "x12", -1, LOG_USABLE, 0, NULL, 0, 0 },
	{ "mimic", -1, LOG_USABLE, 0,
	    "9EGV1vAOLbVUNcrdV3iS5T4VrUFwWPh44U/2uRh0FYk=", 0, 0 },
	/* for auditing (98-audit): a tiled log and an RFC 6962 log */
	{ "t1", 0, LOG_USABLE, 300 * DAY, NULL, 1, AUDIT_MMD },
	{ "s1", 1, LOG_USABLE, 300 * DAY, NULL, 0, AUDIT_MMD },
};
#define LOG_COUNT (sizeof(LOG_SPECS) / sizeof(LOG_SPECS[0]))
#define LOG_INTERVAL (365 * DAY)	/* temporal interval: now +- this */

/* SCT_BACKDATED: timestamped a day before r1's retirement (now-31d). */
enum sct_how { SCT_OK, SCT_BAD_SIG, SCT_FUTURE, SCT_BACKDATED };

struct sct_spec {
	const char *log;	/* NULL ends the list */
	enum sct_how how;
};

enum sct_place {
	PLACE_NONE,		/* no SCT anywhere */
	PLACE_EMBED,		/* X.509 extension, via a precertificate */
	PLACE_TLSEXT,		/* .sctl and .serverinfo.pem */
	PLACE_COPY		/* the shared embedded list of another leaf */
};

struct variant {
	const char *name;
	enum ca_id issuer;
	enum sct_place place;
	int share_list;		/* its embedded list is what PLACE_COPY uses */
	const char *san;
	long start_days;	/* notBefore = now - start_days */
	long lifetime_days;	/* notAfter = notBefore + lifetime_days */
	struct sct_spec scts[MAX_SCTS];
	const char *verdict;	/* dialling 127.0.0.1, trusting root.pem */
	const char *reason;
};

#define SAN_DEFAULT "IP:127.0.0.1,IP:::1,DNS:dns.example.test"
#define SCTS_GOOD { { "a1", SCT_OK }, { "b1", SCT_OK }, { "c1", SCT_OK } }
#define SCTS_AB { { "a1", SCT_OK }, { "b1", SCT_OK } }
#define SCTS_NONE { { NULL, SCT_OK } }

/* "good" comes first: "copied" reuses its list. */
static const struct variant VARIANTS[] = {
	{ "good", CA_INTER, PLACE_EMBED, 1, SAN_DEFAULT, 1, 90, SCTS_GOOD,
	    "accept", "3-logs-3-operators" },
	{ "short2", CA_INTER, PLACE_EMBED, 0, SAN_DEFAULT, 1, 90, SCTS_AB,
	    "accept", "2-logs-2-operators-lifetime-90-days" },
	{ "long2", CA_INTER, PLACE_EMBED, 0, SAN_DEFAULT, 1, 200, SCTS_AB,
	    "refuse", "lifetime-200-days-needs-3-embedded-scts" },
	{ "oneop", CA_INTER, PLACE_EMBED, 0, SAN_DEFAULT, 1, 90,
	    { { "a1", SCT_OK }, { "a2", SCT_OK } },
	    "refuse", "2-logs-but-1-operator" },
	{ "onesct", CA_INTER, PLACE_EMBED, 0, SAN_DEFAULT, 1, 90,
	    { { "a1", SCT_OK } }, "refuse", "only-1-sct" },
	{ "nosct", CA_INTER, PLACE_NONE, 0, SAN_DEFAULT, 1, 90, SCTS_NONE,
	    "refuse", "no-scts" },
	{ "badsig", CA_INTER, PLACE_EMBED, 0, SAN_DEFAULT, 1, 90,
	    { { "a1", SCT_OK }, { "b1", SCT_BAD_SIG } },
	    "refuse", "b1-sct-signature-invalid" },
	{ "unknown", CA_INTER, PLACE_EMBED, 0, SAN_DEFAULT, 1, 90,
	    { { "a1", SCT_OK }, { "x1", SCT_OK } },
	    "refuse", "x1-log-not-in-list" },
	{ "future", CA_INTER, PLACE_EMBED, 0, SAN_DEFAULT, 1, 90,
	    { { "a1", SCT_OK }, { "b1", SCT_FUTURE } },
	    "refuse", "b1-sct-timestamp-in-future" },
	{ "copied", CA_INTER, PLACE_COPY, 0, SAN_DEFAULT, 1, 90, SCTS_NONE,
	    "refuse", "scts-of-good-copied-signatures-do-not-match" },
	{ "retired", CA_INTER, PLACE_EMBED, 0, SAN_DEFAULT, 1, 90,
	    { { "a1", SCT_OK }, { "r1", SCT_OK } },
	    "refuse", "r1-sct-after-r1-retirement" },
	{ "retired-ok", CA_INTER, PLACE_EMBED, 0, SAN_DEFAULT, 40, 90,
	    { { "a1", SCT_OK }, { "r1", SCT_OK } },
	    "accept", "r1-sct-before-r1-retirement" },
	{ "pending", CA_INTER, PLACE_EMBED, 0, SAN_DEFAULT, 1, 90,
	    { { "a1", SCT_OK }, { "p1", SCT_OK } },
	    "refuse", "p1-log-pending" },
	{ "mimic", CA_INTER, PLACE_EMBED, 0, SAN_DEFAULT, 1, 90,
	    { { "a1", SCT_OK }, { "mimic", SCT_OK } },
	    "refuse", "mimic-log-id-never-trusted" },
	{ "tlsext", CA_INTER, PLACE_TLSEXT, 0, SAN_DEFAULT, 1, 90, SCTS_AB,
	    "accept", "tls-extension-scts-2-logs-2-operators" },
	{ "tlsext-one", CA_INTER, PLACE_TLSEXT, 0, SAN_DEFAULT, 1, 90,
	    { { "a1", SCT_OK } }, "refuse", "only-1-tls-extension-sct" },
	{ "wrong-ip", CA_INTER, PLACE_EMBED, 0, "IP:127.0.0.9", 1, 90,
	    SCTS_GOOD, "refuse", "ip-san-is-127.0.0.9-only" },
	{ "name-only", CA_INTER, PLACE_EMBED, 0, "DNS:dns.example.test", 1, 90,
	    SCTS_GOOD, "refuse", "no-ip-san-accepted-by-name-dns.example.test" },
	{ "untrusted", CA_UINTER, PLACE_EMBED, 0, SAN_DEFAULT, 1, 90,
	    SCTS_GOOD, "refuse", "chains-to-untrusted-root" },
	{ "alt-issuer", CA_INTER2, PLACE_EMBED, 0, SAN_DEFAULT, 1, 90,
	    SCTS_GOOD, "accept", "issued-by-inter2-refused-if-pinned-to-inter" },
};
#define VARIANT_COUNT (sizeof(VARIANTS) / sizeof(VARIANTS[0]))

/*
 * Leaves for single tests, listed in extra.txt (same format) rather than
 * expected.txt, so the every-variant loops of 30-ct and 40-check skip them.
 */
static const struct variant EXTRAS[] = {
	{ "many-unknown", CA_INTER, PLACE_EMBED, 0, SAN_DEFAULT, 1, 90,
	    { { "x1", SCT_OK }, { "x2", SCT_OK }, { "x3", SCT_OK },
	    { "x4", SCT_OK }, { "x5", SCT_OK }, { "x6", SCT_OK },
	    { "x7", SCT_OK }, { "x8", SCT_OK }, { "x9", SCT_OK },
	    { "x10", SCT_OK }, { "x11", SCT_OK }, { "x12", SCT_OK } },
	    "refuse", "12-scts-from-unknown-logs-reason-over-300-characters" },
	{ "tlsext-retired", CA_INTER, PLACE_TLSEXT, 0, SAN_DEFAULT, 40, 90,
	    { { "a1", SCT_OK }, { "r1", SCT_OK } },
	    "refuse", "r1-tls-extension-sct-from-a-retired-log" },
	{ "retired-backdated", CA_INTER, PLACE_EMBED, 0, SAN_DEFAULT, 1, 90,
	    { { "a1", SCT_OK }, { "r1", SCT_BACKDATED } },
	    "refuse", "r1-sct-backdated-a1-sct-after-r1-retirement" },
	{ "audit", CA_INTER, PLACE_EMBED, 0, SAN_DEFAULT, 1, 90,
	    { { "t1", SCT_OK }, { "s1", SCT_OK } },
	    "accept", "t1-tiled-and-s1-rfc6962-embedded-for-auditing" },
	{ "audit2", CA_INTER, PLACE_EMBED, 0, SAN_DEFAULT, 1, 90,
	    { { "t1", SCT_OK }, { "s1", SCT_OK } },
	    "accept", "a-second-leaf-t1-and-s1-for-auditing" },
	{ "audit-tlsext", CA_INTER, PLACE_TLSEXT, 0, SAN_DEFAULT, 1, 90,
	    { { "t1", SCT_OK }, { "s1", SCT_OK } },
	    "accept", "t1-and-s1-tls-extension-x509-entries-for-auditing" },
};
#define EXTRA_COUNT (sizeof(EXTRAS) / sizeof(EXTRAS[0]))

/* ---- run-time state ------------------------------------------------- */

struct buf {
	unsigned char *data;
	size_t len;
	size_t cap;
	int failed;		/* sticky: an append failed, contents unusable */
};

struct ca {
	X509 *cert;
	EVP_PKEY *key;
};

struct ctlog {
	EVP_PKEY *key;
	unsigned char id[32];	/* what its SCTs carry as LogID */
	uint64_t next_index;	/* the entry its next SCT stands for */
	const char *name;
	int tiled;
	char id_b64[B64_LEN];
	char key_b64[B64_LEN];	/* DER SubjectPublicKeyInfo */
};

struct pki {
	const char *dir;
	time_t now;
	struct ca cas[CA_COUNT];
	struct ctlog logs[LOG_COUNT];
	struct buf shared_list;	/* embedded list of the share_list variant */
	FILE *expected;
	FILE *entries;		/* ct-entries.txt */
	X509 *issuing;		/* issuer of the leaf being made */
};

/* What an SCT signs over besides its own fields (RFC 6962 3.2). */
struct ct_entry {
	unsigned int type;	/* ENTRY_X509 or ENTRY_PRECERT */
	unsigned char issuer_key_hash[32];	/* ENTRY_PRECERT only */
	unsigned char *der;	/* leaf certificate or precert TBS */
	size_t der_len;
	unsigned char *precert;	/* ENTRY_PRECERT: the signed precertificate */
	size_t precert_len;
};

/* ---- byte buffers and TLS vectors ----------------------------------- */

static void buf_put(struct buf *b, const void *src, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;
	unsigned char *data;

	if (b->failed || n == 0)
		return;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2) {
			b->failed = 1;
			return;
		}
		cap *= 2;
	}
	if (cap != b->cap) {
		if ((data = realloc(b->data, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->data = data;
		b->cap = cap;
	}
	memcpy(b->data + b->len, src, n);
	b->len += n;
}

static void store_be(unsigned char *dst, uint64_t v, size_t width)
{
	for (size_t i = 0; i < width; i++)
		dst[i] = (unsigned char)(v >> (8 * (width - 1 - i)));
}

static void buf_put_uint(struct buf *b, uint64_t v, size_t width)
{
	unsigned char be[8];

	store_be(be, v, width);
	buf_put(b, be, width);
}

/* Opens a TLS vector with a width-byte length; returns where it starts. */
static size_t vec_open(struct buf *b, size_t width)
{
	size_t start = b->len;

	buf_put_uint(b, 0, width);
	return start;
}

static void vec_close(struct buf *b, size_t start, size_t width)
{
	size_t n;

	if (b->failed)
		return;
	n = b->len - start - width;
	if ((uint64_t)n >> (8 * width) != 0) {
		b->failed = 1;	/* too long for its length field */
		return;
	}
	store_be(b->data + start, n, width);
}

static void buf_put_vec(struct buf *b, const void *src, size_t n,
    size_t width)
{
	size_t start = vec_open(b, width);

	buf_put(b, src, n);
	vec_close(b, start, width);
}

static void buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* ---- small helpers -------------------------------------------------- */

static int iso8601(time_t t, char out[ISO_LEN])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return 0;
	return strftime(out, ISO_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) != 0;
}

static int base64(const unsigned char *in, size_t n, char out[B64_LEN])
{
	if (n > (B64_LEN - 1) / 4 * 3)
		return 0;
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return 1;
}

static int spki_der(EVP_PKEY *key, unsigned char **der, size_t *len)
{
	int n;

	*der = NULL;
	if ((n = i2d_PUBKEY(key, der)) <= 0)
		return 0;
	*len = (size_t)n;
	return 1;
}

/* SHA-256 of the DER SubjectPublicKeyInfo: log ids, issuer hashes, pins. */
static int spki_sha256(EVP_PKEY *key, unsigned char out[32])
{
	unsigned char *der;
	size_t len;
	int ok;

	if (!spki_der(key, &der, &len))
		return 0;
	ok = EVP_Digest(der, len, out, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	return ok;
}

static EVP_PKEY *new_p256_key(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static FILE *open_out(const struct pki *p, const char *name,
    const char *suffix)
{
	char path[PATH_MAX];
	int n;
	FILE *f;

	n = snprintf(path, sizeof(path), "%s/%s%s", p->dir, name, suffix);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		fprintf(stderr, "mkpki: %s/%s%s: path too long\n", p->dir,
		    name, suffix);
		return NULL;
	}
	if ((f = fopen(path, "w")) == NULL)
		fprintf(stderr, "mkpki: %s: %s\n", path, strerror(errno));
	return f;
}

/* Closes f; returns ok unless writing or closing failed. */
static int close_out(FILE *f, int ok)
{
	if (ferror(f))
		ok = 0;
	if (fclose(f) != 0)
		ok = 0;
	return ok;
}

static int write_key(const struct pki *p, const char *name, EVP_PKEY *key)
{
	FILE *f = open_out(p, name, ".key");

	if (f == NULL)
		return 0;
	return close_out(f,
	    PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL));
}

/* NAME.pem: the certificate, then its issuer when given (a served chain). */
static int write_chain(const struct pki *p, const char *name, X509 *cert,
    X509 *issuer)
{
	FILE *f = open_out(p, name, ".pem");
	int ok;

	if (f == NULL)
		return 0;
	ok = PEM_write_X509(f, cert);
	if (ok && issuer != NULL)
		ok = PEM_write_X509(f, issuer);
	return close_out(f, ok);
}

/* ---- certificates --------------------------------------------------- */

static int set_serial(X509 *x)
{
	BIGNUM *bn = BN_new();
	int ok;

	ok = bn != NULL && BN_rand(bn, 120, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY)
	    && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

static int set_names(X509 *x, const char *cn, X509 *issuer)
{
	X509_NAME *name = X509_NAME_new();
	int ok;

	ok = name != NULL &&
	    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
		(const unsigned char *)"ctstub tests", -1, -1, 0) &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
		(const unsigned char *)cn, -1, -1, 0) &&
	    X509_set_subject_name(x, name) &&
	    X509_set_issuer_name(x,
		issuer != NULL ? X509_get_subject_name(issuer) : name);
	X509_NAME_free(name);
	return ok;
}

/* An unsigned, extension-less certificate; issuer NULL: self-issued. */
static X509 *cert_new(const char *cn, EVP_PKEY *key, X509 *issuer,
    time_t not_before, time_t not_after)
{
	X509 *x = X509_new();

	if (x == NULL)
		return NULL;
	if (!X509_set_version(x, X509_VERSION_3) || !set_serial(x) ||
	    !set_names(x, cn, issuer) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), not_after) == NULL ||
	    !X509_set_pubkey(x, key)) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Adds one extension written in openssl.cnf syntax. */
static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* Adds an extension whose extnValue is the given DER. */
static int add_raw_ext(X509 *x, int nid, int critical,
    const unsigned char *der, size_t len)
{
	ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	int ok = 0;

	if (value == NULL || len > INT_MAX ||
	    !ASN1_OCTET_STRING_set(value, der, (int)len))
		goto fail;
	ext = X509_EXTENSION_create_by_NID(NULL, nid, critical, value);
	ok = ext != NULL && X509_add_ext(x, ext, -1);
fail:
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(value);
	return ok;
}

static int sign_cert(X509 *x, EVP_PKEY *issuer_key)
{
	return X509_sign(x, issuer_key, EVP_sha256()) > 0;
}

static int add_ca_exts(X509 *x, X509 *issuer, const char *constraints)
{
	return add_ext(x, issuer, NID_basic_constraints, constraints) &&
	    add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign") &&
	    add_ext(x, issuer, NID_subject_key_identifier, "hash") &&
	    (issuer == NULL ||
	     add_ext(x, issuer, NID_authority_key_identifier, "keyid:always"));
}

static int add_leaf_exts(X509 *x, X509 *issuer, const char *san)
{
	return add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE") &&
	    add_ext(x, issuer, NID_key_usage, "critical,digitalSignature") &&
	    add_ext(x, issuer, NID_ext_key_usage, "serverAuth") &&
	    add_ext(x, issuer, NID_subject_key_identifier, "hash") &&
	    add_ext(x, issuer, NID_authority_key_identifier, "keyid:always") &&
	    add_ext(x, issuer, NID_subject_alt_name, san);
}

static int make_ca(struct pki *p, enum ca_id id)
{
	const struct ca_spec *spec = &CA_SPECS[id];
	struct ca *ca = &p->cas[id];
	struct ca *parent = spec->parent == id ? ca : &p->cas[spec->parent];
	X509 *issuer;

	if ((ca->key = new_p256_key()) == NULL)
		return 0;
	issuer = parent == ca ? NULL : parent->cert;
	ca->cert = cert_new(spec->cn, ca->key, issuer, p->now - 365 * DAY,
	    p->now + 3650 * DAY);
	return ca->cert != NULL &&
	    add_ca_exts(ca->cert, issuer, spec->constraints) &&
	    sign_cert(ca->cert, parent->key) &&
	    write_chain(p, spec->file, ca->cert, NULL) &&
	    write_key(p, spec->file, ca->key);
}

static int make_cas(struct pki *p)
{
	for (int id = 0; id < CA_COUNT; id++) {
		if (!make_ca(p, (enum ca_id)id)) {
			fprintf(stderr, "mkpki: cannot make CA %s\n",
			    CA_SPECS[id].file);
			return 0;
		}
	}
	return 1;
}

static int write_pins(const struct pki *p)
{
	FILE *f = open_out(p, "pins", ".txt");
	unsigned char hash[32];
	char b64[B64_LEN];
	int ok = 1;

	if (f == NULL)
		return 0;
	for (int id = 0; ok && id < CA_COUNT; id++) {
		if (CA_SPECS[id].pin_name == NULL)
			continue;
		ok = spki_sha256(p->cas[id].key, hash) &&
		    base64(hash, sizeof(hash), b64) &&
		    fprintf(f, "%s sha256/%s\n", CA_SPECS[id].pin_name, b64) > 0;
	}
	return close_out(f, ok);
}

/* ---- test CT logs and the log list ---------------------------------- */

static int log_index(const char *name)
{
	for (size_t i = 0; i < LOG_COUNT; i++)
		if (strcmp(LOG_SPECS[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int set_log_id(struct ctlog *log, const char *fixed_id)
{
	unsigned char raw[48];

	if (fixed_id == NULL)
		return spki_sha256(log->key, log->id);
	/* EVP_DecodeBlock counts the '=' padding as zero bytes. */
	if (strlen(fixed_id) != 44 ||
	    EVP_DecodeBlock(raw, (const unsigned char *)fixed_id, 44) != 33)
		return 0;
	memcpy(log->id, raw, sizeof(log->id));
	return 1;
}

static int make_log(struct pki *p, size_t i)
{
	struct ctlog *log = &p->logs[i];
	char file[64];
	unsigned char *der = NULL;
	size_t len;
	int ok;

	if ((log->key = new_p256_key()) == NULL)
		return 0;
	log->name = LOG_SPECS[i].name;
	log->tiled = LOG_SPECS[i].tiled;
	log->next_index = log->tiled ? TILED_FIRST_INDEX : 0;
	ok = set_log_id(log, LOG_SPECS[i].fixed_id) &&
	    base64(log->id, sizeof(log->id), log->id_b64) &&
	    spki_der(log->key, &der, &len) &&
	    base64(der, len, log->key_b64);
	OPENSSL_free(der);
	snprintf(file, sizeof(file), "ctlog-%s", LOG_SPECS[i].name);
	return ok && write_key(p, file, log->key);
}

static int make_logs(struct pki *p)
{
	for (size_t i = 0; i < LOG_COUNT; i++) {
		if (!make_log(p, i)) {
			fprintf(stderr, "mkpki: cannot make log %s\n",
			    LOG_SPECS[i].name);
			return 0;
		}
	}
	return 1;
}

/*
 * An RFC 6962 log has a url; a tiled log a submission_url (its checkpoint
 * origin: NAME.ct.example.test) and a monitoring_url. Tests point the
 * url and monitoring_url at their log server.
 */
static int write_log_urls(FILE *f, const struct log_spec *spec)
{
	if (!spec->tiled)
		return fprintf(f, "          \"url\": "
		    "\"https://%s.ct.example.test/\",\n", spec->name) > 0;
	return fprintf(f,
	    "          \"submission_url\": \"https://%s.ct.example.test/\",\n"
	    "          \"monitoring_url\": \"https://%s-mon.ct.example.test/\","
	    "\n", spec->name, spec->name) > 0;
}

static int write_log_json(FILE *f, const struct pki *p, size_t i)
{
	const struct log_spec *spec = &LOG_SPECS[i];
	char state_ts[ISO_LEN], start[ISO_LEN], end[ISO_LEN];

	if (!iso8601(p->now - spec->state_age, state_ts) ||
	    !iso8601(p->now - LOG_INTERVAL, start) ||
	    !iso8601(p->now + LOG_INTERVAL, end))
		return 0;
	return fprintf(f,
	    "        {\n"
	    "          \"description\": \"ctstub test log %s\",\n"
	    "          \"log_id\": \"%s\",\n"
	    "          \"key\": \"%s\",\n",
	    spec->name, p->logs[i].id_b64, p->logs[i].key_b64) > 0 &&
	    write_log_urls(f, spec) && fprintf(f,
	    "          \"mmd\": %ld,\n"
	    "          \"state\": {\n"
	    "            \"%s\": {\n"
	    "              \"timestamp\": \"%s\"\n"
	    "            }\n"
	    "          },\n"
	    "          \"temporal_interval\": {\n"
	    "            \"start_inclusive\": \"%s\",\n"
	    "            \"end_exclusive\": \"%s\"\n"
	    "          }\n"
	    "        }",
	    spec->mmd ? spec->mmd : DAY,
	    STATE_NAMES[spec->state], state_ts, start, end) > 0;
}

/* The operator's logs of one kind (tiled or not), comma-separated. */
static int write_logs_json(FILE *f, const struct pki *p, size_t op,
    int tiled)
{
	const char *sep = "";
	int ok = 1;

	for (size_t i = 0; ok && i < LOG_COUNT; i++) {
		if (LOG_SPECS[i].op != (int)op || LOG_SPECS[i].tiled != tiled)
			continue;
		ok = fputs(sep, f) >= 0 && write_log_json(f, p, i);
		sep = ",\n";
	}
	return ok;
}

static int write_operator_json(FILE *f, const struct pki *p, size_t op)
{
	return fprintf(f,
	    "    {\n"
	    "      \"name\": \"%s\",\n"
	    "      \"email\": [\"%s\"],\n"
	    "      \"logs\": [\n",
	    OPERATORS[op].name, OPERATORS[op].email) > 0 &&
	    write_logs_json(f, p, op, 0) &&
	    fputs("\n      ],\n      \"tiled_logs\": [\n", f) >= 0 &&
	    write_logs_json(f, p, op, 1) &&
	    fputs("\n      ]\n    }", f) >= 0;
}

/* ct-logs.json: our own list in Chrome's v3 schema. */
static int write_log_list(const struct pki *p)
{
	FILE *f = open_out(p, "ct-logs", ".json");
	char now[ISO_LEN];
	int ok;

	if (f == NULL)
		return 0;
	ok = iso8601(p->now, now) &&
	    fprintf(f, "{\n  \"version\": \"1.0\",\n"
		"  \"log_list_timestamp\": \"%s\",\n"
		"  \"operators\": [\n", now) > 0;
	for (size_t op = 0; ok && op < OPERATOR_COUNT; op++)
		ok = write_operator_json(f, p, op) &&
		    fputs(op + 1 < OPERATOR_COUNT ? ",\n" : "\n", f) >= 0;
	ok = ok && fputs("  ]\n}\n", f) >= 0;
	return close_out(f, ok);
}

/* ct-logs.cnf: the same logs for OpenSSL's CTLOG_STORE_load_file. */
static int write_log_cnf(const struct pki *p)
{
	FILE *f = open_out(p, "ct-logs", ".cnf");
	const char *sep = "";
	int ok;

	if (f == NULL)
		return 0;
	ok = fputs("enabled_logs = ", f) >= 0;
	for (size_t i = 0; ok && i < LOG_COUNT; i++) {
		if (LOG_SPECS[i].op < 0)
			continue;
		ok = fprintf(f, "%s%s", sep, LOG_SPECS[i].name) > 0;
		sep = ",";
	}
	ok = ok && fputs("\n", f) >= 0;
	for (size_t i = 0; ok && i < LOG_COUNT; i++) {
		if (LOG_SPECS[i].op < 0)
			continue;
		ok = fprintf(f, "\n[%s]\ndescription = ctstub test log %s\n"
		    "key = %s\n", LOG_SPECS[i].name, LOG_SPECS[i].name,
		    p->logs[i].key_b64) > 0;
	}
	return close_out(f, ok);
}

/* ---- SCTs (RFC 6962 3.2) -------------------------------------------- */

/* The digitally-signed struct of a v1 SCT over a certificate. */
static void put_signed_data(struct buf *b, const struct ct_entry *e,
    uint64_t ts_ms, const struct buf *ext)
{
	buf_put_uint(b, SCT_V1, 1);
	buf_put_uint(b, SIG_TYPE_CERT_TIMESTAMP, 1);
	buf_put_uint(b, ts_ms, 8);
	buf_put_uint(b, e->type, 2);
	if (e->type == ENTRY_PRECERT)
		buf_put(b, e->issuer_key_hash, sizeof(e->issuer_key_hash));
	buf_put_vec(b, e->der, e->der_len, 3);
	buf_put_vec(b, ext->data, ext->len, 2);	/* CtExtensions */
}

/* ECDSA-SHA256 signature (DER), OPENSSL_malloc'ed into *sig. */
static int sign_sha256(EVP_PKEY *key, const struct buf *msg,
    unsigned char **sig, size_t *sig_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = 0;

	*sig = NULL;
	if (md == NULL ||
	    !EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) ||
	    !EVP_DigestSign(md, NULL, sig_len, msg->data, msg->len) ||
	    (*sig = OPENSSL_malloc(*sig_len)) == NULL)
		goto fail;
	ok = EVP_DigestSign(md, *sig, sig_len, msg->data, msg->len);
fail:
	EVP_MD_CTX_free(md);
	return ok;
}

static int put_b64(FILE *f, const unsigned char *in, size_t n)
{
	unsigned char *out;
	int ok;

	if (n == 0)
		return fputs(" -", f) >= 0;
	if (n > INT_MAX / 2 || (out = malloc(n / 3 * 4 + 5)) == NULL)
		return 0;
	EVP_EncodeBlock(out, in, (int)n);
	ok = fprintf(f, " %s", out) > 0;
	free(out);
	return ok;
}

/*
 * ct-entries.txt, one line per SCT: LOG INDEX ENTRY_TYPE, then base64 of
 * the TimestampedEntry (the signed data after version and signature
 * type), of the precertificate ("-" for x509 entries) and of the issuer.
 */
static int write_entry(struct pki *p, const struct ctlog *log,
    const struct ct_entry *e, const struct buf *tbs, uint64_t index)
{
	unsigned char *issuer = NULL;
	int n, ok;

	if ((n = i2d_X509(p->issuing, &issuer)) <= 0)
		return 0;
	ok = fprintf(p->entries, "%s %llu %u", log->name,
	    (unsigned long long)index, e->type) > 0 &&
	    put_b64(p->entries, tbs->data + 2, tbs->len - 2) &&
	    put_b64(p->entries, e->precert, e->precert_len) &&
	    put_b64(p->entries, issuer, (size_t)n) &&
	    fputs("\n", p->entries) >= 0;
	OPENSSL_free(issuer);
	return ok;
}

/* A tiled log's SCT says which entry it is: the leaf_index extension. */
static void put_extensions(struct buf *ext, const struct ctlog *log,
    uint64_t index)
{
	if (!log->tiled)
		return;
	buf_put_uint(ext, EXT_LEAF_INDEX, 1);
	buf_put_uint(ext, 5, 2);
	buf_put_uint(ext, index, 5);
}

/* Appends one SerializedSCT from log to list; the log logs e. */
static int put_sct(struct pki *p, struct buf *list, struct ctlog *log,
    const struct ct_entry *e, uint64_t ts_ms, enum sct_how how)
{
	struct buf tbs = { 0 }, ext = { 0 };
	unsigned char *sig = NULL;
	uint64_t index = log->next_index++;
	size_t sig_len, start;
	int ok;

	put_extensions(&ext, log, index);
	put_signed_data(&tbs, e, ts_ms, &ext);
	ok = !tbs.failed && !ext.failed &&
	    sign_sha256(log->key, &tbs, &sig, &sig_len) &&
	    write_entry(p, log, e, &tbs, index);
	if (ok && how == SCT_BAD_SIG)
		sig[sig_len - 1] ^= 0x01;	/* last byte of s: still DER */
	if (ok) {
		start = vec_open(list, 2);
		buf_put_uint(list, SCT_V1, 1);
		buf_put(list, log->id, sizeof(log->id));
		buf_put_uint(list, ts_ms, 8);
		buf_put_vec(list, ext.data, ext.len, 2);
		buf_put_uint(list, TLS_HASH_SHA256, 1);
		buf_put_uint(list, TLS_SIG_ECDSA, 1);
		buf_put_vec(list, sig, sig_len, 2);
		vec_close(list, start, 2);
	}
	OPENSSL_free(sig);
	buf_free(&tbs);
	buf_free(&ext);
	return ok && !list->failed;
}

static time_t leaf_not_before(const struct pki *p, const struct variant *v)
{
	return p->now - v->start_days * DAY;
}

/*
 * Logged an hour after notBefore; "future" SCTs a day from now;
 * "backdated" ones a day before r1's retirement.
 */
static uint64_t sct_time_ms(const struct pki *p, const struct variant *v,
    enum sct_how how)
{
	time_t t = how == SCT_FUTURE ? p->now + DAY
	    : how == SCT_BACKDATED ? p->now - 31 * DAY
	    : leaf_not_before(p, v) + HOUR;

	return (uint64_t)t * 1000;
}

/* A SignedCertificateTimestampList with the variant's SCTs over e. */
static int build_sct_list(struct pki *p, const struct variant *v,
    const struct ct_entry *e, struct buf *list)
{
	size_t start = vec_open(list, 2);

	for (const struct sct_spec *s = v->scts; s->log != NULL; s++) {
		int i = log_index(s->log);

		if (i < 0 || !put_sct(p, list, &p->logs[i], e,
		    sct_time_ms(p, v, s->how), s->how))
			return 0;
	}
	vec_close(list, start, 2);
	return !list->failed;
}

/* ---- leaves --------------------------------------------------------- */

/* RFC 6962 3.1: the poison's extnValue is an ASN.1 NULL. */
static int add_poison(X509 *x)
{
	static const unsigned char asn1_null[] = { 0x05, 0x00 };

	return add_raw_ext(x, NID_ct_precert_poison, 1, asn1_null,
	    sizeof(asn1_null));
}

static int remove_ext(X509 *x, int nid)
{
	int loc = X509_get_ext_by_NID(x, nid, -1);

	if (loc < 0)
		return 0;
	X509_EXTENSION_free(X509_delete_ext(x, loc));
	return 1;
}

/* The SCT list extension: an OCTET STRING holding the TLS-encoded list. */
static int add_sct_ext(X509 *x, const struct buf *list)
{
	ASN1_OCTET_STRING *inner = ASN1_OCTET_STRING_new();
	unsigned char *der = NULL;
	int len = 0, ok;

	ok = inner != NULL && list->len <= INT_MAX &&
	    ASN1_OCTET_STRING_set(inner, list->data, (int)list->len) &&
	    (len = i2d_ASN1_OCTET_STRING(inner, &der)) > 0 &&
	    add_raw_ext(x, NID_ct_precert_scts, 0, der, (size_t)len);
	OPENSSL_free(der);
	ASN1_OCTET_STRING_free(inner);
	return ok;
}

/*
 * Issue x the RFC 6962 way: sign a precertificate (x plus the critical
 * poison), have the logs sign its TBS without the poison, then put their
 * list in x and sign the final certificate.
 */
static int issue_embedded(struct pki *p, const struct variant *v,
    X509 *x, const struct ca *issuer, struct buf *list)
{
	struct ct_entry e = { .type = ENTRY_PRECERT };
	int len, ok;

	if (!add_poison(x) || !sign_cert(x, issuer->key) ||
	    (len = i2d_X509(x, &e.precert)) <= 0)
		return 0;
	e.precert_len = (size_t)len;
	if (!remove_ext(x, NID_ct_precert_poison) ||
	    !spki_sha256(issuer->key, e.issuer_key_hash) ||
	    (len = i2d_re_X509_tbs(x, &e.der)) <= 0)
		return 0;
	e.der_len = (size_t)len;
	ok = build_sct_list(p, v, &e, list) && add_sct_ext(x, list) &&
	    sign_cert(x, issuer->key);
	OPENSSL_free(e.der);
	OPENSSL_free(e.precert);
	return ok;
}

/* Sign x as is; the logs sign the final certificate (x509_entry). */
static int issue_tlsext(struct pki *p, const struct variant *v,
    X509 *x, const struct ca *issuer, struct buf *list)
{
	struct ct_entry e = { .type = ENTRY_X509 };
	int len, ok;

	if (!sign_cert(x, issuer->key) || (len = i2d_X509(x, &e.der)) <= 0)
		return 0;
	e.der_len = (size_t)len;
	ok = build_sct_list(p, v, &e, list);
	OPENSSL_free(e.der);
	return ok;
}

static int issue_leaf(struct pki *p, const struct variant *v, X509 *x,
    struct buf *list)
{
	const struct ca *issuer = &p->cas[v->issuer];

	p->issuing = issuer->cert;
	switch (v->place) {
	case PLACE_EMBED:
		return issue_embedded(p, v, x, issuer, list);
	case PLACE_TLSEXT:
		return issue_tlsext(p, v, x, issuer, list);
	case PLACE_COPY:
		return p->shared_list.len > 0 &&
		    add_sct_ext(x, &p->shared_list) &&
		    sign_cert(x, issuer->key);
	case PLACE_NONE:
		break;
	}
	return sign_cert(x, issuer->key);
}

/* NAME.sctl as HAProxy reads it, NAME.serverinfo.pem as OpenSSL does. */
static int write_tlsext_files(const struct pki *p, const char *name,
    const struct buf *list)
{
	struct buf info = { 0 };
	FILE *f;
	int ok;

	if ((f = open_out(p, name, ".sctl")) == NULL)
		return 0;
	if (!close_out(f, fwrite(list->data, 1, list->len, f) == list->len))
		return 0;
	buf_put_uint(&info, SCT_SERVERINFO_CONTEXT, 4);
	buf_put_uint(&info, TLSEXT_TYPE_SCT, 2);
	buf_put_vec(&info, list->data, list->len, 2);
	ok = !info.failed && (f = open_out(p, name, ".serverinfo.pem")) != NULL;
	if (ok)
		ok = close_out(f, PEM_write(f,
		    "SERVERINFOV2 FOR signed_certificate_timestamp", "",
		    info.data, (long)info.len));
	buf_free(&info);
	return ok;
}

static X509 *leaf_template(const struct pki *p, const struct variant *v,
    EVP_PKEY *key)
{
	X509 *issuer = p->cas[v->issuer].cert;
	time_t not_before = leaf_not_before(p, v);
	char cn[64];
	X509 *x;

	snprintf(cn, sizeof(cn), "ctstub test leaf %s", v->name);
	x = cert_new(cn, key, issuer, not_before,
	    not_before + v->lifetime_days * DAY);
	if (x != NULL && !add_leaf_exts(x, issuer, v->san)) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

static int write_leaf(struct pki *p, const struct variant *v, X509 *x,
    EVP_PKEY *key, const struct buf *list)
{
	if (!write_chain(p, v->name, x, p->cas[v->issuer].cert) ||
	    !write_key(p, v->name, key))
		return 0;
	if (v->place == PLACE_TLSEXT && !write_tlsext_files(p, v->name, list))
		return 0;
	return fprintf(p->expected, "%s %s %s\n", v->name, v->verdict,
	    v->reason) > 0;
}

static int make_leaf(struct pki *p, const struct variant *v)
{
	struct buf list = { 0 };
	EVP_PKEY *key = new_p256_key();
	X509 *x = NULL;
	int ok = 0;

	if (key == NULL || (x = leaf_template(p, v, key)) == NULL ||
	    !issue_leaf(p, v, x, &list) || !write_leaf(p, v, x, key, &list))
		goto fail;
	if (v->share_list) {
		buf_free(&p->shared_list);
		p->shared_list = list;
		memset(&list, 0, sizeof(list));
	}
	ok = 1;
fail:
	if (!ok)
		fprintf(stderr, "mkpki: cannot make leaf %s\n", v->name);
	buf_free(&list);
	X509_free(x);
	EVP_PKEY_free(key);
	return ok;
}

static int make_leaves(struct pki *p)
{
	int ok = 1;

	if ((p->entries = open_out(p, "ct-entries", ".txt")) == NULL)
		return 0;
	if ((p->expected = open_out(p, "expected", ".txt")) == NULL) {
		close_out(p->entries, 0);
		return 0;
	}
	for (size_t i = 0; ok && i < VARIANT_COUNT; i++)
		ok = make_leaf(p, &VARIANTS[i]);
	ok = close_out(p->expected, ok);
	p->expected = NULL;
	if (ok && (p->expected = open_out(p, "extra", ".txt")) == NULL)
		ok = 0;
	for (size_t i = 0; ok && i < EXTRA_COUNT; i++)
		ok = make_leaf(p, &EXTRAS[i]);
	if (p->expected != NULL)
		ok = close_out(p->expected, ok);
	p->expected = NULL;
	ok = close_out(p->entries, ok);
	p->entries = NULL;
	return ok;
}

/* ---- main ----------------------------------------------------------- */

static void pki_free(struct pki *p)
{
	for (int id = 0; id < CA_COUNT; id++) {
		X509_free(p->cas[id].cert);
		EVP_PKEY_free(p->cas[id].key);
	}
	for (size_t i = 0; i < LOG_COUNT; i++)
		EVP_PKEY_free(p->logs[i].key);
	buf_free(&p->shared_list);
}

static int usage(void)
{
	fputs("usage: mkpki OUTDIR [--now UNIXTIME]\n", stderr);
	return 2;
}

static int parse_time(const char *s, time_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0)
		return 0;
	*out = (time_t)v;
	return 1;
}

static int parse_args(int argc, char **argv, struct pki *p)
{
	p->now = time(NULL);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--now") == 0) {
			if (++i == argc || !parse_time(argv[i], &p->now))
				return 0;
		} else if (argv[i][0] == '-' || p->dir != NULL) {
			return 0;
		} else {
			p->dir = argv[i];
		}
	}
	return p->dir != NULL;
}

static int make_outdir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0755) == 0)
		return 1;
	if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 1;
	fprintf(stderr, "mkpki: %s: %s\n", dir,
	    errno == EEXIST ? "not a directory" : strerror(errno));
	return 0;
}

int main(int argc, char **argv)
{
	struct pki p = { 0 };
	int ok;

	if (!parse_args(argc, argv, &p))
		return usage();
	ok = make_outdir(p.dir) && make_cas(&p) && write_pins(&p) &&
	    make_logs(&p) && write_log_list(&p) && write_log_cnf(&p) &&
	    make_leaves(&p);
	if (!ok)
		ERR_print_errors_fp(stderr);
	pki_free(&p);
	return ok ? 0 : 1;
}
