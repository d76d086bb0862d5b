/* SPDX-License-Identifier: ISC */
/* ctstub check / ctstub probe: a certificate's verdict, explained. */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "audit.h"
#include "check.h"
#include "conf.h"
#include "ct.h"
#include "generation.h"
#include "loglist.h"
#include "tls.h"
#include "trust.h"
#include "upstream.h"
#include "verify.h"

#define TREE_LOG_LIST "conf/ct-logs.json"	/* running from the source tree */
#define PROBE_TIMEOUT_S 5

enum { EXIT_ACCEPTED = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2 };

struct check_options {
	time_t at;
	const char *ip;
	const char *name;
	const char *ca_file;
	const char *log_list;
	struct conf_pins pins;
	struct ct_policy ct;
	int audit;		/* --audit: prove the counted SCTs at once */
	const char *target;	/* CHAIN.pem or URL */
};

static int
usage(const char *cmd)
{
	if (strcmp(cmd, "check") == 0)
		fprintf(stderr, "usage: ctstub check [--at TIME] [--ip ADDR | "
		    "--name NAME] [--ca-file F] [--log-list F] [--pin "
		    "sha256/B64] [--min-logs N] [--min-operators N] "
		    "[--audit] CHAIN.pem\n");
	else
		fprintf(stderr, "usage: ctstub probe -f CONF [UPSTREAM-LINE]\n"
		    "       ctstub probe [--at TIME] [--name NAME] [--ca-file F] "
		    "[--log-list F] [--pin sha256/B64] [--min-logs N] "
		    "[--min-operators N] [--audit] dot://IP[:PORT] | "
		    "https://IP[:PORT]/PATH\n");
	return EXIT_USAGE;
}

/* ISO 8601 (2025-06-01, 2025-06-01T12:00:00Z) or unix seconds. */
static int
parse_time(const char *s, time_t *out)
{
	struct tm tm;
	const char *end;
	char *num_end;
	long long v;

	v = strtoll(s, &num_end, 10);
	if (*s != '\0' && *num_end == '\0' && v > 0) {
		*out = (time_t)v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL)
		end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || (*end != '\0' && strcmp(end, "Z") != 0))
		return -1;
	*out = timegm(&tm);
	return 0;
}

static int
add_pin(struct conf_pins *pins, const char *text)
{
	unsigned char (*grown)[CONF_PIN_LEN];

	grown = realloc(pins->hash, (pins->count + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	pins->hash = grown;
	return conf_parse_pin(text, pins->hash[pins->count++]);
}

static int
parse_count(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1 || v > 10)
		return -1;
	*out = (int)v;
	return 0;
}

/* The installed list next to the default config, else the tree's. */
static const char *
default_log_list(void)
{
	static const char installed[] = CTSTUB_SYSCONFDIR "/ctstub/ct-logs.json";

	return access(installed, R_OK) == 0 ? installed : TREE_LOG_LIST;
}

static int
parse_check_options(int argc, char **argv, struct check_options *o)
{
	static const struct option longopts[] = {
		{ "at", required_argument, NULL, 'a' },
		{ "ip", required_argument, NULL, 'i' },
		{ "name", required_argument, NULL, 'n' },
		{ "ca-file", required_argument, NULL, 'c' },
		{ "log-list", required_argument, NULL, 'l' },
		{ "pin", required_argument, NULL, 'p' },
		{ "min-logs", required_argument, NULL, 'L' },
		{ "min-operators", required_argument, NULL, 'O' },
		{ "audit", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 }
	};
	struct conf_address probe_addr;
	int ch, bad = 0;

	memset(o, 0, sizeof(*o));
	ct_policy_default(&o->ct);
	o->log_list = default_log_list();
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a': bad |= parse_time(optarg, &o->at); break;
		case 'i': o->ip = optarg; break;
		case 'n': o->name = optarg; break;
		case 'c': o->ca_file = optarg; break;
		case 'l': o->log_list = optarg; break;
		case 'p': bad |= add_pin(&o->pins, optarg); break;
		case 'L': bad |= parse_count(optarg, &o->ct.min_logs); break;
		case 'O': bad |= parse_count(optarg, &o->ct.min_operators);
			break;
		case 'A': o->audit = 1; break;
		default: bad = -1;
		}
	}
	if (bad || optind != argc - 1 || (o->ip && o->name))
		return -1;
	if (o->ip != NULL && conf_parse_address(o->ip, 0, &probe_addr) == -1) {
		fprintf(stderr, "ctstub: --ip %s is not an IP address\n", o->ip);
		return -1;
	}
	if (o->name != NULL && o->name[0] == '\0')
		return -1;
	o->target = argv[optind];
	return 0;
}

static void
print_time(const char *label, const ASN1_TIME *t)
{
	BIO *out = BIO_new_fp(stdout, BIO_NOCLOSE);

	printf("%s", label);
	ASN1_TIME_print(out, t);
	BIO_free(out);
	printf("\n");
}

static void
print_name(const char *label, const X509_NAME *name)
{
	char buf[512];

	X509_NAME_oneline(name, buf, sizeof(buf));
	printf("%s%s\n", label, buf);
}

static void
print_sans(X509 *cert)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name,
	    NULL, NULL);
	int i;

	printf("SANs:");
	for (i = 0; sans != NULL && i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
		char ip[INET6_ADDRSTRLEN];
		int type;
		const ASN1_STRING *v = GENERAL_NAME_get0_value(gn, &type);

		if (type == GEN_DNS)
			printf(" DNS:%.*s", ASN1_STRING_length(v),
			    (const char *)ASN1_STRING_get0_data(v));
		else if (type == GEN_IPADD && inet_ntop(
		    ASN1_STRING_length(v) == 4 ? AF_INET : AF_INET6,
		    ASN1_STRING_get0_data(v), ip, sizeof(ip)) != NULL)
			printf(" IP:%s", ip);
	}
	printf("%s\n", sans != NULL && sk_GENERAL_NAME_num(sans) ? "" :
	    " (none)");
	GENERAL_NAMES_free(sans);
}

static void
print_cert(X509 *leaf)
{
	print_name("subject: ", X509_get_subject_name(leaf));
	print_name("issuer:  ", X509_get_issuer_name(leaf));
	print_time("not before: ", X509_get0_notBefore(leaf));
	print_time("not after:  ", X509_get0_notAfter(leaf));
	print_sans(leaf);
}

/* What the certificate must name: ip, or name, or nothing (check). */
static void
print_target(const char *ip, const char *name)
{
	if (name)
		printf("address check: name %s\n", name);
	else if (ip)
		printf("address check: IP %s\n", ip);
	else
		printf("address check: none (no --ip or --name given)\n");
}

/* The verified chain with each certificate's pin (for `pin`). */
static void
print_chain_pins(STACK_OF(X509) *verified)
{
	struct upstream_trust trust = { 0 };

	if (verified == NULL)
		return;
	trust_record_chain(&trust, verified);
	trust_print_chain(stdout, &trust);
	trust_clear(&trust);
}

static int
verdict(const char *reason)
{
	if (reason[0] == '\0') {
		printf("verdict: accepted\n");
		return EXIT_ACCEPTED;
	}
	printf("verdict: refused: %s\n", reason);
	return EXIT_REFUSED;
}

static STACK_OF(X509) *
read_chain(const char *path)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	FILE *in = fopen(path, "r");
	X509 *cert;

	if (in != NULL && chain != NULL)
		while ((cert = PEM_read_X509(in, NULL, NULL, NULL)) != NULL)
			sk_X509_push(chain, cert);
	ERR_clear_error();
	if (in != NULL)
		fclose(in);
	if (chain != NULL && sk_X509_num(chain) == 0) {
		sk_X509_free(chain);
		chain = NULL;
	}
	return chain;
}

static X509_STORE *
trust_store(const char *ca_file)
{
	X509_STORE *store = X509_STORE_new();

	if (store == NULL)
		return NULL;
	if ((ca_file ? X509_STORE_load_file(store, ca_file) :
	    X509_STORE_set_default_paths(store)) != 1) {
		X509_STORE_free(store);
		return NULL;
	}
	return store;
}

/* Chain and address check; the verified chain goes to *verified. */
static void
check_chain(const struct check_options *o, STACK_OF(X509) *chain,
    X509_STORE *store, STACK_OF(X509) **verified, char *reason, size_t len)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *param;

	if (ctx == NULL || X509_STORE_CTX_init(ctx, store,
	    sk_X509_value(chain, 0), chain) != 1) {
		snprintf(reason, len, "cannot set up chain verification");
		goto done;
	}
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
	if (o->at)
		X509_VERIFY_PARAM_set_time(param, o->at);
	if (o->ip)
		X509_VERIFY_PARAM_set1_ip_asc(param, o->ip);
	if (o->name)
		X509_VERIFY_PARAM_set1_host(param, o->name, 0);
	if (X509_verify_cert(ctx) == 1)
		*verified = X509_STORE_CTX_get1_chain(ctx);
	else
		verify_error_text(X509_STORE_CTX_get_error(ctx), param, reason,
		    len);
done:
	X509_STORE_CTX_free(ctx);
}

/* --audit: the audit of ev's counted SCTs; a proven failure refuses. */
static void
audit_at_once(const struct check_options *o, const struct loglist *list,
    const struct trust_evidence *ev, const struct ct_result *res,
    char *reason, size_t len)
{
	if (!o->audit)
		return;
	if (audit_now(list, o->ca_file, ev, res, stdout) == 1 &&
	    reason[0] == '\0')
		snprintf(reason, len, "CT audit: a log did not prove that it "
		    "published the certificate");
}

/* The embedded SCTs of leaf as evidence, then audit_at_once. */
static void
audit_embedded(const struct check_options *o, const struct loglist *list,
    X509 *leaf, X509 *issuer, const struct ct_result *res, char *reason,
    size_t len)
{
	struct trust_evidence ev;
	STACK_OF(SCT) *scts;
	int i;

	if (!o->audit)
		return;
	memset(&ev, 0, sizeof(ev));
	scts = X509_get_ext_d2i(leaf, NID_ct_precert_scts, NULL, NULL);
	for (i = 0; scts != NULL && i < sk_SCT_num(scts); i++)
		SCT_set_source(sk_SCT_value(scts, i),
		    SCT_SOURCE_X509V3_EXTENSION);
	trust_evidence_of(&ev, leaf, issuer, scts);
	audit_at_once(o, list, &ev, res, reason, len);
	trust_evidence_clear(&ev);
	SCT_LIST_free(scts);
}

static void
check_ct_and_pins(const struct check_options *o, const struct loglist *list,
    STACK_OF(X509) *chain, STACK_OF(X509) *verified, char *reason,
    size_t len)
{
	X509 *leaf = sk_X509_value(chain, 0);
	X509 *issuer = sk_X509_value(verified ? verified : chain, 1);
	struct ct_result res;
	char err[256];
	int ok;

	ok = ct_check_cert(&o->ct, list, leaf, issuer, o->at ? o->at :
	    time(NULL), &res, err, sizeof(err));
	ct_result_print(stdout, &res);
	if (ok != 1 && reason[0] == '\0')
		snprintf(reason, len, "%s", res.reason);
	if (ok == 1)
		audit_embedded(o, list, leaf, issuer, &res, reason, len);
	ct_result_free(&res);
	if (o->pins.count == 0)
		return;
	if (verified != NULL && verify_pins(verified, &o->pins) >= 0)
		printf("pins: a certificate of the verified chain matches\n");
	else {
		printf("pins: no certificate of the verified chain matches\n");
		if (reason[0] == '\0')
			snprintf(reason, len, "no certificate in the verified "
			    "chain matches a configured pin");
	}
}

static struct loglist *
load_list(const char *path)
{
	char err[512];
	struct loglist *list = loglist_load(path, err, sizeof(err));

	if (list == NULL)
		fprintf(stderr, "ctstub: %s\n", err);
	else
		printf("log list: %s (version %s)\n", path, list->version);
	return list;
}

int
check_main(int argc, char **argv)
{
	struct check_options o;
	STACK_OF(X509) *chain = NULL, *verified = NULL;
	X509_STORE *store = NULL;
	struct loglist *list = NULL;
	char reason[CT_REASON_MAX + 100] = "";
	int rc = EXIT_USAGE;

	if (parse_check_options(argc, argv, &o) == -1) {
		free(o.pins.hash);
		return usage("check");
	}
	if ((chain = read_chain(o.target)) == NULL)
		fprintf(stderr, "ctstub: %s: no PEM certificate could be read\n",
		    o.target);
	else if ((store = trust_store(o.ca_file)) == NULL)
		fprintf(stderr, "ctstub: cannot load CA certificates from %s\n",
		    o.ca_file ? o.ca_file : "the system bundle");
	else if ((list = load_list(o.log_list)) != NULL) {
		print_cert(sk_X509_value(chain, 0));
		print_target(o.ip, o.name);
		check_chain(&o, chain, store, &verified, reason,
		    sizeof(reason));
		printf("chain: %s\n", verified ? "verified" : reason);
		print_chain_pins(verified);
		check_ct_and_pins(&o, list, chain, verified, reason,
		    sizeof(reason));
		rc = verdict(reason);
	}
	sk_X509_pop_free(verified, X509_free);
	sk_X509_pop_free(chain, X509_free);
	X509_STORE_free(store);
	loglist_free(list);
	free(o.pins.hash);
	return rc;
}

static int
connect_blocking(const struct conf_address *addr)
{
	struct timeval tv = { PROBE_TIMEOUT_S, 0 };
	int fd = socket(addr->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)&addr->sa, addr->salen) ==
	    -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
alpn_is_h2(SSL *ssl)
{
	const unsigned char *got;
	unsigned len;

	SSL_get0_alpn_selected(ssl, &got, &len);
	return len == 2 && memcmp(got, "h2", 2) == 0;
}

/* The chain that verified, each certificate with its pin (for `pin`). */
static void
print_verified_chain(SSL *ssl)
{
	if (SSL_get_verify_result(ssl) == X509_V_OK)
		print_chain_pins(SSL_get0_verified_chain(ssl));
}

/* --audit after a probe: the evidence the handshake presented. */
static void
probe_audit(const struct check_options *o, const struct loglist *list,
    SSL *ssl, const struct ct_result *res, char *reason, size_t len)
{
	struct upstream_trust trust = { 0 };

	if (o == NULL || !o->audit)
		return;
	trust_record(&trust, ssl, NULL, NULL);
	audit_at_once(o, list, &trust.evidence, res, reason, len);
	trust_clear(&trust);
}

/*
 * Handshake with the daemon's own checks for u (the name it authenticates
 * and its pins, else the policy's); no query is ever sent. o: the command
 * line's options (--audit), NULL for probe -f.
 */
static int
probe_upstream(const struct conf_upstream *u,
    const struct verify_policy *policy, SSL_CTX *ctx,
    const struct check_options *o)
{
	char label[80], ip[80], reason[CT_REASON_MAX + 100] = "", tlserr[300];
	struct verify_state st;
	struct ct_result res;
	SSL *ssl = SSL_new(ctx);
	int fd, rc = EXIT_USAGE;

	memset(&res, 0, sizeof(res));
	conf_address_str(&u->addr, label, sizeof(label));
	printf("upstream: %s\n", label);
	if (ssl == NULL || verify_prepare(ssl, &st, policy, &u->addr,
	    u->name, &u->pins, label) == -1)
		goto done;
	st.report = &res;
	if ((fd = connect_blocking(&u->addr)) == -1) {
		fprintf(stderr, "ctstub: cannot connect to %s\n", label);
		goto done;
	}
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1) {
		tls_error_string(tlserr, sizeof(tlserr));
		verify_failure_reason(ssl, &st, tlserr, reason, sizeof(reason));
	} else if (verify_established(ssl, &st, reason, sizeof(reason)) == 0 &&
	    u->transport == CONF_DOH && !alpn_is_h2(ssl))
		snprintf(reason, sizeof(reason), "server did not negotiate ALPN "
		    "h2");
	if (SSL_get0_peer_certificate(ssl) != NULL)
		print_cert(SSL_get0_peer_certificate(ssl));
	print_verified_chain(ssl);
	snprintf(ip, sizeof(ip), "%s", label);
	print_target(ip, u->name);
	if (st.ct_done)
		ct_result_print(stdout, &res);
	if (st.ct_done && res.accepted)
		probe_audit(o, policy->loglist, ssl, &res, reason,
		    sizeof(reason));
	rc = verdict(reason);
	close(fd);
done:
	ct_result_free(&res);
	SSL_free(ssl);
	return rc;
}

/* ctstub probe [options] URL: the options stand for a configuration. */
static int
probe_url(int argc, char **argv)
{
	static const unsigned char h2[] = { 2, 'h', '2' };
	struct check_options o;
	struct conf_upstream u;
	struct verify_policy policy;
	struct loglist *list = NULL;
	SSL_CTX *ctx = NULL;
	char err[600];
	int rc = EXIT_USAGE;

	memset(&u, 0, sizeof(u));
	if (parse_check_options(argc, argv, &o) == -1 || o.ip != NULL) {
		free(o.pins.hash);
		return usage("probe");
	}
	if (conf_parse_upstream_url(o.target, &u, err, sizeof(err)) == -1)
		fprintf(stderr, "ctstub: %s\n", err);
	else if ((list = load_list(o.log_list)) == NULL)
		;
	else if (u.host != NULL)
		fprintf(stderr, "ctstub: probe needs an IP address in the URL "
		    "(or: probe -f CONF 'URL address IP')\n");
	else if ((ctx = tls_ctx_new(o.ca_file, NULL, loglist_new_store(list),
	    u.transport == CONF_DOH ? h2 : NULL, u.transport == CONF_DOH ?
	    sizeof(h2) : 0, err, sizeof(err))) == NULL)
		fprintf(stderr, "ctstub: %s\n", err);
	else if (o.name != NULL && (u.name = strdup(o.name)) == NULL)
		fprintf(stderr, "ctstub: out of memory\n");
	else {
		memset(&policy, 0, sizeof(policy));
		policy.loglist = list;
		policy.ct = o.ct;
		policy.pins = &o.pins;
		policy.at = o.at;
		rc = probe_upstream(&u, &policy, ctx, &o);
	}
	SSL_CTX_free(ctx);
	loglist_free(list);
	conf_upstream_free(&u);
	free(o.pins.hash);
	return rc;
}

/*
 * "URL [address IP]... [name N] [pin P]...", the words of an upstream
 * line (the word "upstream" first is allowed), parsed as the configuration
 * parser does into c. 0, or -1 with the errors on stderr.
 */
static int
parse_upstream_line(int argc, char **argv, struct conf *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	int i, nerr;

	if (out == NULL)
		return -1;
	fputs("upstream", out);
	for (i = strcmp(argv[0], "upstream") == 0 ? 1 : 0; i < argc; i++)
		fprintf(out, " %s", argv[i]);
	fputc('\n', out);
	if (fclose(out) != 0) {
		free(text);
		return -1;
	}
	nerr = conf_load_string("command line", text, c, stderr);
	free(text);
	return nerr == 0 ? 0 : -1;
}

/* Each upstream of c with gen's TLS settings and trust policy. */
static int
probe_each(const struct generation *gen, const struct conf *c)
{
	static const unsigned char h2[] = { 2, 'h', '2' };
	SSL_CTX *dot, *doh = NULL;
	char err[600];
	size_t i;
	int rc = EXIT_ACCEPTED, one;

	dot = upstream_tls_ctx(&gen->conf, &gen->policy, NULL, NULL, 0, err,
	    sizeof(err));
	if (dot == NULL || (doh = upstream_tls_ctx(&gen->conf, &gen->policy,
	    dot, h2, sizeof(h2), err, sizeof(err))) == NULL) {
		fprintf(stderr, "ctstub: %s\n", err);
		SSL_CTX_free(dot);
		return EXIT_USAGE;
	}
	for (i = 0; i < c->nupstreams; i++) {
		const struct conf_upstream *u = &c->upstreams[i];

		printf("\nprobing %s\n", u->url);
		if (u->addr.salen == 0) {
			printf("not probed: its address comes from the bootstrap "
			    "servers (give it 'address IP')\n");
			rc = EXIT_USAGE;
			continue;
		}
		one = probe_upstream(u, &gen->policy,
		    u->transport == CONF_DOH ? doh : dot, NULL);
		if (one > rc)
			rc = one;
	}
	SSL_CTX_free(dot);
	SSL_CTX_free(doh);
	return rc;
}

/*
 * ctstub probe -f CONF [UPSTREAM-LINE]: the configuration's upstreams, or
 * the one line given, checked with the configuration's ca-file, pins, CT
 * log list and CT policy, exactly as the daemon checks them.
 */
static int
probe_conf(const char *path, int argc, char **argv)
{
	struct generation *gen = generation_load(path, stderr);
	struct conf line;
	int rc = EXIT_USAGE;

	if (gen == NULL)
		return EXIT_USAGE;
	printf("configuration: %s\nlog list: %s (version %s)\n", path,
	    gen->conf.ct_log_list, gen->loglist->version);
	memset(&line, 0, sizeof(line));
	if (argc == 0)
		rc = probe_each(gen, &gen->conf);
	else if (parse_upstream_line(argc, argv, &line) == 0)
		rc = probe_each(gen, &line);
	conf_free(&line);
	generation_free(gen);
	return rc;
}

int
probe_main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "-f") == 0)
		return probe_conf(argv[2], argc - 3, argv + 3);
	if (argc >= 2 && strcmp(argv[1], "-f") == 0)
		return usage("probe");
	return probe_url(argc, argv);
}
