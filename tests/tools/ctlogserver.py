#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""A Certificate Transparency log server for ctstub's SCT auditing tests.

ctlogserver.py --pki DIR --port P [--cert PEM --key KEY] [--gzip]
               [--delay SECONDS] [--fault LOG=MODE]...

Serves every log of the test PKI (tests/tools/mkpki.c) on 127.0.0.1:P,
under /LOG/ (e.g. http://127.0.0.1:P/t1/): the entries mkpki wrote to
DIR/ct-entries.txt, in real Merkle trees, signed with DIR/ctlog-LOG.key.
Indexes mkpki did not use (below a tiled log's first index, 1000) hold
filler x509 entries, and 5 more fillers follow the last real entry, so
trees have full and partial tiles and no real entry is the last.

A log listed under tiled_logs in DIR/ct-logs.json gets the static-ct-api
read path: /LOG/checkpoint (origin: its submission_url without scheme),
/LOG/tile/L/N[.p/W] and /LOG/tile/data/N[.p/W] (gzip-encoded with --gzip).
The others get RFC 6962: /LOG/ct/v1/get-sth, get-proof-by-hash (hash,
tree_size) and get-sth-consistency (first, second).

Fault modes (--fault, or at run time GET /_fault/LOG/MODE):
  honest     as above
  omit       the real entries are replaced by fillers: every SCT of this
             log is a promise it did not keep
  badproof   every hash tile and audit path has one bit flipped
  badsig     checkpoints and tree heads carry a broken signature
  shrink     from the second checkpoint or STH on, the tree loses its last
             entry (a smaller tree than one already signed)
  fork       from the second checkpoint or STH on, a tree one entry larger
             whose first filler entry differs: a split view, not
             consistent with the first
  down       every request is answered 503
--delay holds every log request that long before answering (a slow log).
GET /_stats answers JSON counts of requests per log and kind (checkpoint,
tile, data, sth, proof, consistency). One log line per request on stderr.
Plain HTTP unless --cert and --key are given (then HTTPS).
"""

import argparse
import base64
import gzip
import hashlib
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

TILE = 256
FILLERS_AFTER = 5
MODES = ("honest", "omit", "badproof", "badsig", "shrink", "fork", "down")


def log(msg):
    sys.stderr.write("ctlogserver: %s\n" % msg)
    sys.stderr.flush()


def sha256(data):
    return hashlib.sha256(data).digest()


def node(left, right):
    return sha256(b"\x01" + left + right)


def split(n):
    k = 1
    while 2 * k < n:
        k *= 2
    return k


class Tree:
    """RFC 6962 Merkle tree over leaf hashes (MTH, PATH, PROOF)."""

    def __init__(self, leaves):
        self.leaves = leaves
        self.memo = {}

    def size(self):
        return len(self.leaves)

    def mth(self, a, b):
        if b - a == 1:
            return self.leaves[a]
        key = (a, b)
        if key not in self.memo:
            k = split(b - a)
            self.memo[key] = node(self.mth(a, a + k), self.mth(a + k, b))
        return self.memo[key]

    def root(self):
        return self.mth(0, self.size()) if self.leaves else sha256(b"")

    def path(self, m, a, b):
        if b - a == 1:
            return []
        k = split(b - a)
        if m < a + k:
            return self.path(m, a, a + k) + [self.mth(a + k, b)]
        return self.path(m, a + k, b) + [self.mth(a, a + k)]

    def subproof(self, m, a, b, whole):
        if m == b - a:
            return [] if whole else [self.mth(a, b)]
        k = split(b - a)
        if m <= k:
            return self.subproof(m, a, a + k, whole) + [self.mth(a + k, b)]
        return self.subproof(m - k, a + k, b, False) + [self.mth(a, a + k)]

    def tile_hashes(self, level, index, width):
        span = TILE ** level
        first = index * TILE
        return [self.mth((first + i) * span, (first + i + 1) * span)
                for i in range(width)]


def filler(index, variant=0):
    """A TileLeaf and TimestampedEntry of a made-up x509 entry."""
    cert = b"filler %d %d" % (index, variant)
    te = (b"\x00" * 8 + b"\x00\x00" + len(cert).to_bytes(3, "big") + cert +
          b"\x00\x00")
    return te, te + b"\x00\x00"


class Log:
    def __init__(self, name, meta, key, entries):
        self.name = name
        self.tiled = "monitoring_url" in meta or "submission_url" in meta
        sub = meta.get("submission_url", "")
        self.origin = sub.split("://", 1)[-1].rstrip("/")
        self.key = key
        self.real = entries          # index -> (te, tileleaf)
        self.mode = "honest"
        self.heads = 0               # checkpoints / STHs served
        self.lock = threading.Lock()
        self.view = None

    def entries(self, grow=0, variant=0):
        """The log's entries; variant changes its first filler (a fork)."""
        last = max(self.real) if self.real else -1
        out = []
        changed = False
        for i in range(last + 1 + FILLERS_AFTER + grow):
            if i in self.real and self.mode != "omit":
                out.append(self.real[i])
            else:
                out.append(filler(i, 0 if changed else variant))
                changed = True
        return out

    def current(self):
        """The tree of the view last served (tiles must match it)."""
        if self.view is None:
            self.view = self.build()
        return self.view

    def build(self):
        if self.mode == "fork" and self.heads >= 1:
            ents = self.entries(grow=1, variant=1)
        else:
            ents = self.entries()
        if self.mode == "shrink" and self.heads >= 1:
            ents = ents[:-1]
        leaves = [sha256(b"\x00\x00\x00" + te) for te, _ in ents]
        return Tree(leaves), ents

    def next_head(self):
        with self.lock:
            self.view = self.build()
            self.heads += 1
            return self.view

    def sign_head(self, ts, size, root):
        tbs = (b"\x00\x01" + ts.to_bytes(8, "big") + size.to_bytes(8, "big")
               + root)
        sig = self.key.sign(tbs, ec.ECDSA(hashes.SHA256()))
        if self.mode == "badsig":
            sig = sig[:-1] + bytes([sig[-1] ^ 1])
        return b"\x04\x03" + len(sig).to_bytes(2, "big") + sig


def load_logs(pki):
    with open(os.path.join(pki, "ct-logs.json")) as f:
        lst = json.load(f)
    metas = {}
    for op in lst["operators"]:
        for jl in op.get("logs", []) + op.get("tiled_logs", []):
            metas[jl["description"].rsplit(" ", 1)[-1]] = jl
    entries = {}
    with open(os.path.join(pki, "ct-entries.txt")) as f:
        for line in f:
            name, idx, typ, te, pre, issuer = line.split()
            te = base64.b64decode(te)
            leaf = te
            if typ == "1":
                der = base64.b64decode(pre)
                leaf += len(der).to_bytes(3, "big") + der
            fp = sha256(base64.b64decode(issuer))
            leaf += (32).to_bytes(2, "big") + fp
            entries.setdefault(name, {})[int(idx)] = (te, leaf)
    logs = {}
    for name, meta in metas.items():
        path = os.path.join(pki, "ctlog-%s.key" % name)
        with open(path, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), None)
        logs[name] = Log(name, meta, key, entries.get(name, {}))
    return logs


def parse_tile_index(parts):
    """["x001", "234.p", "5"] or ["067"] -> (index, width or None)."""
    width = None
    if len(parts) >= 2 and parts[-2].endswith(".p"):
        width = int(parts[-1])
        parts = parts[:-2] + [parts[-2][:-2]]
    index = 0
    for i, p in enumerate(parts):
        last = i == len(parts) - 1
        if (not last) != p.startswith("x"):
            raise ValueError("bad tile path")
        digits = p[1:] if not last else p
        if len(digits) != 3 or not digits.isdigit():
            raise ValueError("bad tile path")
        index = index * 1000 + int(digits)
    return index, width


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        log("%s %s" % (self.address_string(), fmt % args))

    def send(self, code, body, ctype="application/octet-stream",
             encoding=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def count(self, name, kind):
        stats = self.server.stats
        with self.server.stats_lock:
            stats.setdefault(name, {}).setdefault(kind, 0)
            stats[name][kind] += 1

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        query = dict(urllib.parse.parse_qsl(url.query))
        try:
            self.route(parts, query)
        except (ValueError, KeyError, IndexError) as e:
            self.send(400, ("bad request: %s\n" % e).encode(), "text/plain")

    def route(self, parts, query):
        logs = self.server.logs
        if parts == ["_stats"]:
            with self.server.stats_lock:
                body = json.dumps(self.server.stats).encode()
            return self.send(200, body, "application/json")
        if len(parts) == 3 and parts[0] == "_fault":
            if parts[2] not in MODES:
                raise ValueError("unknown mode")
            lg = logs[parts[1]]
            with lg.lock:
                lg.mode, lg.heads, lg.view = parts[2], 0, None
            log("%s: mode %s" % (lg.name, lg.mode))
            return self.send(200, b"ok\n", "text/plain")
        if not parts or parts[0] not in logs:
            return self.send(404, b"no such log\n", "text/plain")
        lg = logs[parts[0]]
        rest = parts[1:]
        if self.server.delay:
            time.sleep(self.server.delay)
        if lg.mode == "down":
            self.count(lg.name, "down")
            return self.send(503, b"down\n", "text/plain")
        if lg.tiled:
            return self.static_api(lg, rest)
        return self.rfc6962(lg, rest, query)

    def static_api(self, lg, rest):
        if rest == ["checkpoint"]:
            self.count(lg.name, "checkpoint")
            tree, _ = lg.next_head()
            ts = int(time.time() * 1000)
            root = tree.root()
            sig = lg.sign_head(ts, tree.size(), root)
            kid = sha256(lg.origin.encode() + b"\n\x05" +
                         sha256(lg.key.public_key().public_bytes(
                             serialization.Encoding.DER,
                             serialization.PublicFormat.SubjectPublicKeyInfo)
                         ))[:4]
            body = "%s\n%d\n%s\n\n\u2014 %s %s\n" % (
                lg.origin, tree.size(), base64.b64encode(root).decode(),
                lg.origin,
                base64.b64encode(kid + ts.to_bytes(8, "big") + sig).decode())
            return self.send(200, body.encode(), "text/plain; charset=utf-8")
        if len(rest) >= 3 and rest[0] == "tile":
            return self.tile(lg, rest[1], rest[2:])
        return self.send(404, b"not found\n", "text/plain")

    def tile(self, lg, level, parts):
        tree, ents = lg.current()
        index, width = parse_tile_index(parts)
        data = level == "data"
        lvl = 0 if data else int(level)
        count = tree.size() // TILE ** lvl
        have = min(TILE, count - index * TILE)
        want = TILE if width is None else width
        if have < want or want < 1:
            self.count(lg.name, "tile-missing")
            return self.send(404, b"no such tile\n", "text/plain")
        if data:
            self.count(lg.name, "data")
            body = b"".join(e[1] for e in
                            ents[index * TILE:index * TILE + want])
            if self.server.gzip:
                return self.send(200, gzip.compress(body),
                                 encoding="gzip")
            return self.send(200, body)
        self.count(lg.name, "tile")
        body = b"".join(tree.tile_hashes(lvl, index, want))
        if lg.mode == "badproof":
            body = bytes([body[0] ^ 1]) + body[1:]
        return self.send(200, body)

    def rfc6962(self, lg, rest, query):
        if rest[:2] != ["ct", "v1"] or len(rest) != 3:
            return self.send(404, b"not found\n", "text/plain")
        call = rest[2]
        if call == "get-sth":
            self.count(lg.name, "sth")
            tree, _ = lg.next_head()
            ts = int(time.time() * 1000)
            root = tree.root()
            body = {"tree_size": tree.size(), "timestamp": ts,
                    "sha256_root_hash": base64.b64encode(root).decode(),
                    "tree_head_signature": base64.b64encode(
                        lg.sign_head(ts, tree.size(), root)).decode()}
            return self.send(200, json.dumps(body).encode(),
                             "application/json")
        tree, _ = lg.current()
        if call == "get-proof-by-hash":
            self.count(lg.name, "proof")
            want = base64.b64decode(query["hash"], validate=True)
            size = int(query["tree_size"])
            if size < 1 or size > tree.size():
                raise ValueError("tree_size")
            if want not in tree.leaves[:size]:
                return self.send(404, b"hash not found\n", "text/plain")
            m = tree.leaves.index(want)
            sub = Tree(tree.leaves[:size])
            path = sub.path(m, 0, size)
            if lg.mode == "badproof" and path:
                path[0] = bytes([path[0][0] ^ 1]) + path[0][1:]
            body = {"leaf_index": m, "audit_path":
                    [base64.b64encode(h).decode() for h in path]}
            return self.send(200, json.dumps(body).encode(),
                             "application/json")
        if call == "get-sth-consistency":
            self.count(lg.name, "consistency")
            first, second = int(query["first"]), int(query["second"])
            if not 0 < first <= second <= tree.size():
                raise ValueError("sizes")
            sub = Tree(tree.leaves[:second])
            proof = [] if first == second else sub.subproof(first, 0,
                                                            second, True)
            body = {"consistency": [base64.b64encode(h).decode()
                                    for h in proof]}
            return self.send(200, json.dumps(body).encode(),
                             "application/json")
        return self.send(404, b"not found\n", "text/plain")


def main():
    p = argparse.ArgumentParser(description="CT log test server")
    p.add_argument("--pki", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--gzip", action="store_true")
    p.add_argument("--delay", type=float, default=0)
    p.add_argument("--fault", action="append", default=[])
    args = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.logs = load_logs(args.pki)
    srv.gzip = args.gzip
    srv.delay = args.delay
    srv.stats = {}
    srv.stats_lock = threading.Lock()
    for f in args.fault:
        name, mode = f.split("=", 1)
        if mode not in MODES:
            p.error("unknown mode %s" % mode)
        srv.logs[name].mode = mode
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    log("serving %s on 127.0.0.1:%d" % (", ".join(sorted(srv.logs)),
                                         args.port))
    srv.serve_forever()


if __name__ == "__main__":
    main()
