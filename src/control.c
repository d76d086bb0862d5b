/* SPDX-License-Identifier: ISC */
/* Control socket and metrics endpoint: one request, one reply. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "conf.h"
#include "control.h"
#include "everyday.h"
#include "generation.h"
#include "horizon.h"
#include "log.h"
#include "loglist.h"
#include "metrics.h"
#include "portal.h"
#include "server.h"
#include "status.h"

/*
 * A client has this long from its connection to send its request, and as
 * long again from the reply to take it: a total deadline, so that slow
 * clients (one byte at a time) cannot hold the slots.
 */
#define CLIENT_DEADLINE_S 5
#define MAX_CLIENTS 16		/* at once on each; more are closed at accept */

struct control_client {
	struct control *ctl;
	struct bufferevent *bev;
	struct event *deadline;		/* closes it; see CLIENT_DEADLINE_S */
	int http;
	int replied;
	struct everyday_query *pending;	/* a "query" waiting for its answer */
	LIST_ENTRY(control_client) link;
};

struct control {
	struct server *srv;
	char *path;			/* socket file; NULL: no control socket */
	evutil_socket_t unix_fd, http_fd;
	struct evconnlistener *unix_listener, *http_listener;
	unsigned nclients[2];		/* control socket, metrics endpoint */
	LIST_HEAD(, control_client) clients;	/* freed at shutdown */
};

static int
unix_address(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -1;
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

/* A socket file left by a daemon that died is removed; a live one is not. */
static int
clear_stale(const char *path, const struct sockaddr_un *sun, char *err,
    size_t errlen)
{
	struct stat st;
	int fd, live;

	if (lstat(path, &st) == -1)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control %s: exists and is not a socket",
		    path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	live = fd != -1 && connect(fd, (const struct sockaddr *)sun,
	    sizeof(*sun)) == 0;
	if (fd != -1)
		close(fd);
	if (live) {
		snprintf(err, errlen, "control %s: another ctstub is running "
		    "there", path);
		return -1;
	}
	unlink(path);
	return 0;
}

/* The socket's directory, made when missing (/run/ctstub). */
static void
make_parent(const char *path, uid_t uid, gid_t gid)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) == 0 && (uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    chown(dir, uid, gid) == -1)
		log_warn("control: cannot give %s to the daemon's user: %s", dir,
		    strerror(errno));
}

static evutil_socket_t
bind_unix(const char *path, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	evutil_socket_t fd;

	if (unix_address(path, &sun) == -1) {
		snprintf(err, errlen, "control %s: path too long", path);
		return -1;
	}
	make_parent(path, uid, gid);
	if (clear_stale(path, &sun, err, errlen) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0660) == -1 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    chown(path, uid, gid) == -1) || listen(fd, 16) == -1) {
		snprintf(err, errlen, "control %s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

static evutil_socket_t
bind_http(const struct conf_address *a, char *err, size_t errlen)
{
	evutil_socket_t fd = socket(a->sa.ss_family, SOCK_STREAM |
	    SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	char label[80];
	int one = 1;

	if (fd != -1)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd == -1 || bind(fd, (const struct sockaddr *)&a->sa,
	    a->salen) == -1 || listen(fd, 16) == -1) {
		conf_address_str(a, label, sizeof(label));
		snprintf(err, errlen, "metrics %s: %s", label, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

struct control *
control_bind(const struct conf *conf, uid_t uid, gid_t gid, char *err,
    size_t errlen)
{
	struct control *ctl = calloc(1, sizeof(*ctl));

	if (ctl == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	LIST_INIT(&ctl->clients);
	ctl->unix_fd = ctl->http_fd = -1;
	if (conf->control != NULL) {
		ctl->unix_fd = bind_unix(conf->control, uid, gid, err, errlen);
		if (ctl->unix_fd != -1)
			ctl->path = strdup(conf->control);
		else if (conf->control_is_default)
			log_warn("%s; running without a control socket", err);
		else
			goto fail;
	}
	if (conf->metrics.salen != 0 &&
	    (ctl->http_fd = bind_http(&conf->metrics, err, errlen)) == -1)
		goto fail;
	return ctl;
fail:
	control_free(ctl);
	return NULL;
}

static void
client_free(struct control_client *c)
{
	c->ctl->nclients[c->http]--;
	LIST_REMOVE(c, link);
	everyday_query_free(c->pending);
	bufferevent_free(c->bev);
	event_free(c->deadline);
	free(c);
}

static void
deadline_cb(evutil_socket_t fd, short events, void *arg)
{
	struct control_client *c = arg;

	log_debug("%s: a client took over %d s; closed", c->http ? "metrics" :
	    "control", CLIENT_DEADLINE_S);
	client_free(c);
}

/* (Re)starts c's deadline from now: seconds, or CLIENT_DEADLINE_S. */
static void
arm_deadline_s(struct control_client *c, unsigned seconds)
{
	struct timeval tv = { seconds, 0 };

	evtimer_add(c->deadline, &tv);
}

static void
arm_deadline(struct control_client *c)
{
	arm_deadline_s(c, CLIENT_DEADLINE_S);
}

/* Sends status (HTTP only; NULL on the control socket) and body. */
static void
reply(struct control_client *c, const char *status, char *body)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (status != NULL)
		evbuffer_add_printf(out, "HTTP/1.0 %s\r\nContent-Type: "
		    "text/plain; version=0.0.4\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n", status,
		    body ? strlen(body) : 0);
	if (body != NULL)
		evbuffer_add(out, body, strlen(body));
	free(body);
	c->replied = 1;
	arm_deadline(c);
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(out) == 0)	/* out of memory: nothing to say */
		client_free(c);
}

static char *
reload_reply(struct server *srv)
{
	char msg[1024], *out = NULL;
	int ok = generation_reload(srv, msg, sizeof(msg)) == 0;

	return status_result_json(ok, msg, &out) == 0 ? out : NULL;
}

#define UPDATE_FAILED "loglist-update-failed "

/*
 * The update helper (`ctstub loglist update`) reports a failure: one
 * warning line, counted, kept for status and metrics. The list in force
 * is untouched.
 */
static char *
update_failed_reply(struct server *srv, const char *reason)
{
	char *out = NULL;

	horizon_clean_reason(srv->loglist_failure,
	    sizeof(srv->loglist_failure), reason);
	srv->loglist_failed_at = time(NULL);
	srv->stats.loglist_update_failures++;
	log_warn("CT log list update failed: %s (%llu failure(s) since the "
	    "start); the list in force stays: %s, version %s",
	    srv->loglist_failure,
	    (unsigned long long)srv->stats.loglist_update_failures,
	    srv->conf->ct_log_list, srv->loglist->version);
	return status_result_json(1, "recorded", &out) == 0 ? out : NULL;
}

static void
query_done_cb(char *answer, void *arg)
{
	reply(arg, NULL, answer);
}

/* "query ARGS": the answer comes when the query ends (its timeout). */
static void
serve_query(struct control_client *c, const char *args)
{
	struct server *srv = c->ctl->srv;

	arm_deadline_s(c, srv->conf->timeout_ms / 1000 + CLIENT_DEADLINE_S);
	everyday_query_start(srv, args, &c->pending, query_done_cb, c);
}

/* "NAME" or "NAME ARGS": ARGS ("" for none), else NULL. */
static const char *
command_args(const char *line, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(line, name, n) != 0 || (line[n] != '\0' &&
	    line[n] != ' '))
		return NULL;
	return line + n + (line[n] == ' ');
}

static void
serve_command(struct control_client *c, const char *line)
{
	struct server *srv = c->ctl->srv;
	const char *args;

	if (strcmp(line, "status") == 0)
		reply(c, NULL, status_json(srv));
	else if (strcmp(line, "metrics") == 0)
		reply(c, NULL, metrics_text(srv));
	else if (strcmp(line, "reload") == 0)
		reply(c, NULL, reload_reply(srv));
	else if (strcmp(line, "evidence") == 0)
		reply(c, NULL, status_evidence_json(srv));
	else if (strncmp(line, UPDATE_FAILED, strlen(UPDATE_FAILED)) == 0 &&
	    line[strlen(UPDATE_FAILED)] != '\0')
		reply(c, NULL, update_failed_reply(srv,
		    line + strlen(UPDATE_FAILED)));
	else if ((args = command_args(line, "query")) != NULL)
		serve_query(c, args);
	else if ((args = command_args(line, "flush")) != NULL)
		reply(c, NULL, everyday_flush(srv, args));
	else if (strcmp(line, "reset") == 0)
		reply(c, NULL, everyday_reset(srv));
	else if ((args = command_args(line, "portal")) != NULL)
		reply(c, NULL, portal_command(srv, args));
	else {
		char *out = NULL;

		status_result_json(0, "unknown command (status, metrics, "
		    "reload, loglist-update-failed REASON, query, flush, "
		    "reset, portal)", &out);
		reply(c, NULL, out);
	}
}

static void
serve_http(struct control_client *c, const char *request_line)
{
	if (strncmp(request_line, "GET /metrics ", 13) == 0 ||
	    strcmp(request_line, "GET /metrics") == 0)
		reply(c, "200 OK", metrics_text(c->ctl->srv));
	else
		reply(c, "404 Not Found", strdup("only /metrics\n"));
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct control_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;

	if (c->replied || c->pending != NULL)	/* one request each */
		return;
	if (c->http && evbuffer_search(in, "\r\n\r\n", 4, NULL).pos == -1 &&
	    evbuffer_search(in, "\n\n", 2, NULL).pos == -1) {
		if (evbuffer_get_length(in) > CONTROL_MAX_REQUEST)
			client_free(c);
		return;
	}
	line = evbuffer_readln(in, NULL, EVBUFFER_EOL_CRLF);
	if (line == NULL) {
		if (evbuffer_get_length(in) > CONTROL_MAX_REQUEST)
			client_free(c);
		return;
	}
	if (c->http)
		serve_http(c, line);
	else
		serve_command(c, line);
	free(line);
}

/* The reply is out: close. */
static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct control_client *c = arg;

	if (c->replied)
		client_free(c);
}

static void
event_cb(struct bufferevent *bev, short events, void *arg)
{
	client_free(arg);
}

static void
accept_cb(struct evconnlistener *listener, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct control *ctl = arg;
	int http = listener == ctl->http_listener;
	struct control_client *c = NULL;

	/* metrics clients (any local user) never crowd out the control socket */
	if (ctl->nclients[http] >= MAX_CLIENTS) {
		log_debug("%s: %u clients already, one closed", http ?
		    "metrics" : "control", ctl->nclients[http]);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto fail;
	c->deadline = evtimer_new(ctl->srv->base, deadline_cb, c);
	c->bev = bufferevent_socket_new(ctl->srv->base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->deadline == NULL || c->bev == NULL)
		goto fail;
	c->ctl = ctl;
	c->http = http;
	ctl->nclients[http]++;
	LIST_INSERT_HEAD(&ctl->clients, c, link);
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	arm_deadline(c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return;
fail:
	if (c != NULL && c->deadline != NULL)
		event_free(c->deadline);
	if (c != NULL && c->bev != NULL)
		bufferevent_free(c->bev);	/* closes fd */
	else
		close(fd);
	free(c);
}

static struct evconnlistener *
start_listener(struct control *ctl, evutil_socket_t fd)
{
	if (fd == -1)
		return NULL;
	return evconnlistener_new(ctl->srv->base, accept_cb, ctl,
	    LEV_OPT_CLOSE_ON_FREE, -1, fd);
}

int
control_start(struct control *ctl, struct server *srv)
{
	ctl->srv = srv;
	ctl->unix_listener = start_listener(ctl, ctl->unix_fd);
	if (ctl->unix_fd != -1 && ctl->unix_listener == NULL)
		return -1;
	ctl->unix_fd = -1;
	ctl->http_listener = start_listener(ctl, ctl->http_fd);
	if (ctl->http_fd != -1 && ctl->http_listener == NULL)
		return -1;
	ctl->http_fd = -1;
	if (ctl->path != NULL)
		log_info("control socket %s", ctl->path);
	if (ctl->http_listener != NULL) {
		char label[80];

		conf_address_str(&srv->conf->metrics, label, sizeof(label));
		log_info("metrics on http://%s/metrics", label);
	}
	return 0;
}

void
control_free(struct control *ctl)
{
	if (ctl == NULL)
		return;
	while (!LIST_EMPTY(&ctl->clients))
		client_free(LIST_FIRST(&ctl->clients));
	if (ctl->unix_listener != NULL)
		evconnlistener_free(ctl->unix_listener);
	if (ctl->http_listener != NULL)
		evconnlistener_free(ctl->http_listener);
	if (ctl->unix_fd != -1)
		close(ctl->unix_fd);
	if (ctl->http_fd != -1)
		close(ctl->http_fd);
	if (ctl->path != NULL)
		unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}

/* Reads until the daemon closes, bounded. */
static char *
read_reply(int fd, char *err, size_t errlen)
{
	size_t len = 0, cap = 8192;
	char *buf = malloc(cap + 1);
	ssize_t n;

	while (buf != NULL && (n = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap) {
			char *grown = cap < (16u << 20) ?
			    realloc(buf, cap * 2 + 1) : NULL;

			if (grown == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = grown;
			cap *= 2;
		}
	}
	if (buf == NULL) {
		snprintf(err, errlen, "reply too large");
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

char *
control_request(const char *path, const char *command, char *err,
    size_t errlen)
{
	struct sockaddr_un sun;
	struct timeval tv = { 30, 0 };
	char *out;
	int fd;

	if (unix_address(path, &sun) == -1) {
		snprintf(err, errlen, "%s: path too long", path);
		return NULL;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sun,
	    sizeof(sun)) == -1) {
		snprintf(err, errlen, "cannot reach ctstub at %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (dprintf(fd, "%s\n", command) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	out = read_reply(fd, err, errlen);
	close(fd);
	return out;
}
