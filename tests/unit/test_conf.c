/* SPDX-License-Identifier: ISC */
/* Unit tests for the configuration parser and its error messages. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf.h"

/*
 * conf.c's allocations come here (its own conf_realloc is weak): the call
 * numbered alloc_fail_at fails, counting from 1; 0 fails none.
 */
static unsigned alloc_calls, alloc_fail_at;

void *
conf_realloc(void *ptr, size_t size)
{
	if (++alloc_calls == alloc_fail_at)
		return NULL;
	return realloc(ptr, size);
}

/* Parses text; returns the error count and leaves messages in errbuf. */
static int
parse(const char *text, struct conf *c, char *errbuf, size_t len)
{
	FILE *errs = fmemopen(errbuf, len, "w");
	int n;

	n = conf_load_string("t.conf", text, c, errs);
	fclose(errs);
	return n;
}

static void
expect_error(const char *name, const char *text, const char *message)
{
	char errbuf[2048] = "";
	struct conf c;
	int n = parse(text, &c, errbuf, sizeof(errbuf));

	if (n > 0 && strstr(errbuf, message) != NULL)
		printf("ok - %s\n", name);
	else {
		printf("not ok - %s: wanted '%s', got '%s'\n", name, message,
		    errbuf);
		check_failures++;
	}
	conf_free(&c);
}

static void
test_good(void)
{
	static const char text[] =
	    "# comment\n"
	    "\n"
	    "listen 127.0.0.1 5300   # trailing comment\n"
	    "listen ::1\n"
	    "upstream dot://127.0.0.2:8853 name dns.example.test\n"
	    "upstream dot://[::1]\n"
	    "upstream dot://1.1.1.1 pin sha256/"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	    "ca-file /tmp/ca.pem\n"
	    "timeout 2500\n"
	    "user nobody\n"
	    "ct report\n"
	    "ct-min-logs 3\n"
	    "ct-lifetime-rule no\n";
	char errbuf[1024] = "";
	struct conf c;
	char addr[80];

	CHECK("good config parses", parse(text, &c, errbuf,
	    sizeof(errbuf)) == 0);
	CHECK("two listeners", c.nlistens == 2);
	conf_address_str(&c.listens[0], addr, sizeof(addr));
	CHECK("listen with port", strcmp(addr, "127.0.0.1:5300") == 0);
	conf_address_str(&c.listens[1], addr, sizeof(addr));
	CHECK("listen IPv6 default port", strcmp(addr, "[::1]:53") == 0);
	CHECK("three upstreams", c.nupstreams == 3);
	conf_address_str(&c.upstreams[0].addr, addr, sizeof(addr));
	CHECK("upstream address and port", strcmp(addr, "127.0.0.2:8853") ==
	    0);
	CHECK("upstream name", c.upstreams[0].name &&
	    strcmp(c.upstreams[0].name, "dns.example.test") == 0);
	conf_address_str(&c.upstreams[1].addr, addr, sizeof(addr));
	CHECK("upstream IPv6 default port 853", strcmp(addr, "[::1]:853") ==
	    0);
	CHECK("per-upstream pin", c.upstreams[2].pins.count == 1);
	CHECK("scalars", c.timeout_ms == 2500 && c.ct_min_logs == 3 &&
	    !c.ct_lifetime_rule && c.ct_mode == CONF_CT_REPORT &&
	    strcmp(c.user, "nobody") == 0 && strcmp(c.ca_file,
	    "/tmp/ca.pem") == 0);
	conf_free(&c);
}

static void
test_defaults(void)
{
	char errbuf[256] = "", addr[80];
	struct conf c;

	CHECK("minimal config", parse("upstream dot://127.0.0.1\n", &c,
	    errbuf, sizeof(errbuf)) == 0);
	conf_address_str(&c.listens[0], addr, sizeof(addr));
	CHECK("default listen 127.0.0.53:53", c.nlistens == 1 &&
	    strcmp(addr, "127.0.0.53:53") == 0);
	CHECK("CT defaults", c.ct_min_logs == 2 && c.ct_min_operators == 2 &&
	    c.ct_lifetime_rule && c.ct_mode == CONF_CT_ENFORCE &&
	    c.ct_list_max_age_days == 70 && !c.ct_stale_fail_open);
	conf_free(&c);
}

static void
test_errors(void)
{
	char errbuf[2048] = "";
	struct conf c;

	expect_error("unknown directive names file and line",
	    "upstream dot://127.0.0.1\n\nupstrem dot://1.1.1.1\n",
	    "t.conf:3: unknown directive 'upstrem'");
	expect_error("no upstream", "listen 127.0.0.1\n",
	    "t.conf: no upstream configured");
	expect_error("bad listen address", "listen localhost\n"
	    "upstream dot://127.0.0.1\n", "t.conf:1: listen: 'localhost' is "
	    "not an IP address");
	expect_error("bad port", "listen 127.0.0.1 70000\n"
	    "upstream dot://127.0.0.1\n", "t.conf:1: listen: expected");
	expect_error("scheme", "upstream tls://127.0.0.1\n", "t.conf:1: "
	    "upstream 'tls://127.0.0.1': expected dot://");
	expect_error("host name in dot URL", "upstream dot://one.one\n",
	    "is not an IP address");
	expect_error("bare IPv6 needs brackets", "upstream dot://::1:853\n",
	    "bad address or port");
	expect_error("dot with a path", "upstream dot://127.0.0.1/x\n",
	    "dot:// takes no path");
	expect_error("option without value", "upstream dot://127.0.0.1 name\n",
	    "option 'name' needs a value");
	expect_error("unknown upstream option",
	    "upstream dot://127.0.0.1 nmae x\n", "unknown option 'nmae'");
	expect_error("bad pin", "upstream dot://127.0.0.1\npin sha256/abc\n",
	    "t.conf:2: pin: bad pin");
	expect_error("timeout range", "upstream dot://127.0.0.1\ntimeout 0\n",
	    "t.conf:2: timeout: expected a number from 100 to 60000");
	expect_error("timeout not a number",
	    "upstream dot://127.0.0.1\ntimeout 5s\n", "t.conf:2: timeout:");
	expect_error("missing argument", "upstream dot://127.0.0.1\nuser\n",
	    "t.conf:2: user: expected 1 to 1 arguments, got 0");
	expect_error("extra argument",
	    "upstream dot://127.0.0.1\nca-file a b\n", "t.conf:2: ca-file:");
	expect_error("ct mode", "upstream dot://127.0.0.1\nct off\n",
	    "t.conf:2: ct: expected 'enforce' or 'report', got 'off'");
	expect_error("ct-stale", "upstream dot://127.0.0.1\nct-stale open\n",
	    "t.conf:2: ct-stale:");

	CHECK("every error is reported", parse("bogus\nupstream x\n"
	    "timeout -1\nupstream dot://127.0.0.1\n", &c, errbuf,
	    sizeof(errbuf)) == 3 && strstr(errbuf, "t.conf:1:") &&
	    strstr(errbuf, "t.conf:2:") && strstr(errbuf, "t.conf:3:"));
	conf_free(&c);
}

static void
test_files(void)
{
	char errbuf[512] = "";
	FILE *errs = fmemopen(errbuf, sizeof(errbuf), "w");
	struct conf c;
	int n;

	n = conf_load("/nonexistent/ctstub.conf", &c, errs);
	fclose(errs);
	CHECK("missing file is an error", n == 1 && strstr(errbuf,
	    "/nonexistent/ctstub.conf: No such file"));
	conf_free(&c);
	errs = fmemopen(errbuf, sizeof(errbuf), "w");
	n = conf_load("conf/ctstub.conf", &c, errs);
	fclose(errs);
	CHECK("shipped config parses", n == 0 && c.nupstreams == 2);
	conf_free(&c);
}

static void
test_urls(void)
{
	struct conf_upstream u;
	char err[600], addr[80];

	CHECK("url: https with IP and path", conf_parse_upstream_url(
	    "https://1.1.1.1/dns-query", &u, err, sizeof(err)) == 0 &&
	    u.transport == CONF_DOH && strcmp(u.path, "/dns-query") == 0 &&
	    u.host == NULL && u.port == 443);
	conf_address_str(&u.addr, addr, sizeof(addr));
	CHECK("url: https default port 443", strcmp(addr, "1.1.1.1:443") == 0);
	free(u.url);
	free(u.path);
	CHECK("url: https IPv6 with port", conf_parse_upstream_url(
	    "https://[2606:4700::1111]:8443/q", &u, err, sizeof(err)) == 0 &&
	    u.port == 8443);
	conf_address_str(&u.addr, addr, sizeof(addr));
	CHECK("url: https IPv6 address", strcmp(addr,
	    "[2606:4700::1111]:8443") == 0);
	free(u.url);
	free(u.path);
	CHECK("url: https host name", conf_parse_upstream_url(
	    "https://cloudflare-dns.com/dns-query", &u, err, sizeof(err)) ==
	    0 && strcmp(u.host, "cloudflare-dns.com") == 0 &&
	    strcmp(u.name, "cloudflare-dns.com") == 0 && u.addr.salen == 0);
	free(u.url);
	free(u.path);
	free(u.host);
	free(u.name);
	CHECK("url: https without path", conf_parse_upstream_url(
	    "https://1.1.1.1", &u, err, sizeof(err)) == -1 &&
	    strstr(err, "missing path"));
	CHECK("url: https with empty path", conf_parse_upstream_url(
	    "https://1.1.1.1/", &u, err, sizeof(err)) == -1);
	CHECK("url: bad host characters", conf_parse_upstream_url(
	    "https://bad_host!/q", &u, err, sizeof(err)) == -1 &&
	    strstr(err, "or a host name"));
	CHECK("url: dot with host name", conf_parse_upstream_url(
	    "dot://one.one.one.one", &u, err, sizeof(err)) == -1);
	CHECK("url: port 0", conf_parse_upstream_url(
	    "https://1.1.1.1:0/q", &u, err, sizeof(err)) == -1);
	CHECK("url: unclosed bracket", conf_parse_upstream_url(
	    "https://[::1/q", &u, err, sizeof(err)) == -1);
	CHECK("url: http is refused", conf_parse_upstream_url(
	    "http://1.1.1.1/dns-query", &u, err, sizeof(err)) == -1);
}

static void
test_addresses(void)
{
	char errbuf[1024] = "", addr[80];
	struct conf c;

	CHECK("address: one upstream per address", parse(
	    "upstream https://dns.example/q address 192.0.2.1 "
	    "address 2001:db8::1 pin sha256/"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	    "upstream dot://127.0.0.1\n", &c, errbuf, sizeof(errbuf)) == 0 &&
	    c.nupstreams == 3);
	conf_address_str(&c.upstreams[1].addr, addr, sizeof(addr));
	CHECK("address: second copy", strcmp(addr, "[2001:db8::1]:443") ==
	    0 && strcmp(c.upstreams[1].name, "dns.example") == 0 &&
	    c.upstreams[1].pins.count == 1);
	conf_free(&c);
	expect_error("address needs a host name",
	    "upstream https://192.0.2.1/q address 192.0.2.2\n",
	    "t.conf:1: upstream: 'address' is only for URLs with a host name");
	expect_error("host name without address or bootstrap",
	    "upstream https://dns.example/q\n", "t.conf: upstream "
	    "'https://dns.example/q' names a host: give it 'address IP' or "
	    "configure 'bootstrap IP'");
	CHECK("bootstrap makes it valid", parse(
	    "upstream https://dns.example/q\nbootstrap 192.0.2.53\n", &c,
	    errbuf, sizeof(errbuf)) == 0 && c.nbootstraps == 1);
	conf_free(&c);
	expect_error("bad bootstrap", "upstream dot://127.0.0.1\n"
	    "bootstrap dns.example\n", "t.conf:2: bootstrap: 'dns.example' is "
	    "not an IP address");
}

static void
test_control_and_metrics(void)
{
	char errbuf[2048] = "";
	struct conf c;

	CHECK("control: default path, not written",
	    parse("upstream dot://127.0.0.1\n", &c, errbuf,
	    sizeof(errbuf)) == 0 && c.control != NULL &&
	    strcmp(c.control, CONF_DEFAULT_CONTROL) == 0 &&
	    c.control_is_default && c.metrics.salen == 0);
	conf_free(&c);
	CHECK("control: a path", parse("upstream dot://127.0.0.1\n"
	    "control /tmp/c.sock\n", &c, errbuf, sizeof(errbuf)) == 0 &&
	    strcmp(c.control, "/tmp/c.sock") == 0 && !c.control_is_default);
	conf_free(&c);
	CHECK("control off", parse("upstream dot://127.0.0.1\ncontrol off\n",
	    &c, errbuf, sizeof(errbuf)) == 0 && c.control == NULL &&
	    !c.control_is_default);
	conf_free(&c);
	CHECK("metrics on ::1", parse("upstream dot://127.0.0.1\n"
	    "metrics ::1 9153\n", &c, errbuf, sizeof(errbuf)) == 0 &&
	    c.metrics.sa.ss_family == AF_INET6);
	conf_free(&c);
	CHECK("metrics on 127.0.0.2", parse("upstream dot://127.0.0.1\n"
	    "metrics 127.0.0.2 9153\n", &c, errbuf, sizeof(errbuf)) == 0 &&
	    c.metrics.sa.ss_family == AF_INET);
	conf_free(&c);
	expect_error("control: relative path", "upstream dot://127.0.0.1\n"
	    "control ctl.sock\n", "t.conf:2: control: 'ctl.sock' is not an "
	    "absolute path");
	expect_error("metrics: not loopback", "upstream dot://127.0.0.1\n"
	    "metrics 192.0.2.1 9153\n", "t.conf:2: metrics: 192.0.2.1 is not "
	    "a loopback address");
	expect_error("metrics: any address", "upstream dot://127.0.0.1\n"
	    "metrics :: 9153\n", "is not a loopback address");
	expect_error("metrics: bad port", "upstream dot://127.0.0.1\n"
	    "metrics 127.0.0.1 http\n", "t.conf:2: metrics: expected IP PORT");
	expect_error("metrics: port missing", "upstream dot://127.0.0.1\n"
	    "metrics 127.0.0.1\n", "t.conf:2: metrics: expected 2 to 2 "
	    "arguments, got 1");
}

static void
test_loglist_sources(void)
{
	static const char pin[] = "sha256/"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	char errbuf[2048] = "", text[1024], *printed;
	struct conf c;
	const struct conf_loglist_source *s;

	snprintf(text, sizeof(text), "upstream dot://127.0.0.1\n"
	    "loglist-source https://l.example.test/ct.json address 127.0.0.1 "
	    "address ::1 ca-file /etc/ca.pem pin %s key /k1.pem key /k2.pem\n"
	    "loglist-source https://valid.apple.com/ct/log_list/x.json\n",
	    pin);
	CHECK("loglist-source: two, in order", parse(text, &c, errbuf,
	    sizeof(errbuf)) == 0 && c.nloglist_sources == 2 &&
	    strcmp(c.loglist_sources[1].url,
	    "https://valid.apple.com/ct/log_list/x.json") == 0 &&
	    c.loglist_sources[1].nkeys == 0 &&
	    c.loglist_sources[1].naddrs == 0);
	s = c.nloglist_sources ? &c.loglist_sources[0] : NULL;
	CHECK("loglist-source: options", s != NULL && s->naddrs == 2 &&
	    s->addrs[1].sa.ss_family == AF_INET6 &&
	    strcmp(s->ca_file, "/etc/ca.pem") == 0 && s->pins.count == 1 &&
	    s->nkeys == 2 && strcmp(s->keys[1], "/k2.pem") == 0);
	printed = conf_print_text(&c);
	CHECK("loglist-source: printed back", printed != NULL &&
	    strstr(printed, "loglist-source https://l.example.test/ct.json "
	    "address 127.0.0.1 address ::1 ca-file /etc/ca.pem pin sha256/"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= key /k1.pem key "
	    "/k2.pem\n") != NULL);
	free(printed);
	conf_free(&c);
	expect_error("loglist-source: http", "upstream dot://127.0.0.1\n"
	    "loglist-source http://l.example.test/ct.json\n",
	    "t.conf:2: loglist-source: http://l.example.test/ct.json: not an "
	    "https:// URL");
	expect_error("loglist-source: bad address",
	    "upstream dot://127.0.0.1\nloglist-source https://l.test/ "
	    "address l.test\n", "t.conf:2: loglist-source: address 'l.test' "
	    "is not an IP address");
	expect_error("loglist-source: bad pin", "upstream dot://127.0.0.1\n"
	    "loglist-source https://l.test/ pin sha256/x\n",
	    "t.conf:2: loglist-source: bad pin 'sha256/x'");
	expect_error("loglist-source: option without value",
	    "upstream dot://127.0.0.1\nloglist-source https://l.test/ key\n",
	    "t.conf:2: loglist-source: option 'key' needs a value");
	expect_error("loglist-source: unknown option",
	    "upstream dot://127.0.0.1\nloglist-source https://l.test/ "
	    "name x\n", "t.conf:2: loglist-source: unknown option 'name'");
}

static void
test_pins(void)
{
	unsigned char pin[CONF_PIN_LEN];

	CHECK("pin: good", conf_parse_pin("sha256/"
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", pin) == 0 &&
	    pin[0] == 0xe3 && pin[31] == 0x55);
	CHECK("pin: wrong algorithm", conf_parse_pin("sha1/"
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", pin) == -1);
	CHECK("pin: wrong length", conf_parse_pin("sha256/"
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF==", pin) == -1);
	CHECK("pin: bad characters", conf_parse_pin("sha256/"
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSu*U=", pin) == -1);
}

/*
 * Every allocation of a load that sets trust settings (pins, ca-file, an
 * upstream pin and name) fails in turn: each such load must report an
 * error, never succeed with a setting silently dropped.
 */
static void
test_out_of_memory(void)
{
	static const char text[] =
	    "listen 127.0.0.1 5300\n"
	    "upstream dot://127.0.0.2 name dns.example.test pin sha256/"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	    "upstream https://doh.example.test/dns-query address 192.0.2.1 "
	    "address 192.0.2.2\n"
	    "pin sha256/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=\n"
	    "pin sha256/CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCA=\n"
	    "ca-file /etc/ctstub/ca.pem\n"
	    "user ctstub\n"
	    "control /run/ctstub.sock\n"
	    "ct-log-list /etc/ctstub/ct-logs.json\n"
	    "local-zone corp.example nxdomain\n"
	    "forward-zone lan. dns://192.168.1.1 dns://[fd00::1]:5353\n"
	    "forward-zone vpn.example dot://10.0.0.53 pin sha256/"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= https://dns.vpn/q "
	    "address 10.0.0.54 ca-file /etc/corp.pem ct off\n";
	char errbuf[2048];
	struct conf c;
	unsigned n, silent = 0, unsaid = 0;
	int errors;

	for (n = 1;; n++) {
		errbuf[0] = '\0';
		alloc_calls = 0;
		alloc_fail_at = n;
		errors = parse(text, &c, errbuf, sizeof(errbuf));
		conf_free(&c);
		if (alloc_calls < n)
			break;		/* every allocation had its turn */
		if (errors == 0)
			silent++;
		else if (strstr(errbuf, "out of memory") == NULL)
			unsaid++;
	}
	alloc_fail_at = 0;
	CHECK("out of memory: the load makes allocations", n > 10);
	CHECK("out of memory: no load succeeds with an allocation failed",
	    silent == 0);
	CHECK("out of memory: each failed load says 'out of memory'",
	    unsaid == 0);
	errbuf[0] = '\0';
	CHECK("without a failure the same text loads", parse(text, &c, errbuf,
	    sizeof(errbuf)) == 0 && c.pins.count == 2 &&
	    c.upstreams[0].pins.count == 1 && c.nupstreams == 3 &&
	    strcmp(c.ca_file, "/etc/ctstub/ca.pem") == 0);
	conf_free(&c);
}

/* -n -v output parses back as it is, unset ca-file and user included. */
static void
test_print_parses_back(void)
{
	static const char *const texts[] = {
		"upstream dot://127.0.0.1\n",
		"listen ::1 5300\nupstream https://dns.example.test/q address "
		"192.0.2.1 pin sha256/"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
		"ca-file /etc/ca.pem\nuser ctstub\ncontrol off\n"
		"metrics 127.0.0.1 9153\n",
		"upstream dot://127.0.0.1\nlocal-zone Test forward\n"
		"local-zone corp.example. nxdomain\n"
		"forward-zone lan dns://192.168.1.1 dns://[fd00::1]:5353\n"
		"forward-zone vpn.example. dot://10.0.0.53 name dns.vpn pin "
		"sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= "
		"https://dns.vpn/q address 10.0.0.54 ca-file /etc/corp.pem "
		"ct off\n",
	};
	char errbuf[1024], *first, *second;
	struct conf c;
	size_t i;
	int ca_set, user_set;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		errbuf[0] = '\0';
		CHECK("print: the text parses", parse(texts[i], &c, errbuf,
		    sizeof(errbuf)) == 0);
		first = conf_print_text(&c);
		ca_set = c.ca_file != NULL;
		user_set = c.user != NULL;
		conf_free(&c);
		errbuf[0] = '\0';
		CHECK("print: its output parses without error", first &&
		    parse(first, &c, errbuf, sizeof(errbuf)) == 0);
		CHECK("print: ca-file and user set again only if they were",
		    (c.ca_file != NULL) == ca_set && (c.user != NULL) == user_set);
		second = conf_print_text(&c);
		conf_free(&c);
		CHECK("print: and prints the same again", first && second &&
		    strcmp(first, second) == 0);
		free(first);
		free(second);
	}
}

static void
test_zones(void)
{
	char errbuf[1024] = "";
	struct conf c;
	const struct conf_zone *z;

	CHECK("zones: parse", parse("upstream dot://127.0.0.1\n"
	    "local-zone Test. forward\nlocal-zone test nxdomain\n"
	    "forward-zone lan. dns://192.168.1.1:5353 dns://10.0.0.1\n"
	    "forward-zone vpn.Example dot://10.0.0.53 ct off ca-file /c.pem\n"
	    "local-zone lan. nxdomain\n", &c, errbuf, sizeof(errbuf)) == 0);
	CHECK("zones: one per name, in order", c.nzones == 3);
	z = &c.zones[0];
	CHECK("zones: a later local-zone line wins", c.nzones == 3 &&
	    strcmp(z->name, "test.") == 0 && z->kind == CONF_ZONE_NXDOMAIN);
	z = &c.zones[1];
	CHECK("zones: a later local-zone replaces a forward-zone",
	    c.nzones == 3 && strcmp(z->name, "lan.") == 0 &&
	    z->kind == CONF_ZONE_NXDOMAIN && z->nupstreams == 0);
	z = &c.zones[2];
	CHECK("zones: forward-zone name lower case, final dot", c.nzones == 3 &&
	    strcmp(z->name, "vpn.example.") == 0 && z->nupstreams == 1 &&
	    z->ct_off && strcmp(z->ca_file, "/c.pem") == 0 &&
	    !conf_zone_plaintext(z));
	conf_free(&c);
	CHECK("zones: plain DNS upstream", parse("upstream dot://127.0.0.1\n"
	    "forward-zone lan. dns://192.168.1.1:5353\n", &c, errbuf,
	    sizeof(errbuf)) == 0 && c.nzones == 1 &&
	    c.zones[0].upstreams[0].transport == CONF_PLAIN &&
	    c.zones[0].upstreams[0].port == 5353 &&
	    conf_zone_plaintext(&c.zones[0]));
	conf_free(&c);
	expect_error("zones: dns:// as an upstream", "upstream dns://10.0.0.1\n",
	    "t.conf:1: upstream: plain DNS (dns://) is only for forward-zone");
	expect_error("zones: forward-zone .", "upstream dot://127.0.0.1\n"
	    "forward-zone . dns://10.0.0.1\n", "t.conf:2: forward-zone: '.' is "
	    "not a domain name");
	expect_error("zones: dns:// with a host name", "upstream dot://1.2.3.4\n"
	    "forward-zone lan dns://router.lan\n", "t.conf:2: forward-zone "
	    "lan.: upstream 'dns://router.lan': expected dns://IP[:PORT]");
	expect_error("zones: https host without address", "upstream "
	    "dot://1.2.3.4\nforward-zone lan https://r.lan/q\n",
	    "t.conf:2: forward-zone lan.: upstream 'https://r.lan/q' names a "
	    "host: give it 'address IP'");
	expect_error("zones: ct on|off only", "upstream dot://1.2.3.4\n"
	    "forward-zone lan dot://10.0.0.1 ct maybe\n", "t.conf:2: "
	    "forward-zone lan.: ct: expected 'off' or 'on', got 'maybe'");
	expect_error("zones: unknown option", "upstream dot://1.2.3.4\n"
	    "forward-zone lan dot://10.0.0.1 weight 3\n", "t.conf:2: "
	    "upstream: unknown option 'weight'");
	expect_error("zones: option without value", "upstream dot://1.2.3.4\n"
	    "forward-zone lan dot://10.0.0.1 pin\n", "t.conf:2: "
	    "forward-zone lan.: 'pin' needs a value");
}

int
main(void)
{
	test_good();
	test_defaults();
	test_errors();
	test_files();
	test_urls();
	test_addresses();
	test_pins();
	test_control_and_metrics();
	test_loglist_sources();
	test_out_of_memory();
	test_print_parses_back();
	test_zones();
	return CHECK_DONE();
}
