/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for portal.c: the --for durations (units, bounds, malformed
 * text), the control command's refusals, and the state of a daemon that
 * never started a portal (status JSON, routing, the cache rule).
 */
#include <string.h>

#include <jansson.h>

#include "check.h"
#include "portal.h"
#include "server.h"

/* Does text parse, and to want seconds? */
static int
parses_to(const char *text, unsigned want)
{
	unsigned got = 0;

	return portal_parse_duration(text, &got) == 0 && got == want;
}

static int
refused(const char *text)
{
	unsigned got = 12345;

	return portal_parse_duration(text, &got) == -1 && got == 12345;
}

static void
test_durations(void)
{
	CHECK("90s", parses_to("90s", 90));
	CHECK("5m", parses_to("5m", 300));
	CHECK("1s: the least", parses_to("1s", 1));
	CHECK("30m: the most", parses_to("30m", PORTAL_MAX_S));
	CHECK("1800s: the most", parses_to("1800s", 1800));
	CHECK("default is 5 minutes", PORTAL_DEFAULT_S == 300);
	CHECK("31m: too long", refused("31m"));
	CHECK("1801s: too long", refused("1801s"));
	CHECK("0s: too short", refused("0s"));
	CHECK("0m: too short", refused("0m"));
	CHECK("5: a unit is required", refused("5"));
	CHECK("1h: no hours", refused("1h"));
	CHECK("5mm", refused("5mm"));
	CHECK("m: no number", refused("m"));
	CHECK("-5m", refused("-5m"));
	CHECK("+5m", refused("+5m"));
	CHECK(" 5m", refused(" 5m"));
	CHECK("5 m", refused("5 m"));
	CHECK("empty", refused(""));
	CHECK("NULL", refused(NULL));
	CHECK("huge number", refused("99999999999999999999m"));
	CHECK("4294967296s (wraps)", refused("4294967296s"));
}

/* Does the reply hold ok (as want) and text in its message? */
static int
reply_is(char *reply, int want, const char *text)
{
	json_t *doc = reply ? json_loads(reply, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(doc, "message"));
	int ok = doc != NULL && json_is_true(json_object_get(doc, "ok")) ==
	    want && msg != NULL && strstr(msg, text) != NULL;

	json_decref(doc);
	free(reply);
	return ok;
}

static void
test_never_started(void)
{
	struct server srv;
	const char *server = "x";
	json_t *doc;

	memset(&srv, 0, sizeof(srv));
	CHECK("off: no portal set", portal_set(&srv) == NULL);
	CHECK("off: owns no set", !portal_owns(&srv, NULL));
	CHECK("off: 0 s left", portal_left(&srv, &server) == 0 &&
	    server[0] == '\0');
	CHECK("off: no starts", portal_starts(&srv) == 0);
	doc = portal_json(&srv);
	CHECK("off: status state", doc != NULL && strcmp(json_string_value(
	    json_object_get(doc, "state")), "off") == 0);
	CHECK("off: status server null", json_is_null(json_object_get(doc,
	    "server")));
	CHECK("off: status last_end null", json_is_null(json_object_get(doc,
	    "last_end")));
	json_decref(doc);
	CHECK("off when off", reply_is(portal_command(&srv, "off"), 1,
	    "was not on"));
	CHECK("no arguments", reply_is(portal_command(&srv, ""), 0,
	    "usage"));
	CHECK("NULL arguments", reply_is(portal_command(&srv, NULL), 0,
	    "usage"));
	CHECK("0 seconds", reply_is(portal_command(&srv, "on 0 127.0.0.1"),
	    0, "usage"));
	CHECK("over the maximum", reply_is(portal_command(&srv,
	    "on 1801 127.0.0.1"), 0, "usage"));
	CHECK("no server", reply_is(portal_command(&srv, "on 60"), 0,
	    "usage"));
	CHECK("extra words", reply_is(portal_command(&srv,
	    "on 60 127.0.0.1 more"), 0, "usage"));
	CHECK("still never started", srv.portal == NULL);
}

int
main(void)
{
	test_durations();
	test_never_started();
	return CHECK_DONE();
}
