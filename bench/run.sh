#!/bin/bash
# SPDX-License-Identifier: ISC
# bench/run.sh: compares ctstub with the stubs users would pick instead.
#
# Starts a local BIND (authoritative for bench.test., 100,000 names; plain
# DNS, DoT and DoH on 127.0.0.1), then, one after the other, each stub on its
# own loopback address (ctstub with a DoT upstream, ctstub with a DoH
# upstream, stubby, unbound, dnsdist, Knot Resolver), and runs the same
# dnsperf workloads against each and against BIND directly:
#   hit    1,000 names cycled for BENCH_HIT_SECONDS after a warm-up pass
#   miss   BENCH_MISS_NAMES unique names, each asked once
#   light  BENCH_LIGHT_NAMES unique names at BENCH_LIGHT_QPS (latency)
# BIND and dnsperf run on CPU 0, the stub on CPU 1 (taskset). Writes the
# tables to docs/benchmarks.md and a plot to docs/benchmarks.png.
#
# Usage: bench/run.sh   (or: make bench, which builds first)
# Environment: BUILD (build dir, default build), BENCH_WORK (work dir,
# default bench/tmp), BENCH_DOC / BENCH_PNG (outputs), BENCH_STUBS (subset
# of: ctstub-dot ctstub-doh stubby unbound dnsdist kresd), BENCH_CEILINGS
# (subset of: udp dot doh), BENCH_HIT_SECONDS (10), BENCH_MISS_NAMES
# (89000), BENCH_LIGHT_NAMES (10000), BENCH_LIGHT_QPS (1000), BENCH_ROUNDS
# (2: everything runs twice, stubs restarted and in reverse order the
# second time; the report keeps the better round of each stub and workload,
# which filters out most disturbance from other jobs on the machine).
# BENCH_REPORT_ONLY=1 rewrites the report from the last run's work dir
# without measuring anything. BENCH_CTSTUB_BASE=PATH adds ctstub-base-dot:
# another ctstub binary (a build of the branch point, say) with the same
# DoT configuration, run in the same rounds, to compare a change before and
# after in one run.
# As root it installs missing Debian packages first. Only loopback
# addresses are used; ports 40053 (plain DNS), 40853 (DoT), 40443 (DoH).

set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
BENCH=$ROOT/bench
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CTSTUB=$BUILD/ctstub
MKPKI=$BUILD/mkpki
WORK=${BENCH_WORK:-$BENCH/tmp}
DOC=${BENCH_DOC:-$ROOT/docs/benchmarks.md}
PNG=${BENCH_PNG:-$ROOT/docs/benchmarks.png}
ALL_STUBS="ctstub-dot ctstub-doh stubby unbound dnsdist kresd ctstub-base-dot"
DEFAULT_STUBS="ctstub-dot ctstub-doh stubby unbound dnsdist kresd"
[ -n "${BENCH_CTSTUB_BASE:-}" ] && DEFAULT_STUBS="$DEFAULT_STUBS ctstub-base-dot"
STUBS=${BENCH_STUBS:-$DEFAULT_STUBS}
CEILINGS=${BENCH_CEILINGS:-udp dot doh}
HIT_SECONDS=${BENCH_HIT_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-2}
MISS_NAMES=${BENCH_MISS_NAMES:-89000}
LIGHT_NAMES=${BENCH_LIGHT_NAMES:-10000}
LIGHT_QPS=${BENCH_LIGHT_QPS:-1000}
ZONE_NAMES=100000
HIT_NAMES=1000

UP_ADDR=127.0.0.1
UDP_PORT=40053
DOT_PORT=40853
DOH_PORT=40443
STUB_PORT=40053		# each stub on its own address, 127.0.0.2 ...
LOAD_CPU=0		# BIND and dnsperf
STUB_CPU=1		# the stub under test
STUB_LOAD="-c 50 -q 200"	# dnsperf against stubs
CEIL_LOAD="-c 10 -q 500"	# dnsperf against BIND directly
LIGHT_LOAD="-c 1 -q 100"	# one socket: BIND alone is asked over one
				# connection, like a stub's upstream

PKGS="bind9 bind9-dnsutils dnsperf stubby unbound dnsdist knot-resolver
  gnuplot-nox procps util-linux iproute2"

T0=$(date +%s)
PIDS=
NOTES=()	# lines for the "Notes from this run" section

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

# alive PID: running and not a zombie.
alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $st in Z*) return 1 ;; esac
}

# stop_pid PID: SIGTERM, up to 5 s, then SIGKILL. Sets STATUS.
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do alive "$pid" || break; sleep 0.1; done
	alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	STATUS=$?
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
}

cleanup() {
	local pid
	for pid in $PIDS; do stop_pid "$pid"; done
	rm -f "$WORK"/raw/*.out "$WORK"/raw/*.lat
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# listening PROTO ADDR PORT: something listens there.
listening() {
	local flag=-t
	[ "$1" = udp ] && flag=-u
	ss -Hln $flag | awk '{ print $4 }' | grep -qxF "$2:$3"
}

# wait_listen PROTO ADDR PORT PID: up to 10 s, gives up when PID exits.
wait_listen() {
	local i
	for i in $(seq 100); do
		listening "$1" "$2" "$3" && return 0
		alive "$4" || return 1
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- packages

missing_pkgs() {
	local p st
	for p in $PKGS; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || st=
		[ "$st" = installed ] || echo "$p"
	done
}

# listeners: "proto addr:port process" for every listening socket.
listeners() {
	ss -Hlntup 2>/dev/null | awk '{ print $1, $5, $7 }' | sort
}

install_pkgs() {
	local need before after started line pid comm
	need=$(missing_pkgs | tr '\n' ' ')
	[ -n "${need// /}" ] || return 0
	[ "$(id -u)" -eq 0 ] ||
	    die "missing packages; as root: apt-get install -y --no-install-recommends $need"
	log "installing $need"
	before=$(listeners)
	# shellcheck disable=SC2086 # a list of package names
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends $need >"$WORK/apt.log" 2>&1 ||
	    { apt-get update -q >>"$WORK/apt.log" 2>&1 &&
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	        --no-install-recommends $need >>"$WORK/apt.log" 2>&1; } ||
	    die "apt-get install failed, see $WORK/apt.log"
	NOTES+=("Installed by this run: $need.")
	# Debian may start the daemons it installs: stop and disable only
	# those that were not listening before the install.
	after=$(listeners)
	started=$(comm -13 <(echo "$before") <(echo "$after"))
	while read -r line; do
		[ -n "$line" ] || continue
		pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$line" | head -n 1)
		comm=$(sed -n 's/.*(("\([^"]*\)".*/\1/p' <<<"$line")
		case $comm in named | unbound | dnsdist | kresd | stubby) ;; *) continue ;; esac
		local unit=$comm
		[ "$comm" = kresd ] && unit=kresd@1
		if systemctl stop "$unit" >/dev/null 2>&1; then
			systemctl disable "$unit" >/dev/null 2>&1
		elif [ -n "$pid" ]; then
			kill "$pid" 2>/dev/null
		fi
		NOTES+=("The install started $comm ($line); this run stopped and disabled it.")
	done <<<"$started"
}

# ---------------------------------------------------------------- setup

setup() {
	mkdir -p "$WORK"
	install_pkgs
	local t
	for t in named dnsperf dig taskset ss gnuplot; do
		command -v "$t" >/dev/null || die "$t not found"
	done
	if [ ! -x "$CTSTUB" ] || [ ! -x "$MKPKI" ]; then
		log "building ctstub and mkpki (make tests)"
		make -s -C "$ROOT" BUILD="$BUILD" tests >&2 || die "build failed"
	fi
	if [ "$(nproc)" -lt 2 ]; then
		STUB_CPU=0
		NOTES+=("Only one CPU: stub and load generator share CPU 0.")
	fi
	local port
	for port in $UDP_PORT $DOT_PORT $DOH_PORT; do
		listening tcp $UP_ADDR "$port" && die "port $UP_ADDR:$port is in use"
	done
	rm -rf "$WORK/named" "$WORK/stubs" "$WORK/raw" "$WORK/pki"
	mkdir -p "$WORK/named" "$WORK/stubs" "$WORK/raw"
	PKI=$WORK/pki
	"$MKPKI" "$PKI" >/dev/null || die "mkpki failed"
	sh "$BENCH/mkzone.sh" "$ZONE_NAMES" >"$WORK/named/bench.test.zone"
	# query files: disjoint name sets, so each workload starts cold
	local hi=$((HIT_NAMES + LIGHT_NAMES)) end
	end=$((hi + MISS_NAMES))
	[ "$end" -le "$ZONE_NAMES" ] || die "more names asked than the zone has"
	awk -v a=0 -v b=$HIT_NAMES 'BEGIN { for (i = a; i < b; i++)
	    printf "n%d.bench.test A\n", i }' >"$WORK/hit.txt"
	awk -v a=$HIT_NAMES -v b=$hi 'BEGIN { for (i = a; i < b; i++)
	    printf "n%d.bench.test A\n", i }' >"$WORK/light.txt"
	awk -v a=$hi -v b=$end 'BEGIN { for (i = a; i < b; i++)
	    printf "n%d.bench.test A\n", i }' >"$WORK/miss.txt"
	rm -f "$WORK"/results*.tsv
	: >"$WORK/status.tsv"
	CLK_TCK=$(getconf CLK_TCK)
}

# render TEMPLATE OUT [VAR=VALUE...]: the template with @VAR@ replaced.
render() {
	local in=$1 out=$2 kv args=()
	shift 2
	args+=(-e "s|@WORK@|$WORK|g" -e "s|@PKI@|$PKI|g"
	    -e "s|@UP_ADDR@|$UP_ADDR|g" -e "s|@UDP_PORT@|$UDP_PORT|g"
	    -e "s|@DOT_PORT@|$DOT_PORT|g" -e "s|@DOH_PORT@|$DOH_PORT|g")
	for kv; do args+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
	sed "${args[@]}" "$in" >"$out"
}

start_named() {
	local conf=$WORK/named/named.conf port
	render "$BENCH/conf/named.conf.in" "$conf"
	named-checkconf "$conf" >&2 || die "named-checkconf rejected $conf"
	taskset -c $LOAD_CPU named -g -n 1 -c "$conf" >"$WORK/named/named.log" 2>&1 &
	NAMED_PID=$!
	PIDS="$PIDS $NAMED_PID"
	wait_listen udp $UP_ADDR $UDP_PORT $NAMED_PID || die "named did not start, see $WORK/named/named.log"
	for port in $UDP_PORT $DOT_PORT $DOH_PORT; do
		wait_listen tcp $UP_ADDR "$port" $NAMED_PID ||
		    die "named does not listen on $port, see $WORK/named/named.log"
	done
	[ "$(dig @$UP_ADDR -p $UDP_PORT +short +tries=1 +time=3 n42.bench.test A)" = 198.18.0.42 ] ||
	    die "named does not answer for bench.test"
}

# ---------------------------------------------------------------- measuring

# tree PID: PID and all its descendants.
tree() {
	local p
	echo "$1"
	for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do tree "$p"; done
}

# cpu_ticks PID: utime+stime of PID and its descendants (all threads).
cpu_ticks() {
	local p sum=0 t
	for p in $(tree "$1"); do
		# fields after the ")" of comm: 12th and 13th are utime, stime
		t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }')
		sum=$((sum + ${t:-0}))
	done
	echo "$sum"
}

# peak_rss_kib PID: VmHWM of PID and its descendants, summed.
peak_rss_kib() {
	local p sum=0 k
	for p in $(tree "$1"); do
		k=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		sum=$((sum + ${k:-0}))
	done
	echo "$sum"
}

# summarize RAW: from dnsperf -v output, prints
# "qps avg_ms p50_ms p99_ms p999_ms max_ms completed loss_pct err_pct".
# Percentiles are nearest-rank over every answered query's latency. Loss:
# a time-limited run reports the queries still in flight when time ran out
# as lost (the trailing run of "T" lines); those are not counted.
summarize() {
	local raw=$1 lat=$1.lat trailing timed
	trailing=$(awk '/^> / { if ($2 == "T" || $2 == "I") t++; else { t = 0; print $NF > LAT } }
	    END { print t + 0 }' LAT="$lat" "$raw")
	timed=0
	grep -q 'Testing complete (time limit)' "$raw" && timed=$trailing
	sort -g -o "$lat" "$lat"
	awk -v timed="$timed" -v latfile="$lat" '
	/Queries completed:/ { completed = $3 }
	/Queries lost:/ { lost = $3 }
	/Response codes:/ { for (i = 3; i <= NF; i++) if ($i == "NOERROR") noerr = $(i + 1) }
	/Queries per second:/ { qps = $4 }
	/Average Latency \(s\):/ && avg == "" { avg = $4 }
	END {
		n = 0
		while ((getline l < latfile) > 0) v[++n] = l
		if (n == 0 || completed == "") { print "-"; exit }
		lost -= timed; if (lost < 0) lost = 0
		p50 = v[int(n * 0.50 + 0.999999)]; p99 = v[int(n * 0.99 + 0.999999)]
		p999 = v[int(n * 0.999 + 0.999999)]
		if (p50 == "") p50 = v[n]; if (p99 == "") p99 = v[n]; if (p999 == "") p999 = v[n]
		printf "%.0f %.3f %.3f %.3f %.3f %.3f %d %.2f %.2f\n", qps, avg * 1000,
		    p50 * 1000, p99 * 1000, p999 * 1000, v[n] * 1000, completed,
		    100 * lost / (completed + lost),
		    100 * (completed - noerr) / (completed > 0 ? completed : 1)
	}' "$raw"
}

# perf NAME WORKLOAD PID MODE ADDR PORT DNSPERF-ARGS...: one dnsperf run
# on LOAD_CPU, CPU of PID (the stub, or named for ceilings) measured
# around it. Appends "NAME WORKLOAD qps avg p50 p99 p999 max completed
# loss err cpu_us" to results.rROUND.tsv; returns 1 when PID died meanwhile.
perf() {
	local name=$1 wl=$2 pid=$3 mode=$4 addr=$5 port=$6 raw c0 c1 s cpu
	shift 6
	raw=$WORK/raw/$name.$wl.r$ROUND.out
	local extra=()
	[ "$mode" = doh ] && extra=(-O "doh-uri=https://$addr:$port/dns-query" -O doh-method=POST)
	log "$name: $wl"
	c0=$(cpu_ticks "$pid")
	taskset -c $LOAD_CPU dnsperf -m "$mode" -s "$addr" -p "$port" "${extra[@]}" -v "$@" >"$raw" 2>&1
	c1=$(cpu_ticks "$pid")
	grep -v '^> ' "$raw" >"${raw%.out}.txt"	# the summary, kept
	s=$(summarize "$raw")
	rm -f "$raw" "$raw.lat"
	if ! alive "$pid"; then
		status_add "$name" "$wl" died
		return 1
	fi
	if [ "$s" = - ]; then
		status_add "$name" "$wl" "no answers"
		return 0
	fi
	# shellcheck disable=SC2086
	set -- $s
	cpu=$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" -v n="$7" \
	    'BEGIN { printf "%.1f", (n > 0) ? d / hz * 1e6 / n : 0 }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$wl" \
	    "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "$cpu" >>"$WORK/results.r$ROUND.tsv"
}

# status_add NAME KEY VALUE: a line of status.tsv, with the round.
status_add() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$ROUND" >>"$WORK/status.tsv"
}

# pick_best: results.tsv from the rounds: per stub and workload the round
# with the higher qps (hit, miss) or the lower p50 (light).
pick_best() {
	cat "$WORK"/results.r*.tsv 2>/dev/null | awk -F '\t' '
	{ k = $1 "\t" $2
	  better = !(k in row) || ($2 == "light" ? $5 < p50[k] : $3 > qps[k])
	  if (better) { row[k] = $0; qps[k] = $3; p50[k] = $5 }
	  if (!(k in order)) { order[k] = ++n; keys[n] = k } }
	END { for (i = 1; i <= n; i++) print row[keys[i]] }' >"$WORK/results.tsv"
}

# ---------------------------------------------------------------- ceilings

ceiling() { # udp|dot|doh
	local m=$1 port name=upstream-$1
	case $m in udp) port=$UDP_PORT ;; dot) port=$DOT_PORT ;; doh) port=$DOH_PORT ;; esac
	# shellcheck disable=SC2086
	perf "$name" hit $NAMED_PID "$m" $UP_ADDR $port -d "$WORK/hit.txt" \
	    -l "$HIT_SECONDS" $CEIL_LOAD &&
	perf "$name" miss $NAMED_PID "$m" $UP_ADDR $port -d "$WORK/miss.txt" \
	    -n 1 $CEIL_LOAD &&
	perf "$name" light $NAMED_PID "$m" $UP_ADDR $port -d "$WORK/light.txt" \
	    -n 1 -Q "$LIGHT_QPS" $LIGHT_LOAD
}

# ---------------------------------------------------------------- stubs

# stub_setup NAME ADDR DIR: writes its configuration, sets CMD.
stub_setup() {
	local name=$1 addr=$2 dir=$3 kv=("ADDR=$2" "PORT=$STUB_PORT" "DIR=$3")
	case $name in
	ctstub-dot)
		render "$BENCH/conf/ctstub.conf.in" "$dir/ctstub.conf" "${kv[@]}" \
		    "UPSTREAM=dot://$UP_ADDR:$DOT_PORT"
		CMD=("$CTSTUB" -d -f "$dir/ctstub.conf") ;;
	ctstub-doh)
		render "$BENCH/conf/ctstub.conf.in" "$dir/ctstub.conf" "${kv[@]}" \
		    "UPSTREAM=https://$UP_ADDR:$DOH_PORT/dns-query"
		CMD=("$CTSTUB" -d -f "$dir/ctstub.conf") ;;
	ctstub-base-dot)
		[ -x "${BENCH_CTSTUB_BASE:-}" ] || return 1
		# a build from before local-zone knows no local-zone lines
		render "$BENCH/conf/ctstub.conf.in" "$dir/ctstub.conf" "${kv[@]}" \
		    "UPSTREAM=dot://$UP_ADDR:$DOT_PORT"
		"$BENCH_CTSTUB_BASE" -n -f "$dir/ctstub.conf" >/dev/null 2>&1 ||
		    sed -i '/^local-zone /d' "$dir/ctstub.conf"
		CMD=("$BENCH_CTSTUB_BASE" -d -f "$dir/ctstub.conf") ;;
	stubby)
		render "$BENCH/conf/stubby.yml.in" "$dir/stubby.yml" "${kv[@]}"
		CMD=(stubby -C "$dir/stubby.yml") ;;
	unbound)
		render "$BENCH/conf/unbound.conf.in" "$dir/unbound.conf" "${kv[@]}"
		CMD=(unbound -d -c "$dir/unbound.conf") ;;
	dnsdist)
		render "$BENCH/conf/dnsdist.conf.in" "$dir/dnsdist.conf" "${kv[@]}"
		CMD=(dnsdist --supervised --disable-syslog -C "$dir/dnsdist.conf") ;;
	kresd)
		mkdir -p "$dir/cache"
		render "$BENCH/conf/kresd.conf.in" "$dir/kresd.conf" "${kv[@]}"
		CMD=(kresd -n -c "$dir/kresd.conf" "$dir") ;;
	*) return 1 ;;
	esac
}

# stub_fail NAME REASON
stub_fail() {
	log "$1: $2"
	status_add "$1" start "$2"
}

# last_log_line LOG: the last non-empty line, shortened, without "|".
last_log_line() {
	grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n 1 | cut -c1-160 | tr '|' '/'
}

run_stub() { # NAME ADDR
	local name=$1 addr=$2 dir=$WORK/stubs/$1.r$ROUND pid i ans ok=0 logf
	mkdir -p "$dir"
	logf=$dir/$name.log
	if ! stub_setup "$name" "$addr" "$dir"; then
		stub_fail "$name" "failed to start: no configuration"; return
	fi
	if ! command -v "${CMD[0]}" >/dev/null; then
		stub_fail "$name" "failed to start: ${CMD[0]} not installed"; return
	fi
	if listening udp "$addr" $STUB_PORT; then
		stub_fail "$name" "failed to start: $addr:$STUB_PORT already in use"; return
	fi
	log "$name: starting on $addr:$STUB_PORT"
	taskset -c $STUB_CPU "${CMD[@]}" >"$logf" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	if ! wait_listen udp "$addr" $STUB_PORT $pid; then
		if alive $pid; then
			stub_fail "$name" "failed to start: not listening after 10 s"
		else
			stub_fail "$name" "failed to start: exited ($(last_log_line "$logf"))"
		fi
		stop_pid $pid; return
	fi
	# ready when it answers through the upstream (dnsdist needs a health
	# check first, the others a TLS handshake)
	for i in $(seq 10); do
		ans=$(dig @"$addr" -p $STUB_PORT +short +tries=1 +time=2 health.bench.test A 2>&1)
		[ "$ans" = 127.0.0.1 ] && { ok=1; break; }
		alive $pid || break
		sleep 0.5
	done
	if [ $ok = 0 ]; then
		stub_fail "$name" "failed to start: no answer through it ($(echo "$ans" | tail -n 1 | cut -c1-80); log: $(last_log_line "$logf"))"
		stop_pid $pid; return
	fi
	# warm-up: fills the cache with the 1,000 hit names, twice to be sure
	# nothing was still in flight
	# shellcheck disable=SC2086
	taskset -c $LOAD_CPU dnsperf -s "$addr" -p $STUB_PORT -d "$WORK/hit.txt" \
	    -n 2 $STUB_LOAD >"$WORK/raw/$name.warmup.r$ROUND.txt" 2>&1
	# shellcheck disable=SC2086
	perf "$name" hit $pid udp "$addr" $STUB_PORT -d "$WORK/hit.txt" \
	    -l "$HIT_SECONDS" $STUB_LOAD &&
	perf "$name" miss $pid udp "$addr" $STUB_PORT -d "$WORK/miss.txt" \
	    -n 1 $STUB_LOAD &&
	perf "$name" light $pid udp "$addr" $STUB_PORT -d "$WORK/light.txt" \
	    -n 1 -Q "$LIGHT_QPS" $LIGHT_LOAD
	if alive $pid; then
		local rss
		rss=$(peak_rss_kib $pid)
		status_add "$name" rss "$rss"
		stop_pid $pid
		status_add "$name" exit "$STATUS"
	else
		stop_pid $pid
		status_add "$name" died "exit status $STATUS ($(last_log_line "$logf"))"
	fi
	rm -rf "$dir/cache"	# kresd's 100 MB LMDB file
}

# ---------------------------------------------------------------- report

versions() {
	echo "| component | version |"
	echo "|---|---|"
	echo "| ctstub | $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown) (git), built in \`${BUILD#"$ROOT"/}\` |"
	echo "| BIND (upstream) | $(named -v 2>&1 | head -n 1) |"
	echo "| dnsperf | $(dnsperf -h 2>&1 | sed -n 's/^Version //p' | head -n 1) |"
	echo "| stubby | $(dpkg-query -W -f='${Version}' stubby 2>/dev/null) ($(stubby -V 2>&1 | head -n 1), Debian package) |"
	echo "| unbound | $(unbound -V 2>&1 | head -n 1) |"
	echo "| dnsdist | $(dnsdist --version 2>&1 | head -n 1) |"
	echo "| Knot Resolver | $(kresd --version 2>&1 | head -n 1) |"
	echo "| OpenSSL | $(openssl version 2>&1) |"
	echo "| gnuplot | $(gnuplot --version 2>&1) |"
}

label() {
	case $1 in
	ctstub-dot) echo "ctstub (DoT upstream)" ;;
	ctstub-doh) echo "ctstub (DoH upstream)" ;;
	ctstub-base-dot) echo "ctstub before (DoT upstream, BENCH_CTSTUB_BASE)" ;;
	stubby) echo "stubby (DoT, no cache)" ;;
	unbound) echo "unbound (forward-tls-upstream)" ;;
	dnsdist) echo "dnsdist (DoT backend, packet cache)" ;;
	kresd) echo "Knot Resolver (TLS_FORWARD)" ;;
	upstream-udp) echo "BIND alone, UDP (ceiling)" ;;
	upstream-dot) echo "BIND alone, DoT (ceiling)" ;;
	upstream-doh) echo "BIND alone, DoH (ceiling)" ;;
	*) echo "$1" ;;
	esac
}

# field NAME WORKLOAD COL: a column of results.tsv (3 = qps ... 12 = cpu).
field() {
	awk -F '\t' -v n="$1" -v w="$2" -v c="$3" \
	    '$1 == n && $2 == w { print $c; exit }' "$WORK/results.tsv"
}

status_of() { # NAME KEY
	awk -F '\t' -v n="$1" -v k="$2" '$1 == n && $2 == k { print $3; exit }' \
	    "$WORK/status.tsv"
}

rss_mib() {
	local k
	k=$(awk -F '\t' -v n="$1" '$1 == n && $2 == "rss" && $3 > m { m = $3 }
	    END { if (m != "") print m }' "$WORK/status.tsv")
	[ -n "$k" ] && awk -v k="$k" 'BEGIN { printf "%.1f", k / 1024 }'
}

# why_missing NAME WORKLOAD: why a row has no numbers.
why_missing() {
	local s
	s=$(status_of "$1" start)
	[ -n "$s" ] && { echo "$s"; return; }
	s=$(status_of "$1" "$2")
	[ -n "$s" ] && { echo "$s"; return; }
	s=$(status_of "$1" died)
	[ -n "$s" ] && { echo "died in an earlier workload: $s"; return; }
	echo "not run"
}

rows() { # WORKLOAD NAME...
	local wl=$1 n
	shift
	for n; do
		if [ -z "$(field "$n" "$wl" 3)" ]; then
			echo "| $(label "$n") | $(why_missing "$n" "$wl") | | | | | | |"
			continue
		fi
		local rss=—
		case $n in upstream-*) ;; *) rss=$(rss_mib "$n"); rss=${rss:-—} ;; esac
		echo "| $(label "$n") | $(field "$n" "$wl" 3) | $(field "$n" "$wl" 4) | $(field "$n" "$wl" 6) | $(field "$n" "$wl" 10) | $(field "$n" "$wl" 11) | $(field "$n" "$wl" 12) | $rss |"
	done
}

table() { # WORKLOAD
	echo "| stub | qps | avg ms | p99 ms | loss % | non-NOERROR % | CPU µs/query | peak RSS MiB |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	# shellcheck disable=SC2046,SC2086
	rows "$1" $(for c in $CEILINGS; do echo "upstream-$c"; done) $STUBS
}

# diff_ms A B: A - B with 3 decimals, or empty.
diff_ms() {
	[ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.3f", a - b }'
}

light_table() {
	local n udp50 udp99
	udp50=$(field upstream-udp light 5)
	udp99=$(field upstream-udp light 6)
	echo "| stub | avg ms | p50 ms | p99 ms | p99.9 ms | max ms | +p50 vs BIND UDP | +p99 vs BIND UDP | loss % | CPU µs/query |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for n in $(for c in $CEILINGS; do echo "upstream-$c"; done) $STUBS; do
		if [ -z "$(field "$n" light 3)" ]; then
			echo "| $(label "$n") | $(why_missing "$n" light) | | | | | | | | |"
			continue
		fi
		echo "| $(label "$n") | $(field "$n" light 4) | $(field "$n" light 5) | $(field "$n" light 6) | $(field "$n" light 7) | $(field "$n" light 8) | $(diff_ms "$(field "$n" light 5)" "$udp50") | $(diff_ms "$(field "$n" light 6)" "$udp99") | $(field "$n" light 10) | $(field "$n" light 12) |"
	done
}

# best WORKLOAD COL max|min: "value name" of the best peer (not ctstub).
best_peer() {
	local n v out=
	for n in stubby unbound dnsdist kresd; do
		v=$(field "$n" "$1" "$2")
		[ -n "$v" ] && out+="$v $n"$'\n'
	done
	[ -n "$out" ] || return 0
	if [ "$3" = max ]; then
		grep . <<<"$out" | sort -gr | head -n 1
	else
		grep . <<<"$out" | sort -g | head -n 1
	fi
}

ratio() { # A B: A/B with 2 decimals, or "—"
	if [ -n "$1" ] && [ -n "$2" ]; then
		awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "—"; else printf "%.2f", a / b }'
	else
		echo "—"
	fi
}

# light_reading: how to read the light-load table, with this run's numbers.
light_reading() {
	local dot doh
	dot=$(field upstream-dot light 5)
	doh=$(field upstream-doh light 5)
	cat <<EOF
Reading it:

- About 1 ms of what most DoT stubs add here is not theirs. BIND 9.18
  behaves as if Nagle's algorithm were on for its TCP and TLS answers (no
  \`TCP_NODELAY\`): it holds a small answer until the previous one is
  acknowledged, and a Linux client delays its ACKs. Over one connection,
  each answer then waits for the client's next query, which carries the
  ACK of the answer before it, or for the delayed-ACK timer (~40 ms, hence
  the max column).
  While this benchmark was written, a small Python DoT client saw the
  same against this BIND over one connection: p50 1.04 ms at 1,000 qps,
  3.4 ms at 300 qps, 10.1 ms at 100 qps (one inter-arrival time each
  time). Re-arming \`TCP_QUICKACK\` after each read took it to 0.18, 0.23 and
  0.37 ms. dnsperf over plain TCP with one connection shows it as well.
  The BIND-alone DoT row uses one dnsperf connection, so it shows the
  delay or not (p50 ${dot:-?} ms in this run) depending on whether the
  connection settles into that lock-step.
- Stubs with one upstream connection (stubby, unbound, kresd) inherit the
  delay. ctstub does not: it re-arms \`TCP_QUICKACK\` on its upstream
  sockets after every read (and sets \`TCP_NODELAY\`). dnsdist spreads
  queries over its TCP workers' connections, and BIND's DoH (HTTP/2) path
  does not show it.
- dnsperf's own DoH client is slow: BIND-alone DoH p50 ${doh:-?} ms. That
  row is no reference for latency.
EOF
}

ratios() {
	local wl col dir what best bv bn shown
	echo "| workload | metric | best peer | ctstub DoT / best peer | ctstub DoH / best peer |"
	echo "|---|---|---|---:|---:|"
	for wl in hit miss light; do
		for col in 3 6 12; do
			case $col in 3) dir=max what="qps (higher is better)" ;;
			6) dir=min what="p99 latency (lower is better)" ;;
			12) dir=min what="CPU µs/query (lower is better)" ;; esac
			[ "$wl" = light ] && [ $col = 3 ] && continue
			best=$(best_peer $wl $col $dir)
			bv=${best%% *} bn=${best#* }
			[ -n "$best" ] || { bv=''; bn=none; }
			shown="$(label "$bn") ($bv)"
			[ "$bn" = none ] && shown="— (no peer ran)"
			echo "| $wl | $what | $shown | $(ratio "$(field ctstub-dot $wl $col)" "$bv") | $(ratio "$(field ctstub-doh $wl $col)" "$bv") |"
		done
	done
	# peak RSS
	local rbest='' r n
	for n in stubby unbound dnsdist kresd; do
		r=$(rss_mib $n)
		[ -n "$r" ] && rbest+="$r $n"$'\n'
	done
	rbest=$(sort -g <<<"$rbest" | grep . | head -n 1)
	if [ -n "$rbest" ]; then
		echo "| all | peak RSS (lower is better) | $(label "${rbest#* }") (${rbest%% *} MiB) | $(ratio "$(rss_mib ctstub-dot)" "${rbest%% *}") | $(ratio "$(rss_mib ctstub-doh)" "${rbest%% *}") |"
	fi
	echo
	echo "ctstub against the upstream's own ceiling on the cache-miss workload"
	echo "(every query must cross the encrypted transport):"
	echo
	echo "- ctstub DoT cache-miss qps / BIND-alone DoT qps: $(ratio "$(field ctstub-dot miss 3)" "$(field upstream-dot miss 3)")"
	echo "  ($(field ctstub-dot miss 3) / $(field upstream-dot miss 3))"
	echo "- ctstub DoH cache-miss qps / BIND-alone DoH qps: $(ratio "$(field ctstub-doh miss 3)" "$(field upstream-doh miss 3)")"
	echo "  ($(field ctstub-doh miss 3) / $(field upstream-doh miss 3))"
	echo
	echo "The BIND-alone rows are limited by dnsperf as much as by BIND: dnsperf's"
	echo "TLS and HTTP/2 client runs on the same core as BIND (CPU $LOAD_CPU) and"
	echo "uses $CEIL_LOAD. A stub on the other core, with one long-lived"
	echo "upstream connection, can therefore go above 1."
}

plot_label() {
	case $1 in
	ctstub-dot) echo "ctstub DoT" ;;
	ctstub-doh) echo "ctstub DoH" ;;
	upstream-udp) echo "BIND UDP" ;;
	upstream-dot) echo "BIND DoT" ;;
	upstream-doh) echo "BIND DoH" ;;
	*) echo "$1" ;;
	esac
}

plot() {
	local dat=$WORK/plot.dat n v col
	{
		echo "# name hit miss p50 p99"
		for n in $(for c in $CEILINGS; do echo "upstream-$c"; done) $STUBS; do
			printf '"%s"' "$(plot_label "$n")"
			for col in "hit 3" "miss 3" "light 5" "light 6"; do
				# shellcheck disable=SC2086
				v=$(field "$n" $col)
				printf ' %s' "${v:-NaN}"
			done
			echo
		done
	} >"$dat"
	gnuplot >"$WORK/gnuplot.log" 2>&1 <<EOF
set terminal pngcairo size 1200,950 font "DejaVu Sans,10"
set output "$PNG"
set datafile missing "NaN"
set multiplot layout 2,1 title "ctstub and peers, $(date -u -d "@$T1" +%Y-%m-%d), $(nproc) cores; stub on CPU $STUB_CPU, BIND+dnsperf on CPU $LOAD_CPU"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key top right
set xtics font ",8"
set offsets 0, 0, graph 0.15, 0
set xrange [-0.6:$(grep -vc '^#' "$dat") - 0.4]
set ylabel "queries per second"
set title "Throughput (dnsperf; -c 50 -q 200 against stubs, -c 10 -q 500 against BIND alone)"
set yrange [0:*]
plot "$dat" using 2:xtic(1) title "cache hit (1,000 names cycled)", \
     "" using 3 title "cache miss ($MISS_NAMES unique names)"
set ylabel "milliseconds"
set title "Latency at $LIGHT_QPS qps, cache misses (dnsperf -v per-query latencies)"
plot "$dat" using 4:xtic(1) title "p50", "" using 5 title "p99"
unset multiplot
EOF
	[ -s "$PNG" ] || NOTES+=("gnuplot failed: $(tail -n 3 "$WORK/gnuplot.log" | tr '\n' ' ')")
}

ctstub_log_notes() {
	local n f lines
	for n in ctstub-dot ctstub-doh; do
		f=$(ls "$WORK"/stubs/"$n".r*/"$n".log 2>/dev/null)
		[ -n "$f" ] || continue
		# shellcheck disable=SC2086 # one log per round
		lines=$(cat $f | grep -vE ' info: |running as root' | sed 's/^[0-9TZ:.-]* //' |
		    sort | uniq -c | sort -rn | head -n 8)
		if [ -n "$lines" ]; then
			NOTES+=("$(label $n) logged (count and line):"$'\n'"$(awk '{ c = $1; sub(/^ *[0-9]+ /, ""); printf "  - %d x %c%s%c\n", c, 96, $0, 96 }' <<<"$lines")")
		else
			NOTES+=("$(label $n) logged nothing above info level.")
		fi
		local st
		st=$(awk -F '\t' -v n=$n '$1 == n && $2 == "exit" && $3 != 0 { printf "%s (round %s) ", $3, $4 }' "$WORK/status.tsv")
		[ -n "$st" ] && NOTES+=("$(label $n) exited with status $st on SIGTERM (expected 0).")
	done
}

write_doc() {
	local mins model
	mins=$(awk -v s=$((T1 - T0)) 'BEGIN { printf "%d min %02d s", s / 60, s % 60 }')
	model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	ctstub_log_notes
	plot
	{
		cat <<EOF
# Benchmarks: ctstub and the stubs users would pick instead

This file is written by \`bench/run.sh\` (\`make bench\`); the numbers below
are from one run ($ROUNDS rounds, see Setup). Rerun it to refresh them:
absolute numbers move between runs and machines (up to ~2x on shared
virtual machines), ratios within one run are steadier.

- Date: $(date -u -d "@$T1" '+%Y-%m-%d %H:%M UTC')
- Command: \`make bench\` (runs \`BUILD=build bench/run.sh\` after building)
- Machine: $(nproc) cores, ${model:-unknown CPU}, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr), $(sed -n 's/^PRETTY_NAME="\(.*\)"/\1/p' /etc/os-release)
- Load average at start / end: $LOAD0 / $LOAD1
- Whole run: $mins

## Setup

- Upstream: BIND on $UP_ADDR, authoritative for \`bench.test.\` with
  $ZONE_NAMES names (\`n0\` ... \`n$((ZONE_NAMES - 1))\`, A records, TTL one
  day; \`bench/mkzone.sh\`), plain DNS on port $UDP_PORT, DoT on
  $DOT_PORT, DoH (HTTP/2, \`/dns-query\`) on $DOH_PORT, with the \`good\`
  leaf of \`build/mkpki\` (IP SAN 127.0.0.1, DNS SAN dns.example.test, SCTs
  from three test logs). \`named -n 1\`.
- Each stub on its own loopback address, port $STUB_PORT, one at a time:
  ctstub (DoT) 127.0.0.2, ctstub (DoH) 127.0.0.3, stubby 127.0.0.4,
  unbound 127.0.0.5, dnsdist 127.0.0.6, kresd 127.0.0.7. All trust only the
  test root. ctstub checks the IP SAN and CT (SCTs from two operators, the
  test log list); the peers check the chain and the name
  dns.example.test, and none of them checks CT. Configurations:
  \`bench/conf/\`. Peer tuning beyond the defaults: unbound
  \`num-threads: 1\`, \`do-not-query-localhost: no\`, \`local-zone: "test."
  nodefault\`, no validator; dnsdist \`maxInFlight=100\` on the backend (out
  of order on one connection), a health-check name in the zone, a
  10,000-entry packet cache; kresd \`net.tcp_pipeline(4096)\`, no trust
  anchor. ctstub runs with its defaults (cache of 10,000 answers) and
  \`user nobody\`. stubby has no cache, so its cache-hit row is one more
  miss workload.
- Addresses: only BIND needs an address configured on an interface
  (127.0.0.1); the stubs bind 127.0.0.2 and up, which Linux routes to
  \`lo\` without configuration, so the run changes no interface.
- Pinning: BIND and dnsperf on CPU $LOAD_CPU, the stub on CPU $STUB_CPU
  (\`taskset -c\`).
- Workloads, the same for every stub (dnsperf over UDP to the stub,
  \`$STUB_LOAD\`; against BIND alone \`$CEIL_LOAD\`, DoH with POST):
  - **cache hit**: names \`n0\`..\`n$((HIT_NAMES - 1))\` asked twice as a
    warm-up, then cycled for $HIT_SECONDS s;
  - **cache miss**: $MISS_NAMES other names, each asked once;
  - **light load**: $LIGHT_NAMES more unseen names at $LIGHT_QPS qps
    (\`-Q $LIGHT_QPS $LIGHT_LOAD\`): the latency a user sees when the
    answer is not cached, and what the stub adds to asking BIND directly.
    One dnsperf socket, so BIND alone is asked over a single DoT or DoH
    connection, as each stub asks it.
- Measured: qps and average latency from dnsperf; p50/p99/p99.9 are
  nearest-rank percentiles of the per-query latencies dnsperf prints with
  \`-v\` (answered queries only). Loss: queries without an answer within
  dnsperf's 5 s timeout; for the time-limited cache-hit run, the queries
  still in flight when time ran out are not counted as lost. "non-NOERROR":
  answers with another RCODE (SERVFAIL ...). CPU: utime+stime from
  \`/proc/PID/stat\` of the stub and its descendants (all threads), before
  and after each workload, divided by the answered queries (µs per query =
  ms per 1,000 queries); for the BIND-alone rows it is BIND's CPU. Peak
  RSS: \`VmHWM\` of the stub (and descendants) after all three workloads.
  Nothing else was stopped on the machine: other jobs on it show up as
  noise (see the load average above).
- Rounds: everything ran $ROUNDS times, each stub started afresh every
  round and the stub order reversed in even rounds. Each row shows the
  stub's better round for that workload: higher qps (hit, miss) or lower
  p50 (light). All of a row's numbers come from that one round. Peak RSS
  is the highest of the rounds. Every round's numbers:
  \`${WORK#"$ROOT"/}/results.r*.tsv\`.

## Versions

$(versions)

## Cache hit: 1,000 names cycled for $HIT_SECONDS s after a warm-up

$(table hit)

## Cache miss: $MISS_NAMES unique names, each once

$(table miss)

## Light load: $LIGHT_QPS qps of cache misses, latency distribution

"+p50 / +p99": the stub's percentile minus BIND's asked directly over UDP,
the fastest way to ask it: what going through the stub and an encrypted
transport adds.

$(light_table)

$(light_reading)

## ctstub compared

Ratios of ctstub to the best of stubby, unbound, dnsdist and kresd for
each metric (for qps above 1 is better; for latency, CPU and memory below 1
is better).

$(ratios)

## Plot

![qps per stub and workload, latency at light load]($(basename "$PNG"))

## Notes from this run

EOF
		local n
		if [ ${#NOTES[@]} -eq 0 ]; then
			echo "- none"
		else
			for n in "${NOTES[@]}"; do echo "- $n"; done
		fi
		echo
		echo "Raw dnsperf summaries, configurations and logs of this run:"
		echo "\`${WORK#"$ROOT"/}/\` (not kept in git)."
	} >"$DOC"
	log "wrote $DOC and $PNG in $mins"
}

# stub_index NAME: its address is 127.0.0.(2 + position in ALL_STUBS).
stub_index() {
	local n i=2
	for n in $ALL_STUBS; do
		[ "$n" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
}

# ---------------------------------------------------------------- main

# report_only: rewrites the report from the last run's work dir
# (BENCH_REPORT_ONLY=1), e.g. after changing the report code.
report_only() {
	[ -f "$WORK/meta" ] || die "no finished run in $WORK"
	# shellcheck disable=SC1091
	. "$WORK/meta"
	mapfile -t NOTES <"$WORK/notes.txt"
	PKI=$WORK/pki
	write_doc
}

main() {
	if [ -n "${BENCH_REPORT_ONLY:-}" ]; then report_only; return; fi
	LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
	setup
	start_named
	local c n i order
	for ROUND in $(seq "$ROUNDS"); do
		log "round $ROUND of $ROUNDS"
		for c in $CEILINGS; do
			ceiling "$c" || NOTES+=("BIND died during the $c ceiling run (round $ROUND).")
		done
		order=$ALL_STUBS
		[ $((ROUND % 2)) = 0 ] && order=$(tr ' ' '\n' <<<"$ALL_STUBS" | tac | tr '\n' ' ')
		for n in $order; do
			i=$(stub_index "$n")
			case " $STUBS " in *" $n "*) run_stub "$n" "127.0.0.$i" ;; esac
		done
		alive $NAMED_PID || break
	done
	alive $NAMED_PID || NOTES+=("BIND was no longer running at the end.")
	pick_best
	local d
	d=$(awk -F '\t' '$2 == "start" || $2 == "died" || $3 == "died" || $3 == "no answers" {
	    printf "%s %s: %s (round %s); ", $1, $2, $3, $4 }' "$WORK/status.tsv")
	[ -n "$d" ] && NOTES+=("Problems: $d")
	T1=$(date +%s)
	LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
	# what the report needs, to rewrite it later (BENCH_REPORT_ONLY=1)
	{
		printf '%s=%q\n' T0 "$T0" T1 "$T1" LOAD0 "$LOAD0" LOAD1 "$LOAD1" \
		    ROUNDS "$ROUNDS" STUBS "$STUBS" CEILINGS "$CEILINGS" \
		    HIT_SECONDS "$HIT_SECONDS" MISS_NAMES "$MISS_NAMES" \
		    LIGHT_NAMES "$LIGHT_NAMES" LIGHT_QPS "$LIGHT_QPS" \
		    STUB_CPU "$STUB_CPU" LOAD_CPU "$LOAD_CPU"
	} >"$WORK/meta"
	if [ ${#NOTES[@]} -gt 0 ]; then printf '%s\n' "${NOTES[@]}"; fi >"$WORK/notes.txt"
	write_doc
}

main "$@"
