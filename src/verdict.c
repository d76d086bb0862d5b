/* SPDX-License-Identifier: ISC */
/* The status verdict: what is wrong, in one line, and how to fix it. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "generation.h"
#include "loglist.h"
#include "portal.h"
#include "server.h"
#include "upstream.h"
#include "verdict.h"
#include "verify.h"

#define DOC "docs/troubleshooting.md#"

/* The part of up's last error after "upstream X rejected: ". */
static const char *
why(const struct upstream *up)
{
	const char *colon = strstr(up->last_error, ": ");

	return colon ? colon + 2 : "no reason recorded";
}

/* A CT refusal: the list does not know the logs, or too few of them. */
static void
ct_cause(const struct upstream *up, const struct server *srv, char *out,
    size_t len)
{
	long age = (long)((time(NULL) - srv->loglist->timestamp) / 86400);

	if (up->ct_unknown_logs > 0)
		snprintf(out, len, "CT: the log list does not know %s%s, "
		    "which signed the certificate (list %ld days old) — "
		    "install a newer list: `ctstub loglist install FILE` "
		    "(" DOC "stale-list)", up->ct_unknown_first,
		    up->ct_unknown_logs > 1 ? " and other logs" : "", age);
	else
		snprintf(out, len, "%s — the certificate has too few SCTs "
		    "from distinct logs and operators for the policy "
		    "(ct-min-logs, ct-min-operators): use another upstream",
		    why(up));
}

/* The cause of up being down and its fix. */
static void
cause(const struct upstream *up, const struct server *srv, char *out,
    size_t len)
{
	if (up->conf->addr.salen == 0) {
		snprintf(out, len, "%s is not resolved yet — check the "
		    "bootstrap servers", up->conf->host);
		return;
	}
	switch (up->refused) {
	case VERIFY_REFUSED_CHAIN:
		snprintf(out, len, "chain not trusted (%s) — a captive portal "
		    "or a TLS interceptor? (" DOC "captive-portal); else check "
		    "ca-file", why(up));
		break;
	case VERIFY_REFUSED_IDENTITY:
		snprintf(out, len, "IP/name mismatch (%s) — check the "
		    "upstream's address, or a captive portal (" DOC
		    "captive-portal)", why(up));
		break;
	case VERIFY_REFUSED_CT:
		ct_cause(up, srv, out, len);
		break;
	case VERIFY_REFUSED_NO_CT:
		snprintf(out, len, "no CT evaluation took place — read the "
		    "chain with `ctstub probe URL` and check ca-file");
		break;
	case VERIFY_REFUSED_PIN:
		snprintf(out, len, "pin mismatch: no pinned key in the chain "
		    "(the upstream changed CA?) — confirm from another "
		    "network, `ctstub probe URL`, update the pin, `ctstub "
		    "reload` (" DOC "pin-mismatch)");
		break;
	case VERIFY_REFUSED_CLOCK:
		snprintf(out, len, "certificate not yet valid or expired (%s) "
		    "— check the clock (" DOC "wrong-clock)", why(up));
		break;
	case VERIFY_REFUSED_ALPN:
		snprintf(out, len, "%s — is it a DoH server? use its dot:// "
		    "line", why(up));
		break;
	default:
		snprintf(out, len, "back-off after network failures (%s) — "
		    "once the network works: `ctstub reset` (" DOC "back-off; "
		    "port 853 blocked? " DOC "port-853-blocked)", why(up));
	}
}

/* Do all the down upstreams share the first one's kind of trouble? */
static int
same_kind(const struct upstream_set *set, const struct upstream *first)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		if (upstream_down(&set->list[i]) &&
		    set->list[i].refused != first->refused)
			return 0;
	return 1;
}

static enum verdict_state
upstreams_down(const struct server *srv, const struct upstream *first,
    size_t down, char *out, size_t len)
{
	const struct upstream_set *set = srv->upstreams;
	char why_down[VERDICT_MAX];

	cause(first, srv, why_down, sizeof(why_down));
	if (down < set->count) {
		snprintf(out, len, "degraded: %zu of %zu upstreams down; "
		    "upstream %s: %s", down, set->count, first->label,
		    why_down);
		return VERDICT_DEGRADED;
	}
	if (first->refused && same_kind(set, first))
		snprintf(out, len, "all upstreams refused: %s", why_down);
	else
		snprintf(out, len, "all upstreams down: upstream %s: %s",
		    first->label, why_down);
	return VERDICT_FAILING;
}

enum verdict_state
verdict_of(const struct server *srv, char *out, size_t len)
{
	const struct upstream_set *set = srv->upstreams;
	const struct upstream *first = NULL;
	size_t i, down = 0, unknown = 0;
	long stale = generation_list_stale_days(srv->gen);
	const char *portal;
	unsigned left = portal_left(srv, &portal);

	if (portal[0] != '\0') {
		snprintf(out, len, "degraded: portal mode on: every query in "
		    "plain DNS to %s for %u s more — log in in the browser; "
		    "`ctstub portal --off` ends it (" DOC "captive-portal)",
		    portal, left);
		return VERDICT_DEGRADED;
	}
	for (i = 0; i < set->count; i++) {
		if (upstream_down(&set->list[i]) && down++ == 0)
			first = &set->list[i];
		unknown += set->list[i].unknown;
	}
	if (down > 0)
		return upstreams_down(srv, first, down, out, len);
	if (stale > 0) {
		snprintf(out, len, "degraded: stale list: the CT log list is "
		    "%ld days old — install a newer list: `ctstub loglist "
		    "install FILE` (" DOC "stale-list)", stale);
		return VERDICT_DEGRADED;
	}
	if (unknown > 0)
		snprintf(out, len, "healthy so far: %zu upstream(s) failing "
		    "before the reload not tried since (a probe is on its way)",
		    unknown);
	else
		snprintf(out, len, "healthy: %zu upstream(s), none in back-off",
		    set->count);
	return VERDICT_HEALTHY;
}

const char *
verdict_state_name(enum verdict_state state)
{
	static const char *const names[] = { "healthy", "degraded",
	    "failing" };

	return names[state];
}
