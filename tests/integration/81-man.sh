#!/bin/bash
# SPDX-License-Identifier: ISC
# The manual pages docs/ctstub.8 and docs/ctstub.conf.5: they render with
# man(1) without warnings; ctstub.conf.5 documents every directive in the
# parser's table (src/conf.c), each with a default that matches what
# `ctstub -n -v` prints; ctstub.8 documents every subcommand and option.
# Needs man-db and groff-base. Nothing is sent anywhere.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub

PAGE8=docs/ctstub.8
PAGE5=docs/ctstub.conf.5
command -v man >/dev/null ||
    bail "$TEST_NAME: man is installed" "install man-db and groff-base"

# render FILE OUT: the page as plain text (80 columns) in OUT, groff's
# warnings in OUT.errs; U+2010 hyphens and U+2212 minus signs become '-'.
render() {
	env -u MAN_KEEP_FORMATTING LC_ALL=C.UTF-8 MANWIDTH=80 \
	    man --warnings=w -l "$1" 2>"$2.errs" >"$2.raw"
	RENDER_RC=$?
	sed 's/\xe2\x80\x90/-/g; s/\xe2\x88\x92/-/g' "$2.raw" >"$2"
}

# renders_clean LABEL FILE OUT: man exits 0, no warnings, some text.
renders_clean() {
	render "$2" "$3"
	expect_eq "$1: man -l exit status" 0 "$RENDER_RC"
	expect_eq "$1: no groff warnings" "" "$(cat "$3.errs")"
	check "$1: renders to text" "$(wc -l <"$3") lines" \
	    test "$(wc -l <"$3")" -ge 100
}

# has_line LABEL OUT REGEX: some line of the rendered text matches REGEX.
has_line() {
	check "$1" "no line matches /$3/ in $2" grep -qE -- "$3" "$2"
}

# section OUT HEADING: the rendered text of one section (up to the next
# heading, which starts in column 1).
section() {
	awk -v h="$2" '/^[A-Z]/ { on = ($0 == h); next } on' "$1"
}

# The warning check can see a warning at all.
sed 's/^\.SH SYNOPSIS$/.XX SYNOPSIS/' "$PAGE8" >"$TMP/broken.8"
render "$TMP/broken.8" "$TMP/broken.txt"
check "an undefined macro gives a groff warning" "none on stderr" \
    test -s "$TMP/broken.txt.errs"

# --- ctstub.8 ------------------------------------------------------------
OUT8=$TMP/ctstub.8.txt
renders_clean "ctstub.8" "$PAGE8" "$OUT8"
for h in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS SIGNALS FILES \
    "EXIT STATUS" EXAMPLES "SEE ALSO"; do
	has_line "ctstub.8: section $h" "$OUT8" "^$h\$"
done

# Daemon options: the letters of main.c's getopt() string.
opts=$(sed -n 's/.*getopt(argc, argv, "\([a-zA-Z:]*\)").*/\1/p' src/main.c |
    tr -d : | head -n 1)
check "main.c: getopt options found" "got '$opts'" test ${#opts} -ge 4
for ((i = 0; i < ${#opts}; i++)); do
	o=${opts:i:1}
	has_line "ctstub.8: option -$o in SYNOPSIS" "$OUT8" \
	    "^ +ctstub .*\[-$o( [a-z]+)?\]"
	section "$OUT8" OPTIONS >"$TMP/options.txt"
	has_line "ctstub.8: option -$o described in OPTIONS" \
	    "$TMP/options.txt" "^ {7}-$o( |\$)"
done

# Subcommands: those main.c dispatches on, and those of the spec.
subs=$(sed -n 's/.*strcmp(argv\[1\], "\([a-z-]*\)").*/\1/p' src/main.c)
check "main.c: subcommands found" "got '$(oneline "$subs")'" \
    grep -qx check <<<"$subs"
section "$OUT8" SYNOPSIS >"$TMP/synopsis.txt"
section "$OUT8" COMMANDS >"$TMP/commands.txt"
while read -r s; do
	[ -n "$s" ] || continue
	has_line "ctstub.8: ctstub $s in SYNOPSIS" "$TMP/synopsis.txt" \
	    "^ +ctstub $s( |\$)"
	has_line "ctstub.8: ctstub $s described in COMMANDS" \
	    "$TMP/commands.txt" "^ {3}ctstub $s( |\$)"
done < <(printf '%s\n' "$subs" check probe status "loglist show" \
    "loglist install" | awk '!seen[$0]++')

# check/probe options: every long option of check.c's table.
longopts=$(sed -n 's/^[[:space:]]*{ "\([a-z-]*\)", [a-z_]*_argument,.*/\1/p' \
    src/check.c)
check "check.c: long options found" "got '$(oneline "$longopts")'" \
    test "$(wc -w <<<"$longopts")" -ge 8
for o in $longopts; do
	has_line "ctstub.8: check/probe option --$o" "$TMP/commands.txt" \
	    "^ {7}--$o( |\$)"
done
for o in -s --json --force; do
	has_line "ctstub.8: status/loglist option $o in SYNOPSIS" \
	    "$TMP/synopsis.txt" "\[$o( [a-z]+)?\]"
done

section "$OUT8" SIGNALS >"$TMP/signals.txt"
for sig in SIGTERM SIGINT SIGHUP; do
	has_line "ctstub.8: $sig in SIGNALS" "$TMP/signals.txt" "^ {7}.*$sig"
done
section "$OUT8" FILES >"$TMP/files.txt"
for f in /etc/ctstub/ctstub.conf /etc/ctstub/ct-logs.json \
    /run/ctstub/ctstub.sock; do
	has_line "ctstub.8: FILES lists $f" "$TMP/files.txt" "^ {7}$f\$"
done
section "$OUT8" EXAMPLES >"$TMP/examples8.txt"
for e in "dig @127.0.0.53 " "ctstub probe dot://1.1.1.1" "ctstub status"; do
	has_line "ctstub.8: example '$e'" "$TMP/examples8.txt" "^ +$e"
done
section "$OUT8" "SEE ALSO" >"$TMP/seealso8.txt"
for r in 'ctstub\.conf\(5\)' 'dig\(1\)' 'systemd-resolved\(8\)'; do
	has_line "ctstub.8: SEE ALSO $r" "$TMP/seealso8.txt" "$r"
done

# --- ctstub.conf.5 -------------------------------------------------------
OUT5=$TMP/ctstub.conf.5.txt
renders_clean "ctstub.conf.5" "$PAGE5" "$OUT5"
for h in NAME SYNOPSIS DESCRIPTION DIRECTIVES RELOADING EXAMPLES FILES \
    "SEE ALSO"; do
	has_line "ctstub.conf.5: section $h" "$OUT5" "^$h\$"
done

# The parser's directives: the names in src/conf.c's directives[] table.
mapfile -t PARSER < <(parser_directives)
check "conf.c: directive table found" "${#PARSER[@]} names" \
    test "${#PARSER[@]}" -ge 20
declare -A KNOWN
for d in "${PARSER[@]}"; do KNOWN[$d]=1; done

# The page's directives and defaults, from its source: under .SH DIRECTIVES,
# the tag after each top-level .TP names a directive; "Default:" at the
# start of a line gives its default: the next line's bold value when the
# line is just "Default:", otherwise plain text (no value). Prints
# "tag NAME" and "default NAME VALUE" lines.
awk '
function plain(s) {
	sub(/^\.[A-Z]+ /, "", s); gsub(/\\f[BIRP]/, "", s)
	gsub(/\\-/, "-", s); return s
}
/^\.SH / { on = ($0 == ".SH DIRECTIVES"); next }
!on { next }
/^\.RS/ { depth++; next }
/^\.RE/ { depth--; next }
/^\.TP/ { if (depth == 0) want_tag = 1; next }
want_tag { split(plain($0), w, " "); name = w[1]; gsub(/"/, "", name)
	print "tag " name; want_tag = 0; next }
want_value { v = plain($0); sub(/ \.$/, "", v); gsub(/"/, "", v)
	print "default " name " " v; want_value = 0; next }
/^Default:$/ { want_value = 1; next }
/^Default: / { print "default " name; next }
' "$PAGE5" >"$TMP/page5.txt"
mapfile -t DOCUMENTED < <(awk '$1 == "tag" { print $2 }' "$TMP/page5.txt")
declare -A DOC_DEFAULT HAS_DEFAULT
while read -r kind name value; do
	[ "$kind" = default ] || continue
	HAS_DEFAULT[$name]=1
	[ -n "$value" ] && DOC_DEFAULT[$name]=$value
done <"$TMP/page5.txt"

section "$OUT5" DIRECTIVES >"$TMP/directives.txt"
for d in "${PARSER[@]}"; do
	has_line "ctstub.conf.5: documents $d" "$TMP/directives.txt" \
	    "^ {7}$d( |\$)"
	check "ctstub.conf.5: $d has a Default" "no 'Default:' in its entry" \
	    test -n "${HAS_DEFAULT[$d]:-}"
done
# Every documented directive is the parser's: one that left the table is
# a failure, whichever it is.
for d in "${DOCUMENTED[@]}"; do
	[ -n "${KNOWN[$d]:-}" ] ||
	    fail "ctstub.conf.5: $d is known to the parser" \
		"documented but not in src/conf.c's table"
done

# Documented defaults against the effective values of a minimal
# configuration (one upstream; ct-logs.json next to it, its default place).
cp conf/ct-logs.json "$TMP/ct-logs.json"
echo "upstream dot://127.0.0.1:853" >"$TMP/min.conf"
# as root, -n (like a start) wants a 'user' line: run it as nobody instead
AS_USER=()
[ "$(id -u)" -ne 0 ] ||
    AS_USER=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
"${AS_USER[@]}" "$CTSTUB" -n -v -f "$TMP/min.conf" >"$TMP/min.out" \
    2>"$TMP/min.err"
expect_eq "ctstub -n -v on the minimal config: exit status" 0 "$?"
grep -v -e ': configuration OK$' -e '^upstream ' "$TMP/min.out" \
    >"$TMP/effective.txt"
check "ctstub -n -v prints the defaults" "$(wc -l <"$TMP/effective.txt") lines" \
    test "$(wc -l <"$TMP/effective.txt")" -ge 20
declare -A PRINTED
while read -r name value; do
	PRINTED[$name]=$value
	doc=${DOC_DEFAULT[$name]:-}
	if [ -n "$doc" ]; then
		# a relative default is a file next to the configuration
		[ "${doc#*/}" = "$doc" ] && [ "$value" = "$TMP/$doc" ] &&
		    value=$doc
		expect_eq "ctstub.conf.5: default of $name is what ctstub uses" \
		    "$doc" "$value"
	elif [[ $value =~ ^[0-9]+$ ]]; then
		fail "ctstub.conf.5: default of $name is what ctstub uses" \
		    "ctstub uses $value, the page gives no value"
	fi
done <"$TMP/effective.txt"
for d in "${!DOC_DEFAULT[@]}"; do
	if [ -z "${KNOWN[$d]:-}" ]; then
		fail "ctstub.conf.5: default of $d checked" \
		    "$d is not in src/conf.c's table"
	elif [ -z "${PRINTED[$d]+set}" ]; then
		stale=
		[ src/conf.c -nt "$CTSTUB" ] &&
		    stale=" ($CTSTUB is older than src/conf.c: rebuild)"
		fail "ctstub.conf.5: default of $d checked" \
		    "ctstub -n -v does not print $d$stale"
	fi
done

section "$OUT5" RELOADING >"$TMP/reloading.txt"
for d in listen user control metrics; do
	check "ctstub.conf.5: RELOADING says $d needs a restart" \
	    "$(oneline "$(cat "$TMP/reloading.txt")")" \
	    grep -qw -- "$d" "$TMP/reloading.txt"
done

# The example configuration, every line of it, is one the parser accepts.
awk '/^\.SH EXAMPLES/ { on = 1 } on && /^\.EX/ { ex = 1; next }
    ex && /^\.EE/ { exit } ex { gsub(/\\-/, "-"); print }' "$PAGE5" \
    >"$TMP/example.conf"
check "ctstub.conf.5: the example has directives" "none found" \
    grep -q '^upstream ' "$TMP/example.conf"
"$CTSTUB" -n -f "$TMP/example.conf" >"$TMP/example.out" 2>&1
expect_eq "ctstub.conf.5: ctstub -n accepts the example" 0 "$?"

done_testing
