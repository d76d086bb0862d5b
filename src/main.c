/* ctstub: command line, start-up, privilege drop, event loop, shutdown. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "listen.h"
#include "log.h"
#include "server.h"
#include "upstream.h"
#include "verify.h"

struct options {
	int foreground;
	int verbose;
	int check_only;
	const char *conf_path;
};

static void
usage(void)
{
	fprintf(stderr, "usage: ctstub [-d] [-v] [-n] [-f FILE]\n");
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

static void
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return;
	if (user == NULL) {
		log_warn("running as root: set 'user' in the configuration");
		return;
	}
	pw = getpwnam(user);
	if (pw == NULL)
		fatal("user '%s' does not exist", user);
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("cannot drop privileges to %s: %s", user,
		    strerror(errno));
	if (setuid(0) != -1)
		fatal("privileges were not dropped");
	log_info("running as user %s", user);
}

static void
stop_cb(evutil_socket_t sig, short events, void *arg)
{
	struct server *srv = arg;

	log_info("signal %d: shutting down", (int)sig);
	event_base_loopbreak(srv->base);
}

static void
run(struct server *srv)
{
	struct event *term, *intr;

	term = evsignal_new(srv->base, SIGTERM, stop_cb, srv);
	intr = evsignal_new(srv->base, SIGINT, stop_cb, srv);
	if (term == NULL || intr == NULL || evsignal_add(term, NULL) == -1 ||
	    evsignal_add(intr, NULL) == -1)
		fatal("cannot install signal handlers");
	event_base_dispatch(srv->base);
	event_free(term);
	event_free(intr);
}

/* Fails what is in flight, then closes listeners: nothing leaks. */
static void
shutdown_server(struct server *srv)
{
	srv->stopping = 1;
	upstream_set_free(srv->upstreams);
	listen_free(srv->listeners);
	event_base_free(srv->base);
}

int
main(int argc, char **argv)
{
	struct options o;
	struct conf conf;
	struct server srv;
	struct verify_policy policy;
	char err[600];

	parse_options(argc, argv, &o);
	if (conf_load(o.conf_path, &conf, stderr) != 0) {
		conf_free(&conf);
		return 2;
	}
	if (o.check_only) {
		if (o.verbose)
			conf_print(&conf, stdout);
		printf("%s: configuration OK\n", o.conf_path);
		conf_free(&conf);
		return 0;
	}
	log_init(o.foreground, o.verbose);
	signal(SIGPIPE, SIG_IGN);
	memset(&srv, 0, sizeof(srv));
	memset(&policy, 0, sizeof(policy));
	policy.pins = &conf.pins;
	srv.conf = &conf;
	srv.upstreams = upstream_set_new(&srv, &conf, &policy, err,
	    sizeof(err));
	if (srv.upstreams == NULL)
		fatal("%s", err);
	srv.listeners = listen_bind(&conf, err, sizeof(err));
	if (srv.listeners == NULL)
		fatal("%s", err);
	drop_privileges(conf.user);
	if (!o.foreground && daemon(0, 0) == -1)
		fatal("daemon: %s", strerror(errno));
	srv.base = event_base_new();
	if (srv.base == NULL || listen_start(srv.listeners, &srv) == -1)
		fatal("cannot start the event loop");
	log_info("ctstub started with %zu upstream(s)", conf.nupstreams);
	run(&srv);
	shutdown_server(&srv);
	conf_free(&conf);
	log_info("stopped");
	return 0;
}
