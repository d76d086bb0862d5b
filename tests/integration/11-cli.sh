#!/bin/bash
# SPDX-License-Identifier: ISC
# The command line: help on stdout with status 0 (-h, --help, help and
# SUBCOMMAND --help), mistakes on stderr with status 2, -V/--version with
# ctstub's version and the library versions it runs with, and `make` on a
# machine without the build packages naming what is missing. Nothing is
# sent anywhere.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub

# run NAME ARGS...: ctstub ARGS; sets RC, OUT (stdout) and ERR (stderr).
run() {
	local name=$1
	shift
	"$CTSTUB" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null
	RC=$?
	OUT=$(cat "$TMP/$name.out")
	ERR=$(cat "$TMP/$name.err")
}

# expect_help LABEL ARGS...: the usage on stdout, nothing on stderr, 0.
expect_help() {
	local label=$1
	shift
	run help "$@"
	expect_eq "$label: exit status" 0 "$RC"
	check "$label: usage on stdout" "stdout: $(oneline "$OUT")" \
	    grep -q '^usage: ctstub' "$TMP/help.out"
	expect_eq "$label: nothing on stderr" "" "$ERR"
}

# expect_usage_error LABEL ARGS...: the usage on stderr, none on stdout, 2.
expect_usage_error() {
	local label=$1
	shift
	run bad "$@"
	expect_eq "$label: exit status" 2 "$RC"
	check "$label: usage on stderr" "stderr: $(oneline "$ERR")" \
	    grep -q 'usage: ctstub' "$TMP/bad.err"
	expect_eq "$label: nothing on stdout" "" "$OUT"
}

expect_help "-h" -h
expect_help "--help" --help
expect_help "help" help
expect_help "-d --help" -d --help
for sub in check probe status reload "loglist" "loglist show" \
    "loglist install"; do
	# shellcheck disable=SC2086 # "loglist show" is two words
	expect_help "$sub --help" $sub --help
done
expect_help "status -f FILE --help" status -f /nonexistent --help
check "the usage names every subcommand" "$(oneline "$OUT")" \
    grep -q 'ctstub loglist install' "$TMP/help.out"

expect_usage_error "unknown option -x" -x
expect_usage_error "unknown option --bogus" --bogus
expect_usage_error "stray argument" extra-word
expect_usage_error "status: unknown option" status --bogus
expect_usage_error "reload: unknown option" reload -x

for v in -V --version; do
	run version "$v"
	expect_eq "$v: exit status" 0 "$RC"
	expect_eq "$v: nothing on stderr" "" "$ERR"
	check "$v: first line 'ctstub VERSION'" "stdout: $(oneline "$OUT")" \
	    grep -qE '^ctstub [0-9a-zA-Z][^ ]*$' <(head -n 1 "$TMP/version.out")
	for lib in OpenSSL nghttp2 libevent c-ares jansson; do
		check "$v: names $lib and its version" \
		    "stdout: $(oneline "$OUT")" \
		    grep -qE "^$lib [0-9]" "$TMP/version.out"
	done
done
# The version is the one this checkout describes (or the release number).
if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$ROOT" ]; then
	want=$(git describe --tags --dirty 2>/dev/null) ||
	    want=g$(git describe --always --dirty)
	check "-V says git describe ($want)" "stdout: $(oneline "$OUT")" \
	    grep -qF -- "$want" "$TMP/version.out"
else
	skip "-V says git describe" "not a git checkout"
fi

# --- make without the build packages ------------------------------------
# expect_missing LABEL WANT-DEBIAN MAKE-ARGS...: make stops before compiling
# with pkg-config's own error and a line naming the missing packages.
expect_missing() {
	local label=$1 deb=$2
	shift 2
	rm -rf "$TMP/build"
	make -s -C "$ROOT" BUILD="$TMP/build" "$@" all \
	    >"$TMP/make.out" 2>"$TMP/make.err"
	RC=$?
	expect_eq "$label: make exit status" 2 "$RC"
	check "$label: says 'make deps-build' installs them" \
	    "$(oneline "$(cat "$TMP/make.err")")" \
	    grep -q "missing pkg-config package.*'make deps-build' installs" \
	    "$TMP/make.err"
	check "$label: names the Debian package $deb" \
	    "$(oneline "$(cat "$TMP/make.err")")" \
	    grep -q "Debian:.*$deb" "$TMP/make.err"
	check "$label: no compiler error" "$(oneline "$(cat "$TMP/make.err")")" \
	    test "$(grep -c 'event2/event.h\|error:' "$TMP/make.err")" -eq 0
	check "$label: nothing compiled" "$(ls "$TMP/build" 2>&1)" \
	    test -z "$(find "$TMP/build" -name '*.o' 2>/dev/null)"
}

if command -v make >/dev/null && command -v pkg-config >/dev/null; then
	# pkg-config that finds everything but libevent, with its own error
	cat >"$TMP/pkg-config" <<-'EOF'
	#!/bin/sh
	for arg; do
		[ "$arg" = libevent ] || continue
		echo "Package libevent was not found (test wrapper)" >&2
		exit 1
	done
	exec pkg-config "$@"
	EOF
	chmod +x "$TMP/pkg-config"
	expect_missing "libevent missing" libevent-dev \
	    PKG_CONFIG="$TMP/pkg-config"
	check "libevent missing: pkg-config's own error shown" \
	    "$(oneline "$(cat "$TMP/make.err")")" \
	    grep -q "libevent was not found (test wrapper)" "$TMP/make.err"
	check "libevent missing: only libevent named" \
	    "$(oneline "$(cat "$TMP/make.err")")" \
	    grep -q "package(s): libevent (Debian: libevent-dev)" \
	    "$TMP/make.err"
	PKG_CONFIG_LIBDIR=/nonexistent PKG_CONFIG_PATH= \
	    expect_missing "no .pc files at all" libc-ares-dev
	check "no .pc files: pkg-config's own error shown" \
	    "$(oneline "$(cat "$TMP/make.err")")" \
	    grep -q "Package openssl was not found" "$TMP/make.err"
else
	skip "make without the build packages" "make or pkg-config missing"
fi
done_testing
