/* SPDX-License-Identifier: ISC */
/* static-ct-api checkpoints: signed-note parsing (see checkpoint.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "base64.h"
#include "checkpoint.h"

#define SIG_TYPE_RFC6962 0x05
static const char EM_DASH_SP[] = "\xe2\x80\x94 ";

/* Well-formed UTF-8 without control characters but newline. */
static int
text_ok(const unsigned char *p, size_t len)
{
	size_t i = 0, n, k;

	while (i < len) {
		if (p[i] < 0x20 && p[i] != '\n')
			return 0;
		if (p[i] == 0x7f)
			return 0;
		n = p[i] < 0x80 ? 0 : (p[i] & 0xe0) == 0xc0 ? 1 :
		    (p[i] & 0xf0) == 0xe0 ? 2 : (p[i] & 0xf8) == 0xf0 ? 3 : 9;
		if (n == 9 || len - i - 1 < n || (n == 1 && p[i] < 0xc2))
			return 0;
		for (k = 1; k <= n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
		i += n + 1;
	}
	return 1;
}

/* The next line of [*p, end) without its newline; -1 if none ends. */
static int
next_line(const char **p, const char *end, const char **line, size_t *len)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	if (nl == NULL)
		return -1;
	*line = *p;
	*len = (size_t)(nl - *p);
	*p = nl + 1;
	return 0;
}

static int
parse_size(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20 || (s[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Origin, size, root hash, and no more lines. */
static int
parse_body(const char *text, size_t len, struct checkpoint *c, char *err,
    size_t errlen)
{
	const char *p = text, *end = text + len, *line;
	size_t n, got;

	if (next_line(&p, end, &line, &n) == -1 || n == 0 ||
	    n >= sizeof(c->origin) || memchr(line, ' ', n) != NULL) {
		snprintf(err, errlen, "checkpoint: bad origin line");
		return -1;
	}
	memcpy(c->origin, line, n);
	c->origin[n] = '\0';
	if (next_line(&p, end, &line, &n) == -1 ||
	    parse_size(line, n, &c->sth.size) == -1) {
		snprintf(err, errlen, "checkpoint: bad tree size line");
		return -1;
	}
	if (next_line(&p, end, &line, &n) == -1 || base64_decode_n(line, n,
	    c->sth.root, sizeof(c->sth.root), &got) == -1 ||
	    got != MERKLE_HASH_LEN) {
		snprintf(err, errlen, "checkpoint: root hash is not 32 bytes "
		    "of base64");
		return -1;
	}
	if (p != end) {
		snprintf(err, errlen, "checkpoint: extension lines (not "
		    "allowed with RFC 6962 signatures)");
		return -1;
	}
	return 0;
}

static void
key_id(const char *name, const unsigned char log_id[32], unsigned char out[4])
{
	unsigned char buf[CHECKPOINT_ORIGIN_MAX + 34], md[32];
	size_t n = strlen(name);

	memcpy(buf, name, n);
	buf[n] = '\n';
	buf[n + 1] = SIG_TYPE_RFC6962;
	memcpy(buf + n + 2, log_id, 32);
	EVP_Digest(buf, n + 34, md, NULL, EVP_sha256(), NULL);
	memcpy(out, md, 4);
}

/* RFC6962NoteSignature: timestamp || DigitallySigned. */
static int
take_sig(struct checkpoint *c, const unsigned char *body, size_t n)
{
	if (n < 8 + 4 || n - 8 > sizeof(c->sth.sig))
		return -1;
	c->sth.timestamp_ms = 0;
	for (int i = 0; i < 8; i++)
		c->sth.timestamp_ms = c->sth.timestamp_ms << 8 | body[i];
	memcpy(c->sth.sig, body + 8, n - 8);
	c->sth.sig_len = n - 8;
	return 0;
}

/*
 * One "— name b64" line: 1 if it is the log's (taken into c), 0 if some
 * other signer's, -1 if malformed.
 */
static int
sig_line(const char *line, size_t len, const unsigned char kid[4],
    struct checkpoint *c)
{
	unsigned char raw[4 + 8 + STH_SIG_MAX];
	size_t prefix = sizeof(EM_DASH_SP) - 1, nlen, got;
	const char *name = line + prefix, *sp;

	if (len <= prefix || memcmp(line, EM_DASH_SP, prefix) != 0 ||
	    (sp = memchr(name, ' ', len - prefix)) == NULL || sp == name)
		return -1;
	nlen = (size_t)(sp - name);
	if (memchr(sp + 1, ' ', len - prefix - nlen - 1) != NULL)
		return -1;
	if (nlen != strlen(c->origin) || memcmp(name, c->origin, nlen) != 0)
		return 0;
	/* Too long to be ours: someone else's (a post-quantum witness). */
	if (base64_decode_n(sp + 1, len - prefix - nlen - 1, raw, sizeof(raw),
	    &got) == -1 || got < 4 || memcmp(raw, kid, 4) != 0)
		return 0;
	return take_sig(c, raw + 4, got - 4) == 0 ? 1 : -1;
}

static int
parse_sigs(const char *p, const char *end, const unsigned char log_id[32],
    struct checkpoint *c, char *err, size_t errlen)
{
	unsigned char kid[4];
	const char *line;
	size_t n;
	int nsigs = 0, found = 0, rc;

	key_id(c->origin, log_id, kid);
	while (p < end) {
		if (next_line(&p, end, &line, &n) == -1 ||
		    ++nsigs > CHECKPOINT_MAX_SIGS ||
		    (rc = sig_line(line, n, kid, c)) == -1) {
			snprintf(err, errlen, "checkpoint: malformed or too "
			    "many signature lines");
			return -1;
		}
		found += rc;
	}
	if (found != 1) {
		snprintf(err, errlen, found ? "checkpoint: two signatures "
		    "with the log's key" : "checkpoint: no signature with the "
		    "log's key name and id");
		return -1;
	}
	return 0;
}

/* The text ends at the last blank line (signed-note). */
static const char *
find_split(const char *buf, size_t len)
{
	for (size_t i = len - 1; i > 0; i--)
		if (buf[i] == '\n' && buf[i - 1] == '\n')
			return buf + i;
	return NULL;
}

int
checkpoint_parse(const char *buf, size_t len, const unsigned char log_id[32],
    const char *origin, struct checkpoint *out, char *err, size_t errlen)
{
	const char *split;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > CHECKPOINT_MAX || buf[len - 1] != '\n' ||
	    !text_ok((const unsigned char *)buf, len) ||
	    (split = find_split(buf, len)) == NULL) {
		snprintf(err, errlen, "checkpoint: not a signed note (empty, "
		    "over %u bytes, control characters or no blank line)",
		    CHECKPOINT_MAX);
		return -1;
	}
	if (parse_body(buf, (size_t)(split - buf), out, err, errlen) == -1)
		return -1;
	if (origin != NULL && strcmp(origin, out->origin) != 0) {
		snprintf(err, errlen, "checkpoint: origin is not %s", origin);
		return -1;
	}
	return parse_sigs(split + 1, buf + len, log_id, out, err, errlen);
}

int
checkpoint_verify(const struct checkpoint *c, EVP_PKEY *key)
{
	return sth_verify(&c->sth, key);
}

int
checkpoint_origin_of(const char *url, char *out, size_t len)
{
	size_t n;

	if (strncmp(url, "https://", 8) == 0)
		url += 8;
	else if (strncmp(url, "http://", 7) == 0)
		url += 7;
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n == 0 || n >= len)
		return -1;
	memcpy(out, url, n);
	out[n] = '\0';
	return 0;
}
