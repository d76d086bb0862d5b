# SPDX-License-Identifier: ISC
"""Holds a local port the way another DNS server would (a TCP listener and
a bound UDP socket on HOST PORT), so that ctstub's start fails with
EADDRINUSE and has to name the holder. Prints "ready" once bound, then
waits to be killed. Run under another name (a copy of python3 called
systemd-resolved) it stands in for systemd-resolved."""
import signal
import socket
import sys


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    tcp = socket.socket(family, socket.SOCK_STREAM)
    tcp.bind((host, port))
    tcp.listen()
    udp = socket.socket(family, socket.SOCK_DGRAM)
    udp.bind((host, port))
    print("ready", flush=True)
    signal.pause()


main()
