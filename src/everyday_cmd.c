/* SPDX-License-Identifier: ISC */
/*
 * ctstub query, flush, reset and portal: the everyday commands, asked of
 * the running daemon over its control socket (everyday.c and portal.c
 * answer them). portal finds the network's DNS server here, as the user.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "commands.h"
#include "conf.h"
#include "control.h"
#include "dnsmsg.h"
#include "dnstext.h"
#include "portal.h"

struct everyday_opts {
	const char *conf_path;
	char *socket;
	int json;
	int portal;		/* takes --for, --server, --off */
	const char *duration;	/* portal --for */
	const char *server;	/* portal --server */
	int off;		/* portal --off */
};

static void
usage(const char *what)
{
	fprintf(stderr, "usage: ctstub %s\n", what);
	exit(2);
}

/* -f FILE, -s SOCKET (and --json); the socket from the configuration. */
static void
parse_opts(int argc, char **argv, const char *what, struct everyday_opts *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "for", required_argument, NULL, 'F' },
		{ "server", required_argument, NULL, 'S' },
		{ "off", no_argument, NULL, 'O' }, { NULL, 0, NULL, 0 }
	};
	int ch;

	o->conf_path = CONF_DEFAULT_PATH;
	while ((ch = getopt_long(argc, argv, "f:s:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': o->conf_path = optarg; break;
		case 's': free(o->socket); o->socket = strdup(optarg); break;
		case 'j': o->json = 1; break;
		case 'F': o->duration = optarg; break;
		case 'S': o->server = optarg; break;
		case 'O': o->off = 1; break;
		default: usage(what);
		}
	}
	if (!o->portal && (o->duration || o->server || o->off))
		usage(what);
	if (o->socket == NULL &&
	    (o->socket = commands_control_path(o->conf_path)) == NULL) {
		fprintf(stderr, "ctstub: %s has 'control off'\n", o->conf_path);
		exit(2);
	}
}

/* The daemon's reply to command as JSON; exits 2 when it is unreachable. */
static json_t *
ask(struct everyday_opts *o, const char *command)
{
	char err[512], *reply = control_request(o->socket, command, err,
	    sizeof(err));
	json_t *doc;

	free(o->socket);
	o->socket = NULL;
	if (reply == NULL) {
		fprintf(stderr, "ctstub: %s\n", err);
		exit(2);
	}
	if (o->json)
		fputs(reply, stdout);
	doc = json_loads(reply, 0, NULL);
	free(reply);
	if (!json_is_object(doc)) {
		fprintf(stderr, "ctstub: unreadable reply from the daemon\n");
		exit(1);
	}
	return doc;
}

/* Asks command and prints the {"ok", "message"} reply; 0 when ok, else 1. */
static int
simple_command(struct everyday_opts *o, const char *command)
{
	json_t *doc = ask(o, command);
	int ok = json_is_true(json_object_get(doc, "ok"));

	if (!o->json)
		fprintf(ok ? stdout : stderr, "ctstub: %s\n",
		    json_string_value(json_object_get(doc, "message")) ?
		    json_string_value(json_object_get(doc, "message")) : "?");
	json_decref(doc);
	return ok ? 0 : 1;
}

/* A name fit for a control line: no blanks, not too long. */
static int
name_ok(const char *name)
{
	return name[0] != '\0' && strlen(name) <= 1024 &&
	    strpbrk(name, " \t\n\r") == NULL;
}

int
flush_main(int argc, char **argv)
{
	static const char what[] = "flush [-f FILE] [-s SOCKET] [NAME]";
	struct everyday_opts o = { 0 };
	char command[1100] = "flush";

	parse_opts(argc, argv, what, &o);
	if (argc - optind > 1 || (optind < argc && !name_ok(argv[optind])))
		usage(what);
	if (optind < argc)
		snprintf(command, sizeof(command), "flush %s", argv[optind]);
	return simple_command(&o, command);
}

int
reset_main(int argc, char **argv)
{
	static const char what[] = "reset [-f FILE] [-s SOCKET]";
	struct everyday_opts o = { 0 };

	parse_opts(argc, argv, what, &o);
	if (optind != argc)
		usage(what);
	return simple_command(&o, "reset");
}

/* The answer in base64 as bytes; its length, 0 when unreadable. */
static size_t
decode_answer(const char *b64, uint8_t *out, size_t cap)
{
	size_t n = strlen(b64);
	int len;

	if (n == 0 || n % 4 != 0 || n / 4 * 3 > cap)
		return 0;
	len = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
	if (len < 0)
		return 0;
	/* DecodeBlock counts the padding as bytes */
	return (size_t)len - (b64[n - 1] == '=') - (b64[n - 2] == '=');
}

/* Prints the answer and where it came from; the exit status. */
static int
print_answer(const json_t *doc)
{
	const char *b64 = json_string_value(json_object_get(doc, "answer"));
	uint8_t *msg = malloc(DNS_MAX_MSG + 3);
	size_t len = b64 && msg ? decode_answer(b64, msg, DNS_MAX_MSG + 3) :
	    0;
	int rcode = len ? dnstext_print(stdout, msg, len) : -1;

	free(msg);
	if (rcode < 0) {
		fprintf(stderr, "ctstub: the answer is malformed\n");
		return 1;
	}
	printf(";; from %s, %s, %.1f ms\n",
	    json_string_value(json_object_get(doc, "source")),
	    json_is_true(json_object_get(doc, "cached")) ? "cache hit" :
	    "not cached", json_real_value(json_object_get(doc, "time_ms")));
	return rcode == DNS_RCODE_NOERROR || rcode == DNS_RCODE_NXDOMAIN ? 0 :
	    1;
}

int
query_main(int argc, char **argv)
{
	static const char what[] = "query [-f FILE] [-s SOCKET] [--json] "
	    "NAME [TYPE]";
	struct everyday_opts o = { 0 };
	char command[1100];
	json_t *doc;
	int type = 1, rc;

	parse_opts(argc, argv, what, &o);
	if (argc - optind < 1 || argc - optind > 2 || !name_ok(argv[optind]))
		usage(what);
	if (argc - optind == 2 &&
	    (type = dnstext_type_number(argv[optind + 1])) < 0) {
		fprintf(stderr, "ctstub: unknown type %s (A, AAAA, MX, ... "
		    "or TYPEn)\n", argv[optind + 1]);
		exit(2);
	}
	snprintf(command, sizeof(command), "query %s %d", argv[optind], type);
	doc = ask(&o, command);
	if (!json_is_true(json_object_get(doc, "ok"))) {
		fprintf(stderr, "ctstub: %s\n", json_string_value(
		    json_object_get(doc, "message")));
		rc = 1;
	} else if (o.json) {
		rc = json_integer_value(json_object_get(doc, "rcode")) ==
		    DNS_RCODE_NOERROR || json_integer_value(json_object_get(doc,
		    "rcode")) == DNS_RCODE_NXDOMAIN ? 0 : 1;
	} else
		rc = print_answer(doc);
	json_decref(doc);
	return rc;
}

/* An IPv6 address without brackets (and so without a port)? */
static int
bare_ipv6(const char *ip)
{
	unsigned char buf[16];

	return inet_pton(AF_INET6, ip, buf) == 1;
}

/* An address fit for a portal: an IP, and not this host's own stub. */
static int
network_server(const char *ip)
{
	unsigned char buf[16];

	return (inet_pton(AF_INET, ip, buf) == 1 || bare_ipv6(ip)) &&
	    strncmp(ip, "127.", 4) != 0 && strcmp(ip, "::1") != 0;
}

/* NetworkManager's DNS servers of the devices (`nmcli -g IP4.DNS`). */
static int
server_from_nmcli(char *out, size_t len)
{
	FILE *p = popen("nmcli -g IP4.DNS device show 2>/dev/null", "r");
	char line[512], *tok, *save;
	int found = 0;

	if (p == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), p) != NULL)
		for (tok = strtok_r(line, " |\n", &save); tok != NULL && !found;
		    tok = strtok_r(NULL, " |\n", &save))
			if ((found = network_server(tok)))
				snprintf(out, len, "%s", tok);
	while (fgets(line, sizeof(line), p) != NULL)
		;
	pclose(p);
	return found;
}

/* systemd-resolved's upstream servers ("nameserver IP" lines). */
static int
server_from_resolved(char *out, size_t len)
{
	const char *path = getenv("CTSTUB_PORTAL_RESOLV_CONF");
	FILE *f = fopen(path ? path : "/run/systemd/resolve/resolv.conf",
	    "r");
	char line[512], ip[64];
	int found = 0;

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, " nameserver %63s", ip) == 1 &&
		    (found = network_server(ip)))
			snprintf(out, len, "%s", ip);
	fclose(f);
	return found;
}

int
portal_main(int argc, char **argv)
{
	static const char what[] = "portal [-f FILE] [-s SOCKET] [--for "
	    "DURATION] [--server IP[:PORT]] | portal --off";
	struct everyday_opts o = { .portal = 1 };
	char command[256], server[128];
	unsigned seconds = PORTAL_DEFAULT_S;

	parse_opts(argc, argv, what, &o);
	if (optind != argc || (o.off && (o.duration || o.server)))
		usage(what);
	if (o.off)
		return simple_command(&o, "portal off");
	if (o.duration != NULL &&
	    portal_parse_duration(o.duration, &seconds) == -1) {
		fprintf(stderr, "ctstub: --for %s: expected a time like 90s or "
		    "5m, at most %um\n", o.duration, PORTAL_MAX_S / 60);
		exit(2);
	}
	if (o.server != NULL)
		snprintf(server, sizeof(server), "%s", o.server);
	else if (!server_from_nmcli(server, sizeof(server)) &&
	    !server_from_resolved(server, sizeof(server))) {
		fprintf(stderr, "ctstub: portal: cannot find the network's DNS "
		    "server (NetworkManager, "
		    "/run/systemd/resolve/resolv.conf); give it: ctstub "
		    "portal --server IP (the router's address, or the DNS "
		    "server the DHCP lease names)\n");
		exit(1);
	}
	if (strpbrk(server, " \t\r\n") != NULL)
		usage(what);
	snprintf(command, sizeof(command), "portal on %u %s%s%s", seconds,
	    bare_ipv6(server) ? "[" : "", server, bare_ipv6(server) ? "]" : "");
	return simple_command(&o, command);
}
