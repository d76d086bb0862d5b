#!/bin/bash
# SPDX-License-Identifier: ISC
# Early warning about the CT log list: ctstub status (text and JSON) and
# the metrics show the list's age, coverage horizon and renewal risk date
# and, per upstream, its certificate's expiry and renewal verdict; a list
# whose risk date is near or past is warned about in the log at start and
# at each reload; `loglist-update-failed REASON` on the control socket is
# logged, counted and shown, and DNS keeps working throughout.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_ctstub
mint_pki
start_named good

P=$CTSTUB_PORT0
SOCK=$TMP/run/h.sock
LIST=$TMP/ct-logs.json
LOG=$TMP/h.log
cp "$PKI/ct-logs.json" "$LIST"
WARNING="has no logs of 2 operators for certificates expiring from"

# oracle LIST [END-DAYS]: with END-DAYS, rewrites every interval of LIST to
# end END-DAYS from now; prints the list's horizon and risk date (epoch
# seconds). mkpki gives every log the same interval, so the horizon is
# that interval's end; the risk date follows the CA/B Forum schedule.
oracle() {
	"$PY" - "$@" <<'EOF'
import calendar, datetime, json, sys, time
path = sys.argv[1]
d = json.load(open(path))
if len(sys.argv) > 2:
    end = datetime.datetime.fromtimestamp(
        int(time.time()) + int(sys.argv[2]) * 86400, datetime.timezone.utc)
    for op in d["operators"]:
        for log in op["logs"]:
            log["temporal_interval"]["end_exclusive"] = end.strftime(
                "%Y-%m-%dT%H:%M:%SZ")
    json.dump(d, open(path, "w"), indent=2)
ends = {log["temporal_interval"]["end_exclusive"]
        for op in d["operators"] for log in op["logs"]}
assert len(ends) == 1, ends
h = calendar.timegm(time.strptime(ends.pop(), "%Y-%m-%dT%H:%M:%SZ"))
steps = [(calendar.timegm((2026, 3, 15, 0, 0, 0)), 398),
         (calendar.timegm((2027, 3, 15, 0, 0, 0)), 200),
         (calendar.timegm((2029, 3, 15, 0, 0, 0)), 100),
         (None, 47)]        # (until, lifetime in days)
for until, days in steps:
    if until is None or h - days * 86400 < until:
        print(h, h - days * 86400)
        break
EOF
}
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
day() { date -u -d "@$1" +%Y-%m-%d; }
js() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)" <<<"$JSON"; }
metric() { grep "^$1 " <<<"$METRICS" | awk '{ print $2 }'; }
refresh() {
	JSON=$("$CTSTUB" status -s "$SOCK" --json)
	TEXT=$("$CTSTUB" status -s "$SOCK")
	METRICS=$(control_cmd "$SOCK" metrics)
}

read -r H_A R_A < <(oracle "$LIST")
LEAF_END=$(date -u -d "$(openssl x509 -in "$PKI/good.pem" -noout -enddate |
    cut -d= -f2)" +%s)
# the list comes after the defaults (a later ct-log-list wins); no cache,
# so that a query after a reload verifies the upstream again
start_ctstub -p "$P" h "ct-log-list $LIST" "cache-size 0" \
    "upstream dot://127.0.0.1:$(dot_port good)"
same_as_direct "list A: answers" 127.0.0.1 "$P" www.example.test A
refresh

# --- a list with a year to go: shown, not warned about ------------------
expect_eq "json: horizon is the list's interval end" "$(iso "$H_A")" \
    "$(js 'd["ct_log_list"]["horizon"]')"
expect_eq "json: risk date by the lifetime schedule" "$(iso "$R_A")" \
    "$(js 'd["ct_log_list"]["risk_date"]')"
expect_eq "json: no horizon warning a year ahead" False \
    "$(js 'd["ct_log_list"]["horizon_warning"]')"
expect_eq "json: age_s from the list's timestamp (under an hour)" True \
    "$(js '0 <= d["ct_log_list"]["age_s"] < 3600')"
expect_eq "json: no update failure yet" "0 None" \
    "$(js 'd["ct_log_list"]["update_failures"], d["ct_log_list"]["last_update_failure"]' |
    tr -d '(),')"
expect_eq "json: upstream's notAfter is the leaf's" "$(iso "$LEAF_END")" \
    "$(js 'd["upstreams"][0]["trust"]["not_after"]')"
expect_eq "json: its counted logs still count then" True \
    "$(js 'd["upstreams"][0]["trust"]["logs_hold_at_not_after"]')"
expect_eq "json: its renewal is not at risk" False \
    "$(js 'd["upstreams"][0]["trust"]["renewal_at_risk"]')"
check "text: horizon and risk date" "$TEXT" grep -qxF \
    "  coverage horizon $(day "$H_A"), renewal risk date $(day "$R_A")" \
    <<<"$TEXT"
check "text: upstream outlook" "$TEXT" grep -qxF "  at its expiry \
$(iso "$LEAF_END"): counted logs still count: yes; renewal at risk: no" \
    <<<"$TEXT"
expect_eq "metrics: horizon" "$H_A" \
    "$(metric ctstub_loglist_horizon_timestamp_seconds)"
expect_eq "metrics: risk date" "$R_A" \
    "$(metric ctstub_loglist_risk_timestamp_seconds)"
check "metrics: age under an hour" "$(metric ctstub_loglist_age_seconds)" \
    test "$(metric ctstub_loglist_age_seconds)" -lt 3600
expect_eq "metrics: no update failures" 0 \
    "$(metric ctstub_loglist_update_failures_total)"
expect_eq "metrics: upstream certificate's notAfter" "$LEAF_END" \
    "$(metric "ctstub_upstream_cert_not_after_timestamp_seconds{upstream=\"127.0.0.1:$(dot_port good)\"}")"
expect_eq "metrics: upstream renewal not at risk" 0 \
    "$(metric "ctstub_upstream_renewal_at_risk{upstream=\"127.0.0.1:$(dot_port good)\"}")"
expect_eq "log: no horizon warning" 0 "$(log_count "$LOG" "$WARNING")"

# --- failed updates reported by the helper -----------------------------
REASON="https://lists.example.test/ct-logs.json: connection timed out"
REPLY=$(control_cmd "$SOCK" "loglist-update-failed $REASON")
expect_eq "loglist-update-failed: recorded" "True recorded" \
    "$("$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["ok"], d["message"])' <<<"$REPLY")"
check "log: one warning line with the reason" "see $LOG" wait_log \
    "$LOG" "CT log list update failed: $REASON (1 failure(s) since the start)"
control_cmd "$SOCK" "$(printf 'loglist-update-failed bad\001sig\033[2J')" \
    >/dev/null
wait_log "$LOG" "CT log list update failed: bad?sig?[2J (2 failure(s)"
expect_eq "log: control bytes in a reason are neutralised" 1 \
    "$(log_count "$LOG" "CT log list update failed: bad?sig?[2J (2 failure(s)")"
REPLY=$(control_cmd "$SOCK" "loglist-update-failed ")
expect_eq "loglist-update-failed without a reason: refused" False \
    "$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["ok"])' <<<"$REPLY")"
refresh
expect_eq "json: two failures, the last one's reason" "2 bad?sig?[2J" \
    "$(js '"%d %s" % (d["ct_log_list"]["update_failures"], d["ct_log_list"]["last_update_failure"]["reason"])')"
expect_eq "json: the failure's time is now" True "$(js "abs(__import__('calendar').timegm(__import__('time').strptime(d['ct_log_list']['last_update_failure']['at'], '%Y-%m-%dT%H:%M:%SZ')) - $(date +%s)) < 60")"
check "text: last failure shown" "$TEXT" grep -qE \
    '^  last update failed [0-9T:Z-]+: bad\?sig\?\[2J \(2 failures\)$' <<<"$TEXT"
expect_eq "metrics: 2 failures" 2 \
    "$(metric ctstub_loglist_update_failures_total)"
check "metrics: last failure time" "$METRICS" test \
    "$(metric ctstub_loglist_update_last_failure_timestamp_seconds)" -gt \
    $(($(date +%s) - 60))
same_as_direct "after failed updates: answers" 127.0.0.1 "$P" \
    www.example.test A

# --- a list ending in 120 days: its risk date is past --------------------
read -r H_B R_B < <(oracle "$LIST" 120)
"$CTSTUB" reload -s "$SOCK" >/dev/null
expect_eq "reload with list B" 0 $?
check "log: horizon warning at the reload" "see $LOG" wait_log "$LOG" \
    "$WARNING $(day "$H_B") on: upstream certificates renewed from $(day "$R_B") on"
same_as_direct "list B: answers (the certificate is still covered)" \
    127.0.0.1 "$P" www.example.test A
refresh
expect_eq "json B: horizon" "$(iso "$H_B")" \
    "$(js 'd["ct_log_list"]["horizon"]')"
expect_eq "json B: risk date" "$(iso "$R_B")" \
    "$(js 'd["ct_log_list"]["risk_date"]')"
expect_eq "json B: horizon warning" True \
    "$(js 'd["ct_log_list"]["horizon_warning"]')"
expect_eq "json B: renewal at risk, logs still count at notAfter" \
    "True True" "$(js 'd["upstreams"][0]["trust"]["renewal_at_risk"], d["upstreams"][0]["trust"]["logs_hold_at_not_after"]' |
    tr -d '(),')"
check "text B: the warning" "$TEXT" grep -qxF "  coverage horizon \
$(day "$H_B"), renewal risk date $(day "$R_B") (WARNING: update the list)" \
    <<<"$TEXT"
check "text B: upstream at risk" "$TEXT" grep -qF \
    "counted logs still count: yes; renewal at risk: YES" <<<"$TEXT"
expect_eq "metrics B: risk date" "$R_B" \
    "$(metric ctstub_loglist_risk_timestamp_seconds)"
expect_eq "metrics B: upstream renewal at risk" 1 \
    "$(metric "ctstub_upstream_renewal_at_risk{upstream=\"127.0.0.1:$(dot_port good)\"}")"
expect_eq "json B: failures survive the reload" 2 \
    "$(js 'd["ct_log_list"]["update_failures"]')"
"$CTSTUB" reload -s "$SOCK" >/dev/null
check "log: warned again at the next reload" "see $LOG" wait_count \
    "$LOG" "$WARNING" 2
expect_eq "log: one warning per load" 2 "$(log_count "$LOG" "$WARNING")"

stop_ctstub h
done_testing
