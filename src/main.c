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

#include "bootstrap.h"
#include "cache.h"
#include "check.h"
#include "conf.h"
#include "listen.h"
#include "log.h"
#include "loglist.h"
#include "server.h"
#include "upstream.h"
#include "verify.h"

struct options {
	int foreground;
	int verbose;
	int check_only;
	const char *conf_path;
};

#define STALE_WARN_INTERVAL_S 3600
#define SERVE_STALE_WINDOW_S 86400	/* RFC 8767: keep a day at most */

static void
usage(void)
{
	fprintf(stderr, "usage: ctstub [-d] [-v] [-n] [-f FILE]\n"
	    "       ctstub check [options] CHAIN.pem\n"
	    "       ctstub probe [options] dot://IP[:PORT]\n");
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
	if (user == NULL)
		fatal("refusing to run as root: set 'user NAME' in the "
		    "configuration ('user root' insists on root)");
	if (strcmp(user, "root") == 0) {
		log_warn("running as root, as the configuration says");
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

/* Days since the list was made, when that is more than allowed; else 0. */
static long
log_list_stale_days(const struct conf *conf, const struct loglist *list)
{
	long age = (long)((time(NULL) - list->timestamp) / 86400);

	return age > conf->ct_list_max_age_days ? age : 0;
}

static void
warn_if_stale(const struct conf *conf, const struct loglist *list)
{
	long age = log_list_stale_days(conf, list);

	if (age == 0)
		return;
	log_warn("CT log list %s (version %s) is %ld days old, over the "
	    "%d-day limit: %s; install a current list (docs/ct-log-list.md)",
	    conf->ct_log_list, list->version, age, conf->ct_list_max_age_days,
	    conf->ct_stale_fail_open ? "ct-stale fail-open: CT refusals are "
	    "only logged" : "still enforcing");
}

static void
stale_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct server *srv = arg;

	warn_if_stale(srv->conf, srv->loglist);
}

/* Loads the CT log list and sets the policy from the configuration. */
static struct loglist *
load_ct(const struct conf *conf, struct verify_policy *policy)
{
	char err[600];
	struct loglist *list = loglist_load(conf->ct_log_list, err,
	    sizeof(err));

	if (list == NULL) {
		fprintf(stderr, "ctstub: %s\n", err);
		return NULL;
	}
	memset(policy, 0, sizeof(*policy));
	policy->loglist = list;
	policy->ct.min_logs = conf->ct_min_logs;
	policy->ct.min_operators = conf->ct_min_operators;
	policy->ct.lifetime_rule = conf->ct_lifetime_rule;
	policy->ct_report_only = conf->ct_mode == CONF_CT_REPORT ||
	    (conf->ct_stale_fail_open && log_list_stale_days(conf, list));
	policy->pins = &conf->pins;
	return list;
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
	struct timeval hourly = { STALE_WARN_INTERVAL_S, 0 };
	struct event *term, *intr, *stale;

	term = evsignal_new(srv->base, SIGTERM, stop_cb, srv);
	intr = evsignal_new(srv->base, SIGINT, stop_cb, srv);
	stale = event_new(srv->base, -1, EV_PERSIST, stale_timer_cb, srv);
	if (term == NULL || intr == NULL || stale == NULL ||
	    evsignal_add(term, NULL) == -1 || evsignal_add(intr, NULL) == -1 ||
	    event_add(stale, &hourly) == -1)
		fatal("cannot install signal handlers and timers");
	event_base_dispatch(srv->base);
	event_free(term);
	event_free(intr);
	event_free(stale);
}

static const struct timeval *
common_timeout(struct event_base *base, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	return event_base_init_common_timeout(base, &tv);
}

/* Fails what is in flight, then closes listeners: nothing leaks. */
static void
shutdown_server(struct server *srv)
{
	srv->stopping = 1;
	upstream_set_free(srv->upstreams);
	listen_free(srv->listeners);
	cache_free(srv->cache);
	event_base_free(srv->base);
}

int
main(int argc, char **argv)
{
	struct options o;
	struct conf conf;
	struct server srv;
	struct verify_policy policy;
	struct loglist *list = NULL;
	char err[600];

	if (argc > 1 && strcmp(argv[1], "check") == 0)
		return check_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "probe") == 0)
		return probe_main(argc - 1, argv + 1);
	parse_options(argc, argv, &o);
	if (conf_load(o.conf_path, &conf, stderr) != 0 ||
	    (list = load_ct(&conf, &policy)) == NULL) {
		conf_free(&conf);
		return 2;
	}
	if (o.check_only) {
		if (o.verbose)
			conf_print(&conf, stdout);
		printf("%s: configuration OK\n", o.conf_path);
		loglist_free(list);
		conf_free(&conf);
		return 0;
	}
	log_init(o.foreground, o.verbose);
	signal(SIGPIPE, SIG_IGN);
	memset(&srv, 0, sizeof(srv));
	srv.conf = &conf;
	srv.loglist = list;
	if (list->note[0])
		log_warn("CT log list %s: %s", conf.ct_log_list, list->note);
	warn_if_stale(&conf, list);
	if (bootstrap_resolve(&conf, conf.timeout_ms, err, sizeof(err)) == -1)
		fatal("%s", err);
	srv.upstreams = upstream_set_new(&srv, &conf, &policy, err,
	    sizeof(err));
	if (srv.upstreams == NULL)
		fatal("%s", err);
	srv.cache = cache_new(conf.cache_size, conf.cache_max_bytes,
	    conf.cache_min_ttl, conf.cache_max_ttl,
	    conf.serve_stale ? SERVE_STALE_WINDOW_S : 0);
	if (srv.cache == NULL)
		fatal("cannot allocate the cache");
	srv.listeners = listen_bind(&conf, err, sizeof(err));
	if (srv.listeners == NULL)
		fatal("%s", err);
	drop_privileges(conf.user);
	if (!o.foreground && daemon(0, 0) == -1)
		fatal("daemon: %s", strerror(errno));
	srv.base = event_base_new();
	if (srv.base == NULL || listen_start(srv.listeners, &srv) == -1 ||
	    (srv.attempt_timeout = common_timeout(srv.base,
	    conf.timeout_ms / 2)) == NULL)
		fatal("cannot start the event loop");
	log_info("ctstub started with %zu upstream(s)", conf.nupstreams);
	run(&srv);
	shutdown_server(&srv);
	loglist_free(list);
	conf_free(&conf);
	log_info("stopped");
	return 0;
}
