/* SPDX-License-Identifier: ISC */
/* UDP and TCP listeners for plain DNS from local clients. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "conf.h"
#include "dnsmsg.h"
#include "listen.h"
#include "log.h"
#include "query.h"
#include "server.h"

#define UDP_BATCH		32	/* datagrams per recvmmsg/sendmmsg */
#define UDP_BATCHES_PER_EVENT	4	/* then let other events run */
#define UDP_SLOT		1500	/* largest query read, answer batched */
#define UDP_BUFFER_BYTES	(4 << 20)	/* absorbs bursts of ~1,000+ queries */
#define ACCEPT_PAUSE_MS		1000
/*
 * A TCP client's queued answers: above HIGH its queries are no longer
 * read, below LOW they are again. With TCP_MAX_PENDING queries in flight
 * (answers of up to 64 KiB each) this bounds what one client can make us
 * hold.
 */
#define TCP_QUEUED_HIGH		(64 << 10)
#define TCP_QUEUED_LOW		(16 << 10)
#define TCP_MAX_PENDING		64

struct tcp_client {
	struct listen_set *set;
	struct bufferevent *bev;
	struct query_list queries;	/* outstanding, not owned */
	unsigned npending;		/* in queries */
	int paused;			/* not reading: see client_throttle */
	int closing;			/* client finished; flush and go */
	TAILQ_ENTRY(tcp_client) link;
};

/* Buffers for one recvmmsg or sendmmsg call. */
struct udp_batch {
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_storage peers[UDP_BATCH];
	uint8_t bufs[UDP_BATCH][UDP_SLOT];
};

struct listen_socket {
	int fd;
	int is_tcp;
	char label[80];
	struct udp_batch *in;		/* UDP only */
	struct udp_batch *out;		/* answers made while reading in */
	unsigned nout;
	int batching;			/* inside a read: answers wait in out */
	struct event *udp_event;
	struct evconnlistener *tcp_listener;
	struct listen_set *set;
};

struct listen_set {
	struct server *srv;
	struct listen_socket *sockets;
	size_t count;
	TAILQ_HEAD(, tcp_client) clients;
	unsigned nclients;
	struct event *accept_pause;
};

/* Large UDP buffers (forced when root, else up to rmem_max). */
static void
grow_udp_buffers(int fd)
{
	int size = UDP_BUFFER_BYTES;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)) == -1)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size,
	    sizeof(size)) == -1)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

static int
bind_socket(const struct conf_address *a, int type, char *err, size_t errlen)
{
	char label[80];
	int one = 1;
	int fd = socket(a->sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);

	conf_address_str(a, label, sizeof(label));
	if (fd == -1)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->sa, a->salen) == -1)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, 128) == -1)
		goto fail;
	if (type == SOCK_DGRAM)
		grow_udp_buffers(fd);
	return fd;
fail:
	snprintf(err, errlen, "cannot listen on %s (%s): %s", label,
	    type == SOCK_STREAM ? "TCP" : "UDP", strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

struct listen_set *
listen_bind(const struct conf *conf, char *err, size_t errlen)
{
	struct listen_set *set = calloc(1, sizeof(*set));
	size_t i;

	if (set == NULL || (set->sockets = calloc(conf->nlistens * 2,
	    sizeof(*set->sockets))) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(set);
		return NULL;
	}
	TAILQ_INIT(&set->clients);
	for (i = 0; i < conf->nlistens * 2; i++) {
		struct listen_socket *s = &set->sockets[i];

		s->is_tcp = i % 2;
		s->set = set;
		conf_address_str(&conf->listens[i / 2], s->label,
		    sizeof(s->label));
		s->fd = bind_socket(&conf->listens[i / 2],
		    s->is_tcp ? SOCK_STREAM : SOCK_DGRAM, err, errlen);
		set->count++;
		if (s->fd != -1 && !s->is_tcp &&
		    ((s->in = malloc(sizeof(*s->in))) == NULL ||
		    (s->out = malloc(sizeof(*s->out))) == NULL)) {
			snprintf(err, errlen, "out of memory");
			listen_free(set);
			return NULL;
		}
		if (s->fd == -1) {
			listen_free(set);
			return NULL;
		}
	}
	return set;
}

static void
batch_prepare(struct udp_batch *b, unsigned i, size_t len)
{
	b->iov[i].iov_base = b->bufs[i];
	b->iov[i].iov_len = len;
	memset(&b->msgs[i].msg_hdr, 0, sizeof(b->msgs[i].msg_hdr));
	b->msgs[i].msg_hdr.msg_name = &b->peers[i];
	b->msgs[i].msg_hdr.msg_namelen = sizeof(b->peers[i]);
	b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
	b->msgs[i].msg_hdr.msg_iovlen = 1;
}

/* Queues an answer for the sendmmsg after this read; 0 if it cannot. */
static int
batch_answer(struct listen_socket *s, const struct query_origin *origin,
    const uint8_t *msg, size_t len)
{
	struct udp_batch *b = s->out;
	unsigned i = s->nout;

	if (!s->batching || len > UDP_SLOT || i == UDP_BATCH)
		return 0;
	batch_prepare(b, i, len);
	memcpy(b->bufs[i], msg, len);
	memcpy(&b->peers[i], &origin->peer, origin->peerlen);
	b->msgs[i].msg_hdr.msg_namelen = origin->peerlen;
	s->nout++;
	return 1;
}

static void
batch_flush(struct listen_socket *s)
{
	unsigned done = 0;

	while (done < s->nout) {
		int n = sendmmsg(s->fd, s->out->msgs + done, s->nout - done, 0);

		if (n <= 0)
			break;	/* like a lost datagram: the client retries */
		done += (unsigned)n;
	}
	s->nout = 0;
}

static void
udp_read_cb(evutil_socket_t fd, short events, void *arg)
{
	struct listen_socket *s = arg;
	struct query_origin origin = { .udp = s };
	int round, n, i;

	for (round = 0; round < UDP_BATCHES_PER_EVENT; round++) {
		for (i = 0; i < UDP_BATCH; i++)
			batch_prepare(s->in, (unsigned)i, UDP_SLOT);
		n = recvmmsg(fd, s->in->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		s->batching = 1;
		for (i = 0; i < n; i++) {
			struct msghdr *h = &s->in->msgs[i].msg_hdr;

			if (h->msg_flags & MSG_TRUNC)
				continue;	/* over UDP_SLOT: not a query */
			memcpy(&origin.peer, h->msg_name, h->msg_namelen);
			origin.peerlen = h->msg_namelen;
			query_start(s->set->srv, s->in->bufs[i],
			    s->in->msgs[i].msg_len, &origin);
		}
		s->batching = 0;
		batch_flush(s);
		if (n < UDP_BATCH)
			return;
	}
}

static void
client_free(struct tcp_client *c)
{
	struct query *q;

	while ((q = TAILQ_FIRST(&c->queries)) != NULL) {
		TAILQ_REMOVE(&c->queries, q, client_link);
		q->origin.tcp = NULL;
	}
	TAILQ_REMOVE(&c->set->clients, c, link);
	c->set->nclients--;
	bufferevent_free(c->bev);
	free(c);
}

static size_t
client_queued(const struct tcp_client *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

/*
 * The idle timeout (reading) and the write timeout (answers not taken)
 * start again from now.
 */
static void
client_arm_timeouts(struct tcp_client *c)
{
	unsigned ms = c->set->srv->conf->tcp_idle_ms;
	struct timeval idle = { ms / 1000, (ms % 1000) * 1000 };

	bufferevent_set_timeouts(c->bev, &idle, &idle);
}

/*
 * Stops reading queries while its answers pile up unread or too many of
 * its queries are in flight: a client that never reads cannot make us
 * queue without bound.
 */
static void
client_throttle(struct tcp_client *c)
{
	if (c->paused || (client_queued(c) <= TCP_QUEUED_HIGH &&
	    c->npending < TCP_MAX_PENDING))
		return;
	c->paused = 1;
	bufferevent_disable(c->bev, EV_READ);
}

/*
 * Reads again once the answers are down to the low-water mark and a query
 * slot is free. Queries already buffered are handled from the event loop
 * (deferred), never from inside a caller that is itself handling one.
 */
static void
client_resume(struct tcp_client *c)
{
	if (!c->paused || client_queued(c) > TCP_QUEUED_LOW ||
	    c->npending >= TCP_MAX_PENDING)
		return;
	c->paused = 0;
	if (c->closing)
		return;
	bufferevent_enable(c->bev, EV_READ);
	bufferevent_trigger(c->bev, EV_READ,
	    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

/* Frees a finished client once its last answer has left. */
static void
client_maybe_free(struct tcp_client *c)
{
	if (c->closing && c->npending == 0 && client_queued(c) == 0)
		client_free(c);
	/* else client_write_cb calls again; errors and timeouts still close */
}

/* No more queries from c: answer what is in flight, then close. */
static void
client_finish(struct tcp_client *c)
{
	c->closing = 1;
	bufferevent_disable(c->bev, EV_READ);
	client_maybe_free(c);
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct tcp_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct query_origin origin = { .udp = NULL, .tcp = c };
	uint8_t hdr[2];
	size_t len;

	while (!c->closing && !c->paused &&
	    evbuffer_copyout(in, hdr, 2) == 2) {
		len = dnsmsg_get16(hdr);
		if (len == 0) {
			client_finish(c);
			return;
		}
		if (evbuffer_get_length(in) < 2 + len)
			return;
		evbuffer_drain(in, 2);
		query_start(c->set->srv, evbuffer_pullup(in, (ssize_t)len), len,
		    &origin);
		evbuffer_drain(in, len);
	}
}

/* Output at or below the low-water mark (TCP_QUEUED_LOW). */
static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	struct tcp_client *c = arg;

	if (c->closing)
		client_maybe_free(c);
	else
		client_resume(c);
}

static void
client_event_cb(struct bufferevent *bev, short events, void *arg)
{
	struct tcp_client *c = arg;

	/* a reset, or answers not taken within the write timeout */
	if (events & (BEV_EVENT_ERROR | BEV_EVENT_WRITING)) {
		client_free(c);
		return;
	}
	/* RFC 7766 6.2.3: not idle while answers are still owed */
	if ((events & BEV_EVENT_TIMEOUT) && c->npending > 0) {
		if (!c->paused)
			bufferevent_enable(bev, EV_READ);
		return;
	}
	client_finish(c);	/* end of file or idle */
}

static void
accept_resume_cb(evutil_socket_t fd, short events, void *arg)
{
	struct listen_set *set = arg;
	size_t i;

	for (i = 0; i < set->count; i++)
		if (set->sockets[i].tcp_listener != NULL)
			evconnlistener_enable(set->sockets[i].tcp_listener);
}

/* Out of descriptors: stop accepting for a moment instead of spinning. */
static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct listen_socket *s = arg;
	struct timeval tv = { ACCEPT_PAUSE_MS / 1000, 0 };
	size_t i;

	log_warn("listener %s: accept failed: %s; pausing", s->label,
	    strerror(errno));
	for (i = 0; i < s->set->count; i++)
		if (s->set->sockets[i].tcp_listener != NULL)
			evconnlistener_disable(s->set->sockets[i].tcp_listener);
	evtimer_add(s->set->accept_pause, &tv);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct listen_socket *s = arg;
	struct listen_set *set = s->set;
	const struct conf *conf = set->srv->conf;
	struct tcp_client *c;
	int one = 1;

	if (set->nclients >= conf->max_tcp_clients ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->bev = bufferevent_socket_new(set->srv->base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	c->set = set;
	TAILQ_INIT(&c->queries);
	TAILQ_INSERT_TAIL(&set->clients, c, link);
	set->nclients++;
	bufferevent_setcb(c->bev, client_read_cb, client_write_cb,
	    client_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, TCP_QUEUED_LOW, 0);
	client_arm_timeouts(c);
	bufferevent_enable(c->bev, EV_READ);
}

int
listen_start(struct listen_set *set, struct server *srv)
{
	size_t i;

	set->srv = srv;
	set->accept_pause = evtimer_new(srv->base, accept_resume_cb, set);
	if (set->accept_pause == NULL)
		return -1;
	for (i = 0; i < set->count; i++) {
		struct listen_socket *s = &set->sockets[i];

		if (s->is_tcp) {
			s->tcp_listener = evconnlistener_new(srv->base,
			    accept_cb, s, LEV_OPT_CLOSE_ON_FREE, 0, s->fd);
			if (s->tcp_listener == NULL)
				return -1;
			evconnlistener_set_error_cb(s->tcp_listener,
			    accept_error_cb);
			s->fd = -1;	/* owned by the listener now */
		} else {
			s->udp_event = event_new(srv->base, s->fd,
			    EV_READ | EV_PERSIST, udp_read_cb, s);
			if (s->udp_event == NULL ||
			    event_add(s->udp_event, NULL) == -1)
				return -1;
		}
		log_info("listening on %s (%s)", s->label,
		    s->is_tcp ? "TCP" : "UDP");
	}
	return 0;
}

void
listen_free(struct listen_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	while (!TAILQ_EMPTY(&set->clients))
		client_free(TAILQ_FIRST(&set->clients));
	for (i = 0; i < set->count; i++) {
		struct listen_socket *s = &set->sockets[i];

		if (s->udp_event != NULL)
			event_free(s->udp_event);
		if (s->tcp_listener != NULL)
			evconnlistener_free(s->tcp_listener);
		if (s->fd != -1)
			close(s->fd);
		free(s->in);
		free(s->out);
	}
	if (set->accept_pause != NULL)
		event_free(set->accept_pause);
	free(set->sockets);
	free(set);
}

void
listen_send(const struct query_origin *origin, const uint8_t *msg,
    size_t len)
{
	uint8_t hdr[2];

	if (origin->udp != NULL) {
		if (!batch_answer(origin->udp, origin, msg, len))
			sendto(origin->udp->fd, msg, len, 0,
			    (const struct sockaddr *)&origin->peer,
			    origin->peerlen);
		return;
	}
	if (origin->tcp == NULL)
		return;	/* the client left */
	dnsmsg_put16(hdr, (uint16_t)len);
	bufferevent_write(origin->tcp->bev, hdr, 2);
	bufferevent_write(origin->tcp->bev, msg, len);
	client_throttle(origin->tcp);
}

void
listen_track(struct query *q)
{
	struct tcp_client *c = q->origin.tcp;

	if (c == NULL)
		return;
	TAILQ_INSERT_TAIL(&c->queries, q, client_link);
	c->npending++;
	client_throttle(c);
}

void
listen_untrack(struct query *q)
{
	struct tcp_client *c = q->origin.tcp;

	if (c == NULL)
		return;
	TAILQ_REMOVE(&c->queries, q, client_link);
	c->npending--;
	q->origin.tcp = NULL;
	if (c->closing) {
		client_maybe_free(c);
		return;
	}
	client_resume(c);
	/* the idle time counts from the last answer (RFC 7766 6.2.3) */
	if (c->npending == 0 && !c->paused)
		bufferevent_enable(c->bev, EV_READ);
}
