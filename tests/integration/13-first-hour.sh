#!/bin/bash
# SPDX-License-Identifier: ISC
# The first start on a new machine (`make run`, `sudo make run`): when
# another program holds the port, the error names it (pid and name), and
# for systemd-resolved says what to do; `sudo make run` leaves the build
# tree to the user who ran sudo. On a copy of the tree in $TMP, so the
# checkout's own build is not touched.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub

# The copy: sources and the current build (timestamps kept, so make only
# rebuilds main.o for the version of a tree without git).
TREE=$TMP/tree
B=$(basename "$BUILD")
SAN=
[ "$B" = build-san ] && SAN=1
mkdir -p "$TREE"
if ! cp -a Makefile VERSION src include conf tools "$TREE/" ||
    ! cp -a "$BUILD" "$TREE/$B"; then
	bail "$TEST_NAME: copy of the tree" "cp failed"
fi

# make_run LOG [VAR=VALUE...]: `make run` in the copy, never as a sudo
# user unless the arguments say so; sets RC.
make_run() {
	local log=$1
	shift
	env -u SUDO_USER make -s -C "$TREE" BUILD="$B" SANITIZE="$SAN" "$@" \
	    run >"$log" 2>&1
	RC=$?
}

# hold NAME PYTHON HOST PORT: tests/tools/holdport.py run by PYTHON (its
# file name is the process name ctstub must report); sets PID.
hold() {
	start_bg "$TMP/$1.log" "$2" "$ROOT/tests/tools/holdport.py" "$3" "$4"
	wait_log "$TMP/$1.log" ready || bail "$TEST_NAME: $1 holds $4" \
	    "see $TMP/$1.log"
}

# The shipped list, staged where nobody can read it (the checkout may sit
# in a 0700 home).
cp "$ROOT/conf/ct-logs.json" "$TMP/ct-logs.json"
next_port
HELD=$PORT
printf '%s\n' "listen 127.0.0.1 $HELD" "upstream dot://127.0.0.1:$PORT_DEAD" \
    "ct-log-list $TMP/ct-logs.json" "control off" "user nobody" \
    >"$TMP/held.conf"

# --- another program on the port: named by its pid and name
hold other "$PY" 127.0.0.1 "$HELD"
comm=$(cat "/proc/$PID/comm")
make_run "$TMP/run-other.out" RUN_CONF="$TMP/held.conf"
check "port held: make run fails" "status $RC" test "$RC" -ne 0
check "port held: the error names the holder ($comm, pid $PID)" \
    "$(cat "$TMP/run-other.out")" grep -qF \
    "127.0.0.1:$HELD (UDP): Address already in use: held by $comm (pid $PID)" \
    "$TMP/run-other.out"
stop_proc "$PID"

# --- the same on IPv6 (/proc/net/tcp6 and udp6)
if have_ipv6; then
	hold other6 "$PY" ::1 "$HELD"
	sed "s/^listen .*/listen ::1 $HELD/" "$TMP/held.conf" >"$TMP/held6.conf"
	"$CTSTUB" -d -f "$TMP/held6.conf" >"$TMP/run-other6.out" 2>&1
	check "port held on ::1: the error names the holder" \
	    "$(cat "$TMP/run-other6.out")" grep -qF \
	    "[::1]:$HELD (UDP): Address already in use: held by $comm (pid $PID)" \
	    "$TMP/run-other6.out"
	stop_proc "$PID"
else
	skip "port held on ::1" "no IPv6 on lo"
fi

# --- systemd-resolved (a python named so): what to do, where it is written
mkdir -p "$TMP/sd"
cp "$(readlink -f "$PY")" "$TMP/sd/systemd-resolved"
hold resolved "$TMP/sd/systemd-resolved" 127.0.0.1 "$HELD"
make_run "$TMP/run-resolved.out" RUN_CONF="$TMP/held.conf"
check "systemd-resolved: make run fails" "status $RC" test "$RC" -ne 0
for text in "systemd-resolved (pid $PID) holds it" \
    "'listen 127.0.0.153' (docs/install.md, 5a)" "DNSStubListener=no (5b)"; do
	check "systemd-resolved: the error says '$text'" \
	    "$(cat "$TMP/run-resolved.out")" grep -qF -- "$text" \
	    "$TMP/run-resolved.out"
done

# --- a user that may not look into root's processes: says what it saw
if [ "$(id -u)" -eq 0 ]; then
	sed 's/^user nobody$//' "$TMP/held.conf" >"$TMP/held-user.conf"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$CTSTUB" -d -f "$TMP/held-user.conf" >"$TMP/nobody.out" 2>&1
	expect_eq "as nobody: exit status 1" 1 "$?"
	check "as nobody: the holder's user, and how to see more" \
	    "$(cat "$TMP/nobody.out")" grep -qF "held by a process of user \
root that this user cannot see (run as root to name it, or: ss -lnp)" \
	    "$TMP/nobody.out"
else
	skip "holder hidden from the user" "not running as root"
fi
stop_proc "$PID"

# --- sudo make run: the build tree goes back to SUDO_USER
if [ "$(id -u)" -eq 0 ]; then
	printf '%s\n' "upstream dot://127.0.0.1:$PORT_DEAD" \
	    "ct-log-list $TMP/ct-logs.json" "user nobody" >"$TMP/ok.conf"
	make_run "$TMP/run-sudo.out" SUDO_USER=nobody RUN_FLAGS=-n \
	    RUN_CONF="$TMP/ok.conf"
	expect_eq "sudo make run: ran (ctstub -n)" "0 $TMP/ok.conf: configuration OK" \
	    "$RC $(tail -n 1 "$TMP/run-sudo.out")"
	expect_eq "sudo make run: every file of the build tree is SUDO_USER's" \
	    "" "$(find "$TREE/$B" ! -user nobody | head -n 3)"
	touch "$TREE/src/log.c"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    make -s -C "$TREE" BUILD="$B" SANITIZE="$SAN" all \
	    >"$TMP/user-make.out" 2>&1
	expect_eq "sudo make run: a later make as that user works" 0 "$?"
	check "sudo make run: ... and rebuilt log.o" "$(ls -l "$TREE/$B/log.o")" \
	    test "$TREE/$B/log.o" -nt "$TREE/src/log.c"
else
	skip "sudo make run" "not running as root"
fi
# --- where a user who is stuck is sent: the runbook and its anchors
# (ctstub status's verdict links them), reached from the shipped
# configuration, the README and install.md
RUNBOOK=docs/troubleshooting.md
# GitHub's anchor of each "## Heading": lower case, punctuation but '-'
# dropped, blanks as '-'
ANCHORS=$(sed -n 's/^## //p' "$RUNBOOK" | tr '[:upper:]' '[:lower:]' |
    sed 's/[^a-z0-9 -]//g; s/ /-/g')
for anchor in captive-portal pin-mismatch stale-list wrong-clock back-off \
    port-853-blocked get-dns-back; do
	check "runbook: section #$anchor" "anchors: $(oneline "$ANCHORS")" \
	    grep -qx -- "$anchor" <<<"$ANCHORS"
done
for layout in 5a 5b 5c 5d OpenWrt; do
	check "runbook: DNS back in one command, layout $layout" \
	    "no table row for it" grep -q "^| $layout " "$RUNBOOK"
done
check "shipped ctstub.conf points to the runbook" "see conf/ctstub.conf" \
    grep -q "docs/troubleshooting.md" conf/ctstub.conf
check "README quick start: the systemd-resolved case" "see README.md" \
    grep -q "systemd-resolved: for a try" README.md
# the README's command for a try beside systemd-resolved, run in the copy
# of the tree: a file that listens on 127.0.0.153 only and passes -n where
# make run reads it (its CT log list next to it)
cmd=$(sed -n 's/^    \(sed .*\) >conf\/local.conf$/\1/p' README.md)
check "README: the sed command for 127.0.0.153 is there" "none found" \
    test -n "$cmd"
(cd "$TREE" && eval "$cmd") >"$TREE/conf/local.conf"
expect_eq "README's conf/local.conf: listens on 127.0.0.153 only" \
    "listen 127.0.0.153 53" "$(grep '^listen ' "$TREE/conf/local.conf")"
(cd "$TREE" && "$CTSTUB" -n -f conf/local.conf) >"$TMP/local.out" 2>&1
expect_eq "README's conf/local.conf: ctstub -n accepts it" \
    "0 conf/local.conf: configuration OK" "$? $(cat "$TMP/local.out")"
check "install.md points to the runbook" "see docs/install.md" \
    grep -q "troubleshooting.md" docs/install.md
done_testing
