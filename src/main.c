/* SPDX-License-Identifier: ISC */
/* ctstub: command line, start-up, privilege drop, event loop, shutdown. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ares.h>
#include <event2/event.h>
#include <jansson.h>
#include <nghttp2/nghttp2.h>
#include <openssl/crypto.h>

#include "audit.h"
#include "cache.h"
#include "check.h"
#include "commands.h"
#include "conf.h"
#include "control.h"
#include "generation.h"
#include "listen.h"
#include "log.h"
#include "loglist.h"
#include "netwatch.h"
#include "notify.h"
#include "portal.h"
#include "sandbox.h"
#include "server.h"
#include "upstream.h"
#include "zones.h"

struct options {
	int foreground;
	int verbose;
	int check_only;
	const char *conf_path;
};

#define STALE_WARN_INTERVAL_S 3600

#ifndef CTSTUB_VERSION
#define CTSTUB_VERSION "unknown"	/* the Makefile passes it */
#endif

static const char usage_text[] =
    "usage: ctstub [-d] [-v] [-n] [-f FILE]\n"
    "       ctstub -h | --help | help\n"
    "       ctstub -V | --version\n"
    "       ctstub check [--at TIME] [--ip ADDR | --name NAME] "
    "[--ca-file F]\n"
    "             [--log-list F] [--pin sha256/B64] [--min-logs N]\n"
    "             [--min-operators N] CHAIN.pem\n"
    "       ctstub probe -f FILE [UPSTREAM-LINE]\n"
    "       ctstub probe [--at TIME] [--name NAME] [--ca-file F] "
    "[--log-list F]\n"
    "             [--pin sha256/B64] [--min-logs N] [--min-operators N]\n"
    "             dot://IP[:PORT] | https://IP[:PORT]/PATH\n"
    "       ctstub status [-f FILE] [-s SOCKET] [--json]\n"
    "       ctstub reload [-f FILE] [-s SOCKET]\n"
    "       ctstub loglist show [-f FILE] [LIST]\n"
    "       ctstub loglist install [-f FILE] [-s SOCKET] [--force] LIST\n"
    "       ctstub query [-f FILE] [-s SOCKET] [--json] NAME [TYPE]\n"
    "       ctstub flush [-f FILE] [-s SOCKET] [NAME]\n"
    "       ctstub reset [-f FILE] [-s SOCKET]\n"
    "       ctstub portal [-f FILE] [-s SOCKET] [--for DURATION] "
    "[--server IP[:PORT]]\n"
    "       ctstub portal [-f FILE] [-s SOCKET] --off\n"
    "       ctstub SUBCOMMAND --help\n";

/* Asked for (help): stdout and 0; a mistake: stderr and 2. */
static void
usage(int asked)
{
	fputs(usage_text, asked ? stdout : stderr);
	exit(asked ? 0 : 2);
}

/* ctstub's version and those of the libraries it runs with. */
static void
version(void)
{
	printf("ctstub %s\n%s\nnghttp2 %s\nlibevent %s\nc-ares %s\n"
	    "jansson %s\n", CTSTUB_VERSION, OpenSSL_version(OPENSSL_VERSION),
	    nghttp2_version(0)->version_str, event_get_version(),
	    ares_version(NULL), jansson_version_str());
	exit(0);
}

/* --help and --version, which getopt() does not know. */
static void
long_options(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0)
			usage(1);
		if (strcmp(argv[i], "--version") == 0)
			version();
	}
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->conf_path = CONF_DEFAULT_PATH;
	long_options(argc, argv);
	while ((ch = getopt(argc, argv, "dvnf:hV")) != -1) {
		switch (ch) {
		case 'd': o->foreground = 1; break;
		case 'v': o->verbose++; break;
		case 'n': o->check_only = 1; break;
		case 'f': o->conf_path = optarg; break;
		case 'h': usage(1); break;
		case 'V': version(); break;
		default: usage(0);
		}
	}
	if (optind != argc)
		usage(0);
}

/* `ctstub SUBCOMMAND ... --help` (or -h), before the subcommand parses. */
static int
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

typedef int (*subcommand_fn)(int, char **);

static subcommand_fn
find_subcommand(char **argv)
{
	if (strcmp(argv[1], "check") == 0)
		return check_main;
	if (strcmp(argv[1], "probe") == 0)
		return probe_main;
	if (strcmp(argv[1], "status") == 0)
		return status_main;
	if (strcmp(argv[1], "reload") == 0)
		return reload_main;
	if (strcmp(argv[1], "loglist") == 0)
		return loglist_main;
	if (strcmp(argv[1], "query") == 0)
		return query_main;
	if (strcmp(argv[1], "flush") == 0)
		return flush_main;
	if (strcmp(argv[1], "reset") == 0)
		return reset_main;
	if (strcmp(argv[1], "portal") == 0)
		return portal_main;
	if (strcmp(argv[1], "help") == 0)
		usage(1);
	return NULL;
}

/* Runs argv[1] when it names a subcommand; -1 when it does not. */
static int
run_subcommand(int argc, char **argv)
{
	subcommand_fn fn = argc > 1 ? find_subcommand(argv) : NULL;

	if (fn == NULL)
		return -1;
	if (wants_help(argc - 1, argv + 1))
		usage(1);
	return fn(argc - 1, argv + 1);
}

/*
 * The account to continue as when started by euid (root: 0); *pw NULL:
 * stay. 0, or -1 with err.
 */
static int
target_user(const char *user, uid_t euid, struct passwd **pw, char *err,
    size_t errlen)
{
	*pw = NULL;
	if (euid != 0)
		return 0;
	if (user == NULL) {
		snprintf(err, errlen, "refusing to run as root: set 'user NAME' "
		    "in the configuration ('user root' insists on root)");
		return -1;
	}
	if (strcmp(user, "root") == 0)
		return 0;
	if ((*pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "user '%s' does not exist", user);
		return -1;
	}
	return 0;
}

static void
drop_privileges(const struct passwd *pw)
{
	if (pw == NULL) {
		if (geteuid() == 0)
			log_warn("running as root, as the configuration says");
		return;
	}
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("cannot drop privileges to %s: %s", pw->pw_name,
		    strerror(errno));
	if (setuid(0) != -1)
		fatal("privileges were not dropped");
	log_info("running as user %s", pw->pw_name);
}

static void
stale_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct server *srv = arg;

	generation_warn_if_stale(srv->gen);
	generation_warn_horizon(srv->gen, time(NULL), &srv->horizon_warned);
}

static void
stop_cb(evutil_socket_t sig, short events, void *arg)
{
	struct server *srv = arg;

	log_info("signal %d: shutting down", (int)sig);
	srv->stopping = 1;	/* also ends the wait for host names */
	event_base_loopbreak(srv->base);
}

/* The server and whether it said READY=1 (start-up is over). */
struct main_loop {
	struct server *srv;
	int ready;
};

static void
reload_cb(evutil_socket_t sig, short events, void *arg)
{
	struct main_loop *loop = arg;
	char msg[1024];

	log_info("SIGHUP: reloading %s", loop->srv->conf_path);
	if (loop->ready)
		notify_systemd("RELOADING=1");
	generation_reload(loop->srv, msg, sizeof(msg));
	if (loop->ready)
		notify_systemd("READY=1");
}

/*
 * The daemon's signals are blocked from the start of main() until their
 * handlers are in place: one sent during start-up (a SIGHUP from a
 * network script) waits for them instead of killing the daemon.
 */
static void
block_signals(int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(how, &set, NULL) == -1)
		fatal("sigprocmask: %s", strerror(errno));
}

static struct event *
add_signal(struct server *srv, int sig, event_callback_fn cb, void *arg)
{
	struct event *ev = evsignal_new(srv->base, sig, cb, arg);

	if (ev == NULL || evsignal_add(ev, NULL) == -1)
		fatal("cannot install the handler of signal %d", sig);
	return ev;
}

#define MAIN_EVENTS 4

/* Signal handlers (then the signals unblocked) and the hourly timer. */
static void
add_events(struct main_loop *loop, struct event **events)
{
	struct timeval hourly = { STALE_WARN_INTERVAL_S, 0 };
	struct server *srv = loop->srv;

	events[0] = add_signal(srv, SIGTERM, stop_cb, srv);
	events[1] = add_signal(srv, SIGINT, stop_cb, srv);
	events[2] = add_signal(srv, SIGHUP, reload_cb, loop);
	block_signals(SIG_UNBLOCK);
	events[3] = event_new(srv->base, -1, EV_PERSIST, stale_timer_cb, srv);
	if (events[3] == NULL || event_add(events[3], &hourly) == -1)
		fatal("cannot install the CT log list timer");
}

static void
run(struct main_loop *loop, struct event **events)
{
	struct server *srv = loop->srv;
	size_t i;

	notify_systemd("READY=1");
	loop->ready = 1;
	if (!srv->stopping)
		event_base_dispatch(srv->base);
	notify_systemd("STOPPING=1");
	for (i = 0; i < MAIN_EVENTS; i++)
		event_free(events[i]);
}

/*
 * Start-up waits for the first lookup of upstream host names (bounded by
 * the query timeout); a name still unresolved then is retried while
 * ctstub serves.
 */
static void
resolve_first(struct server *srv)
{
	generation_resolve(srv);
	while (generation_resolving(srv) && !srv->stopping)
		event_base_loop(srv->base, EVLOOP_ONCE);
}

/* Fails what is in flight, then closes listeners: nothing leaks. */
static void
shutdown_server(struct server *srv)
{
	srv->stopping = 1;
	netwatch_free(srv->netwatch);
	control_free(srv->control);
	portal_free(srv);
	generation_free_retiring(srv);
	generation_free(srv->gen);
	listen_free(srv->listeners);
	cache_free(srv->cache);
	audit_free(srv->audit);
	srv->audit = NULL;
	/*
	 * A connection freed above may still have deferred callbacks queued
	 * (a handshake that ended in the last loop pass): they hold its
	 * bufferevent and SSL until they run, so let them run once.
	 */
	event_base_loop(srv->base, EVLOOP_NONBLOCK);
	event_base_free(srv->base);
}

static void
warn_about_list(const struct generation *gen, time_t *horizon_warned)
{
	if (gen->loglist->note[0])
		log_warn("CT log list %s: %s", gen->conf.ct_log_list,
		    gen->loglist->note);
	generation_warn_if_stale(gen);
	generation_warn_horizon(gen, time(NULL), horizon_warned);
}

/*
 * What start-up checks before it binds anything, and -n with it: the
 * account to run as, the CT log list (warnings: stale, horizon), the
 * upstreams' TLS settings (ca-file). 0, or -1 with err.
 */
static int
check_startup(struct generation *gen, struct server *srv, uid_t euid,
    struct passwd **pw, char *err, size_t errlen)
{
	if (target_user(gen->conf.user, euid, pw, err, errlen) == -1)
		return -1;
	warn_about_list(gen, &srv->horizon_warned);
	/* upstreams built while errors reach stderr */
	return generation_start(gen, srv, err, errlen);
}

/*
 * -n: what start-up checks (the file, its CT log list, the account, the
 * TLS settings), without binding; -v prints the configuration and what
 * -n could not check. A named user must exist even when not root now.
 */
static int
check_config(const struct options *o)
{
	struct generation *gen;
	struct server srv;
	struct passwd *pw;
	char err[600];
	int rc = 0;

	log_init(1, 0);
	if ((gen = generation_load(o->conf_path, stderr)) == NULL)
		return 2;
	memset(&srv, 0, sizeof(srv));
	if (check_startup(gen, &srv, gen->conf.user ? 0 : geteuid(), &pw, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", o->conf_path, err);
		rc = 2;
	} else if (o->verbose) {
		conf_print(&gen->conf, stdout);
		puts("# not checked by -n: that the listen addresses, control "
		    "socket and metrics\n# port are free to bind, and that the "
		    "upstreams answer and pass their checks\n# (ctstub probe -f "
		    "FILE does that)");
	}
	if (rc == 0)
		printf("%s: configuration OK\n", o->conf_path);
	generation_free(gen);
	return rc;
}

/* Binds what needs root, drops it, then serves until a signal. */
static void
serve(const struct options *o, struct generation *gen)
{
	struct server srv;
	struct passwd *pw;
	struct event *events[MAIN_EVENTS];
	struct main_loop loop = { &srv, 0 };
	char err[600];

	memset(&srv, 0, sizeof(srv));
	srv.conf_path = o->conf_path;
	srv.started = time(NULL);
	if (check_startup(gen, &srv, geteuid(), &pw, err, sizeof(err)) == -1)
		fatal("%s", err);
	srv.listeners = listen_bind(&gen->conf, err, sizeof(err));
	if (srv.listeners == NULL)
		fatal("%s", err);
	srv.control = control_bind(&gen->conf, pw ? pw->pw_uid : (uid_t)-1,
	    pw ? pw->pw_gid : (gid_t)-1, err, sizeof(err));
	if (srv.control == NULL)
		fatal("%s", err);
	drop_privileges(pw);
	if (!o->foreground && daemon(0, 0) == -1)
		fatal("daemon: %s", strerror(errno));
	srv.landlock_abi = sandbox_enter(gen->conf.control);
	srv.base = event_base_new();
	if (srv.base == NULL)
		fatal("cannot start the event loop");
	if ((srv.audit = audit_new(srv.base, err, sizeof(err))) == NULL)
		fatal("%s", err);
	audit_set_proven_cb(srv.audit, upstream_audit_proven_cb, &srv);
	server_use(&srv, gen);
	srv.cache = server_cache_new(&gen->conf);
	if (srv.cache == NULL || srv.attempt_timeout == NULL)
		fatal("cannot allocate the cache and timers");
	add_events(&loop, events);
	resolve_first(&srv);
	if (listen_start(srv.listeners, &srv) == -1 ||
	    control_start(srv.control, &srv) == -1)
		fatal("cannot start the event loop");
	srv.netwatch = netwatch_start(&srv);
	log_info("ctstub started with %zu upstream(s)", gen->conf.nupstreams);
	zones_log_plaintext(gen->zones);
	run(&loop, events);
	shutdown_server(&srv);
}

int
main(int argc, char **argv)
{
	struct options o;
	struct generation *gen;

	int rc = run_subcommand(argc, argv);

	if (rc != -1)
		return rc;
	parse_options(argc, argv, &o);
	if (o.check_only)
		return check_config(&o);
	block_signals(SIG_BLOCK);
	gen = generation_load(o.conf_path, stderr);
	if (gen == NULL)
		return 2;
	log_init(o.foreground, o.verbose);
	signal(SIGPIPE, SIG_IGN);
	serve(&o, gen);
	log_info("stopped");
	return 0;
}
