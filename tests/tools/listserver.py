#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""An HTTPS server for CT log lists, for `ctstub loglist update` tests.

listserver.py --cert CHAIN.pem --key KEY.pem --port PORT --dir DIR

Serves the files of DIR on 127.0.0.1:PORT over TLS (ALPN http/1.1) with
the test PKI's certificate, HTTP/1.1. GET /NAME sends DIR/NAME
(application/json for .json files, text/plain otherwise). A first path
element picks a fault:

  /wrongtype/NAME   DIR/NAME as text/html
  /chunked/NAME     DIR/NAME with chunked transfer coding
  /truncated/NAME   Content-Length of DIR/NAME, half the bytes, then a close
  /big/NAME         3 MiB of JSON-ish bytes (Content-Length)
  /loop/NAME        302 to /loop/NAME on this server, for ever
  /redirect/NAME    302 to /NAME on this server (one hop)
  /http/NAME        301 to http://127.0.0.1:PORT/NAME
  /gzip/NAME        DIR/NAME with Content-Encoding: gzip (not compressed)

Every request is logged on stdout as "GET PATH STATUS".
"""
import argparse
import http.server
import os
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send_body(self, status, body, ctype, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, status, location):
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def file(self, name):
        path = os.path.join(self.server.dir, os.path.basename(name))
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError:
            return None

    def do_GET(self):
        parts = self.path.lstrip("/").split("/", 1)
        mode, name = (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])
        host = "%s:%d" % (self.server.host_name, self.server.server_port)
        print("GET %s %s" % (self.path, mode or "plain"), flush=True)
        if mode == "loop":
            return self.redirect(302, "https://%s/loop/%s" % (host, name))
        if mode == "redirect":
            return self.redirect(302, "/" + name)
        if mode == "http":
            return self.redirect(301, "http://%s/%s" % (host, name))
        if mode == "big":
            body = b"[" + b"0," * (3 * 1024 * 1024 // 2) + b"0]"
            return self.send_body(200, body, "application/json")
        body = self.file(name)
        if body is None:
            return self.send_body(404, b"not found\n", "text/plain")
        ctype = "application/json" if name.endswith(".json") else "text/plain"
        if mode == "wrongtype":
            return self.send_body(200, body, "text/html")
        if mode == "gzip":
            return self.send_body(200, body, ctype,
                                  [("Content-Encoding", "gzip")])
        if mode == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.close()
            return None
        if mode == "chunked":
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(body), 1000):
                chunk = body[i:i + 1000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
            return None
        return self.send_body(200, body, ctype)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--host-name", default="dns.example.test",
                    help="host name used in redirects")
    args = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    ctx.set_alpn_protocols(["http/1.1"])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.dir = args.dir
    server.host_name = args.host_name
    print("listening on 127.0.0.1:%d" % args.port, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
