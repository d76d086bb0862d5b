#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""A small DNS-over-TLS server for ctstub's fault-injection tests.

dotserver.py --cert PEM --key KEY --port P --upstream HOST:PORT
             --mode MODE [ARG] [--after N] [--tls12] [--keylog FILE]
             [--handshake-delay MS]

Listens on 127.0.0.1:P with TLS (PEM: the leaf, then its issuers). Each
query (RFC 7858 framing: 2-byte length, message) is forwarded to the DNS
server at --upstream over UDP (TCP if truncated) and its answer is sent
back, except as MODE says. Queries are answered concurrently, in the
order their answers arrive. With --after N the first N answers of each
connection are normal and MODE applies from the next one.

  ok                 answer normally
  stall              accept and handshake, read queries, never answer
  drop N             never answer the first N queries, answer the others
                     (an id sent again while unanswered is a VIOLATION)
  garbage            the query's id followed by random bytes, in a valid frame
  wrong-id           the real answer with another id (never asked)
  wrong-question     a real answer, with the query's id, for another name
  unasked            a real answer under an id never asked, then the answer
  short-frame        a frame of length 5
  reset-mid-frame    half of the answer frame, then a TCP RST (SO_LINGER 0)
  close-after N      close the connection (TLS close_notify) after N answers
  slow MS            delay every answer by MS milliseconds
  never NAME         never answer queries for NAME or a name under it
                     (any case), answer the others normally: a domain
                     whose authoritative servers are dead

--tls12 caps the server at TLS 1.2 (record types stay visible on the wire);
--keylog writes the TLS secrets in NSS key log format (for tshark).
--handshake-delay MS accepts each TCP connection, logs "conn N: accepted,
handshake in MS ms", and starts the TLS handshake MS milliseconds later
(queries sent meanwhile wait in the socket).
One log line per event on stderr ("conn N: open, VERSION[, resumed]" for each
connection, "resumed" when the client resumed a TLS session).
"""
import argparse
import asyncio
import os
import socket
import ssl
import struct
import sys

from upstream_dns import ask_named
import time

OTHER_NAMES = (b"\x03www\x07example\x04test\x00",
               b"\x04mail\x07example\x04test\x00")


def log(msg):
    now = time.time()
    stamp = time.strftime("%H:%M:%S", time.gmtime(now))
    print("%s.%03d dotserver: %s" % (stamp, now % 1 * 1000, msg),
          file=sys.stderr, flush=True)


def parse_args():
    p = argparse.ArgumentParser(description="DNS-over-TLS test server")
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--upstream", required=True, help="HOST:PORT of named")
    p.add_argument("--mode", required=True, nargs="+",
                   help="MODE [ARG]; see the module docstring")
    p.add_argument("--after", type=int, default=0)
    p.add_argument("--tls12", action="store_true")
    p.add_argument("--keylog")
    p.add_argument("--handshake-delay", type=int, default=0)
    a = p.parse_args()
    modes = {"ok": 0, "stall": 0, "garbage": 0, "wrong-id": 0,
             "wrong-question": 0, "unasked": 0, "short-frame": 0,
             "reset-mid-frame": 0, "close-after": 1, "slow": 1, "drop": 1,
             "never": 1}
    name = a.mode[0]
    if name not in modes:
        p.error("unknown mode " + name)
    if len(a.mode) != 1 + modes[name]:
        p.error("mode %s takes %d argument(s)" % (name, modes[name]))
    if name == "never":
        a.arg = a.mode[1].rstrip(".").lower() + "."
    else:
        a.arg = int(a.mode[1]) if modes[name] else None
    a.mode = name
    host, _, port = a.upstream.rpartition(":")
    a.upstream = (host, int(port))
    return a


def question_end(msg):
    """Offset past the (uncompressed) question of a query, or None."""
    off = 12
    while off < len(msg) and msg[off] != 0:
        off += msg[off] + 1
    off += 5
    return off if off <= len(msg) else None


def qname_text(msg):
    labels, off = [], 12
    while off < len(msg) and msg[off] != 0:
        labels.append(msg[off + 1:off + 1 + msg[off]].decode("ascii",
                                                             "replace"))
        off += msg[off] + 1
    return ".".join(labels) + "."


def frame(msg):
    return struct.pack("!H", len(msg)) + msg


class Connection:
    count = 0

    def __init__(self, args, reader, writer):
        Connection.count += 1
        self.id = Connection.count
        self.args = args
        self.reader = reader
        self.writer = writer
        self.answered = 0	# answers sent (normal or faulty)
        self.dropped = 0	# drop mode: queries never answered
        self.dropped_ids = set()
        self.closed = False

    def log(self, msg):
        log("conn %d: %s" % (self.id, msg))

    async def run(self):
        ssl_obj = self.writer.get_extra_info("ssl_object")
        self.log("open, %s%s" % (ssl_obj.version(),
                                 ", resumed" if ssl_obj.session_reused else ""))
        tasks = set()
        while not self.closed:
            try:
                hdr = await self.reader.readexactly(2)
                query = await self.reader.readexactly(
                    struct.unpack("!H", hdr)[0])
            except (asyncio.IncompleteReadError, ConnectionError):
                if not self.closed:
                    self.log("closed by the client")
                break
            task = asyncio.ensure_future(self.handle(query))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        for task in tasks:
            task.cancel()
        if self.args.mode == "drop":
            self.log("%d queries dropped in all" % self.dropped)

    async def handle(self, query):
        mode = self.args.mode
        qid = struct.unpack("!H", query[:2])[0]
        if mode == "drop" and self.dropped < self.args.arg:
            if qid in self.dropped_ids:
                self.log("VIOLATION: id %d sent again while unanswered" % qid)
            self.dropped_ids.add(qid)
            self.dropped += 1
            if self.dropped % 10000 == 0 or self.dropped == self.args.arg:
                self.log("dropped %d queries" % self.dropped)
            return
        self.log("query id %d %s" % (qid, qname_text(query)))
        if mode == "stall":
            return
        if mode == "never" and ("." + qname_text(query).lower()).endswith(
                "." + self.args.arg):
            return
        faulty = self.answered >= self.args.after
        if mode == "wrong-question" and faulty:
            end = question_end(query)
            name = OTHER_NAMES[0]
            if query[12:end - 4].lower() == name:
                name = OTHER_NAMES[1]
            query = query[:12] + name + query[end - 4:]
        try:
            answer = await ask_named(self.args.upstream, query)
        except (OSError, asyncio.IncompleteReadError,
                asyncio.TimeoutError) as e:
            self.log("id %d: named: %r" % (qid, e))
            return
        if mode == "slow":
            await asyncio.sleep(self.args.arg / 1000)
        if self.closed or self.writer.is_closing():
            return
        self.answered += 1
        if not faulty or mode in ("ok", "slow", "close-after", "drop",
                                  "never"):
            self.writer.write(frame(answer))
            self.log("id %d: answered" % qid)
        elif mode == "garbage":
            junk = query[:2] + os.urandom(max(10, len(answer) - 2))
            self.writer.write(frame(junk))
            self.log("id %d: sent %d random bytes" % (qid, len(junk)))
        elif mode == "wrong-id":
            bad = (qid + 0x8000) & 0xffff
            self.writer.write(frame(struct.pack("!H", bad) + answer[2:]))
            self.log("id %d: answered as id %d" % (qid, bad))
        elif mode == "wrong-question":
            self.writer.write(frame(answer))
            self.log("id %d: answered for %s" % (qid, qname_text(answer)))
        elif mode == "unasked":
            bad = (qid + 0x8000) & 0xffff
            self.writer.write(frame(struct.pack("!H", bad) + answer[2:]))
            self.writer.write(frame(answer))
            self.log("id %d: sent unasked id %d, then the answer"
                     % (qid, bad))
        elif mode == "short-frame":
            self.writer.write(frame(answer[:5]))
            self.log("id %d: sent a frame of length 5" % qid)
        elif mode == "reset-mid-frame":
            data = frame(answer)
            self.writer.write(data[:len(data) // 2])
            await self.writer.drain()
            sock = self.writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
            self.closed = True
            self.writer.transport.abort()
            self.log("id %d: sent %d of %d bytes, then RST"
                     % (qid, len(data) // 2, len(data)))
            return
        if mode == "close-after" and self.answered >= self.args.arg:
            self.closed = True
            await self.writer.drain()
            self.writer.close()
            self.log("closing after %d answers" % self.answered)


async def main():
    args = parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    if args.tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if args.keylog:
        ctx.keylog_filename = args.keylog

    async def client(reader, writer):
        conn = Connection(args, reader, writer)
        try:
            if args.handshake_delay:
                # leave the ClientHello in the socket for start_tls
                writer.transport.pause_reading()
                conn.log("accepted, handshake in %d ms" % args.handshake_delay)
                await asyncio.sleep(args.handshake_delay / 1000)
                await writer.start_tls(ctx)
            await conn.run()
        except (OSError, ssl.SSLError) as e:
            conn.log("error: %r" % e)
        finally:
            writer.close()

    server = await asyncio.start_server(
        client, "127.0.0.1", args.port,
        ssl=None if args.handshake_delay else ctx)
    log("listening on 127.0.0.1:%d, mode %s%s%s" % (
        args.port, args.mode, "" if args.arg is None else " %s" % args.arg,
        " after %d" % args.after if args.after else ""))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
