#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Compile ctstub's own CT log list (Chrome v3 JSON schema) from public facts.

Google's terms do not allow Chrome's log_list.json to drive CT enforcement
outside Chrome, so ctstub ships a list of its own: every log's key, state and
temporal interval is taken from several public snapshots (Chrome, Apple,
Mozilla, crt.sh), cross-checked, merged by explicit rules and written with
ctstub's own version and timestamp. See docs/ct-log-list.md.

Python 3 standard library only; --sign runs the openssl command.
"""

import argparse
import base64
import binascii
import datetime
import hashlib
import json
import os
import subprocess
import sys
import tempfile

# Lists whose states we merge, newest snapshot first wins (see pick_state).
DEFAULT_SOURCES = [
    "log_list.json",
    "all_logs_list.json",
    "mozilla_known_logs_list.json",
    "apple_current_log_list.json",
]
# Key databases: every key there must agree with the sources; no states used.
DEFAULT_KEYDBS = ["crtsh_all_logs_list.json"]
DEFAULT_MIMICS = "chrome_log_mimics_list.json"

# Chrome's "log mimics": their private keys are public, never trust them,
# whatever the inputs say (also enforced by src/loglist.c).
MIMIC_IDS = {
    "9EGV1vAOLbVUNcrdV3iS5T4VrUFwWPh44U/2uRh0FYk=",
    "si9+3rWvav5QPeBAgbLXTBJThJL+3yyypSZQPO9TztI=",
}

# Distinct operator counting depends on one name per operator.
OPERATOR_ALIASES = {"IPng GmbH": "IPng Networks"}

STATE_RANK = ["pending", "qualified", "usable", "readonly", "retired",
              "rejected"]
SELECTED_STATES = {"qualified", "usable", "readonly", "retired"}
TERMINAL_STATES = {"retired", "rejected"}

# Certificates live at most 398 days (CA/B Forum); an interval that ended
# longer ago than that can only hold expired certificates.
DEFAULT_WINDOW_DAYS = 398


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class ListError(Exception):
    pass


def die(msg):
    print("mkloglist: " + msg, file=sys.stderr)
    sys.exit(1)


def parse_time(text, where):
    """RFC 3339 timestamp -> aware datetime in UTC."""
    if not isinstance(text, str):
        raise ListError("%s: timestamp is not a string" % where)
    try:
        t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ListError("%s: bad timestamp %r" % (where, text)) from None
    if t.tzinfo is None:
        raise ListError("%s: timestamp without time zone %r" % (where, text))
    return t.astimezone(datetime.timezone.utc)


def fmt_time(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def b64(text, where):
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, TypeError):
        raise ListError("%s: bad base64" % where) from None


class Record:
    """One log as seen by one source file."""

    def __init__(self, src, opname, opemail, kind, log):
        self.src = src
        self.operator = OPERATOR_ALIASES.get(opname, opname)
        self.email = opemail
        self.kind = kind
        self.log = log
        self.where = "%s: %s (%s)" % (src.name, log.get("description"),
                                      log.get("log_id"))

    def state(self):
        """(name, timestamp) of the furthest lifecycle state, or None."""
        st = self.log.get("state")
        if not st:
            return None
        known = [s for s in st if s in STATE_RANK]
        if not known:
            raise ListError("%s: unknown state %r" % (self.where, list(st)))
        name = max(known, key=STATE_RANK.index)
        return name, parse_time(st[name].get("timestamp"), self.where)

    def interval(self):
        ti = self.log.get("temporal_interval")
        if not ti:
            return None
        return (parse_time(ti.get("start_inclusive"), self.where),
                parse_time(ti.get("end_exclusive"), self.where))


class Source:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        with open(path, "rb") as f:
            raw = f.read()
        self.sha256 = hashlib.sha256(raw).hexdigest()
        self.data = json.loads(raw)
        self.records = []
        for op in self.data.get("operators", []):
            email = op.get("email", [])
            for kind in ("logs", "tiled_logs"):
                for log in op.get(kind, []) or []:
                    self.records.append(Record(self, op["name"], email,
                                               kind, log))
        self.version = self.data.get("version")
        self.snapshot = self.snapshot_time()

    def snapshot_time(self):
        """The list's own timestamp, else its newest state timestamp (a
        list with neither ranks below every other)."""
        if "log_list_timestamp" in self.data:
            return parse_time(self.data["log_list_timestamp"], self.name)
        newest = EPOCH
        for r in self.records:
            st = r.state()
            if st and st[1] > newest:
                newest = st[1]
        return newest


def check_key(rec):
    """log_id must be SHA-256 of the DER key: the id is what SCTs name."""
    lid = b64(rec.log.get("log_id", ""), rec.where + " log_id")
    key = b64(rec.log.get("key", ""), rec.where + " key")
    if len(lid) != 32 or hashlib.sha256(key).digest() != lid:
        raise ListError("%s: log_id is not SHA-256 of key" % rec.where)


def load_mimics(path):
    ids = set(MIMIC_IDS)
    if path and os.path.exists(path):
        for rec in Source(path).records:
            ids.add(rec.log["log_id"])
    return ids


def gather(sources, keydbs):
    """log_id -> [Record], after checking every key and cross-source facts."""
    by_id = {}
    for src in sources + keydbs:
        for rec in src.records:
            check_key(rec)
            by_id.setdefault(rec.log["log_id"], []).append(rec)
    for lid, recs in by_id.items():
        if len({r.log["key"] for r in recs}) != 1:
            raise ListError("log %s: sources disagree on the key" % lid)
        ranked = [r for r in recs if r.src in sources]
        if len({r.operator for r in ranked}) > 1:
            raise ListError("log %s: sources disagree on the operator: %s"
                            % (lid, sorted({r.operator for r in ranked})))
        if len({r.interval() for r in ranked if r.interval()}) > 1:
            raise ListError("log %s: sources disagree on the interval" % lid)
        if len({r.kind for r in ranked}) > 1:
            raise ListError("log %s: listed both as RFC 6962 and tiled" % lid)
    return {lid: [r for r in recs if r.src in sources]
            for lid, recs in by_id.items()}


def pick_state(recs):
    """State from the newest snapshot; a retirement or rejection seen in any
    snapshot is never undone (the conservative direction), and a retirement
    keeps its earliest known timestamp (later SCTs must not count)."""
    stated = [(r.src.snapshot, i, r) for i, r in enumerate(recs) if r.state()]
    if not stated:
        return None
    stated.sort(key=lambda x: (x[0], -x[1]))
    name, when = stated[-1][2].state()
    terminal = [r.state() for r in recs
                if r.state() and r.state()[0] in TERMINAL_STATES]
    worst = max(terminal, key=lambda s: STATE_RANK.index(s[0]), default=None)
    if worst and STATE_RANK.index(worst[0]) > STATE_RANK.index(name):
        name, when = worst
    if name == "retired":
        when = min(s[1] for s in terminal if s[0] == "retired")
    return name, when


def excluded(lid, recs, mimics, args):
    if lid in mimics:
        return "mimic"
    types = {r.log.get("log_type") for r in recs} - {None, "prod"}
    if types:
        return "log_type " + ",".join(sorted(types))
    if any(r.operator in args.drop_operator for r in recs):
        return "dropped operator"
    if any(r.log.get("description") in args.drop_log for r in recs) or \
            lid in args.drop_log:
        return "dropped log"
    return None


def build_log(rec, state, interval):
    log = {"description": rec.log["description"],
           "log_id": rec.log["log_id"],
           "key": rec.log["key"]}
    for field in ("url", "submission_url", "monitoring_url", "mmd"):
        if rec.log.get(field):
            log[field] = rec.log[field]
    log["state"] = {state[0]: {"timestamp": fmt_time(state[1])}}
    if interval:
        log["temporal_interval"] = {
            "start_inclusive": fmt_time(interval[0]),
            "end_exclusive": fmt_time(interval[1])}
    return log


def select(by_id, mimics, args, cutoff, report):
    """Return {operator: {"email":..., "logs": [...], "tiled_logs": [...]}}."""
    ops = {}
    for lid, recs in sorted(by_id.items()):
        if not recs:
            continue
        best = max(recs, key=lambda r: r.src.snapshot)
        why = excluded(lid, recs, mimics, args)
        state = pick_state(recs)
        interval = next((r.interval() for r in recs if r.interval()), None)
        if why is None and (state is None or state[0] not in SELECTED_STATES):
            why = "state %s" % (state[0] if state else "missing")
        if why is None and interval and interval[1] <= cutoff:
            why = "interval ended %s" % fmt_time(interval[1])
        report.append((why or "selected", best.operator,
                       best.log["description"], state))
        if why:
            continue
        op = ops.setdefault(best.operator, {"logs": [], "tiled_logs": []})
        op[best.kind].append((interval, build_log(best, state, interval)))
    return ops


def operator_order(sources, ops):
    """Operators in the order of the newest snapshot naming them, each with
    the contact address that snapshot gives."""
    order = []
    for src in sorted(sources, key=lambda s: s.snapshot, reverse=True):
        for rec in src.records:
            if rec.operator in ops and rec.operator not in order:
                order.append(rec.operator)
                ops[rec.operator]["email"] = rec.email
    return order


def sort_key(item):
    interval, log = item
    start = interval[0] if interval else datetime.datetime.min.replace(
        tzinfo=datetime.timezone.utc)
    return (start, log["description"])


def render(args, sources, ops, now):
    out = {"version": args.version or "ctstub-" + now.strftime("%Y.%m.%d"),
           "log_list_timestamp": fmt_time(now),
           "operators": []}
    for name in operator_order(sources, ops):
        op = ops[name]
        out["operators"].append({
            "name": name,
            "email": op["email"],
            "logs": [l for _, l in sorted(op["logs"], key=sort_key)],
            "tiled_logs": [l for _, l in sorted(op["tiled_logs"],
                                                key=sort_key)]})
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


def print_report(sources, keydbs, report, out):
    for src in sources + keydbs:
        print("source %s version=%s snapshot=%s sha256=%s" % (
            src.name, src.version,
            fmt_time(src.snapshot) if src.snapshot > EPOCH else "-",
            src.sha256),
            file=out)
    for why, op, desc, state in sorted(report, key=lambda r: (r[0], r[1],
                                                              r[2])):
        st = "%s@%s" % (state[0], fmt_time(state[1])[:10]) if state else "-"
        print("%-28s %-16s %-40s %s" % (why, op, desc, st), file=out)


def parse_args(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    default_dir = os.path.normpath(os.path.join(here, "..", "..", "shared",
                                                "data", "ct"))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=default_dir,
                   help="folder with the input lists (default %(default)s)")
    p.add_argument("--source", action="append",
                   help="list whose states are merged (repeatable; "
                        "default: %s)" % ", ".join(DEFAULT_SOURCES))
    p.add_argument("--keydb", action="append",
                   help="key database, cross-checked only (repeatable; "
                        "default: %s)" % ", ".join(DEFAULT_KEYDBS))
    p.add_argument("--no-keydb", action="store_true",
                   help="do not cross-check any key database")
    p.add_argument("--mimics", default=DEFAULT_MIMICS,
                   help="list of mimic logs to exclude (default %(default)s)")
    p.add_argument("--date", help="generation time, RFC 3339 (default now); "
                   "becomes log_list_timestamp")
    p.add_argument("--version", help="list version (default "
                   "ctstub-YYYY.MM.DD of --date)")
    p.add_argument("--window-days", type=int, default=DEFAULT_WINDOW_DAYS,
                   help="keep logs whose interval ends after DATE minus this "
                   "many days (default %(default)s)")
    p.add_argument("--drop-operator", action="append", default=[],
                   help="leave out every log of this operator (tests)")
    p.add_argument("--drop-log", action="append", default=[],
                   help="leave out a log by description or log_id (tests)")
    p.add_argument("--report", action="store_true",
                   help="print every log and why it was kept or left out")
    p.add_argument("--out", required=True, help="output file, - for stdout")
    p.add_argument("--sign", metavar="KEY",
                   help="also write OUT.sig: the base64 of an Ed25519 "
                   "signature over OUT's exact bytes, made with the PEM "
                   "private key KEY (openssl pkeyutl -rawin)")
    args = p.parse_args(argv)
    if args.sign and args.out == "-":
        p.error("--sign needs a file for --out (the signature goes beside "
                "it)")
    return args


def openssl(args, what):
    """Runs openssl with args; its stdout, or ListError naming what."""
    try:
        r = subprocess.run(["openssl"] + args, capture_output=True)
    except OSError as e:
        raise ListError("%s: cannot run openssl: %s" % (what, e)) from None
    if r.returncode != 0:
        err = r.stderr.decode(errors="replace").strip().splitlines()
        raise ListError("%s: %s" % (what, err[0] if err else "openssl "
                                    "failed"))
    return r.stdout


def sign(key, data):
    """Base64 (one line) of the Ed25519 signature of data with key."""
    text = openssl(["pkey", "-in", key, "-noout", "-text_pub"], key)
    if not text.startswith(b"ED25519 "):
        raise ListError("%s: not an Ed25519 private key" % key)
    with tempfile.TemporaryDirectory() as tmp:
        msg = os.path.join(tmp, "list")
        sig = os.path.join(tmp, "sig")
        with open(msg, "wb") as f:
            f.write(data)
        openssl(["pkeyutl", "-sign", "-rawin", "-inkey", key, "-in", msg,
                 "-out", sig], key)
        # a signature that does not verify with the key's own public half
        # is never published
        pub = os.path.join(tmp, "pub")
        openssl(["pkey", "-in", key, "-pubout", "-out", pub], key)
        openssl(["pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", pub,
                 "-in", msg, "-sigfile", sig], key + ": self-check")
        with open(sig, "rb") as f:
            raw = f.read()
    if len(raw) != 64:
        raise ListError("%s: signature of %d bytes, not 64" % (key, len(raw)))
    return base64.b64encode(raw).decode() + "\n"


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def in_dir(d, name):
    return name if os.path.isabs(name) or os.path.exists(name) \
        else os.path.join(d, name)


def main(argv):
    args = parse_args(argv)
    now = parse_time(args.date, "--date") if args.date else \
        datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    cutoff = now - datetime.timedelta(days=args.window_days)
    try:
        sources = [Source(in_dir(args.data_dir, n))
                   for n in (args.source or DEFAULT_SOURCES)]
        keydbs = [] if args.no_keydb else [
            Source(in_dir(args.data_dir, n))
            for n in (args.keydb or DEFAULT_KEYDBS)]
        mimics = load_mimics(in_dir(args.data_dir, args.mimics))
        by_id = gather(sources, keydbs)
        report = []
        ops = select(by_id, mimics, args, cutoff, report)
    except (OSError, ValueError, KeyError, ListError) as e:
        die(str(e))
    if sum(len(o["logs"]) + len(o["tiled_logs"]) for o in ops.values()) == 0:
        die("no log selected")
    text = render(args, sources, ops, now)
    data = text.encode("utf-8")
    try:
        sig = sign(args.sign, data) if args.sign else None
    except ListError as e:
        die(str(e))
    if args.report:
        print_report(sources, keydbs, report, sys.stderr)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        # the list first: a reader never sees a new signature beside an
        # old list (it would see an old one beside a new list and refuse)
        write_atomic(args.out, data)
        if sig:
            write_atomic(args.out + ".sig", sig.encode())
    nlogs = sum(len(o["logs"]) + len(o["tiled_logs"]) for o in ops.values())
    print("mkloglist: %d logs from %d operators -> %s%s" % (
        nlogs, len(ops), args.out, " (signed: %s.sig)" % args.out
        if args.sign else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
