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

#include <event2/event.h>

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
#include "sandbox.h"
#include "server.h"

struct options {
	int foreground;
	int verbose;
	int check_only;
	const char *conf_path;
};

#define STALE_WARN_INTERVAL_S 3600

static void
usage(void)
{
	fprintf(stderr, "usage: ctstub [-d] [-v] [-n] [-f FILE]\n"
	    "       ctstub check [options] CHAIN.pem\n"
	    "       ctstub probe [options] dot://IP[:PORT]\n"
	    "       ctstub status [-f FILE] [-s SOCKET] [--json]\n"
	    "       ctstub reload [-f FILE] [-s SOCKET]\n"
	    "       ctstub loglist show [-f FILE] [LIST]\n"
	    "       ctstub loglist install [-f FILE] [-s SOCKET] [--force] "
	    "LIST\n");
	exit(2);
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->conf_path = CONF_DEFAULT_PATH;
	while ((ch = getopt(argc, argv, "dvnf:")) != -1) {
		switch (ch) {
		case 'd': o->foreground = 1; break;
		case 'v': o->verbose++; break;
		case 'n': o->check_only = 1; break;
		case 'f': o->conf_path = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
}

/* The account to continue as, when started as root; NULL: stay. */
static struct passwd *
target_user(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return NULL;
	if (user == NULL)
		fatal("refusing to run as root: set 'user NAME' in the "
		    "configuration ('user root' insists on root)");
	if (strcmp(user, "root") == 0)
		return NULL;
	pw = getpwnam(user);
	if (pw == NULL)
		fatal("user '%s' does not exist", user);
	return pw;
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
}

static void
stop_cb(evutil_socket_t sig, short events, void *arg)
{
	struct server *srv = arg;

	log_info("signal %d: shutting down", (int)sig);
	event_base_loopbreak(srv->base);
}

static void
reload_cb(evutil_socket_t sig, short events, void *arg)
{
	struct server *srv = arg;
	char msg[1024];

	log_info("SIGHUP: reloading %s", srv->conf_path);
	notify_systemd("RELOADING=1");
	generation_reload(srv, msg, sizeof(msg));
	notify_systemd("READY=1");
}

static struct event *
add_signal(struct server *srv, int sig, event_callback_fn cb)
{
	struct event *ev = evsignal_new(srv->base, sig, cb, srv);

	if (ev == NULL || evsignal_add(ev, NULL) == -1)
		fatal("cannot install the handler of signal %d", sig);
	return ev;
}

static void
run(struct server *srv)
{
	struct timeval hourly = { STALE_WARN_INTERVAL_S, 0 };
	struct event *events[4];
	size_t i;

	events[0] = add_signal(srv, SIGTERM, stop_cb);
	events[1] = add_signal(srv, SIGINT, stop_cb);
	events[2] = add_signal(srv, SIGHUP, reload_cb);
	events[3] = event_new(srv->base, -1, EV_PERSIST, stale_timer_cb, srv);
	if (events[3] == NULL || event_add(events[3], &hourly) == -1)
		fatal("cannot install the CT log list timer");
	notify_systemd("READY=1");
	event_base_dispatch(srv->base);
	notify_systemd("STOPPING=1");
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		event_free(events[i]);
}

/* Fails what is in flight, then closes listeners: nothing leaks. */
static void
shutdown_server(struct server *srv)
{
	srv->stopping = 1;
	netwatch_free(srv->netwatch);
	control_free(srv->control);
	generation_free_retiring(srv);
	generation_free(srv->gen);
	listen_free(srv->listeners);
	cache_free(srv->cache);
	event_base_free(srv->base);
}

/* -n: the file and its CT log list load; -v prints the result. */
static int
check_config(const struct options *o)
{
	struct generation *gen = generation_load(o->conf_path, stderr);

	if (gen == NULL)
		return 2;
	if (o->verbose)
		conf_print(&gen->conf, stdout);
	printf("%s: configuration OK\n", o->conf_path);
	generation_free(gen);
	return 0;
}

static void
warn_about_list(const struct generation *gen)
{
	if (gen->loglist->note[0])
		log_warn("CT log list %s: %s", gen->conf.ct_log_list,
		    gen->loglist->note);
	generation_warn_if_stale(gen);
}

/* Binds what needs root, drops it, then serves until a signal. */
static void
serve(const struct options *o, struct generation *gen)
{
	struct server srv;
	const struct passwd *pw = target_user(gen->conf.user);
	char err[600];

	memset(&srv, 0, sizeof(srv));
	srv.conf_path = o->conf_path;
	srv.started = time(NULL);
	warn_about_list(gen);
	/* host names looked up and upstreams built while errors reach stderr */
	if (generation_start(gen, &srv, err, sizeof(err)) == -1)
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
	server_use(&srv, gen);
	srv.cache = server_cache_new(&gen->conf);
	if (srv.cache == NULL || srv.attempt_timeout == NULL)
		fatal("cannot allocate the cache and timers");
	if (listen_start(srv.listeners, &srv) == -1 ||
	    control_start(srv.control, &srv) == -1)
		fatal("cannot start the event loop");
	srv.netwatch = netwatch_start(&srv);
	log_info("ctstub started with %zu upstream(s)", gen->conf.nupstreams);
	run(&srv);
	shutdown_server(&srv);
}

int
main(int argc, char **argv)
{
	struct options o;
	struct generation *gen;

	if (argc > 1 && strcmp(argv[1], "check") == 0)
		return check_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "probe") == 0)
		return probe_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "status") == 0)
		return status_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "reload") == 0)
		return reload_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "loglist") == 0)
		return loglist_main(argc - 1, argv + 1);
	parse_options(argc, argv, &o);
	if (o.check_only)
		return check_config(&o);
	gen = generation_load(o.conf_path, stderr);
	if (gen == NULL)
		return 2;
	log_init(o.foreground, o.verbose);
	signal(SIGPIPE, SIG_IGN);
	serve(&o, gen);
	log_info("stopped");
	return 0;
}
