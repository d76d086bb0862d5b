#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""DNS wire-level checks for tests/integration/21-differential.sh and
22-dns-wire.sh, with the standard library only (no dnspython on the test
machines).

  dnswire.py diff --ctstub HOST:PORT --direct HOST:PORT --zone ZONE
                  [--count N] [--seed S] [--bursts N]
      Random questions (random case, qtypes the zone has and has not,
      random RD/CD/AD/DO, EDNS sizes and versions), each asked twice
      through ctstub (the second spelled otherwise, so it comes from the
      cache) and once straight to the server; bursts of same-name questions
      in several spellings test coalescing. Compares what must match and
      prints one "mismatch" line per difference, then a summary; exit 1 on
      any mismatch.

  dnswire.py ask --server HOST:PORT --name NAME --type T [--flags rd,cd]
                 [--edns SIZE] [--version V] [--name-octets N]
      One UDP question; prints "rcode=NAME tc=0|1 qecho=0|1 answers=N".
      --name-octets N asks for a made-up name of exactly N octets on the
      wire (255 is the limit).
"""

import argparse
import random
import socket
import struct
import sys

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16,
         "AAAA": 28, "SRV": 33, "TYPE67": 67, "SPF": 99, "HTTPS": 65,
         "TYPE97": 97, "CAA": 257}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN",
          4: "NOTIMP", 5: "REFUSED", 16: "BADVERS"}
# types whose data holds names that may be compressed (RFC 1035)
NAME_TYPES = {2: "n", 5: "n", 12: "n", 6: "nn", 15: "2n"}

QR, AA, TC, RD, RA, AD, CD = (0x8000, 0x0400, 0x0200, 0x0100, 0x0080,
                              0x0020, 0x0010)


def addr(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def wire_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


class Question:
    """One question as sent: its bytes and what it asked for."""

    def __init__(self, name, qtype, flags, edns):
        self.name, self.qtype, self.flags = name, qtype, flags
        self.edns = edns  # None or (size, version, do)
        self.qbytes = wire_name(name) + struct.pack("!HH", qtype, 1)

    def message(self, qid):
        arcount = 1 if self.edns else 0
        msg = struct.pack("!HHHHHH", qid, self.flags, 1, 0, 0, arcount)
        msg += self.qbytes
        if self.edns:
            size, version, do = self.edns
            msg += b"\0" + struct.pack("!HHBBHH", 41, size, 0, version,
                                       0x8000 if do else 0, 0)
        return msg

    def __str__(self):
        edns = "noedns"
        if self.edns:
            edns = "edns=%d/v%d%s" % (self.edns[0], self.edns[1],
                                       "/do" if self.edns[2] else "")
        fl = ",".join(n for n, b in (("rd", RD), ("cd", CD), ("ad", AD))
                      if self.flags & b)
        return "%s type %d [%s] %s" % (self.name, self.qtype, fl, edns)


def read_name(msg, off):
    """(lower-cased presentation name, offset past it); follows pointers."""
    labels, end, hops = [], None, 0
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            hops += 1
            if hops > 64:
                raise ValueError("pointer loop")
            continue
        if n == 0:
            return ".".join(labels).lower() + ".", end or off + 1
        labels.append(msg[off + 1:off + 1 + n].decode("latin-1"))
        off += 1 + n


def canonical_rdata(msg, rtype, off, rdlen):
    shape = NAME_TYPES.get(rtype)
    if shape is None:
        return msg[off:off + rdlen].hex()
    parts, p = [], off
    for item in shape:
        if item == "2":
            parts.append(msg[p:p + 2].hex())
            p += 2
        else:
            name, p = read_name(msg, p)
            parts.append(name)
    parts.append(msg[p:off + rdlen].hex())  # SOA numbers
    return " ".join(parts)


class Answer:
    """A parsed response."""

    def __init__(self, msg):
        self.raw = msg
        (self.id, self.flags, qd, an, ns, ar) = struct.unpack(
            "!HHHHHH", msg[:12])
        off = 12
        qstart = off
        for _ in range(qd):
            _, off = read_name(msg, off)
            off += 4
        self.qbytes = msg[qstart:off]
        self.sections = []
        self.opt = None
        for count in (an, ns, ar):
            rrs = set()
            for _ in range(count):
                name, off = read_name(msg, off)
                rtype, rclass, _ttl, rdlen = struct.unpack(
                    "!HHIH", msg[off:off + 10])
                off += 10
                if rtype == 41:
                    self.opt = (rclass, msg[off - 6], msg[off - 5],
                                struct.unpack("!H", msg[off - 4:off - 2])[0])
                else:
                    rrs.add((name, rtype, rclass,
                             canonical_rdata(msg, rtype, off, rdlen)))
                off += rdlen
            self.sections.append(rrs)
        ext = self.opt[1] if self.opt else 0
        self.rcode = (ext << 4) | (self.flags & 0xF)

    def flag(self, bit):
        return 1 if self.flags & bit else 0


def ask_udp(server, msg, timeout=3.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(msg, server)
        data, _ = s.recvfrom(65535)
        return data
    finally:
        s.close()


def ask(server, question, qid):
    try:
        return Answer(ask_udp(server, question.message(qid)))
    except (socket.timeout, OSError, ValueError, IndexError,
            struct.error) as e:
        return e


def compare(label, q, qid, got, want):
    """The differences that matter, as a list of strings."""
    if not isinstance(want, Answer):
        return []  # the server itself failed: nothing to compare against
    if not isinstance(got, Answer):
        return ["%s: no answer (%s)" % (label, got)]
    bad = []
    if got.id != qid:
        bad.append("id %d, sent %d" % (got.id, qid))
    if got.qbytes != q.qbytes:
        bad.append("question %r, sent %r" % (got.qbytes, q.qbytes))
    if got.rcode != want.rcode:
        bad.append("rcode %s, direct %s" % (RCODES.get(got.rcode, got.rcode),
                                            RCODES.get(want.rcode,
                                                       want.rcode)))
    for name, bit in (("RD", RD), ("CD", CD)):
        if got.flag(bit) != (1 if q.flags & bit else 0):
            bad.append("%s %d, sent %d" % (name, got.flag(bit),
                                           1 if q.flags & bit else 0))
    wants_ad = q.flags & AD or (q.edns and q.edns[2])
    if not wants_ad and got.flag(AD):
        bad.append("AD set for a client without AD or DO")
    elif (wants_ad and got.flag(AD) != want.flag(AD) and
          not want.flag(TC)):  # named echoes AD on its empty TC answers
        bad.append("AD %d, direct %d" % (got.flag(AD), want.flag(AD)))
    checked = [("QR", QR), ("TC", TC)]
    if want.rcode != 16:  # BADVERS is ctstub's own answer: its AA/RA
        checked += [("AA", AA), ("RA", RA)]
    for name, bit in checked:
        if got.flag(bit) != want.flag(bit):
            bad.append("%s %d, direct %d" % (name, got.flag(bit),
                                             want.flag(bit)))
    if (got.opt is None) != (want.opt is None):
        bad.append("OPT %s, direct %s" % (got.opt is not None,
                                          want.opt is not None))
    # named leaves optional authority and additional records out for an
    # EDNS client of 512 bytes; ctstub asked over TLS with its own size
    small = q.edns is not None and q.edns[0] == 512
    if not got.flag(TC) and not want.flag(TC):
        for i, sec in enumerate(("answer", "authority", "additional")):
            g, w = got.sections[i], want.sections[i]
            if g != w and not (i > 0 and small and g >= w):
                bad.append("%s section %s, direct %s" % (
                    sec, sorted(g), sorted(w)))
    return ["%s: %s: %s" % (label, q, b) for b in bad]


def random_case(rng, name):
    return "".join(c.upper() if c.isalpha() and rng.random() < 0.5
                   else c.lower() for c in name)


def other_case(rng, name):
    """name spelled differently (when it has a letter)."""
    for _ in range(8):
        new = random_case(rng, name)
        if new != name:
            return new
    return name.swapcase()


def random_flags(rng):
    flags = 0
    if rng.random() < 0.7:
        flags |= RD
    if rng.random() < 0.3:
        flags |= CD
    if rng.random() < 0.3:
        flags |= AD
    return flags


def random_edns(rng):
    r = rng.random()
    if r < 0.2:
        return None
    version = 1 if r > 0.97 else 0
    size = rng.choice([512, 1000, 1232, 1400, 4096])
    return (size, version, rng.random() < 0.4)


OWNERS = ["", "www", "mail", "ns", "svc", "spf", "txt", "mid", "large",
          "huge", "alias", "chain", "dangling", "nodata-alias", "nothere",
          "deep.nothere", "x.wild", "y.wild"]


def diff(args):
    rng = random.Random(args.seed)
    ctstub, direct = addr(args.ctstub), addr(args.direct)
    types = list(TYPES.values())
    mismatches, asked, qid = [], 0, 1
    for i in range(args.count):
        owner = rng.choice(OWNERS)
        name = (owner + "." if owner else "") + args.zone
        q = Question(random_case(rng, name), rng.choice(types),
                     random_flags(rng), random_edns(rng))
        again = Question(other_case(rng, q.name), q.qtype, q.flags, q.edns)
        want = ask(direct, q, qid)
        mismatches += compare("first", q, qid + 1, ask(ctstub, q, qid + 1),
                              want)
        mismatches += compare("cached", again, qid + 2,
                              ask(ctstub, again, qid + 2), want)
        asked += 3
        qid = (qid + 3) % 60000 + 1
    for i in range(args.bursts):
        mismatches += burst(rng, args, ctstub, direct, i)
        asked += 8
    for line in mismatches[:40]:
        print("mismatch - " + line)
    print("# %d questions, %d bursts, %d messages, %d mismatches" % (
        args.count, args.bursts, asked, len(mismatches)))
    return 1 if mismatches else 0


def burst(rng, args, ctstub, direct, n):
    """Same uncached name in four spellings at once, one with RD flipped
    and one with CD flipped: followers get their own question and flags."""
    name = "b%d-%d.wild.%s" % (n, rng.randrange(1 << 30), args.zone)
    base = random_flags(rng) | RD
    edns = random_edns(rng)
    if edns:
        edns = (edns[0], 0, edns[2])
    qs = [Question(random_case(rng, name), 1, base, edns),
          Question(other_case(rng, name), 1, base, edns),
          Question(other_case(rng, name), 1, base & ~RD, edns),
          Question(other_case(rng, name), 1, base ^ CD, edns)]
    socks, bad = [], []
    for i, q in enumerate(qs):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(3.0)
        s.sendto(q.message(50000 + i), ctstub)
        socks.append(s)
    for i, (q, s) in enumerate(zip(qs, socks)):
        try:
            got = Answer(s.recvfrom(65535)[0])
        except (socket.timeout, OSError, ValueError) as e:
            got = e
        s.close()
        bad += compare("burst", q, 50000 + i, got, ask(direct, q, 40000 + i))
    return bad


def long_name(octets):
    """A made-up name of exactly octets octets on the wire."""
    labels, left = [], octets - 1
    while left > 0:
        n = min(63, left - 1)
        labels.append("a" * n)
        left -= n + 1
    return ".".join(labels)


def ask_one(args):
    name = long_name(args.name_octets) if args.name_octets else args.name
    flags = 0
    for f in filter(None, args.flags.split(",")):
        flags |= {"rd": RD, "cd": CD, "ad": AD}[f]
    edns = (args.edns, args.version, False) if args.edns else None
    q = Question(name, TYPES.get(args.type) or int(args.type), flags, edns)
    if args.name_octets and len(wire_name(name)) != args.name_octets:
        print("internal error: name of %d octets" % len(wire_name(name)))
        return 2
    got = ask(addr(args.server), q, 4242)
    if not isinstance(got, Answer):
        print("error=%s" % got)
        return 1
    print("rcode=%s tc=%d qecho=%d answers=%d" % (
        RCODES.get(got.rcode, got.rcode), got.flag(TC),
        1 if got.qbytes == q.qbytes else 0, len(got.sections[0])))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("diff")
    d.add_argument("--ctstub", required=True)
    d.add_argument("--direct", required=True)
    d.add_argument("--zone", required=True)
    d.add_argument("--count", type=int, default=1500)
    d.add_argument("--bursts", type=int, default=100)
    d.add_argument("--seed", type=int, default=1)
    a = sub.add_parser("ask")
    a.add_argument("--server", required=True)
    a.add_argument("--name", default="")
    a.add_argument("--type", default="A")
    a.add_argument("--flags", default="rd")
    a.add_argument("--edns", type=int, default=0)
    a.add_argument("--version", type=int, default=0)
    a.add_argument("--name-octets", type=int, default=0)
    args = p.parse_args()
    return diff(args) if args.cmd == "diff" else ask_one(args)


if __name__ == "__main__":
    sys.exit(main())
