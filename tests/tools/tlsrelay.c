/* SPDX-License-Identifier: ISC */
/*
 * tlsrelay: a TLS 1.3 front for named's plain TCP port that sends SCTs in
 * the leaf's CertificateEntry extension (RFC 8446 4.4.2), which HAProxy
 * 2.6 cannot do (its .sctl SCTs go out in TLS 1.2 only).
 *
 * tlsrelay --cert CHAIN --key KEY --port PORT --upstream HOST:PORT
 *          [--serverinfo FILE] [--idle SECONDS]
 *
 * Listens on 127.0.0.1:PORT. Each connection gets a child process: a
 * TLS 1.3 handshake (the SCTs come from FILE, mkpki's NAME.serverinfo.pem;
 * without it no SCTs are sent), then bytes relayed both ways to the
 * upstream (DoT and DNS over TCP frame alike) until either side closes or,
 * with --idle, the client sends nothing for that long. One line per event
 * on stderr. Session tickets work across connections (one SSL_CTX, made
 * before the children fork).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

struct options {
	const char *cert, *key, *serverinfo;
	int port, upstream_port, idle_ms;
	char upstream_host[64];
};

static void
say(const char *fmt, ...)
{
	va_list ap;

	fputs("tlsrelay: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
die(const char *what)
{
	say("%s", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static void
usage(void)
{
	fputs("usage: tlsrelay --cert CHAIN --key KEY --port PORT "
	    "--upstream HOST:PORT [--serverinfo FILE] [--idle SECONDS]\n",
	    stderr);
	exit(2);
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	const char *colon;
	int i;

	memset(o, 0, sizeof(*o));
	o->idle_ms = -1;
	for (i = 1; i + 1 < argc; i += 2) {
		const char *name = argv[i], *value = argv[i + 1];

		if (strcmp(name, "--cert") == 0)
			o->cert = value;
		else if (strcmp(name, "--key") == 0)
			o->key = value;
		else if (strcmp(name, "--serverinfo") == 0)
			o->serverinfo = value;
		else if (strcmp(name, "--port") == 0)
			o->port = atoi(value);
		else if (strcmp(name, "--idle") == 0)
			o->idle_ms = (int)(atof(value) * 1000);
		else if (strcmp(name, "--upstream") == 0 &&
		    (colon = strrchr(value, ':')) != NULL &&
		    (size_t)(colon - value) < sizeof(o->upstream_host)) {
			memcpy(o->upstream_host, value, colon - value);
			o->upstream_port = atoi(colon + 1);
		} else
			usage();
	}
	if (i != argc || o->cert == NULL || o->key == NULL || o->port <= 0 ||
	    o->upstream_port <= 0)
		usage();
}

static SSL_CTX *
new_context(const struct options *o)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		die("cannot load the certificate and key");
	if (o->serverinfo != NULL &&
	    SSL_CTX_use_serverinfo_file(ctx, o->serverinfo) != 1)
		die("cannot load the serverinfo file");
	return ctx;
}

static int
tcp_socket(const char *host, int port, int listening)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;

	sin.sin_port = htons((uint16_t)port);
	if (fd == -1 || inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return -1;
	if (listening) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		    listen(fd, 64) == 0)
			return fd;
	} else if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		return fd;
	close(fd);
	return -1;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Relays until a side closes or the client idles; returns why it ended. */
static const char *
relay(SSL *ssl, int client, int upstream, int idle_ms)
{
	char buf[16384];
	int n;

	for (;;) {
		struct pollfd fds[2] = { { client, POLLIN, 0 },
		    { upstream, POLLIN, 0 } };

		if (SSL_pending(ssl) == 0) {
			n = poll(fds, 2, idle_ms);
			if (n == 0)
				return "idle: closing";
			if (n < 0)
				return "poll failed";
		} else
			fds[0].revents = POLLIN;
		if (fds[0].revents) {
			n = SSL_read(ssl, buf, sizeof(buf));
			if (n <= 0)
				return "closed by the client";
			if (write_all(upstream, buf, (size_t)n) == -1)
				return "upstream write failed";
		}
		if (fds[1].revents) {
			n = (int)read(upstream, buf, sizeof(buf));
			if (n <= 0)
				return "closed by the upstream";
			if (SSL_write(ssl, buf, n) != n)
				return "client write failed";
		}
	}
}

static void
serve(SSL_CTX *ctx, int client, int id, const struct options *o)
{
	SSL *ssl = SSL_new(ctx);
	int upstream;

	if (ssl == NULL || !SSL_set_fd(ssl, client) || SSL_accept(ssl) != 1) {
		say("conn %d: handshake failed", id);
		ERR_print_errors_fp(stderr);
		return;
	}
	if (SSL_session_reused(ssl))
		say("conn %d: %s, resumed (no certificate, no SCTs)", id,
		    SSL_get_version(ssl));
	else
		say("conn %d: %s, SCTs %s", id, SSL_get_version(ssl),
		    o->serverinfo ? "in the certificate message" : "none");
	upstream = tcp_socket(o->upstream_host, o->upstream_port, 0);
	if (upstream == -1) {
		say("conn %d: cannot reach %s:%d", id, o->upstream_host,
		    o->upstream_port);
		return;
	}
	say("conn %d: %s", id, relay(ssl, client, upstream, o->idle_ms));
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(upstream);
}

int
main(int argc, char **argv)
{
	struct options o;
	SSL_CTX *ctx;
	int lfd, fd, id = 0;

	parse_options(argc, argv, &o);
	ctx = new_context(&o);
	lfd = tcp_socket("127.0.0.1", o.port, 1);
	if (lfd == -1) {
		say("cannot listen on 127.0.0.1:%d: %s", o.port,
		    strerror(errno));
		return 1;
	}
	signal(SIGCHLD, SIG_IGN);	/* children reap themselves */
	signal(SIGPIPE, SIG_IGN);
	say("listening on 127.0.0.1:%d, TLS 1.3 only", o.port);
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd == -1)
			continue;
		id++;
		if (fork() == 0) {
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			close(lfd);
			serve(ctx, fd, id, &o);
			_exit(0);
		}
		close(fd);
	}
}
