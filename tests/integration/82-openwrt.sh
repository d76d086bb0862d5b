#!/bin/bash
# SPDX-License-Identifier: ISC
# OpenWrt package (conf/openwrt/): the UCI -> ctstub.conf translation
# (exact output, accepted by ctstub -n; bad files refused with FILE:LINE),
# the procd init script under stand-ins for rc.common and procd.sh, and
# the package recipe's build and install steps under a stand-in SDK.
# The daily CT log list update: its cron line kept by the init script as
# the UCI option loglist_update says, added by the package's postinst and
# removed by its prerm; the cron job itself under stand-ins.
# Nothing is started and nothing leaves the machine.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub

OWRT=$ROOT/conf/openwrt
UCI2CONF=$OWRT/files/ctstub-uci2conf
DATA=tests/data/openwrt		# relative: it is in the expected output

# The awks to run the translation with: the system's, and busybox's (what
# OpenWrt has) when there is one.
AWKS=(awk)
if command -v busybox >/dev/null && busybox awk 'BEGIN { }' 2>/dev/null
then
	AWKS+=("busybox awk")
else
	skip "translation with busybox awk" "no busybox here"
fi

# translate AWK UCI-FILE [OUT]: sets RC, OUT (stdout) and ERR (stderr).
translate() {
	AWK=$1 "$UCI2CONF" "$2" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}

# for_this_host CONF: CONF with what only the router has replaced: the CT
# log list (/etc/ctstub/ct-logs.json) by the repository's, the account
# (the package's "ctstub") by nobody, which -n as root also wants when
# CONF names none (as a start as root does).
for_this_host() {
	sed -e "s|^ct-log-list .*|ct-log-list $ROOT/conf/ct-logs.json|" \
	    -e "s|^user .*|user nobody|" "$1"
	[ "$(id -u)" -ne 0 ] || grep -q '^user ' "$1" || echo "user nobody"
}

# parse_ok NAME CONF: ctstub -n accepts CONF on this host (for_this_host).
parse_ok() {
	for_this_host "$2" >"$TMP/$1.n.conf"
	"$CTSTUB" -n -f "$TMP/$1.n.conf" >"$TMP/$1.n.out" 2>&1
	expect_eq "$1: ctstub -n accepts it" "0 $TMP/$1.n.conf: configuration OK" \
	    "$? $(cat "$TMP/$1.n.out")"
}

# --- translation: good files, exact output, parse-only check
for awk in "${AWKS[@]}"; do
	for name in full minimal quoting shipped; do
		uci=$DATA/$name.uci
		[ "$name" = shipped ] && uci=conf/openwrt/files/ctstub.config
		translate "$awk" "$uci"
		expect_eq "$awk: $name: exit status 0" 0 "$RC"
		expect_eq "$awk: $name: no message" "" "$ERR"
		expect_eq "$awk: $name: exact ctstub.conf" \
		    "$(cat "$DATA/$name.conf")" "$OUT"
	done
	# bad files: every error, FILE:LINE: message, status 2, no output
	for bad in "$DATA"/bad-*.uci; do
		name=$(basename "$bad" .uci)
		translate "$awk" "$bad"
		expect_eq "$awk: $name: exit status 2" 2 "$RC"
		expect_eq "$awk: $name: exact errors" \
		    "$(cat "$DATA/$name.err")" "$ERR"
		expect_eq "$awk: $name: nothing on stdout" "" "$OUT"
	done
done
for name in full minimal quoting shipped; do
	parse_ok "$name" "$DATA/$name.conf"
done

# The translator's own messages (not the .err files, which are the test's
# fixtures) name the mistake each bad file is about, at its line.
for awk in "${AWKS[@]}"; do
	for want in "bad-unknown 3: unknown option 'listen_adress'" \
	    "bad-value 3: timeout: expected a number from 100 to 60000, got '50'" \
	    "bad-no-upstream 3: section 'main' has no upstream (add: list upstream 'dot://IP')" \
	    "bad-zones 5: forward_zone: no upstream URL after 'lan.'" \
	    "bad-zones 8: forward_zone: ct: expected off or on, got 'maybe'"
	do
		name=${want%% *}
		translate "$awk" "$DATA/$name.uci"
		check "$awk: $name: says '${want#* }'" "stderr: $(oneline "$ERR")" \
		    grep -qxF -- "$DATA/$name.uci:${want#* }" <<<"$ERR"
	done
done

# -o writes atomically and only on success.
"$UCI2CONF" -o "$TMP/o.conf" "$DATA/minimal.uci"
expect_eq "-o: file written" "$(cat "$DATA/minimal.conf")" \
    "$(cat "$TMP/o.conf" 2>/dev/null)"
"$UCI2CONF" -o "$TMP/o.conf" "$DATA/bad-value.uci" 2>/dev/null
expect_eq "-o on error: status 2" 2 "$?"
expect_eq "-o on error: old file kept, no temporary left" \
    "$(cat "$DATA/minimal.conf") o.conf" \
    "$(cat "$TMP/o.conf") $(cd "$TMP" && echo o.conf*)"
"$UCI2CONF" "$TMP/no-such.uci" 2>"$TMP/err"
expect_eq "unreadable file: status 2" 2 "$?"
expect_eq "unreadable file: message" "$TMP/no-such.uci: cannot read it" \
    "$(cat "$TMP/err")"

# --- the init script
check "init script: sh -n" "syntax error" sh -n "$OWRT/files/ctstub.init"
if command -v busybox >/dev/null; then
	check "init script: busybox sh -n" "syntax error" \
	    busybox sh -n "$OWRT/files/ctstub.init"
fi

# A copy whose paths point into $TMP; each must have been rewritten.
mkdir -p "$TMP/var/etc"
INIT=$TMP/ctstub.init
CONF=$TMP/var/etc/ctstub.conf
RUNDIR=$TMP/var/run/ctstub
UCI=$TMP/ctstub.uci
UPDATER=$TMP/ctstub-loglist-update
CRONTAB=$TMP/crontabs/root
sed -e "s|^PROG=.*|PROG=$CTSTUB|" -e "s|^UCI2CONF=.*|UCI2CONF=$UCI2CONF|" \
    -e "s|^UCI_FILE=.*|UCI_FILE=$UCI|" -e "s|^CONF=.*|CONF=$CONF|" \
    -e "s|^RUNDIR=.*|RUNDIR=$RUNDIR|" -e "s|^UPDATER=.*|UPDATER=$UPDATER|" \
    -e "s|^CRONTAB=.*|CRONTAB=$CRONTAB|" "$OWRT/files/ctstub.init" >"$INIT"
# The updater's copy: a stand-in ctstub that records its arguments and
# exits with $FAKE_RC, the stand-in functions.sh, a stand-in cron init
# script that records its calls in cron-calls.
FAKE_CTSTUB=$TMP/fake-ctstub
# shellcheck disable=SC2016 # expanded when the stand-ins run
printf '%s\n' '#!/bin/sh' 'echo "ctstub $*" >>"$FAKE_LOG"' \
    'echo "list updated (fake)"' 'exit "${FAKE_RC:-0}"' >"$FAKE_CTSTUB"
printf '%s\n' '#!/bin/sh' "echo \"cron \$*\" >>$TMP/cron-calls" \
    >"$TMP/cron-init"
chmod 755 "$FAKE_CTSTUB" "$TMP/cron-init"
sed -e "s|^PROG=.*|PROG=$FAKE_CTSTUB|" -e "s|^CONF=.*|CONF=$CONF|" \
    -e "s|^FUNCTIONS=.*|FUNCTIONS=$ROOT/$DATA/fake-rc.sh|" \
    -e "s|^CRON_INIT=.*|CRON_INIT=$TMP/cron-init|" \
    "$OWRT/files/ctstub-loglist-update" >"$UPDATER"
chmod 755 "$UPDATER"
[ "$(grep -cE "^(PROG|CONF|FUNCTIONS|CRON_INIT)=$TMP/|^FUNCTIONS=$ROOT/" \
    "$UPDATER")" -eq 4 ] ||
    bail "$TEST_NAME: updater copy" "not all 4 paths rewritten (see $UPDATER)"
# A precondition, not a check of the script: a path left as it was would
# make the copy touch the host's /etc and /var. The checks below see each
# path used (the command line with PROG and CONF, the translation of
# UCI_FILE by UCI2CONF written to CONF, RUNDIR made).
[ "$(grep -cE "^[A-Z0-9_]+=$TMP/|^PROG=$CTSTUB\$|^UCI2CONF=$UCI2CONF\$" \
    "$INIT")" -eq 7 ] ||
    bail "$TEST_NAME: init copy" "not all 7 paths rewritten (see $INIT)"

# uci_file [OPTION-LINE...]: $UCI, a router's config with the repository's
# CT log list, plus the lines (from line 8 as root, 7 otherwise).
uci_file() {
	{
		echo "config ctstub 'main'"
		echo "	list listen_addr '127.0.0.1'"
		echo "	option listen_port '5453'"
		echo "	list upstream 'dot://1.1.1.1'"
		echo "	option ct_log_list '$ROOT/conf/ct-logs.json'"
		# as root the init script gives RUNDIR to the user
		[ "$(id -u)" -ne 0 ] || echo "	option user 'nobody'"
		printf '\t%s\n' "$@"
	} >"$UCI"
}

# run_init SH FUNCTION: the init script's FUNCTION under fake-rc.sh, in
# shell SH; sets RC, CALLS (the calls recorded) and SYSLOG.
run_init() {
	: >"$TMP/calls"
	: >"$TMP/syslog"
	# shellcheck disable=SC2016,SC2086 # $1 may be "busybox sh"
	FAKE_LOG=$TMP/calls FAKE_SYSLOG=$TMP/syslog UCI_FILE=$UCI $1 -c \
	    '. "$1"; . "$2"; "$3"' sh "$ROOT/$DATA/fake-rc.sh" "$INIT" "$2" \
	    >/dev/null 2>&1
	RC=$?
	CALLS=$(cat "$TMP/calls")
	SYSLOG=$(cat "$TMP/syslog")
}

INSTANCE="config_load ctstub
procd_open_instance
procd_set_param command $CTSTUB -d -f $CONF
procd_set_param respawn
procd_set_param stderr 1
procd_close_instance"

SHELLS=(sh)
if command -v busybox >/dev/null; then
	SHELLS+=("busybox sh")
else
	skip "init script under busybox sh" "no busybox here"
fi
mkdir -p "${CRONTAB%/*}"
echo "0 4 * * * /sbin/reboot-if-asked" >"$CRONTAB"
for shell in "${SHELLS[@]}"; do
	rm -rf "$CONF" "$RUNDIR"
	uci_file "option timeout '3000'"
	run_init "$shell" start_service
	expect_eq "$shell: start_service: status 0" 0 "$RC"
	expect_eq "$shell: start_service: one instance, ctstub -d -f CONF, respawn" \
	    "$INSTANCE" "$CALLS"
	expect_eq "$shell: start_service: CONF is the translation" \
	    "$("$UCI2CONF" "$UCI")" "$(cat "$CONF" 2>/dev/null)"
	check "$shell: start_service: no CONF.new left" "$CONF.new exists" \
	    test ! -e "$CONF.new"
	check "$shell: start_service: control socket dir made" "no $RUNDIR" \
	    test -d "$RUNDIR"
done
if [ "$(id -u)" -eq 0 ]; then
	expect_eq "start_service: control socket dir given to the user" \
	    nobody "$(stat -c %U "$RUNDIR")"
else
	skip "control socket dir owner" "not root"
fi

# --- the daily CT log list update in cron
CRON_RE='^[1-5]?[0-9] (1?[0-9]|2[0-3]) \* \* \* /usr/libexec/ctstub-loglist-update$'
cron_line() { grep -F ctstub-loglist-update "$CRONTAB"; }
first=$(cron_line)
check "start_service: one daily cron line at a random time ($first)" \
    "$(oneline "$(cat "$CRONTAB")")" grep -qxE "$CRON_RE" <<<"$first"
expect_eq "start_service: the admin's own cron line kept" \
    "0 4 * * * /sbin/reboot-if-asked" "$(head -n 1 "$CRONTAB")"
expect_eq "start_service twice (two shells): the line added once, cron \
restarted once" "2 cron restart" \
    "$(wc -l <"$CRONTAB") $(cat "$TMP/cron-calls")"
uci_file "option loglist_update '1'"
run_init sh reload_service
expect_eq "reload, loglist_update 1: the same line" "$first" "$(cron_line)"
uci_file "option loglist_update '0'"
run_init sh reload_service
expect_eq "reload, loglist_update 0: line removed, the admin's kept" \
    "0 4 * * * /sbin/reboot-if-asked" "$(cat "$CRONTAB")"
expect_eq "reload, loglist_update 0: cron restarted" \
    "cron restart
cron restart" "$(cat "$TMP/cron-calls")"
uci_file
run_init sh reload_service
check "reload, option removed (default 1): the line is back" \
    "$(oneline "$(cat "$CRONTAB")")" grep -qxE "$CRON_RE" <<<"$(cron_line)"
# random times: 20 fresh crontabs do not all get the same one
for i in $(seq 20); do
	"$UPDATER" cron-add "$TMP/crontabs/r$i"
	head -c 6 "$TMP/crontabs/r$i"; echo
done >"$TMP/times"
check "cron-add: times differ between routers" "$(oneline "$(cat "$TMP/times")")" \
    test "$(sort -u "$TMP/times" | wc -l)" -gt 1
"$UPDATER" cron-add 2>/dev/null
expect_eq "updater: bad arguments, status 2" 2 "$?"

# run_updater: the cron job under the stand-ins; sets RC, CALLS, SYSLOG.
run_updater() {
	: >"$TMP/calls"
	: >"$TMP/syslog"
	FAKE_LOG=$TMP/calls FAKE_SYSLOG=$TMP/syslog UCI_FILE=$UCI "$UPDATER"
	RC=$?
	CALLS=$(cat "$TMP/calls")
	SYSLOG=$(cat "$TMP/syslog")
}
uci_file
"$UCI2CONF" -o "$CONF" "$UCI"
run_updater
expect_eq "updater: ctstub loglist update on the running config, logged" \
    "0 config_load ctstub
ctstub loglist update -f $CONF
logger -t ctstub -p daemon.info list updated (fake)" "$RC $CALLS $SYSLOG"
FAKE_RC=1 run_updater
expect_eq "updater: a failed update is logged as an error, status 1" \
    "1 logger -t ctstub -p daemon.err" "$RC $(grep '^logger' <<<"$CALLS")"
uci_file "option loglist_update '0'"
run_updater
expect_eq "updater: loglist_update 0: nothing run" "0 config_load ctstub" \
    "$RC $CALLS"
uci_file "option enabled '0'"
run_updater
expect_eq "updater: ctstub disabled: nothing run" "0 config_load ctstub" \
    "$RC $CALLS"
uci_file
rm -f "$CONF"
run_updater
expect_eq "updater: no running configuration: status 1, logged" \
    "1 ctstub-loglist-update: $CONF is missing: is ctstub running? \
(/etc/init.d/ctstub start)" "$RC $SYSLOG"

# disabled: nothing registered, nothing written
rm -f "$CONF"
uci_file "option enabled '0'"
run_init sh start_service
expect_eq "enabled 0: status 0, no instance" "0 config_load ctstub" \
    "$RC $CALLS"
check "enabled 0: no CONF" "$CONF exists" test ! -e "$CONF"

# a bad UCI file: no instance, the FILE:LINE error in the system log
uci_file "option timeout '3000'" "option bogus '1'"
run_init sh start_service
check "bad UCI: start_service fails" "status $RC" test "$RC" -ne 0
expect_eq "bad UCI: no instance" "config_load ctstub" \
    "$(grep -v '^logger' <<<"$CALLS")"
expect_eq "bad UCI: logged as daemon.err" "logger -t ctstub -p daemon.err" \
    "$(grep '^logger' <<<"$CALLS")"
bogus_line=8
[ "$(id -u)" -eq 0 ] || bogus_line=7
expect_eq "bad UCI: the error logged" \
    "$UCI:$bogus_line: unknown option 'bogus'" "$SYSLOG"

# translated but refused by ctstub -n (cache-min-ttl above cache-max-ttl)
uci_file "option cache_min_ttl '600'" "option cache_max_ttl '60'"
run_init sh start_service
check "refused by ctstub -n: start_service fails" "status $RC" \
    test "$RC" -ne 0
check "refused by ctstub -n: its message logged" "syslog: $SYSLOG" \
    grep -q "cache-min-ttl 600 is above cache-max-ttl 60" <<<"$SYSLOG"
check "refused by ctstub -n: no CONF.new left" "$CONF.new exists" \
    test ! -e "$CONF.new"

# reload: SIGHUP when only what SIGHUP applies changed, restart for listen
# or user, the running configuration kept when the new one is bad
uci_file "option timeout '3000'"
run_init sh start_service
uci_file "option timeout '4000'"
run_init sh reload_service
expect_eq "reload, timeout changed: SIGHUP" \
    "config_load ctstub
procd_send_signal ctstub" "$CALLS"
check "reload, timeout changed: CONF updated" "$(oneline "$(cat "$CONF")")" \
    grep -qx "timeout 4000" "$CONF"
sed -i "s/'5453'/'5454'/" "$UCI"
run_init sh reload_service
expect_eq "reload, listen_port changed: restart" "config_load ctstub
restart" "$CALLS"
# every setting the daemon only takes at start (generation.c's
# warn_restart_only): metrics added, changed, removed; control changed
uci_file
run_init sh reload_service	# listen_port back to 5453
uci_file "option metrics_port '9153'"
run_init sh reload_service
expect_eq "reload, metrics_port added: restart" "config_load ctstub
restart" "$CALLS"
uci_file "option metrics_port '9154'"
run_init sh reload_service
expect_eq "reload, metrics_port changed: restart" "config_load ctstub
restart" "$CALLS"
uci_file "option metrics_port '9154'" \
    "option metrics_addr '127.0.0.2'"
run_init sh reload_service
expect_eq "reload, metrics_addr changed: restart" "config_load ctstub
restart" "$CALLS"
uci_file
run_init sh reload_service
expect_eq "reload, metrics removed: restart" "config_load ctstub
restart" "$CALLS"
uci_file "option control '$TMP/admin.sock'"
run_init sh reload_service
expect_eq "reload, control changed: restart" "config_load ctstub
restart" "$CALLS"
uci_file "option control '$TMP/admin.sock'" \
    "option timeout '2000'"
run_init sh reload_service
expect_eq "reload, then only timeout changed: SIGHUP again" \
    "config_load ctstub
procd_send_signal ctstub" "$CALLS"
before=$(cat "$CONF")
uci_file "option timeout 'soon'"
run_init sh reload_service
check "reload, bad UCI: fails" "status $RC" test "$RC" -ne 0
expect_eq "reload, bad UCI: no signal, no restart" "config_load ctstub" \
    "$(grep -v '^logger' <<<"$CALLS")"
expect_eq "reload, bad UCI: running configuration kept" "$before" \
    "$(cat "$CONF")"
uci_file "option enabled '0'"
run_init sh reload_service
expect_eq "reload, enabled 0: stop" "config_load ctstub
stop" "$CALLS"
check "reload, enabled 0: CONF removed" "$CONF exists" test ! -e "$CONF"
run_init sh service_triggers
expect_eq "service_triggers: reload on uci commit ctstub" \
    "procd_add_reload_trigger ctstub" "$CALLS"

# --- the hotplug iface script: ctstub reset when an interface comes up
HOTPLUG=$TMP/ctstub.hotplug
check "hotplug: sh -n" "syntax error" sh -n "$OWRT/files/ctstub.hotplug"
sed -e "s|^PROG=.*|PROG=$CTSTUB|" -e "s|^CONF=.*|CONF=$TMP/var/etc/hp.conf|" \
    "$OWRT/files/ctstub.hotplug" >"$HOTPLUG"
[ "$(grep -cE "^PROG=$CTSTUB\$|^CONF=$TMP/" "$HOTPLUG")" -eq 2 ] ||
    bail "$TEST_NAME: hotplug copy" "not both paths rewritten (see $HOTPLUG)"
mint_pki
start_ctstub hp "upstream dot://127.0.0.1:$((NAMED_PORT0 + 1))"
echo "control $TMP/run/hp.sock" >"$TMP/var/etc/hp.conf"
RESETS="back-off(s) ended (ctstub reset)"
# hotplug ACTION: the copy run as hotplug-call runs it (sourced in a
# subshell, ACTION and INTERFACE set); sets RC.
hotplug() {
	(ACTION=$1 INTERFACE=wan; . "$HOTPLUG")
	RC=$?
}
hotplug ifup
expect_eq "hotplug ifup: exit 0" 0 "$RC"
check "hotplug ifup: ctstub reset reached the daemon" "see $TMP/hp.log" \
    wait_count "$TMP/hp.log" "$RESETS" 1
hotplug ifdown
expect_eq "hotplug ifdown: exit 0" 0 "$RC"
hotplug ifupdate
# ifup's reset was answered (logged) before it returned: none in flight
expect_eq "hotplug ifdown, ifupdate: no reset" 1 "$(log_count "$TMP/hp.log" "$RESETS")"
stop_ctstub hp
hotplug ifup
expect_eq "hotplug ifup, no daemon: exit 0" 0 "$RC"
rm "$TMP/var/etc/hp.conf"
hotplug ifup
expect_eq "hotplug ifup, not configured: exit 0" 0 "$RC"

# --- the package recipe, under the stand-in SDK (host compiler)
PKGROOT=$TMP/pkgroot
make -s -C "$OWRT" TOPDIR="$ROOT/$DATA/sdk" BUILD_DIR="$TMP/sdk-build" \
    DESTDIR="$PKGROOT" install >"$TMP/sdk.log" 2>&1
expect_eq "recipe: prepare, compile, install succeed" 0 "$?"
expect_eq "recipe: installed files and modes" \
    "600 etc/config/ctstub
644 etc/ctstub/ct-logs.json
644 etc/hotplug.d/iface/95-ctstub
755 etc/init.d/ctstub
644 lib/upgrade/keep.d/ctstub
755 usr/libexec/ctstub-loglist-update
755 usr/libexec/ctstub-uci2conf
755 usr/sbin/ctstub
644 usr/share/ctstub/ct-logs.json" \
    "$(cd "$PKGROOT" 2>/dev/null && find . -type f -printf '%m %P\n' | sort -k2)"
needed=$(readelf -d "$PKGROOT/usr/sbin/ctstub" 2>/dev/null | grep NEEDED)
# shellcheck disable=SC2317 # run by check
core_only() {
	grep -q "libevent_core-" <<<"$needed" && ! grep -q "libevent-" <<<"$needed"
}
check "recipe: linked with libevent_core, not all of libevent" \
    "$(oneline "$needed")" core_only
# The packaged translator and ctstub on the packaged UCI file.
# shellcheck disable=SC2317 # run by check
packaged_parses() {
	"$PKGROOT/usr/libexec/ctstub-uci2conf" "$PKGROOT/etc/config/ctstub" \
	    >"$TMP/pkg.uci.conf" && for_this_host "$TMP/pkg.uci.conf" |
	    sed "s|^ct-log-list .*|ct-log-list $PKGROOT/etc/ctstub/ct-logs.json|" \
	    >"$TMP/pkg.conf" &&
	    "$PKGROOT/usr/sbin/ctstub" -n -f "$TMP/pkg.conf" >"$TMP/pkg.err" 2>&1
}
check "recipe: the packaged ctstub parses the packaged config" \
    "see $TMP/pkg.err" packaged_parses
# sysupgrade keeps the UCI file and the installed CT log list
expect_eq "recipe: sysupgrade keep list" "/etc/config/ctstub
/etc/ctstub/ct-logs.json" "$(grep -v '^#' "$PKGROOT/lib/upgrade/keep.d/ctstub")"
# the release of the VERSION file, not a date or 0 (no git in the copy)
expect_eq "recipe: ctstub -V prints the VERSION file" \
    "ctstub $(cat VERSION)" "$("$PKGROOT/usr/sbin/ctstub" -V | head -n 1)"
check "recipe: PKG_VERSION is the VERSION file" "$(ls "$TMP/sdk-build")" \
    test -d "$TMP/sdk-build/ctstub-$(cat VERSION)"
# without -f, commands read the file the init script writes
"$PKGROOT/usr/sbin/ctstub" -n >"$TMP/pkg-default.out" 2>&1
expect_eq "recipe: default configuration is /var/etc/ctstub.conf" \
    "/var/etc/ctstub.conf" "$(sed -n 's/^\([^:]*\):.*/\1/p' \
    "$TMP/pkg-default.out" | head -n 1)"

# The package's postinst and prerm: the cron line added at installation
# (unless UCI says loglist_update '0'), removed at removal; nothing in an
# image build (IPKG_INSTROOT), where the init script adds it at first boot.
make -s -C "$OWRT" TOPDIR="$ROOT/$DATA/sdk" BUILD_DIR="$TMP/sdk-build" \
    DESTDIR="$PKGROOT" scripts >>"$TMP/sdk.log" 2>&1
mkdir -p "$TMP/bin"
# shellcheck disable=SC2016 # expanded when it runs
printf '%s\n' '#!/bin/sh' 'echo "$FAKE_UCI"' >"$TMP/bin/uci"
chmod 755 "$TMP/bin/uci"
PI_CRON=$TMP/crontabs/pkg
for script in postinst prerm; do
	sed -e "s|/usr/libexec/ctstub-loglist-update|$UPDATER|" \
	    -e "s|/etc/crontabs/root|$PI_CRON|" \
	    -e "s|/var/etc/ctstub.conf|$TMP/no-such.conf|g" \
	    "$PKGROOT/CONTROL/$script" >"$TMP/$script"
done
pkg_script() { PATH=$TMP/bin:$PATH sh "$TMP/$1"; }
pkg_script postinst
check "postinst: the daily cron line added" "$(oneline "$(cat "$PI_CRON")")" \
    grep -qxE "$CRON_RE" "$PI_CRON"
pkg_script prerm
expect_eq "prerm: the line removed" "" "$(cat "$PI_CRON")"
FAKE_UCI=0 pkg_script postinst
expect_eq "postinst, loglist_update 0: no line" "" "$(cat "$PI_CRON")"
rm -f "$PI_CRON"
IPKG_INSTROOT=$TMP/image pkg_script postinst
check "postinst in an image build: no crontab written" "$PI_CRON exists" \
    test ! -e "$PI_CRON"

done_testing
