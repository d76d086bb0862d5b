#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""TCP clients that pipeline DNS queries and never read the answers.

tcpflood.py --port P [--host H] [--clients N] [--queries Q] [--name NAME]
            [--rcvbuf BYTES] [--send-time S] [--wait S]

Opens N connections to H:P (127.0.0.1), each with a receive buffer of
BYTES (4096) set before connect, so the kernel holds few answers for us.
Each sends Q (150000) queries for NAME (type A, RD, 2-byte framing) for at
most S seconds (3; a server that stops reading makes the sends block),
half-closes (shutdown SHUT_WR), waits S seconds (--wait, 3) without
reading, then resets the connection (SO_LINGER 0, close). One line per
client on stdout: "client I sent BYTES of TOTAL bytes".
"""
import argparse
import select
import socket
import struct
import time


def parse_args():
    p = argparse.ArgumentParser(description="pipelining TCP DNS clients")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--queries", type=int, default=150000)
    p.add_argument("--name", default="www.example.test")
    p.add_argument("--rcvbuf", type=int, default=4096)
    p.add_argument("--send-time", type=float, default=3.0)
    p.add_argument("--wait", type=float, default=3.0)
    return p.parse_args()


def frames(name, count):
    """count framed queries for name, ids 0, 1, 2, ... (wrapping)."""
    qname = b"".join(bytes([len(label)]) + label.encode()
                     for label in name.rstrip(".").split(".")) + b"\x00"
    body = struct.pack("!HHHH", 1, 0, 0, 0) + qname + struct.pack("!HH", 1, 1)
    frame_len = struct.pack("!H", 4 + len(body))
    rd = struct.pack("!H", 0x0100)
    return b"".join(frame_len + struct.pack("!H", i & 0xffff) + rd + body
                    for i in range(count))


def connect(a):
    s = socket.socket(socket.AF_INET6 if ":" in a.host else socket.AF_INET,
                      socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    s.connect((a.host, a.port))
    s.setblocking(False)
    return s


def push(socks, blob, seconds):
    """Sends blob on every socket until all is sent or time is up."""
    sent = {s: 0 for s in socks}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        busy = [s for s in socks if sent[s] < len(blob)]
        if not busy:
            break
        _, ready, _ = select.select([], busy, [], 0.1)
        for s in ready:
            try:
                sent[s] += s.send(blob[sent[s]:sent[s] + 65536])
            except BlockingIOError:
                pass
            except OSError:
                sent[s] = len(blob)	# the server closed it: stop there
    return sent


def main():
    a = parse_args()
    blob = frames(a.name, a.queries)
    socks = [connect(a) for _ in range(a.clients)]
    sent = push(socks, blob, a.send_time)
    for s in socks:
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    time.sleep(a.wait)
    for i, s in enumerate(socks):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        s.close()
        print("client %d sent %d of %d bytes" % (i, sent[s], len(blob)),
              flush=True)


if __name__ == "__main__":
    main()
