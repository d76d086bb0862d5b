# SPDX-License-Identifier: ISC
"""Shared by the test servers (dotserver.py, h2server.py): how they ask
the real upstream, named, for the answer to a query."""
import asyncio
import socket
import struct


async def ask_named(upstream, query):
    """One DNS query over UDP, over TCP if truncated; the answer's bytes.
    (UDP first: thousands of TCP queries would leave as many TIME_WAIT
    sockets on ephemeral ports, where test listeners may want to bind.)"""
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        sock.connect(upstream)
        await loop.sock_sendall(sock, query)
        answer = await asyncio.wait_for(loop.sock_recv(sock, 65535), 2)
    if len(answer) < 3 or not answer[2] & 0x02:		# TC
        return answer
    reader, writer = await asyncio.open_connection(*upstream)
    try:
        writer.write(struct.pack("!H", len(query)) + query)
        await writer.drain()
        n = struct.unpack("!H", await reader.readexactly(2))[0]
        return await reader.readexactly(n)
    finally:
        writer.close()
