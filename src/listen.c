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
#include "portholder.h"
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

/* Room for one IP_PKTINFO or IPV6_PKTINFO control message. */
union udp_control {
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct cmsghdr align;
};

/* Buffers for one recvmmsg or sendmmsg call. */
struct udp_batch {
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_storage peers[UDP_BATCH];
	union udp_control ctl[UDP_BATCH];
	uint8_t bufs[UDP_BATCH][UDP_SLOT];
};

struct listen_socket {
	int fd;
	int is_tcp;
	int pktinfo;			/* wildcard UDP: learn the address asked */
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
is_wildcard(const struct conf_address *a)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->sa;

	if (a->sa.ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
	return sin->sin_addr.s_addr == htonl(INADDR_ANY);
}

/*
 * A UDP socket on a wildcard address learns each datagram's destination,
 * so that the answer leaves from it (a client drops an answer from another
 * address than it asked).
 */
static int
want_pktinfo(int fd, const struct conf_address *a)
{
	int one = 1;

	if (a->sa.ss_family == AF_INET6)
		return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
		    sizeof(one));
	return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
}

/* errno's message, and who holds the port when it is in use. */
static void
bind_error(const struct conf_address *a, int type, const char *label,
    char *err, size_t errlen)
{
	int saved = errno;
	char holder[300] = "";

	if (saved == EADDRINUSE)
		portholder_explain(a, type, holder, sizeof(holder));
	snprintf(err, errlen, "cannot listen on %s (%s): %s%s%s", label,
	    type == SOCK_STREAM ? "TCP" : "UDP", strerror(saved),
	    holder[0] ? ": " : "", holder);
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
	if (type == SOCK_DGRAM && is_wildcard(a) && want_pktinfo(fd, a) == -1)
		goto fail;
	if (type == SOCK_DGRAM)
		grow_udp_buffers(fd);
	return fd;
fail:
	bind_error(a, type, label, err, errlen);
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
		s->pktinfo = !s->is_tcp && is_wildcard(&conf->listens[i / 2]);
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

/* Slot i for a datagram of len bytes, with room for a control message. */
static void
batch_prepare(struct udp_batch *b, unsigned i, size_t len, int control)
{
	struct msghdr *h = &b->msgs[i].msg_hdr;

	b->iov[i].iov_base = b->bufs[i];
	b->iov[i].iov_len = len;
	memset(h, 0, sizeof(*h));
	h->msg_name = &b->peers[i];
	h->msg_namelen = sizeof(b->peers[i]);
	h->msg_iov = &b->iov[i];
	h->msg_iovlen = 1;
	if (control) {
		h->msg_control = b->ctl[i].buf;
		h->msg_controllen = sizeof(b->ctl[i].buf);
	}
}

/* The address a datagram was sent to, from its IP(V6)_PKTINFO. */
static void
origin_set_local(struct query_origin *o, struct msghdr *h)
{
	struct cmsghdr *cm;

	o->local_family = 0;
	for (cm = CMSG_FIRSTHDR(h); cm != NULL; cm = CMSG_NXTHDR(h, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			/* ipi_spec_dst: the local address to answer from */
			memcpy(&o->local.v4, CMSG_DATA(cm),
			    sizeof(o->local.v4));
			o->local.v4.ipi_ifindex = 0;	/* the route decides */
			o->local_family = AF_INET;
		} else if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			/* the interface too: link-local addresses need it */
			memcpy(&o->local.v6, CMSG_DATA(cm),
			    sizeof(o->local.v6));
			o->local_family = AF_INET6;
		}
	}
}

/* Makes h send from o's local address, when it has one, using ctl. */
static void
msg_set_local(struct msghdr *h, union udp_control *ctl,
    const struct query_origin *o)
{
	int v6 = o->local_family == AF_INET6;
	size_t len = v6 ? sizeof(o->local.v6) : sizeof(o->local.v4);
	struct cmsghdr *cm;

	h->msg_control = NULL;
	h->msg_controllen = 0;
	if (o->local_family == 0)
		return;
	memset(ctl, 0, sizeof(*ctl));
	h->msg_control = ctl->buf;
	h->msg_controllen = CMSG_SPACE(len);
	cm = CMSG_FIRSTHDR(h);
	cm->cmsg_level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
	cm->cmsg_type = v6 ? IPV6_PKTINFO : IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), &o->local, len);
}

/* One answer now, outside a batch. */
static void
udp_send_one(struct listen_socket *s, const struct query_origin *o,
    const uint8_t *msg, size_t len)
{
	struct sockaddr_storage peer = o->peer;
	struct iovec iov = { (void *)(uintptr_t)msg, len };
	union udp_control ctl;
	struct msghdr h = {
		.msg_name = &peer,
		.msg_namelen = o->peerlen,
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};

	msg_set_local(&h, &ctl, o);
	sendmsg(s->fd, &h, 0);	/* lost like a datagram: the client retries */
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
	batch_prepare(b, i, len, 0);
	memcpy(b->bufs[i], msg, len);
	memcpy(&b->peers[i], &origin->peer, origin->peerlen);
	b->msgs[i].msg_hdr.msg_namelen = origin->peerlen;
	msg_set_local(&b->msgs[i].msg_hdr, &b->ctl[i], origin);
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
			batch_prepare(s->in, (unsigned)i, UDP_SLOT,
			    s->pktinfo);
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
			origin_set_local(&origin, h);
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
			udp_send_one(origin->udp, origin, msg, len);
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
