/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for listen addresses with a scope: an IPv6 link-local address
 * needs its interface ("fe80::1%lo"), which becomes sin6_scope_id.
 */
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

#include "check.h"
#include "conf.h"

/* Parses text; the error count, messages in errbuf (on one line). */
static int
parse(const char *text, struct conf *c, char *errbuf, size_t len)
{
	FILE *errs = fmemopen(errbuf, len, "w");
	int n = conf_load_string("t.conf", text, c, errs);
	char *nl;

	fclose(errs);
	while ((nl = strchr(errbuf, '\n')) != NULL)
		*nl = ' ';
	return n;
}

static void
test_scoped(void)
{
	char errbuf[1024] = "", addr[80];
	struct conf c;
	const struct sockaddr_in6 *sin6;
	int n = parse("listen fe80::1%lo 5300\nlisten :: 5301\n"
	    "upstream dot://127.0.0.1\n", &c, errbuf, sizeof(errbuf));

	CHECK("fe80::1%lo parses", n == 0 && c.nlistens == 2);
	if (n != 0 || c.nlistens != 2) {
		printf("# %s\n", errbuf);
		conf_free(&c);
		return;
	}
	sin6 = (const struct sockaddr_in6 *)&c.listens[0].sa;
	CHECK("fe80::1%lo: scope is lo's index",
	    sin6->sin6_scope_id == if_nametoindex("lo") &&
	    sin6->sin6_scope_id != 0);
	conf_address_str(&c.listens[0], addr, sizeof(addr));
	CHECK("fe80::1%lo: shown with its interface",
	    strcmp(addr, "[fe80::1%lo]:5300") == 0);
	sin6 = (const struct sockaddr_in6 *)&c.listens[1].sa;
	CHECK(":: has no scope", sin6->sin6_scope_id == 0);
	conf_address_str(&c.listens[1], addr, sizeof(addr));
	CHECK(":: shown as [::]", strcmp(addr, "[::]:5301") == 0);
	conf_free(&c);
}

/* "listen TEXT" fails with one error containing message. */
static void
expect_error(const char *name, const char *text, const char *message)
{
	char conf[256], errbuf[1024] = "";
	struct conf c;
	int n;

	snprintf(conf, sizeof(conf), "listen %s\nupstream dot://127.0.0.1\n",
	    text);
	n = parse(conf, &c, errbuf, sizeof(errbuf));
	CHECK(name, n == 1 && strstr(errbuf, message) != NULL);
	if (n != 1 || strstr(errbuf, message) == NULL)
		printf("# wanted '%s', got '%s'\n", message, errbuf);
	conf_free(&c);
}

static void
test_errors(void)
{
	expect_error("link-local without scope", "fe80::1",
	    "t.conf:1: listen: link-local address 'fe80::1' needs its "
	    "interface: fe80::1%IFNAME");
	expect_error("no such interface", "fe80::1%nosuchif0",
	    "t.conf:1: listen: 'fe80::1%nosuchif0': no interface "
	    "'nosuchif0'");
	expect_error("empty scope", "fe80::1%",
	    "t.conf:1: listen: 'fe80::1%': no interface ''");
	expect_error("scope on IPv4", "127.0.0.1%lo",
	    "is only for IPv6 link-local addresses");
	expect_error("scope on a global IPv6", "::1%lo",
	    "is only for IPv6 link-local addresses");
	expect_error("scope alone", "%lo",
	    "t.conf:1: listen: '%lo' is not an IP address");
	expect_error("over-long address",
	    "fe80:0000:0000:0000:0000:0000:0000:0000:0000:0001%lo",
	    "is not an IP address");
}

int
main(void)
{
	test_scoped();
	test_errors();
	return CHECK_DONE();
}
