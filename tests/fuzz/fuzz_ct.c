/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer: an SCT list as a server would send it in the TLS extension,
 * validated by OpenSSL against the real test certificate and log keys,
 * then judged by the CT policy. Run from the repository root.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/ct.h>
#include <openssl/pem.h>

#include "ct.h"
#include "loglist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

#define LEAF "tests/data/realcerts/github-com-2025.leaf.pem"
#define ISSUER "tests/data/realcerts/github-com-2025.issuer.pem"
#define LOGS "tests/data/ct/realcerts-logs.json"
#define AT_MS 1748736000000ULL	/* 2025-06-01 */

struct fixture {
	X509 *leaf;
	X509 *issuer;
	struct loglist *list;
	CT_POLICY_EVAL_CTX *ctx;
};

static X509 *
read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f != NULL)
		fclose(f);
	return x;
}

static struct fixture *
fixture(void)
{
	static struct fixture fx;
	char err[256];

	if (fx.ctx != NULL)
		return &fx;
	fx.leaf = read_cert(LEAF);
	fx.issuer = read_cert(ISSUER);
	fx.list = loglist_load(LOGS, err, sizeof(err));
	fx.ctx = CT_POLICY_EVAL_CTX_new();
	if (!fx.leaf || !fx.issuer || !fx.list || !fx.ctx) {
		fprintf(stderr, "fuzz_ct: run from the repository root\n");
		abort();
	}
	CT_POLICY_EVAL_CTX_set1_cert(fx.ctx, fx.leaf);
	CT_POLICY_EVAL_CTX_set1_issuer(fx.ctx, fx.issuer);
	CT_POLICY_EVAL_CTX_set_shared_CTLOG_STORE(fx.ctx, fx.list->store);
	CT_POLICY_EVAL_CTX_set_time(fx.ctx, AT_MS);
	return &fx;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fixture *fx = fixture();
	const unsigned char *p = data;
	STACK_OF(SCT) *scts = o2i_SCT_LIST(NULL, &p, len);
	struct ct_policy policy;
	struct ct_result res;
	char err[256];
	int i;

	if (scts == NULL)
		return 0;
	for (i = 0; i < sk_SCT_num(scts); i++)
		SCT_set_source(sk_SCT_value(scts, i), SCT_SOURCE_TLS_EXTENSION);
	SCT_LIST_validate(scts, fx->ctx);
	ct_policy_default(&policy);
	ct_evaluate(&policy, fx->list, fx->leaf, scts, AT_MS, &res, err,
	    sizeof(err));
	ct_result_free(&res);
	SCT_LIST_free(scts);
	return 0;
}
