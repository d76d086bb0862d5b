/* SPDX-License-Identifier: ISC */
/* The trust decision: address or name, chain, CT policy, pins. */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "verify.h"

static int
set_target(SSL *ssl, const struct conf_address *addr, const char *name)
{
	X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
	char ip[INET6_ADDRSTRLEN];
	const void *raw;

	/* SNI from the param's own (non-const) copy of the name */
	if (name != NULL)
		return X509_VERIFY_PARAM_set1_host(param, name, 0) == 1 &&
		    SSL_set_tlsext_host_name(ssl,
		    X509_VERIFY_PARAM_get0_host(param, 0)) == 1 ? 0 : -1;
	if (addr->sa.ss_family == AF_INET6)
		raw = &((const struct sockaddr_in6 *)&addr->sa)->sin6_addr;
	else
		raw = &((const struct sockaddr_in *)&addr->sa)->sin_addr;
	if (inet_ntop(addr->sa.ss_family, raw, ip, sizeof(ip)) == NULL)
		return -1;
	/* No SNI for IP literals (RFC 6066 §3) */
	return X509_VERIFY_PARAM_set1_ip_asc(param, ip) == 1 ? 0 : -1;
}

long
verify_list_stale_days(const struct verify_policy *policy, time_t now)
{
	long age;

	if (policy->loglist == NULL || policy->ct_list_max_age_days <= 0)
		return 0;
	age = (long)((now - policy->loglist->timestamp) / 86400);
	return age > policy->ct_list_max_age_days ? age : 0;
}

int
verify_ct_report_only(const struct verify_policy *policy, time_t now)
{
	return policy->ct_report_only || (policy->ct_stale_fail_open &&
	    verify_list_stale_days(policy, now) > 0);
}

const char *
verify_ct_mode_text(const struct verify_policy *policy, time_t now)
{
	if (policy->ct_report_only)
		return "ct-mode report: CT refusals are only logged";
	if (verify_ct_report_only(policy, now))
		return "ct-stale fail-open: CT refusals are only logged";
	return "still enforcing";
}

static time_t
policy_now(const struct verify_policy *policy)
{
	return policy->at != 0 ? policy->at : time(NULL);
}

/* OpenSSL checked the SCT signatures; our policy decides. */
static int
ct_callback(const CT_POLICY_EVAL_CTX *ctx, const STACK_OF(SCT) *scts,
    void *arg)
{
	struct verify_state *st = arg;
	const struct verify_policy *p = st->policy;
	struct ct_result local, *res = st->report ? st->report : &local;
	char err[256];
	int ok;

	st->ct_done = 1;
	if (p->at != 0)
		ok = ct_evaluate(&p->ct, p->loglist,
		    CT_POLICY_EVAL_CTX_get0_cert(ctx), scts,
		    (uint64_t)p->at * 1000, res, err, sizeof(err)) == 1;
	else
		ok = ct_evaluate_ctx(&p->ct, p->loglist, ctx, scts, res, err,
		    sizeof(err)) == 1;
	if (!ok)
		snprintf(st->ct_reason, sizeof(st->ct_reason), "%s",
		    res->reason);
	if (res == &local)
		ct_result_free(&local);
	/* decided now: the list may have grown stale since it was loaded */
	if (!ok && verify_ct_report_only(p, policy_now(p))) {
		log_warn("upstream %s: CT %s, would refuse: %s", st->label,
		    p->ct_report_only ? "report mode" : "log list stale "
		    "(ct-stale fail-open)", st->ct_reason);
		return 1;
	}
	return ok;
}

int
verify_prepare(SSL *ssl, struct verify_state *st,
    const struct verify_policy *policy, const struct conf_address *addr,
    const char *name, const struct conf_pins *up_pins, const char *label)
{
	memset(st, 0, sizeof(*st));
	st->policy = policy;
	st->pins = up_pins && up_pins->count ? up_pins : policy->pins;
	st->label = label;
	if (policy->at != 0)
		X509_VERIFY_PARAM_set_time(SSL_get0_param(ssl), policy->at);
	if (policy->loglist != NULL && SSL_set_ct_validation_callback(ssl,
	    ct_callback, st) != 1)
		return -1;
	return set_target(ssl, addr, name);
}

int
verify_spki_sha256(X509 *cert, unsigned char out[32])
{
	unsigned char *der = NULL;
	int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	int ok;

	if (len <= 0)
		return -1;
	ok = EVP_Digest(der, (size_t)len, out, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	return ok == 1 ? 0 : -1;
}

int
verify_pins(STACK_OF(X509) *chain, const struct conf_pins *pins)
{
	unsigned char hash[32];
	int i;
	size_t j;

	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		if (verify_spki_sha256(sk_X509_value(chain, i), hash) == -1)
			continue;
		for (j = 0; j < pins->count; j++)
			if (memcmp(hash, pins->hash[j], sizeof(hash)) == 0)
				return i;
	}
	return -1;
}

enum verify_refusal
verify_established(SSL *ssl, struct verify_state *st, char *reason,
    size_t len)
{
	enum verify_refusal kind;

	/* Sessions are only kept after every check passed (see tls.c). */
	if (SSL_session_reused(ssl))
		return VERIFY_NOT_REFUSED;
	if (SSL_get_verify_result(ssl) != X509_V_OK) {
		kind = verify_failure_reason(ssl, st, "certificate not "
		    "verified", reason, len);
		return kind != VERIFY_NOT_REFUSED ? kind : VERIFY_REFUSED_CHAIN;
	}
	if (st->policy->loglist != NULL && !st->ct_done) {
		snprintf(reason, len, "CT: no CT evaluation took place");
		return VERIFY_REFUSED_NO_CT;
	}
	if (st->pins != NULL && st->pins->count > 0 &&
	    verify_pins(SSL_get0_verified_chain(ssl), st->pins) == -1) {
		snprintf(reason, len, "no certificate in the verified chain "
		    "matches a configured pin");
		return VERIFY_REFUSED_PIN;
	}
	return VERIFY_NOT_REFUSED;
}

enum verify_refusal
verify_error_kind(long err)
{
	switch (err) {
	case X509_V_OK:
		return VERIFY_NOT_REFUSED;
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_EMAIL_MISMATCH:
		return VERIFY_REFUSED_IDENTITY;
	case X509_V_ERR_NO_VALID_SCTS:
		return VERIFY_REFUSED_CT;
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return VERIFY_REFUSED_CLOCK;
	default:
		return VERIFY_REFUSED_CHAIN;
	}
}

enum stats_refusal
verify_refusal_stat(enum verify_refusal kind)
{
	switch (kind) {
	case VERIFY_REFUSED_CHAIN:
	case VERIFY_REFUSED_CLOCK:
		return STATS_REFUSED_CHAIN;
	case VERIFY_REFUSED_IDENTITY:
		return STATS_REFUSED_IDENTITY;
	case VERIFY_REFUSED_CT:
	case VERIFY_REFUSED_NO_CT:
		return STATS_REFUSED_CT;
	case VERIFY_REFUSED_PIN:
		return STATS_REFUSED_PIN;
	default:
		return STATS_REFUSED_OTHER;
	}
}

void
verify_error_text(long err, X509_VERIFY_PARAM *param, char *reason,
    size_t len)
{
	char *ip;

	switch (err) {
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		ip = X509_VERIFY_PARAM_get1_ip_asc(param);
		snprintf(reason, len, "certificate does not match IP %s",
		    ip ? ip : "?");
		OPENSSL_free(ip);
		break;
	case X509_V_ERR_HOSTNAME_MISMATCH:
		snprintf(reason, len, "certificate does not match name %s",
		    X509_VERIFY_PARAM_get0_host(param, 0));
		break;
	default:
		snprintf(reason, len, "certificate chain not trusted: %s",
		    X509_verify_cert_error_string(err));
	}
}

enum verify_refusal
verify_failure_reason(SSL *ssl, const struct verify_state *st,
    const char *fallback, char *reason, size_t len)
{
	long err = SSL_get_verify_result(ssl);

	if (err == X509_V_OK)
		snprintf(reason, len, "%s", fallback);
	else if (err == X509_V_ERR_NO_VALID_SCTS)
		snprintf(reason, len, "%s", st->ct_reason[0] ? st->ct_reason :
		    "CT: no valid SCTs");
	else
		verify_error_text(err, SSL_get0_param(ssl), reason, len);
	return verify_error_kind(err);
}
