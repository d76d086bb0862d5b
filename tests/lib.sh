# SPDX-License-Identifier: ISC
# Sourced by tests/integration/*.sh. Bash.
#
# Gives each script:
#   TMP        its own work dir, a fresh 0755 mktemp -d under /tmp (or
#              $CTSTUB_TEST_TMPDIR), outside the checkout so that daemons
#              running as nobody can read what is staged there even when
#              the checkout sits in a 0700 home; removed at exit when every
#              check passed, kept (and named) otherwise;
#   CTSTUB     a copy of $BUILD/ctstub in $TMP/bin, for the same reason;
#   ok/fail/skip/bail  result lines in the format tests/run.sh counts;
#   ports      two blocks of 100 ports found free at run time and reserved
#              (flock) for the script's life: named and test servers use
#              NAMED_PORT0+i, ctstub CTSTUB_PORT0+i (i = 0..99), so
#              scripts and checkouts running at once never collide;
#              PRIV_PORT, one free port below 1024, reserved the same way;
#   start_named / start_ctstub / stop_proc, with a trap that stops only
#              the processes this script started;
#   done_testing  the last line of every script: prints the marker line
#              tests/run.sh requires ("done_testing"), so a script that
#              stops early fails even when it exits 0.
# Loopback only: 127.0.0.1 and ::1.

# shellcheck disable=SC2034 # variables are for the sourcing scripts
set -u

# A script that sets OWN_NETNS=1 before sourcing this file runs again, at
# once, in a network namespace of its own with only lo (up): what it does
# to addresses and ports cannot touch other runs on the host.
if [ -n "${OWN_NETNS:-}" ] && [ -z "${CTSTUB_OWN_NETNS:-}" ]; then
	CTSTUB_OWN_NETNS=1 exec unshare -n -- bash -c \
	    'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
TEST_NAME=$(basename "$0" .sh)
FAILS=0
PIDS=
declare -A CTSTUB_PIDS

# Deadline for waits on a condition (a log line, a listener, an exit): long
# enough for a sanitizer build on a busy machine; each wait returns as soon
# as its condition holds.
WAIT_SECONDS=${WAIT_SECONDS:-20}

if ! TMP=$(mktemp -d "${CTSTUB_TEST_TMPDIR:-/tmp}/ctstub-$TEST_NAME.XXXXXX") ||
    ! chmod 755 "$TMP"; then
	echo "not ok - $TEST_NAME: work dir: mktemp -d failed"
	exit 1
fi
mkdir -p "$TMP/bin"
CTSTUB=$TMP/bin/ctstub
[ -x "$BUILD/ctstub" ] && cp -p "$BUILD/ctstub" "$CTSTUB"

# port_block_free BASE: no TCP or UDP socket on this host uses a local port
# in BASE..BASE+99, in any state.
port_block_free() {
	ss -Htuan | awk -v lo="$1" '{ p = $5; sub(/.*:/, "", p) }
	    p + 0 >= lo && p + 0 < lo + 100 { busy = 1 } END { exit busy }'
}

# reserve_ports: sets BLOCK to the base of 100 consecutive ports that no
# socket uses and no other test script holds: the block's lock file in
# /tmp/ctstub-test-ports stays locked by this shell (and its children)
# until they exit. Blocks come from 4000-9999 and 30000-32767: below the
# ephemeral range (32768 up), and away from 11000-29999, where scripts of
# older checkouts used fixed ports.
PORT_LOCKS=/tmp/ctstub-test-ports
reserve_ports() {
	local bases base i n fd
	mkdir -p "$PORT_LOCKS" && chmod 1777 "$PORT_LOCKS" 2>/dev/null
	mapfile -t bases < <(seq 4000 100 9900; seq 30000 100 32600)
	n=${#bases[@]}
	i=$((RANDOM % n))
	for _ in "${bases[@]}"; do
		base=${bases[i]}
		i=$(((i + 1) % n))
		exec {fd}>>"$PORT_LOCKS/$base.lock" || continue
		if flock -n "$fd" && port_block_free "$base"; then
			BLOCK=$base
			return 0
		fi
		exec {fd}>&-
	done
	echo "not ok - $TEST_NAME: free ports: no free block of 100"
	exit 1
}

NN=${TEST_NAME%%-*}
case $NN in [0-9][0-9]) ;; *) NN=99 ;; esac
reserve_ports
NAMED_PORT0=$BLOCK	# named: plain DNS, then DoT ports, test servers
reserve_ports
CTSTUB_PORT0=$BLOCK	# ctstub listeners
PORT_PLAIN=$NAMED_PORT0
PORT_DEAD=$((NAMED_PORT0 + 99))		# nothing ever listens here

# PRIV_PORT: a free port below 1024 (900-999) reserved like the blocks, for
# a test of binding a privileged port without root.
reserve_priv_port() {
	local port fd
	for port in $(shuf -i 900-999); do
		exec {fd}>>"$PORT_LOCKS/priv-$port.lock" || continue
		if flock -n "$fd" && ! ss -Htuan | awk '{ print $5 }' |
		    grep -qE "[:.]$port\$"; then
			PRIV_PORT=$port
			return 0
		fi
		exec {fd}>&-
	done
	PRIV_PORT=454	# none free: the old fixed choice
}
reserve_priv_port
declare -A DOT_PORTS

ok() { echo "ok - $1"; }
fail() { echo "not ok - $1: ${2:-failed}"; FAILS=$((FAILS + 1)); }
skip() { echo "skip - $1: ${2:-skipped}"; }
bail() { fail "$@"; exit 1; }

# check NAME DETAIL CMD...: ok if CMD succeeds, else fail with DETAIL.
check() {
	local name=$1 detail=$2
	shift 2
	if "$@"; then ok "$name"; else fail "$name" "$detail"; fi
}

oneline() { tr '\n' ' ' <<<"$1" | sed 's/ *$//'; }

# expect_eq NAME WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1" "want [$(oneline "$2")] got [$(oneline "$3")]"
	fi
}

have_ipv6() { ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/'; }

# wait_for CMD...: until CMD succeeds (true) or WAIT_SECONDS pass (false).
wait_for() {
	local end=$((SECONDS + WAIT_SECONDS))
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# wait_port PROTO HOST PORT [PID]: until something listens there (at most
# WAIT_SECONDS); gives up early when PID has exited.
wait_port() {
	local flag=-t addr=$2:$3 end=$((SECONDS + WAIT_SECONDS))
	[ "$1" = udp ] && flag=-u
	case $2 in *:*) addr="[$2]:$3" ;; esac
	while :; do
		ss -Hln $flag | awk '{ print $4 }' | grep -qxF "$addr" && return 0
		[ -n "${4:-}" ] && ! alive "$4" && return 1
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# wait_log FILE TEXT: until FILE contains TEXT (at most WAIT_SECONDS).
wait_log() { wait_for grep -qF -- "$2" "$1" 2>/dev/null; }

# log_count FILE TEXT: how many lines of FILE contain TEXT (fixed string).
log_count() { grep -cF -- "$2" "$1" 2>/dev/null; }

# wait_count FILE TEXT N: until at least N lines of FILE contain TEXT.
wait_count() { wait_for count_at_least_ "$@"; }
count_at_least_() { [ "$(log_count "$1" "$2")" -ge "$3" ]; }

# alive PID: running and not yet a zombie (our children stay zombies
# until reaped, so kill -0 alone would lie).
alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $st in Z*) return 1 ;; esac
}

# start_bg LOG CMD...: run CMD in the background, stdout+stderr to LOG;
# sets PID and records it for cleanup.
start_bg() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	PID=$!
	PIDS="$PIDS $PID"
}

# stop_proc PID [SIG]: signal PID, wait up to WAIT_SECONDS, then SIGKILL.
# Sets STATUS to its exit status (128+N when killed by signal N).
stop_proc() {
	local pid=$1
	kill -"${2:-TERM}" "$pid" 2>/dev/null
	wait_for dead_ "$pid"
	alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	STATUS=$?
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
}

# show_logs: the tail of every log, for CI runs whose work dir is lost.
show_logs() {
	local log
	for log in "$TMP"/*.log "$TMP"/*/*.log; do
		[ -f "$log" ] || continue
		echo "# --- ${log#"$TMP"/} (last 15 lines)"
		tail -n 15 "$log" | sed 's/^/#   /'
	done
}

dead_() { ! alive "$1"; }

# cleanup (EXIT trap): stops what this script started; exit status 1 if
# any check failed; the work dir stays for debugging unless all passed.
cleanup() {
	local rc=$? pid
	for pid in $PIDS; do stop_proc "$pid"; done
	[ "$FAILS" -gt 0 ] && rc=1
	if [ "$rc" -eq 0 ]; then
		rm -rf "$TMP"
	else
		show_logs >&2
		echo "# $TEST_NAME: work dir kept: $TMP" >&2
	fi
	exit "$rc"
}

trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# done_testing: ends a script that reached its end (status from FAILS),
# with the marker line tests/run.sh requires as the last result line.
done_testing() {
	echo "done_testing"
	exit 0
}

need_ctstub() {
	[ -x "$CTSTUB" ] || bail "$TEST_NAME: $CTSTUB exists" "not built (make tests)"
}

# same_as_direct LABEL SERVER PORT DIG-ARGS...: ctstub at SERVER:PORT
# answers NOERROR with the answer named gives on its plain port.
same_as_direct() {
	local label=$1 server=$2 port=$3 want got
	shift 3
	want=$(answer_of "$(q 127.0.0.1 "$PORT_PLAIN" "$@")")
	[ -n "$want" ] || fail "$label: direct answer" "named gave none"
	got=$(q "$server" "$port" "$@")
	expect_eq "$label: status" NOERROR "$(status_of "$got")"
	expect_eq "$label: answer" "$want" "$(answer_of "$got")"
}

# load_pins: PIN_ROOT, PIN_INTER, PIN_INTER2 from the PKI's pins.txt.
load_pins() {
	PIN_ROOT=$(awk '$1 == "root" { print $2 }' "$PKI/pins.txt")
	PIN_INTER=$(awk '$1 == "inter" { print $2 }' "$PKI/pins.txt")
	PIN_INTER2=$(awk '$1 == "inter2" { print $2 }' "$PKI/pins.txt")
	if [ -z "$PIN_ROOT" ] || [ -z "$PIN_INTER" ] || [ -z "$PIN_INTER2" ]
	then
		bail "$TEST_NAME: pins.txt" "no root, inter or inter2 pin"
	fi
}

# load_variants: mint_pki, then VARIANTS (every leaf mkpki made) and
# EXPECTED (its expected.txt: NAME accept|refuse why).
load_variants() {
	mint_pki
	EXPECTED=$PKI/expected.txt
	[ -s "$EXPECTED" ] || bail "$TEST_NAME: $EXPECTED" "mkpki wrote none"
	mapfile -t VARIANTS < <(awk '{ print $1 }' "$EXPECTED")
}

# cause VARIANT PREFIX TEXT...: why VARIANT is refused: its reason starts
# with PREFIX (PREFIX[VARIANT]) and contains each TEXT (CAUSES[VARIANT]).
declare -A PREFIX CAUSES
cause() {
	local v=$1
	PREFIX[$v]=$2
	shift 2
	CAUSES[$v]=$(printf '%s\n' "$@")
}

# PY: the python3 the test servers run with.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# mint_pki: the test PKI with CT logs and SCTs in $TMP/pki
# (tests/tools/mkpki.c; tests/tools/README.md lists the leaves).
mint_pki() {
	PKI=$TMP/pki
	"$BUILD/mkpki" "$PKI" >/dev/null ||
	    bail "$TEST_NAME: pki" "$BUILD/mkpki failed"
}

# dot_port LEAF / doh_port LEAF: where named serves DoT / DoH
# (https://127.0.0.1:PORT/dns-query) with LEAF, after start_named.
declare -A DOH_PORTS
dot_port() { echo "${DOT_PORTS[$1]}"; }
doh_port() { echo "${DOH_PORTS[$1]}"; }

# named_conf DIR LEAF...: a named.conf serving example.test on PORT_PLAIN,
# and for each LEAF DoT (ports from NAMED_PORT0+1; good also on ::1) and
# DoH (ports from NAMED_PORT0+70). NAMED_EXTRA_CONF is appended (zones).
named_conf() {
	local dir=$1 leaf i=0
	shift
	cat <<-EOF
	options {
		directory "$dir";
		pid-file "$dir/named.pid";
		session-keyfile "$dir/session.key";
		managed-keys-directory "$dir";
		recursion no;
		dnssec-validation no;
		notify no;
		listen-on port $PORT_PLAIN { 127.0.0.1; };
		listen-on-v6 port $PORT_PLAIN { ::1; };
	EOF
	for leaf in "$@"; do
		i=$((i + 1))
		DOT_PORTS[$leaf]=$((NAMED_PORT0 + i))
		DOH_PORTS[$leaf]=$((NAMED_PORT0 + 69 + i))
		echo "	listen-on port ${DOT_PORTS[$leaf]} tls $leaf { 127.0.0.1; };"
		echo "	listen-on port ${DOH_PORTS[$leaf]} tls $leaf http doh" \
		    "{ 127.0.0.1; };"
		[ "$leaf" = good ] && echo "	listen-on-v6 port" \
		    "${DOT_PORTS[$leaf]} tls $leaf { ::1; };"
	done
	echo "};"
	echo "controls { };"
	echo 'http doh { endpoints { "/dns-query"; }; };'
	for leaf in "$@"; do
		echo "tls $leaf { cert-file \"$PKI/$leaf.pem\";" \
		    "key-file \"$PKI/$leaf.key\"; };"
	done
	echo "zone \"example.test.\" { type primary;" \
	    "file \"$ROOT/tests/named/example.test.zone\"; };"
	printf '%s\n' "${NAMED_EXTRA_CONF:-}"
}

# start_named LEAF...: named on loopback (see named_conf). Needs mint_pki.
start_named() {
	local dir=$TMP/named port
	mkdir -p "$dir"
	named_conf "$dir" "$@" >"$dir/named.conf"
	named-checkconf "$dir/named.conf" >&2 ||
	    bail "$TEST_NAME: named config" "named-checkconf rejected it"
	start_bg "$dir/named.log" named -g -c "$dir/named.conf"
	NAMED_PID=$PID
	wait_port udp 127.0.0.1 "$PORT_PLAIN" "$PID" ||
	    bail "$TEST_NAME: named starts" "see $dir/named.log"
	for port in "$PORT_PLAIN" "${DOT_PORTS[@]}" "${DOH_PORTS[@]}"; do
		wait_port tcp 127.0.0.1 "$port" "$NAMED_PID" ||
		    bail "$TEST_NAME: named listens on $port" "see $dir/named.log"
	done
}

# zone_file NAME RECORDS...: a zone file for NAME in $TMP/zones (SOA, NS
# and ns A 127.0.0.1 first), for plain_named.
zone_file() {
	local name=$1
	shift
	mkdir -p "$TMP/zones"
	{
		echo "\$TTL 300"
		echo "@ IN SOA ns.$name. hostmaster.$name. 1 3600 600 86400 300"
		echo "  IN NS ns.$name."
		echo "ns IN A 127.0.0.1"
		printf '%s\n' "$@"
	} >"$TMP/zones/$name.zone"
}
# plain_named NAME PORT DOT-PORT ZONE...: another named on 127.0.0.1:PORT
# (plain DNS; DoT too on DOT-PORT unless "", with $PKI/corp.pem and
# corp.key) serving each ZONE from zone_file; queries logged in
# $TMP/NAME/named.log.
plain_named() {
	local name=$1 port=$2 dot=$3 dir=$TMP/$1 z
	shift 3
	mkdir -p "$dir"
	{
		echo "options { directory \"$dir\"; pid-file \"$dir/pid\";"
		echo "  session-keyfile \"$dir/session.key\";"
		echo "  recursion no; dnssec-validation no; notify no;"
		echo "  listen-on port $port { 127.0.0.1; }; listen-on-v6 { none; };"
		[ -n "$dot" ] &&
		    echo "  listen-on port $dot tls corp { 127.0.0.1; };"
		echo "};"
		echo "controls { };"
		echo "logging { category queries { default_stderr; }; };"
		[ -n "$dot" ] && echo "tls corp { cert-file \"$PKI/corp.pem\";" \
		    "key-file \"$PKI/corp.key\"; };"
		for z in "$@"; do
			echo "zone \"$z.\" { type primary;" \
			    "file \"$TMP/zones/$z.zone\"; };"
		done
	} >"$dir/named.conf"
	start_bg "$dir/named.log" named -g -c "$dir/named.conf"
	wait_port udp 127.0.0.1 "$port" "$PID" ||
	    bail "$name starts" "see $dir/named.log"
	[ -z "$dot" ] || wait_port tcp 127.0.0.1 "$dot" "$PID" ||
	    bail "$name DoT" "see $dir/named.log"
}
# start_ctstub [-v] [-p PORT] NAME [CONFIG-LINE...]: the one way to start
# a ctstub: on 127.0.0.1:PORT (-p; else the next free port, next_port),
# with the test root as ca-file, the test log list, timeout 3000, user
# nobody when root, then the given lines (upstream ..., listen ::1 PORT,
# ...), which may override those defaults ("timeout 1000"); -v: debug log.
# Sets CT_PORTS[NAME] (its port), CTSTUB_PIDS[NAME] and PID. Config in
# $TMP/NAME.conf, log (stderr) in $TMP/NAME.log.
# Older form, kept: start_ctstub NAME PORT [CONFIG-LINE...] (a number as
# the second argument), where the lines come before the defaults.
declare -A CT_PORTS
start_ctstub() {
	local flags='' port=''
	while :; do
		case $1 in
		-v) flags=-v; shift ;;
		-p) port=$2; shift 2 ;;
		*) break ;;
		esac
	done
	if [ -z "$flags$port" ] && [[ ${2:-} =~ ^[0-9]+$ ]]; then
		ctstub_run_ '' "$1" "$2" early "${@:3}"
		return
	fi
	if [ -z "$port" ]; then
		next_port
		port=$PORT
	fi
	ctstub_run_ "$flags" "$1" "$port" late "${@:2}"
}

# ctstub_run_ FLAGS NAME PORT early|late [CONFIG-LINE...]: writes the
# configuration (the lines before or after the defaults) and starts it.
ctstub_run_() {
	local flags=$1 name=$2 port=$3 where=$4 conf=$TMP/$2.conf
	shift 4
	{
		echo "listen 127.0.0.1 $port"
		echo "control $TMP/run/$name.sock"	# a later control line wins
		# the tests ask the local BIND for names under test.
		echo "local-zone test. forward"
		[ "$where" = early ] && printf '%s\n' "$@"
		echo "ca-file $PKI/root.pem"
		echo "ct-log-list $PKI/ct-logs.json"
		echo "timeout 3000"
		# ctstub refuses to stay root
		[ "$(id -u)" -ne 0 ] || echo "user nobody"
		[ "$where" = late ] && printf '%s\n' "$@"
	} >"$conf"
	# shellcheck disable=SC2086 # FLAGS is empty or one flag
	start_bg "$TMP/$name.log" "$CTSTUB" $flags -d -f "$conf"
	CTSTUB_PIDS[$name]=$PID
	CT_PORTS[$name]=$port
	if ! wait_port udp 127.0.0.1 "$port" "$PID" ||
	    ! wait_port tcp 127.0.0.1 "$port" "$PID"; then
		bail "$TEST_NAME: ctstub $name starts" "see $TMP/$name.log"
	fi
}

# stop_ctstub NAME: SIGTERM must make it exit 0 (within WAIT_SECONDS), and
# its log must hold no sanitizer report.
stop_ctstub() {
	local log=$TMP/$1.log
	stop_proc "${CTSTUB_PIDS[$1]}" TERM
	expect_eq "ctstub $1: SIGTERM, exit status 0" 0 "$STATUS"
	if grep -qE 'Sanitizer|runtime error:' "$log"; then
		fail "ctstub $1: sanitizer clean" "see $log"
	fi
}

# Queries. q SERVER PORT DIG-ARGS...: dig with one try and a bounded wait,
# full output (header comments + answer section).
q() {
	local server=$1 port=$2
	shift 2
	dig @"$server" -p "$port" +tries=1 +time=6 +noall +comments +answer "$@"
}

# Parsers over q's output.
status_of() { sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$1" | head -n 1; }
flags_of() { sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p' <<<"$1" | head -n 1; }
# The answer section without TTLs (a cache may lower them), sorted.
answer_of() {
	grep -v '^;' <<<"$1" | awk 'NF { $2 = ""; print }' | sort
}

# control_cmd SOCKET COMMAND: one request on a control socket, the reply.
control_cmd() {
	"$PY" -c "
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b'\\n')
print(b''.join(iter(lambda: s.recv(4096), b'')).decode())" "$1" "$2"
}

# start_ctstub_flags "FLAGS" NAME PORT [CONFIG-LINE...]: the older form of
# start_ctstub with extra command-line FLAGS (-v) before its own -d -f CONF.
start_ctstub_flags() {
	ctstub_run_ "$1" "$2" "$3" early "${@:4}"
}

# reason_of TEXT: the reason of the first "rejected: REASON" in TEXT.
reason_of() {
	sed -n 's/.* rejected: \(.*\)$/\1/p' <<<"$1" | head -n 1
}

# ede_of DIG-OUTPUT: the EXTRA-TEXT of the first Extended DNS Error.
ede_of() {
	sed -n 's/^; EDE: [0-9]* ([^)]*): (\(.*\))$/\1/p' <<<"$1" | head -n 1
}

# servfail_with LABEL PORT LOG TEXT: www.example.test asked of the ctstub
# at PORT (with EDNS) gets SERVFAIL and TEXT in an EDE 22, and LOG has TEXT.
# Sets OUT to dig's output.
servfail_with() {
	local label=$1 port=$2 log=$3 text=$4 ede
	OUT=$(q 127.0.0.1 "$port" www.example.test A)
	expect_eq "$label: status" SERVFAIL "$(status_of "$OUT")"
	ede=$(grep '^; EDE: ' <<<"$OUT")
	check "$label: EDE 22 (No Reachable Authority)" "EDE line: [$ede]" \
	    grep -qF -- "; EDE: 22 (No Reachable Authority): (" <<<"$ede"
	check "$label: EDE text has '$text'" "EDE line: [$ede]" \
	    grep -qF -- "$text" <<<"$(ede_of "$OUT")"
	check "$label: log has '$text'" "see $log" wait_log "$log" "$text"
}

# HAProxy, for SCTs in the TLS extension (HAProxy 2.6 sends a .sctl file
# over TLS 1.2 only). hap_port LABEL: its port (after start_haproxy).
declare -A HAP_PORTS
hap_port() { echo "${HAP_PORTS[$1]}"; }

# start_haproxy SPEC...: one HAProxy in TCP mode with a TLS 1.2 frontend
# per SPEC, forwarding to named's plain TCP port (needs mint_pki and
# start_named). SPEC is [LABEL=]LEAF[/IDLE]: serve $PKI/LEAF.pem with its
# key and $PKI/LEAF.sctl if there is one, on hap_port LABEL (LABEL
# defaults to LEAF; ports from NAMED_PORT0+50); IDLE is HAProxy's client
# idle timeout (default 30s). Config and log in $TMP/haproxy/.
start_haproxy() {
	local dir=$TMP/haproxy spec label leaf idle port=$((NAMED_PORT0 + 50))
	mkdir -p "$dir"
	{
		printf '%s\n' global '	nbthread 1' defaults '	mode tcp' \
		    '	timeout connect 3s' '	timeout server 30s'
		for spec in "$@"; do
			idle=30s
			case $spec in */*) idle=${spec#*/}; spec=${spec%/*} ;; esac
			label=${spec%%=*}
			leaf=${spec#*=}
			cat "$PKI/$leaf.pem" "$PKI/$leaf.key" >"$dir/$label.pem"
			[ -f "$PKI/$leaf.sctl" ] &&
			    cp "$PKI/$leaf.sctl" "$dir/$label.pem.sctl"
			HAP_PORTS[$label]=$port
			echo "frontend $label"
			echo "	bind 127.0.0.1:$port ssl crt $dir/$label.pem" \
			    "ssl-max-ver TLSv1.2"
			echo "	timeout client $idle"
			echo "	default_backend named"
			port=$((port + 1))
		done
		echo "backend named"
		echo "	server named 127.0.0.1:$PORT_PLAIN"
	} >"$dir/haproxy.cfg"
	# no "haproxy -c": 2.6.12 aborts (double free) at its exit with .sctl
	start_bg "$dir/haproxy.log" haproxy -f "$dir/haproxy.cfg" -db
	HAPROXY_PID=$PID
	for label in "${!HAP_PORTS[@]}"; do
		wait_port tcp 127.0.0.1 "${HAP_PORTS[$label]}" "$PID" ||
		    bail "$TEST_NAME: haproxy listens on ${HAP_PORTS[$label]}" \
			"see $dir/haproxy.log"
	done
}

# port_busy PORT: some TCP or UDP socket on this host uses local port PORT,
# in any state (TIME-WAIT too, which makes a listener's bind fail).
port_busy() {
	ss -Htuan | awk '{ print $5 }' | grep -qE "[:.]$1\$"
}

# next_port: the next port for a listener of this script, from
# CTSTUB_PORT0 up, skipping ports in use. Ports from 32768 are also
# ephemeral ports (ip_local_port_range), which any outgoing connection may
# hold for a while. Sets PORT (call it without $(...), so it remembers).
NEXT_PORT=$CTSTUB_PORT0
next_port() {
	while port_busy "$NEXT_PORT"; do
		NEXT_PORT=$((NEXT_PORT + 1))
	done
	[ "$NEXT_PORT" -lt $((CTSTUB_PORT0 + 100)) ] ||
	    bail "$TEST_NAME: free port" "none left from $CTSTUB_PORT0"
	PORT=$NEXT_PORT
	NEXT_PORT=$((NEXT_PORT + 1))
}

# starts_with TEXT PREFIX: TEXT is not empty and begins with PREFIX.
starts_with() { [ -n "$1" ] && [ "${1#"$2"}" != "$1" ]; }

# add_ctstub [-v] NAME [CONFIG-LINE...]: start_ctstub [-v] NAME LINE...:
# the next free port (CT_PORTS[NAME]), the lines after the defaults.
add_ctstub() { start_ctstub "$@"; }

# start_dotserver NAME PORT LEAF MODE [ARG] [OPTION...]: the DoT fault
# server tests/tools/dotserver.py on 127.0.0.1:PORT with $PKI/LEAF,
# forwarding to named's plain port (after start_named); options as
# dotserver.py takes them (--after N, --tls12, --keylog FILE). Log in
# $TMP/dot-NAME.log; DOTSRV_PIDS[NAME]; sets PID.
declare -A DOTSRV_PIDS
start_dotserver() {
	start_fault_server dot dotserver.py "$@"
	DOTSRV_PIDS[$1]=$PID
}

# start_fault_server PREFIX SCRIPT NAME PORT LEAF MODE...: one of our own
# test servers (tests/tools/SCRIPT) on 127.0.0.1:PORT with LEAF, asking
# named for answers; log in $TMP/PREFIX-NAME.log; sets PID.
start_fault_server() {
	local prefix=$1 script=$2 name=$3 port=$4 leaf=$5
	shift 5
	start_bg "$TMP/$prefix-$name.log" "$PY" "$ROOT/tests/tools/$script" \
	    --cert "$PKI/$leaf.pem" --key "$PKI/$leaf.key" --port "$port" \
	    --upstream "127.0.0.1:$PORT_PLAIN" --mode "$@"
	wait_port tcp 127.0.0.1 "$port" "$PID" ||
	    bail "$TEST_NAME: $script $name starts" "see $TMP/$prefix-$name.log"
}

# dnsperf_run LOG DNSPERF-ARGS...: dnsperf, its report in LOG, then
# dnsperf_read LOG.
dnsperf_run() {
	local log=$1
	shift
	dnsperf "$@" >"$log" 2>&1
	dnsperf_read "$log"
}

# dnsperf_read LOG: from a dnsperf report, DP_SENT, DP_DONE (completed),
# DP_LOST, DP_NOERROR and DP_SERVFAIL (0 when absent).
dnsperf_read() {
	local out
	out=$(cat "$1")
	DP_SENT=$(sed -n 's/^ *Queries sent: *\([0-9]*\).*/\1/p' <<<"$out")
	DP_DONE=$(sed -n 's/^ *Queries completed: *\([0-9]*\).*/\1/p' <<<"$out")
	DP_LOST=$(sed -n 's/^ *Queries lost: *\([0-9]*\).*/\1/p' <<<"$out")
	DP_NOERROR=$(sed -n 's/^ *Response codes: .*NOERROR \([0-9]*\) .*/\1/p' \
	    <<<"$out")
	DP_SERVFAIL=$(sed -n \
	    's/^ *Response codes: .*SERVFAIL \([0-9]*\) .*/\1/p' <<<"$out")
	DP_NOERROR=${DP_NOERROR:-0}
	DP_SERVFAIL=${DP_SERVFAIL:-0}
}

# landlock_abi: the kernel's Landlock ABI version, -1 without Landlock
# (landlock_create_ruleset is call 444 on every architecture).
landlock_abi() {
	"$PY" -c 'import ctypes
print(ctypes.CDLL(None, use_errno=True).syscall(444, None, 0, 1))'
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# elapsed_ms START: milliseconds since START (from now_ms).
elapsed_ms() { echo $(($(now_ms) - $1)); }

# parser_directives: the names in src/conf.c's directives[] table, one a
# line, rows written { "name", ... } or KIND_ROW("name", ...).
parser_directives() {
	awk '/directives\[\] = \{/ { on = 1; next }
	    on && /^};/ { exit }
	    on { if (match($0, /^[ \t]*(\{ |[A-Z]+_ROW\()"[a-z0-9-]+",/)) {
		s = substr($0, RSTART, RLENGTH); sub(/^[^"]*"/, "", s)
		sub(/",$/, "", s); print s } }' "$ROOT/src/conf.c"
}
