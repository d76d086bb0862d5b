#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""A small DNS-over-HTTPS (HTTP/2) server for ctstub's fault-injection tests.

h2server.py --cert PEM --key KEY --port P --upstream HOST:PORT --mode MODE
            [--max-streams N]

Listens on 127.0.0.1:P with TLS. Each POST /dns-query (content-type and
accept application/dns-message, DNS id 0) is forwarded to the DNS server at
--upstream over UDP (TCP if truncated); the answer goes back as 200
application/dns-message, except as MODE says:

  ok               answer normally
  noh2             offer ALPN http/1.1 only (never h2)
  status500        answer every request with :status 500
  badtype         answer 200 with content-type text/plain
  rst              reset every stream (RST_STREAM INTERNAL_ERROR)
  rst-odd          reset every other stream (ids 1, 5, 9, ...)
  goaway-after N   after answering N requests on a connection, send GOAWAY
                   (last_stream_id = that request's stream), drop later
                   streams, close 0.5 s later
  goaway-before N  the same, but GOAWAY (last_stream_id = the Nth request's
                   stream) goes out 0.1 s before the Nth answer
  goaway-hold N    on a connection's Nth request, send GOAWAY (last_stream_id
                   = that request's stream), never answer it, drop later
                   streams, and keep the connection open
  idle-close S     close a connection that has been idle for S seconds
  max-streams N    announce SETTINGS_MAX_CONCURRENT_STREAMS N and answer
                   streams concurrently, each after a short delay
  empty            answer 200 application/dns-message with an empty body
  huge             answer 200 application/dns-message with the real answer
                   followed by zero bytes, 70,000 bytes in all, sent as the
                   client's flow-control windows allow
  wrong-question   answer 200 application/dns-message with a real answer
                   for another name than the one asked

Requests are answered one at a time per connection, in arrival order,
except in max-streams mode. One log line per event on stderr; a client
that breaks the rules is logged with the word VIOLATION.
"""
import argparse
import asyncio
import socket
import ssl
import struct
import sys

from upstream_dns import ask_named

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings
import hyperframe.frame

DNS_TYPE = "application/dns-message"
HUGE_BODY = 70000	# huge mode: more than a DNS message can hold
OTHER_NAMES = (b"\x03www\x07example\x04test\x00",
               b"\x04mail\x07example\x04test\x00")
PATH = "/dns-query"
STREAM_DELAY = 0.02		# max-streams mode: seconds per answer


def log(msg):
    print("h2server: " + msg, file=sys.stderr, flush=True)


def parse_args():
    p = argparse.ArgumentParser(description="HTTP/2 DoH test server")
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--upstream", required=True, help="HOST:PORT of named")
    p.add_argument("--mode", required=True, nargs="+",
                   help="MODE [ARG]; see the module docstring")
    p.add_argument("--max-streams", type=int)
    a = p.parse_args()
    modes = {"ok": 0, "noh2": 0, "status500": 0, "badtype": 0, "rst": 0,
             "rst-odd": 0, "goaway-after": 1,
             "goaway-before": 1, "goaway-hold": 1, "idle-close": 1,
             "max-streams": 1, "empty": 0, "huge": 0, "wrong-question": 0}
    a.arg = None
    name = a.mode[0]
    if name not in modes:
        p.error("unknown mode " + name)
    if name == "max-streams" and len(a.mode) == 1 and a.max_streams:
        a.mode.append(str(a.max_streams))
    if len(a.mode) != 1 + modes[name]:
        p.error("mode %s takes %d argument(s)" % (name, modes[name]))
    if modes[name]:
        a.arg = float(a.mode[1]) if name == "idle-close" else int(a.mode[1])
    a.mode = name
    host, _, port = a.upstream.rpartition(":")
    a.upstream = (host, int(port))
    return a


class Connection:
    count = 0

    def __init__(self, args, reader, writer):
        Connection.count += 1
        self.id = Connection.count
        self.args = args
        self.reader = reader
        self.writer = writer
        self.requests = {}	# stream id -> [headers, body]
        self.open = 0		# streams received and not yet finished
        self.peak = 0		# most open streams once SETTINGS were acked
        self.acked = False
        self.answered = 0
        self.gone = False	# GOAWAY sent
        self.tasks = set()	# max-streams, huge: answers in progress
        self.window_open = asyncio.Event()	# huge: the client sent credit
        cfg = h2.config.H2Configuration(client_side=False,
                                        header_encoding="utf-8")
        self.h2 = h2.connection.H2Connection(config=cfg)

    def log(self, msg):
        log("conn %d: %s" % (self.id, msg))

    def flush(self):
        data = self.h2.data_to_send()
        if data and not self.writer.is_closing():
            self.writer.write(data)

    async def run(self):
        alpn = self.writer.get_extra_info("ssl_object").selected_alpn_protocol()
        self.log("open, ALPN %s" % alpn)
        if alpn != "h2":
            while await self.reader.read(65536):
                pass
            self.log("closed by the client (no h2)")
            return
        self.h2.initiate_connection()
        if self.args.mode == "max-streams":
            self.h2.update_settings({
                h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS:
                self.args.arg})
        self.flush()
        idle = self.args.arg if self.args.mode == "idle-close" else None
        while True:
            try:
                data = await asyncio.wait_for(
                    self.reader.read(65536),
                    idle if idle and self.open == 0 else None)
            except asyncio.TimeoutError:
                self.log("idle for %g s: closing" % idle)
                return
            if not data:
                self.log("closed by the client")
                return
            if self.gone:
                continue	# after GOAWAY: later streams are dropped
            try:
                events = self.h2.receive_data(data)
            except h2.exceptions.TooManyStreamsError:
                self.log("VIOLATION: more than %d concurrent streams"
                         % self.h2.local_settings.max_concurrent_streams)
                self.h2.close_connection(
                    error_code=h2.errors.ErrorCodes.PROTOCOL_ERROR)
                self.flush()
                return
            except h2.exceptions.ProtocolError as e:
                self.log("VIOLATION: protocol error: %r" % e)
                self.h2.close_connection(
                    error_code=h2.errors.ErrorCodes.PROTOCOL_ERROR)
                self.flush()
                return
            for ev in events:
                await self.event(ev)
                if self.gone:
                    break
            self.flush()

    async def event(self, ev):
        if isinstance(ev, h2.events.RequestReceived):
            self.requests[ev.stream_id] = [dict(ev.headers), b""]
            self.open += 1
            if self.acked and self.open > self.peak:
                self.peak = self.open
                self.log("peak concurrent streams %d" % self.peak)
        elif isinstance(ev, h2.events.DataReceived):
            self.requests[ev.stream_id][1] += ev.data
            self.h2.acknowledge_received_data(ev.flow_controlled_length,
                                              ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded):
            if self.args.mode == "max-streams":
                task = asyncio.ensure_future(self.delayed(ev.stream_id))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
            else:
                await self.answer(ev.stream_id)
        elif isinstance(ev, h2.events.StreamReset):
            if self.requests.pop(ev.stream_id, None) is not None:
                self.open -= 1
            self.log("stream %d reset by the client" % ev.stream_id)
            self.window_open.set()	# huge: wake send_huge to stop
        elif isinstance(ev, h2.events.SettingsAcknowledged):
            self.acked = True
        elif isinstance(ev, (h2.events.WindowUpdated,
                             h2.events.RemoteSettingsChanged)):
            self.window_open.set()

    async def delayed(self, sid):
        await asyncio.sleep(STREAM_DELAY)
        await self.answer(sid)
        self.flush()

    def reply(self, sid, status, ctype, body):
        self.h2.send_headers(sid, [(":status", str(status)),
                                   ("content-type", ctype),
                                   ("content-length", str(len(body)))])
        self.h2.send_data(sid, body, end_stream=True)

    async def answer(self, sid):
        req = self.requests.get(sid)
        if req is None:
            return
        headers, body = req
        mode = self.args.mode
        if mode == "rst" or (mode == "rst-odd" and sid % 4 == 1):
            self.finish(sid)
            self.h2.reset_stream(
                sid, error_code=h2.errors.ErrorCodes.INTERNAL_ERROR)
            self.log("stream %d reset" % sid)
            return
        if mode == "goaway-hold" and self.answered + 1 == self.args.arg:
            self.flush()
            self.writer.write(hyperframe.frame.GoAwayFrame(
                0, last_stream_id=sid).serialize())
            self.gone = True
            self.log("GOAWAY at request %d, last stream %d: never answered,"
                     " connection held open" % (self.args.arg, sid))
            return
        if mode == "goaway-before" and self.answered + 1 == self.args.arg:
            # h2 sends nothing after its own GOAWAY: write the frame here
            self.flush()
            self.writer.write(hyperframe.frame.GoAwayFrame(
                0, last_stream_id=sid).serialize())
            self.log("GOAWAY before answer %d, last stream %d"
                     % (self.args.arg, sid))
            await asyncio.sleep(0.1)
        bad = self.check_request(headers, body)
        if not bad and mode == "wrong-question":
            body = other_question(body)
        if bad:
            self.log("VIOLATION: stream %d: %s" % (sid, bad))
            self.finish(sid)
            self.reply(sid, 400, "text/plain", bad.encode())
            return
        try:
            answer = await ask_named(self.args.upstream, body)
        except (OSError, asyncio.IncompleteReadError,
                asyncio.TimeoutError) as e:
            self.log("stream %d: named: %r" % (sid, e))
            self.finish(sid)
            self.reply(sid, 502, "text/plain", b"no answer from named")
            return
        if sid not in self.requests or self.writer.is_closing():
            return		# reset by the client meanwhile
        self.finish(sid)
        if self.h2.local_flow_control_window(sid) < len(answer):
            self.log("stream %d: flow-control window exhausted" % sid)
            self.h2.reset_stream(
                sid, error_code=h2.errors.ErrorCodes.FLOW_CONTROL_ERROR)
            return
        if mode == "empty":
            self.reply(sid, 200, DNS_TYPE, b"")
            self.log("stream %d: empty body" % sid)
        elif mode == "huge":
            task = asyncio.ensure_future(self.send_huge(sid, answer))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        elif mode == "wrong-question":
            self.reply(sid, 200, DNS_TYPE, answer)
            self.log("stream %d: answered for another name" % sid)
        elif mode == "status500":
            self.reply(sid, 500, "text/plain", b"internal error")
        elif mode == "badtype":
            self.reply(sid, 200, "text/plain", answer)
        else:
            self.reply(sid, 200, DNS_TYPE, answer)
        self.answered += 1
        if mode.startswith("goaway-") and self.answered == self.args.arg:
            if mode == "goaway-after":
                self.h2.close_connection(last_stream_id=sid)
                self.flush()
                self.log("GOAWAY after %d answers, last stream %d"
                         % (self.answered, sid))
            self.gone = True
            asyncio.get_running_loop().call_later(0.5, self.writer.close)

    async def send_huge(self, sid, answer):
        """huge mode: HUGE_BODY bytes on stream sid, a chunk whenever the
        client's windows allow; stops when the stream is reset."""
        body = answer + bytes(HUGE_BODY - len(answer))
        sent = 0
        self.h2.send_headers(sid, [(":status", "200"),
                                   ("content-type", DNS_TYPE),
                                   ("content-length", str(HUGE_BODY))])
        self.flush()
        try:
            while sent < len(body):
                n = min(self.h2.local_flow_control_window(sid),
                        self.h2.max_outbound_frame_size, len(body) - sent)
                if n <= 0:
                    self.window_open.clear()
                    await self.window_open.wait()
                    continue
                self.h2.send_data(sid, body[sent:sent + n],
                                  end_stream=sent + n == len(body))
                sent += n
                self.flush()
        except h2.exceptions.StreamClosedError:
            self.log("stream %d: reset by the client after %d of %d bytes"
                     % (sid, sent, HUGE_BODY))
            return
        self.log("stream %d: sent %d bytes" % (sid, HUGE_BODY))

    def finish(self, sid):
        self.requests.pop(sid, None)
        self.open -= 1

    @staticmethod
    def check_request(headers, body):
        """What is wrong with a request, or None (RFC 8484 POST)."""
        want = {":method": "POST", ":path": PATH, ":scheme": "https",
                "content-type": DNS_TYPE, "accept": DNS_TYPE}
        for name, value in want.items():
            if headers.get(name) != value:
                return "%s is %r, not %r" % (name, headers.get(name), value)
        if not headers.get(":authority"):
            return "no :authority"
        if len(body) < 12:
            return "body of %d bytes is no DNS message" % len(body)
        if body[:2] != b"\0\0":
            return "DNS id %d, not 0" % struct.unpack("!H", body[:2])[0]
        return None


def other_question(query):
    """query, asking for www.example.test (mail.example.test if it asked
    that) instead of its own name (the question must be uncompressed)."""
    off = 12
    while off < len(query) and query[off] != 0:
        off += query[off] + 1
    name = OTHER_NAMES[0]
    if query[12:off + 1].lower() == name:
        name = OTHER_NAMES[1]
    return query[:12] + name + query[off + 1:]


async def main():
    args = parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    ctx.set_alpn_protocols(["http/1.1"] if args.mode == "noh2" else ["h2"])

    async def client(reader, writer):
        conn = Connection(args, reader, writer)
        try:
            await conn.run()
        except (OSError, ssl.SSLError) as e:
            conn.log("error: %r" % e)
        finally:
            if conn.peak:
                conn.log("closing, peak concurrent streams %d" % conn.peak)
            writer.close()

    server = await asyncio.start_server(client, "127.0.0.1", args.port,
                                        ssl=ctx)
    log("listening on 127.0.0.1:%d, mode %s%s" % (
        args.port, args.mode, "" if args.arg is None else " %g" % args.arg))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
