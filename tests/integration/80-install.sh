#!/bin/bash
# SPDX-License-Identifier: ISC
# make install / uninstall into a DESTDIR: the tree and its modes, the
# systemd units (the daemon; the daily CT log list update and its timer,
# enabled at the first install only), the kept configuration; the shipped configuration and each
# of its profiles parse (ctstub -n only: nothing is sent anywhere).
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub

DEST=$TMP/root
MAKELOG=$TMP/make.log
# make ARGS... with this BUILD, output in make.log. -o: install the binary
# under test as it is, never a rebuild from sources changed since.
make_() {
	echo "# make $*" >>"$MAKELOG"
	make --no-print-directory -o "$BUILD/ctstub" BUILD="$BUILD" "$@" \
	    >>"$MAKELOG" 2>&1
}
# mk install|uninstall: into DEST
mk() { make_ "$1" PREFIX=/usr DESTDIR="$DEST"; }
mode_of() { stat -c %a "$1" 2>/dev/null; }

# --- install: the tree ------------------------------------------------------
check "make install" "see $MAKELOG" mk install
declare -A WANT_MODE=(
	[usr/sbin/ctstub]=755
	[etc/ctstub/ctstub.conf]=644
	[etc/ctstub/ct-logs.json]=644
	[lib/systemd/system/ctstub.service]=644
	[lib/systemd/system/ctstub-loglist-update.service]=644
	[lib/systemd/system/ctstub-loglist-update.timer]=644
	[etc/ctstub/loglist-keys/README.md]=644
	[etc/NetworkManager/dispatcher.d/90-ctstub]=755
)
declare -A SOURCE_OF=(
	[usr/sbin/ctstub]=$BUILD/ctstub
	[etc/ctstub/ctstub.conf]=conf/ctstub.conf
	[etc/ctstub/ct-logs.json]=conf/ct-logs.json
	[etc/ctstub/loglist-keys/README.md]=conf/loglist-keys/README.md
	[lib/systemd/system/ctstub-loglist-update.timer]=conf/ctstub-loglist-update.timer
)
MAN_PAGES=(usr/share/man/man8/ctstub.8.gz usr/share/man/man5/ctstub.conf.5.gz)
for f in "${!WANT_MODE[@]}"; do
	expect_eq "install: $f mode" "${WANT_MODE[$f]}" "$(mode_of "$DEST/$f")"
done
for f in "${!SOURCE_OF[@]}"; do
	check "install: $f is ${SOURCE_OF[$f]#"$ROOT"/}" "differs" \
	    cmp -s "${SOURCE_OF[$f]}" "$DEST/$f"
done
for f in "${MAN_PAGES[@]}"; do
	src=docs/$(basename "$f" .gz)
	expect_eq "install: $f mode" 644 "$(mode_of "$DEST/$f")"
	check "install: $f is $src, gzipped" "differs" \
	    cmp -s "$src" <(gzip -dc "$DEST/$f" 2>/dev/null)
done
n=$(find "$DEST" -type f | wc -l)
want=$((${#WANT_MODE[@]} + ${#MAN_PAGES[@]}))
expect_eq "install: number of files" "$want" "$n"

# --- the unit ---------------------------------------------------------------
UNIT=$DEST/lib/systemd/system/ctstub.service
unit_get() { sed -n "s/^$1=//p" "$UNIT" | tr '\n' ' ' | sed 's/ $//'; }
expect_eq "unit: ExecStart" "/usr/sbin/ctstub -d -f /etc/ctstub/ctstub.conf" \
    "$(unit_get ExecStart)"
expect_eq "unit: ExecReload" "/usr/sbin/ctstub reload -f /etc/ctstub/ctstub.conf" \
    "$(unit_get ExecReload)"
expect_eq "unit: no @VAR@ left" "" "$(grep -o '@[A-Z]*@' "$UNIT")"
for kv in Type=notify DynamicUser=yes Restart=on-failure \
    AmbientCapabilities=CAP_NET_BIND_SERVICE \
    CapabilityBoundingSet=CAP_NET_BIND_SERVICE RuntimeDirectory=ctstub \
    ProtectSystem=strict ProtectHome=yes PrivateTmp=yes PrivateDevices=yes \
    NoNewPrivileges=yes "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" \
    SystemCallFilter=@system-service MemoryDenyWriteExecute=yes \
    "SystemCallFilter=landlock_create_ruleset landlock_add_rule landlock_restrict_self" \
    Before=nss-lookup.target Wants=nss-lookup.target \
    WantedBy=multi-user.target; do
	check "unit: $kv" "missing" grep -qxF "$kv" "$UNIT"
done

# --- the daily list update ------------------------------------------------
UNIT=$DEST/lib/systemd/system/ctstub-loglist-update.service
TIMER=$DEST/lib/systemd/system/ctstub-loglist-update.timer
WANTS=$DEST/etc/systemd/system/timers.target.wants/ctstub-loglist-update.timer
expect_eq "update unit: ExecStart" \
    "/usr/sbin/ctstub loglist update -f /etc/ctstub/ctstub.conf" \
    "$(unit_get ExecStart)"
expect_eq "update unit: no @VAR@ left" "" "$(grep -o '@[A-Z]*@' "$UNIT")"
# the daemon's sandbox, less its user, plus the list's directory
for kv in Type=oneshot ReadWritePaths=/etc/ctstub \
    CapabilityBoundingSet=CAP_DAC_OVERRIDE \
    $(grep -E '^(Protect|Private|Restrict|NoNew|Lock|Memory|SystemCall)' \
    conf/ctstub.service | grep -v '^SystemCallFilter=landlock' |
    tr ' ' '|'); do
	kv=${kv//|/ }
	check "update unit: $kv" "missing" grep -qxF "$kv" "$UNIT"
done
for kv in OnCalendar=daily RandomizedDelaySec=6h Persistent=true \
    WantedBy=timers.target; do
	check "update timer: $kv" "missing" grep -qxF "$kv" "$TIMER"
done
expect_eq "update timer: enabled by the install" \
    /lib/systemd/system/ctstub-loglist-update.timer "$(readlink "$WANTS")"
rm "$WANTS"	# as systemctl disable does
check "reinstall after disable" "see $MAKELOG" mk install
check "reinstall: the timer stays disabled" "re-enabled" test ! -e "$WANTS"

# systemd-analyze wants ExecStart to exist: a second install whose paths
# are all under TMP, so the unit names a real binary and man pages.
VER=$TMP/verify
if ! command -v systemd-analyze >/dev/null; then
	skip "unit: systemd-analyze verify" "no systemd-analyze"
elif ! make_ install PREFIX="$VER/usr" SYSCONFDIR="$VER/etc" \
    UNITDIR="$VER/unit"; then
	fail "unit: install under $VER" "see $MAKELOG"
else
	expect_eq "unit: ExecStart follows PREFIX and SYSCONFDIR" \
	    "$VER/usr/sbin/ctstub -d -f $VER/etc/ctstub/ctstub.conf" \
	    "$(UNIT=$VER/unit/ctstub.service unit_get ExecStart)"
	# --man=yes: the unit's Documentation= pages must be installed
	out=$(MANPATH=$VER/usr/share/man systemd-analyze verify --man=yes \
	    "$VER/unit/ctstub.service" 2>&1)
	expect_eq "unit: systemd-analyze verify --man=yes: no complaint" "" "$out"
	out=$(MANPATH=$VER/usr/share/man systemd-analyze verify --man=yes \
	    "$VER/unit/ctstub-loglist-update.service" \
	    "$VER/unit/ctstub-loglist-update.timer" 2>&1)
	expect_eq "update units: systemd-analyze verify: no complaint" "" \
	    "$out"
	out=$(systemd-analyze security --offline=yes --threshold=20 \
	    "$VER/unit/ctstub-loglist-update.service" 2>&1)
	rc=$?
	expect_eq "update unit: systemd-analyze security: exposure at most 2.0 ($(
	    sed -n 's/.*Overall exposure level[^:]*: \([0-9.]*\).*/\1/p' \
	    <<<"$out"))" 0 "$rc"
	out=$(systemd-analyze security --offline=yes --threshold=20 \
	    "$VER/unit/ctstub.service" 2>&1)
	rc=$?
	expect_eq "unit: systemd-analyze security: exposure at most 2.0 ($(
	    sed -n 's/.*Overall exposure level[^:]*: \([0-9.]*\).*/\1/p' \
	    <<<"$out"))" 0 "$rc"
fi

# --- the NetworkManager dispatcher script -----------------------------------
NM=$DEST/etc/NetworkManager/dispatcher.d/90-ctstub
expect_eq "dispatcher: no @VAR@ left" "" "$(grep -o '@[A-Z]*@' "$NM")"
check "dispatcher: runs the installed ctstub on the installed config" \
    "see $NM" grep -qF "/usr/sbin/ctstub reset -f /etc/ctstub/ctstub.conf" "$NM"
check "dispatcher: a POSIX shell script sh -n accepts" "see $NM" sh -n "$NM"
# The copy installed under VER names real paths: run it as NetworkManager
# would, against a running ctstub whose socket VER's configuration names.
[ -e "$VER/etc/NetworkManager/dispatcher.d/90-ctstub" ] ||
    make_ install PREFIX="$VER/usr" SYSCONFDIR="$VER/etc" UNITDIR="$VER/unit"
if [ -x "$VER/etc/NetworkManager/dispatcher.d/90-ctstub" ]; then
	mint_pki
	start_ctstub nm "upstream dot://127.0.0.1:$((NAMED_PORT0 + 1))"
	echo "control $TMP/run/nm.sock" >"$VER/etc/ctstub/ctstub.conf"
	VNM=$VER/etc/NetworkManager/dispatcher.d/90-ctstub
	for action in up connectivity-change; do
		n=$(log_count "$TMP/nm.log" "back-off(s) ended (ctstub reset)")
		"$VNM" wlan0 "$action"
		expect_eq "dispatcher $action: exit 0" 0 $?
		check "dispatcher $action: ctstub reset reached the daemon" \
		    "see $TMP/nm.log" wait_count "$TMP/nm.log" \
		    "back-off(s) ended (ctstub reset)" $((n + 1))
	done
	n=$(log_count "$TMP/nm.log" "back-off(s) ended (ctstub reset)")
	"$VNM" wlan0 down
	expect_eq "dispatcher down: exit 0" 0 $?
	# the up above went through the same socket: nothing is in flight
	expect_eq "dispatcher down: no reset" "$n" \
	    "$(log_count "$TMP/nm.log" "back-off(s) ended (ctstub reset)")"
	stop_ctstub nm
	"$VNM" wlan0 up
	expect_eq "dispatcher up without a daemon: exit 0" 0 $?
else
	fail "dispatcher: installed under $VER" "see $MAKELOG"
fi

# --- the installed binary on the installed configuration ---------------------
out=$("$DEST/usr/sbin/ctstub" -n -f "$DEST/etc/ctstub/ctstub.conf" 2>&1)
rc=$?
expect_eq "installed ctstub -n on installed config: status" 0 "$rc"
expect_eq "installed ctstub -n on installed config: says OK" \
    "$DEST/etc/ctstub/ctstub.conf: configuration OK" "$out"

# --- a second install keeps the configuration and a newer log list ----------
CONF=$DEST/etc/ctstub/ctstub.conf
LIST=$DEST/etc/ctstub/ct-logs.json
echo "# edited by the admin" >>"$CONF"
sed -i 's/"log_list_timestamp": "[^"]*"/"log_list_timestamp": "2999-01-01T00:00:00Z"/' \
    "$LIST"
check "second install" "see $MAKELOG" mk install
check "second install: ctstub.conf kept" "overwritten" \
    grep -qxF "# edited by the admin" "$CONF"
check "second install: newer ct-logs.json kept" "replaced" \
    grep -qF '"2999-01-01T00:00:00Z"' "$LIST"
sed -i 's/"log_list_timestamp": "[^"]*"/"log_list_timestamp": "2000-01-01T00:00:00Z"/' \
    "$LIST"
check "third install" "see $MAKELOG" mk install
check "third install: older ct-logs.json replaced" "kept" \
    cmp -s conf/ct-logs.json "$LIST"

# --- uninstall --------------------------------------------------------------
check "make uninstall" "see $MAKELOG" mk uninstall
expect_eq "uninstall: only ctstub.conf is left" "etc/ctstub/ctstub.conf" \
    "$(cd "$DEST" && find . -type f -o -type l | sed 's|^\./||')"
check "make uninstall again" "see $MAKELOG" mk uninstall

# --- conf/ctstub.conf: its profiles and commented lines ---------------------
# Each config goes in PROF next to a copy of the log list, as when installed.
PROF=$TMP/profiles
mkdir -p "$PROF"
cp conf/ct-logs.json "$PROF/"
SHIPPED_NO_UPSTREAMS=$(grep -v '^upstream ' conf/ctstub.conf)

# upstreams_of FILE: "scheme:address" of each upstream ctstub -n -v reads.
upstreams_of() {
	"$CTSTUB" -n -v -f "$1" 2>/dev/null | awk '$1 == "upstream" {
		split($2, u, "://"); host = u[2]; sub(/\/.*/, "", host)
		if (host ~ /^\[/) { sub(/^\[/, "", host); sub(/\].*/, "", host) }
		else sub(/:[0-9]+$/, "", host)
		for (i = 3; i < NF; i++) if ($i == "address") host = $(i + 1)
		printf "%s%s:%s", sep, u[1], host; sep = " " }'
}

CF="1.1.1.1 1.0.0.1 2606:4700:4700::1111 2606:4700:4700::1001"
Q9="9.9.9.9 149.112.112.112 2620:fe::fe 2620:fe::9"
GG="8.8.8.8 8.8.4.4 2001:4860:4860::8888 2001:4860:4860::8844"
with() { local a; for a in $2; do printf '%s:%s ' "$1" "$a"; done; }
declare -A WANT=(
	[cloudflare-dot]=$(with dot "$CF")
	[cloudflare-doh]=$(with https "$CF")
	[quad9-dot]=$(with dot "$Q9")
	[quad9-doh]=$(with https "$Q9")
	[google-dot]=$(with dot "$GG")
	[google-doh]=$(with https "$GG")
	[mixed]="dot:1.1.1.1 dot:9.9.9.9 https:1.1.1.1 https:9.9.9.9 "
)
cp conf/ctstub.conf "$PROF/shipped.conf"
expect_eq "shipped config: default upstreams" "dot:1.1.1.1 dot:1.0.0.1" \
    "$(upstreams_of "$PROF/shipped.conf")"

mapfile -t PROFILES < <(sed -n 's/^# \[profile \([a-z0-9-]*\)\].*/\1/p' \
    conf/ctstub.conf)
expect_eq "shipped config: profiles" \
    "cloudflare-dot cloudflare-doh quad9-dot quad9-doh google-dot google-doh mixed" \
    "${PROFILES[*]}"
for p in "${PROFILES[@]}"; do
	f=$PROF/$p.conf
	{
		printf '%s\n' "$SHIPPED_NO_UPSTREAMS"
		# the profile's block: from its marker to the next blank line
		awk -v p="# [profile $p]" 'index($0, p) == 1 { on = 1; next }
		    on && !NF { exit } on && /^#[a-z]/ { print substr($0, 2) }' \
		    conf/ctstub.conf
	} >"$f"
	out=$("$CTSTUB" -n -f "$f" 2>&1)
	expect_eq "profile $p: ctstub -n" "$f: configuration OK" "$out"
	expect_eq "profile $p: upstreams" "${WANT[$p]% }" "$(upstreams_of "$f")"
done

# Commented directives outside the profiles, uncommented one at a time:
# each must parse (a directive ctstub lost is a failure, not a skip).
mapfile -t LINES < <(awk '/^# \[profile / { skip = 1 } skip && !NF { skip = 0 }
    !skip && /^#[a-z]/' conf/ctstub.conf)
expect_eq "shipped config: other commented directives" \
    "listen pin control metrics local-zone forward-zone forward-zone forward-zone forward-zone" \
    "$(printf '%s\n' "${LINES[@]}" | awk '{ sub(/^#/, ""); print $1 }' |
	tr '\n' ' ' | sed 's/ $//')"
for line in "${LINES[@]}"; do
	d=${line#\#}
	word=${d%% *}
	f=$PROF/line-$word.conf
	awk -v l="$line" '$0 == l { $0 = substr($0, 2) } 1' conf/ctstub.conf \
	    >"$f"
	out=$("$CTSTUB" -n -f "$f" 2>&1)
	rc=$?
	if [ "$word" = pin ]; then
		# the placeholder must not pass for a pin
		expect_eq "shipped config: placeholder '$d' is refused" 2 "$rc"
	elif [[ $d == *corp-ca.pem* ]]; then
		# the company's CA file is a placeholder too: -n loads it
		expect_eq "shipped config: '$d' needs its CA file: exit 2" 2 \
		    "$rc"
		check "shipped config: '$d' says which CA file" "got: $out" \
		    grep -qF "cannot load CA certificates from /etc/ctstub/corp-ca.pem" \
		    <<<"$out"
	else
		expect_eq "shipped config: '$d'" "$f: configuration OK" "$out"
	fi
done

done_testing
