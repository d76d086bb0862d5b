/* SPDX-License-Identifier: ISC */
/* Unit tests for the zone table: longest suffix, case, malformed names. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "zone.h"

static int corp, dev, lan, arpa, ten;

/* The zone matched for text, or NULL; *off gets the zone's offset. */
static void *
match(const struct zone_table *t, const char *text, size_t *off)
{
	uint8_t wire[ZONE_WIRE_MAX];
	size_t n = zone_name_wire(text, wire, sizeof(wire));

	return n ? zone_table_match(t, wire, n, off) : NULL;
}

static int
add(struct zone_table *t, const char *text, void *value)
{
	uint8_t wire[ZONE_WIRE_MAX];
	size_t n = zone_name_wire(text, wire, sizeof(wire));

	return n ? zone_table_add(t, wire, n, value) : -1;
}

static void
test_names(void)
{
	uint8_t wire[ZONE_WIRE_MAX];
	char text[256], long_label[80];

	CHECK("wire: Example.COM. lower-cased", zone_name_wire("Example.COM.",
	    wire, sizeof(wire)) == 13 && memcmp(wire, "\7example\3com", 13) ==
	    0);
	CHECK("wire: without the final dot", zone_name_wire("example.com",
	    wire, sizeof(wire)) == 13);
	CHECK("wire: the root is no zone", zone_name_wire(".", wire,
	    sizeof(wire)) == 0);
	CHECK("wire: empty label refused", zone_name_wire("a..b", wire,
	    sizeof(wire)) == 0);
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	CHECK("wire: 64-octet label refused", zone_name_wire(long_label, wire,
	    sizeof(wire)) == 0);
	CHECK("wire: space refused", zone_name_wire("a b.", wire,
	    sizeof(wire)) == 0);
	CHECK("wire: quote refused (metrics labels)", zone_name_wire("a\"b.",
	    wire, sizeof(wire)) == 0);
	CHECK("wire: RFC 2317 label", zone_name_wire("0/25.2.0.192.in-addr."
	    "arpa.", wire, sizeof(wire)) == 27);
	zone_name_text((const uint8_t *)"\3lan\0", 5, text, sizeof(text));
	CHECK("text: lan.", strcmp(text, "lan.") == 0);
}

static void
test_match(void)
{
	struct zone_table *t = zone_table_new();
	size_t off = 99;
	uint8_t bad[] = { 3, 'c', 'o', 'm' };		/* no root label */
	uint8_t ptr[] = { 0xc0, 12 };			/* compressed */

	CHECK("empty table matches nothing", match(t, "a.lan.", &off) ==
	    NULL);
	CHECK("add corp.example.", add(t, "corp.example.", &corp) == 0);
	CHECK("add dev.corp.example.", add(t, "DEV.corp.example.", &dev) ==
	    0);
	CHECK("add lan.", add(t, "lan.", &lan) == 0);
	CHECK("add in-addr.arpa.", add(t, "in-addr.arpa.", &arpa) == 0);
	CHECK("add 10.in-addr.arpa.", add(t, "10.in-addr.arpa.", &ten) == 0);
	CHECK("five zones", zone_table_count(t) == 5);
	CHECK("the apex matches", match(t, "corp.example.", &off) == &corp &&
	    off == 0);
	CHECK("a name below", match(t, "www.corp.example.", &off) == &corp &&
	    off == 4);
	CHECK("longest suffix wins", match(t, "a.b.dev.corp.example.", &off) ==
	    &dev && off == 4);
	CHECK("case does not matter", match(t, "X.Dev.CORP.Example", NULL) ==
	    &dev);
	CHECK("an ancestor of a zone is no zone", match(t, "example.", NULL) ==
	    NULL);
	CHECK("a sibling is no zone", match(t, "corp2.example.", NULL) ==
	    NULL);
	CHECK("a label's prefix is not its suffix",
	    match(t, "xlan.", NULL) == NULL);
	CHECK("reverse: 10/8", match(t, "4.3.2.10.in-addr.arpa.", NULL) ==
	    &ten);
	CHECK("reverse: other nets fall back", match(t, "4.3.2.11.in-addr."
	    "arpa.", NULL) == &arpa);
	CHECK("uncompressed only", zone_table_match(t, ptr, sizeof(ptr),
	    NULL) == NULL);
	CHECK("no root label: nothing", zone_table_match(t, bad, sizeof(bad),
	    NULL) == NULL);
	CHECK("a name past len: nothing", zone_table_match(t,
	    (const uint8_t *)"\3lan\0", 4, NULL) == NULL);
	CHECK("replacing a value", add(t, "lan.", &corp) == 0 &&
	    match(t, "printer.lan.", NULL) == &corp &&
	    zone_table_count(t) == 5);
	CHECK("NULL value refused", add(t, "x.", NULL) == -1);
	zone_table_free(t);
	zone_table_free(NULL);
}

/* Many zones: the index grows and every one is still found. */
static void
test_growth(void)
{
	struct zone_table *t = zone_table_new();
	static int values[500];
	char name[64];
	int i, ok = 1;

	for (i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "%d.%d.example.", i, i % 7);
		ok &= add(t, name, &values[i]) == 0;
	}
	CHECK("500 zones added", ok && zone_table_count(t) == 500);
	for (i = 0, ok = 1; i < 500; i++) {
		snprintf(name, sizeof(name), "x.%d.%d.example.", i, i % 7);
		ok &= match(t, name, NULL) == &values[i];
	}
	CHECK("500 zones found", ok);
	CHECK("a miss among many", match(t, "x.1.2.example.", NULL) == NULL);
	zone_table_free(t);
}

int
main(void)
{
	test_names();
	test_match();
	test_growth();
	return CHECK_DONE();
}
