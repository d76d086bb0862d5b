/* SPDX-License-Identifier: ISC */
/*
 * Subcommands that ask the running daemon over its control socket:
 * ctstub status (printed for people, or JSON) and ctstub reload.
 */
#include <getopt.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "commands.h"
#include "conf.h"
#include "control.h"

char *
commands_control_path(const char *conf_path)
{
	struct conf c;
	FILE *quiet = fopen("/dev/null", "w");
	char *path;

	conf_load(conf_path, &c, quiet ? quiet : stderr);
	if (quiet != NULL)
		fclose(quiet);
	/* an unreadable file leaves the default; "control off" leaves NULL */
	if (c.control == NULL && c.path == NULL)
		path = strdup(CONF_DEFAULT_CONTROL);
	else
		path = c.control ? strdup(c.control) : NULL;
	conf_free(&c);
	return path;
}

static const char *
str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "-";
}

static long long
num(const json_t *obj, const char *key)
{
	return (long long)json_integer_value(json_object_get(obj, key));
}

/* "YYYY-MM-DD" of an ISO 8601 string field; "none" for null. */
static const char *
day(const json_t *obj, const char *key, char out[11])
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (s == NULL)
		return "none";
	snprintf(out, 11, "%s", s);
	return out;
}

static void
print_outlook(const json_t *list)
{
	const json_t *fail = json_object_get(list, "last_update_failure");
	char end[11], risk[11];

	printf("  coverage horizon %s, renewal risk date %s%s\n",
	    day(list, "horizon", end), day(list, "risk_date", risk),
	    json_is_true(json_object_get(list, "horizon_warning")) ?
	    " (WARNING: update the list)" : "");
	if (json_is_object(fail))
		printf("  last update failed %s: %s (%lld failures)\n",
		    str(fail, "at"), str(fail, "reason"),
		    num(list, "update_failures"));
}

/* Portal mode, when on or once ended. */
static void
print_portal(const json_t *p)
{
	if (strcmp(str(p, "state"), "on") == 0)
		printf("PORTAL MODE ON: plain DNS to %s, %lld s left "
		    "(`ctstub portal --off` ends it)\n", str(p, "server"),
		    num(p, "seconds_left"));
	else if (num(p, "starts") > 0)
		printf("portal mode off (started %lld times; the last one "
		    "%s)\n", num(p, "starts"), str(p, "last_end"));
}

static void
print_daemon(const json_t *doc)
{
	const json_t *list = json_object_get(doc, "ct_log_list");
	const json_t *c = json_object_get(doc, "counters");

	printf("ctstub pid %lld, up %llds, config %s, CT %s\n", num(doc, "pid"),
	    num(doc, "uptime_s"), str(doc, "config"), str(doc, "ct_mode"));
	if (num(doc, "landlock_abi") > 0)
		printf("sandbox: Landlock ABI %lld, no file-system writes\n",
		    num(doc, "landlock_abi"));
	else
		printf("sandbox: none (no Landlock)\n");
	printf("CT audit: %s\n", json_is_string(json_object_get(doc,
	    "ct_audit")) ? str(doc, "ct_audit") : "off");
	printf("CT log list %s: version %s, %lld days old%s, %lld logs, "
	    "%lld operators\n", str(list, "path"), str(list, "version"),
	    num(list, "age_days"), json_is_true(json_object_get(list,
	    "stale")) ? " (STALE)" : "", num(list, "logs"),
	    num(list, "operators"));
	print_outlook(list);
	printf("queries %lld UDP, %lld TCP; cache hits %lld (%lld entries); "
	    "coalesced %lld; SERVFAIL %lld; in flight %lld; reloads %lld "
	    "(%lld failed)\n", num(c, "queries_udp"), num(c, "queries_tcp"),
	    num(c, "cache_hits"), num(c, "cache_entries"), num(c, "coalesced"),
	    num(c, "servfail"), num(c, "inflight"), num(c, "reloads"),
	    num(c, "reload_failures"));
	print_portal(json_object_get(doc, "portal"));
}

static void
print_trust(const json_t *t)
{
	const json_t *item, *hold;
	size_t i;

	if (!json_is_object(t)) {
		printf("  not verified yet\n");
		return;
	}
	printf("  verified %s, %s\n", str(t, "verified_at"),
	    str(t, "tls_version"));
	json_array_foreach(json_object_get(t, "chain"), i, item)
		printf("  chain %zu: %s\n           issuer %s\n           "
		    "expires %s, pin %s\n", i, str(item, "subject"),
		    str(item, "issuer"), str(item, "not_after"),
		    str(item, "pin"));
	json_array_foreach(json_object_get(t, "scts"), i, item)
		printf("  SCT: %s (%s), %s, %s: %s\n", str(item, "log"),
		    str(item, "operator"), str(item, "timestamp"),
		    str(item, "source"), str(item, "verdict"));
	printf("  %s\n  pin matched: %s\n", str(t, "ct"),
	    json_is_string(json_object_get(t, "pin_matched")) ?
	    str(t, "pin_matched") : "(no pins configured)");
	hold = json_object_get(t, "logs_hold_at_not_after");
	printf("  at its expiry %s: counted logs still count: %s; renewal at "
	    "risk: %s\n", str(t, "not_after"), json_is_boolean(hold) ?
	    (json_is_true(hold) ? "yes" : "NO") : "-",
	    json_is_true(json_object_get(t, "renewal_at_risk")) ? "YES" :
	    "no");
}

/* One line per counted SCT: its log and what the audit proved. */
static void
print_audit(const json_t *a)
{
	const json_t *item;
	size_t i;

	json_array_foreach(a, i, item) {
		printf("  CT audit: %s: %s", str(item, "log"),
		    str(item, "state"));
		if (strcmp(str(item, "state"), "included") == 0)
			printf(" (tree of %lld entries)",
			    num(item, "tree_size"));
		else if (str(item, "reason")[0] != '\0')
			printf(" (%s)", str(item, "reason"));
		printf("\n");
	}
}

static void
print_upstream(const json_t *up)
{
	const json_t *c = json_object_get(up, "counters");
	json_t *r = json_object_get(c, "refusals");
	const json_t *lat = json_object_get(up, "latency_ms");
	const char *key;
	json_t *v;

	printf("\nupstream %s (%s, %s): %s, %s\n", str(up, "url"),
	    str(up, "address"), str(up, "transport"),
	    json_is_true(json_object_get(up, "connected")) ? "connected" :
	    "not connected", str(up, "health"));
	if (json_is_string(json_object_get(up, "last_error")))
		printf("  last error: %s\n", str(up, "last_error"));
	print_trust(json_object_get(up, "trust"));
	print_audit(json_object_get(up, "ct_audit"));
	printf("  queries %lld, answers %lld, failures %lld, failovers %lld, "
	    "connections %lld\n  refusals:", num(c, "queries"),
	    num(c, "answers"), num(c, "failures"), num(c, "failovers"),
	    num(c, "connections"));
	json_object_foreach(r, key, v)
		printf(" %s %lld", key, (long long)json_integer_value(v));
	if (json_is_object(lat))
		printf("\n  answer time ms: p50 %.2f, p90 %.2f, p99 %.2f\n",
		    json_real_value(json_object_get(lat, "p50")),
		    json_real_value(json_object_get(lat, "p90")),
		    json_real_value(json_object_get(lat, "p99")));
	else
		printf("\n  answer time: not measured yet\n");
}

/* Forward zones with their upstreams; the locally served names in sum. */
static void
print_zones(const json_t *doc)
{
	const json_t *z, *up, *local = json_object_get(doc, "local_zones");
	size_t i, j, n = 0;

	json_array_foreach(json_object_get(doc, "forward_zones"), i, z) {
		printf("\nforward-zone %s%s%s: %lld queries\n", str(z, "name"),
		    json_is_true(json_object_get(z, "plaintext")) ?
		    " (PLAINTEXT DNS)" : "", strcmp(str(z, "ct"), "off") == 0 ?
		    " (ct off)" : "", num(z, "queries"));
		json_array_foreach(json_object_get(z, "upstreams"), j, up)
			print_upstream(up);
	}
	json_array_foreach(json_object_get(local, "zones"), i, z)
		n += strcmp(str(z, "action"), "forward") != 0;
	printf("\nlocally served names: %zu zones, %lld answers\n", n,
	    num(local, "answers"));
	json_array_foreach(json_object_get(local, "zones"), i, z)
		if (json_is_true(json_object_get(z, "configured")))
			printf("  local-zone %s %s: %lld answers\n",
			    str(z, "name"), str(z, "action"),
			    num(z, "answers"));
}

/*
 * Prints the status reply (as it is with json) and returns the exit
 * status: 0 healthy, 1 degraded or failing (or an unreadable reply).
 */
static int
print_status(const char *reply, int json)
{
	json_error_t jerr;
	json_t *doc = json_loads(reply, 0, &jerr), *up;
	size_t i;
	int healthy;

	if (!json_is_object(doc)) {
		fprintf(stderr, "ctstub: unreadable status reply: %s\n",
		    jerr.text);
		json_decref(doc);
		return 1;
	}
	healthy = strcmp(str(doc, "state"), "healthy") == 0;
	if (json)
		fputs(reply, stdout);
	else {
		printf("%s\n", str(doc, "verdict"));
		print_daemon(doc);
		json_array_foreach(json_object_get(doc, "upstreams"), i, up)
			print_upstream(up);
		print_zones(doc);
	}
	json_decref(doc);
	return healthy ? 0 : 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: ctstub status [-f FILE] [-s SOCKET] "
	    "[--json]\n");
	exit(2);
}

static void
reload_usage(void)
{
	fprintf(stderr, "usage: ctstub reload [-f FILE] [-s SOCKET]\n");
	exit(2);
}

int
status_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 }
	};
	const char *conf_path = CONF_DEFAULT_PATH;
	char *socket = NULL, *reply, err[512];
	int ch, json = 0, rc;

	while ((ch = getopt_long(argc, argv, "f:s:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': conf_path = optarg; break;
		case 's': free(socket); socket = strdup(optarg); break;
		case 'j': json = 1; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (socket == NULL && (socket = commands_control_path(conf_path)) ==
	    NULL) {
		fprintf(stderr, "ctstub: %s has 'control off'\n", conf_path);
		return 2;
	}
	reply = control_request(socket, "status", err, sizeof(err));
	free(socket);
	if (reply == NULL) {
		fprintf(stderr, "ctstub: %s\n", err);
		return 2;
	}
	rc = print_status(reply, json);
	free(reply);
	return rc;
}

int
commands_reload(const char *socket, int absent_ok)
{
	char err[512], *reply = control_request(socket, "reload", err,
	    sizeof(err));
	json_t *doc;
	int ok;

	if (reply == NULL && absent_ok) {
		printf("no running ctstub answered (%s); the new files are "
		    "used at its next start\n", err);
		return 0;
	}
	if (reply == NULL) {
		fprintf(stderr, "ctstub: %s\n", err);
		return 1;
	}
	doc = json_loads(reply, 0, NULL);
	ok = json_is_true(json_object_get(doc, "ok"));
	fprintf(ok ? stdout : stderr, "ctstub: %s\n",
	    json_string_value(json_object_get(doc, "message")) ?
	    json_string_value(json_object_get(doc, "message")) : reply);
	json_decref(doc);
	free(reply);
	return ok ? 0 : 1;
}

int
reload_main(int argc, char **argv)
{
	const char *conf_path = CONF_DEFAULT_PATH;
	char *socket = NULL;
	int ch, rc;

	while ((ch = getopt(argc, argv, "f:s:")) != -1) {
		switch (ch) {
		case 'f': conf_path = optarg; break;
		case 's': free(socket); socket = strdup(optarg); break;
		default: reload_usage();
		}
	}
	if (optind != argc)
		reload_usage();
	if (socket == NULL && (socket = commands_control_path(conf_path)) ==
	    NULL) {
		fprintf(stderr, "ctstub: %s has 'control off': send SIGHUP "
		    "instead\n", conf_path);
		return 1;
	}
	rc = commands_reload(socket, 0);
	free(socket);
	return rc;
}
