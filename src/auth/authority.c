/* SPDX-License-Identifier: MIT */
/* Who may hand on rights: the one rule that every action yielding or
 * widening a secret asks, through the API and the console alike. */
#include "auth/auth.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

void authority_of_token(const struct principal *p, struct authority *out)
{
	/* What the user holds across their spaces (a space-bound token's
	 * principal lists only its space), as far as the token carries it. */
	uint64_t held = p->user_permissions;
	for (size_t i = 0; i < p->nspaces; i++)
		held |= p->spaces[i].permissions;
	out->personal = p->kind == TOKEN_PAT;
	out->holds = held & p->token_scopes;
	out->expires_at = p->expires_at;
}

void authority_of_session(uint64_t held, struct authority *out)
{
	out->personal = true;
	out->holds = held;
	out->expires_at = 0; /* a session is its user, signed in with their password */
}

/* The part of the rule that every action shares. */
static enum authority_refusal may_hand_on(const struct authority *c, uint64_t scopes)
{
	if (!c->personal)
		return AUTHORITY_NOT_PERSONAL;
	if (scopes & ~c->holds)
		return AUTHORITY_NOT_HELD;
	return AUTHORITY_OK;
}

enum authority_refusal authority_may_mint_pat(const struct authority *c, const struct policy *pol,
					      uint64_t scopes, int64_t expires_at, int64_t now)
{
	enum authority_refusal r = may_hand_on(c, scopes);
	if (r == AUTHORITY_OK && c->expires_at && (!expires_at || expires_at > c->expires_at))
		r = AUTHORITY_OUTLIVES;
	return r == AUTHORITY_OK ? authority_pat_policy(pol, expires_at, now) : r;
}

/* A maximum lifetime wants an expiry too: "never" is longer than any. */
enum authority_refusal authority_pat_policy(const struct policy *pol, int64_t expires_at,
					    int64_t now)
{
	if (!expires_at && (pol->pat_require_expiry || pol->pat_max_lifetime))
		return AUTHORITY_POLICY_NO_EXPIRY;
	if (pol->pat_max_lifetime && expires_at - now > pol->pat_max_lifetime)
		return AUTHORITY_POLICY_TOO_LONG;
	return AUTHORITY_OK;
}

bool authority_pat_breaks_policy(const struct policy *pol, int64_t created_at, int64_t expires_at)
{
	return authority_pat_policy(pol, expires_at, created_at) != AUTHORITY_OK;
}

void authority_policy_explain(const struct policy *pol, enum authority_refusal r, bool rotating,
			      int64_t now, char *out, size_t out_len)
{
	char life[TIME_DURATION_BUF] = "", latest[TIME_RFC3339_BUF];
	if (pol->pat_max_lifetime) {
		time_format_duration(pol->pat_max_lifetime, life);
		time_format(now + pol->pat_max_lifetime, latest);
	}
	if (r == AUTHORITY_POLICY_NO_EXPIRY && !pol->pat_max_lifetime)
		snprintf(out, out_len,
			 "The instance's policy requires every personal access token to expire%s.",
			 rotating ? "; this one never does: create a new token with an expiry"
				  : "");
	else if (rotating)
		snprintf(out, out_len,
			 "The instance's policy allows personal access tokens to live at most %s "
			 "(until %s for one made now); this one %s: create a new token instead.",
			 life, latest,
			 r == AUTHORITY_POLICY_NO_EXPIRY ? "never expires" : "lives longer");
	else
		snprintf(out, out_len,
			 "The instance's policy allows personal access tokens to live at most %s: "
			 "choose an expiry no later than %s.",
			 life, latest);
}

enum authority_refusal authority_may_touch_admin(const struct authority *c)
{
	return may_hand_on(c, auth_admin_permissions());
}

enum authority_refusal authority_may_register_app(const struct authority *c, uint64_t scopes,
						  uint64_t *missing)
{
	/* An app belongs to no space, and manage_users gives any role in any
	 * space: whoever holds it can hand on every space scope. */
	struct authority as_app = *c;
	if (c->holds & SCOPE_MANAGE_USERS)
		as_app.holds |= SCOPE_SPACE_SCOPES;
	*missing = scopes & ~as_app.holds;
	return may_hand_on(&as_app, scopes);
}

bool authority_policy_set_require_2fa(struct policy *pol, const char *name)
{
	if (strcmp(name, "none") != 0 && strcmp(name, "admins") != 0 && strcmp(name, "all") != 0)
		return false;
	snprintf(pol->require_2fa, sizeof pol->require_2fa, "%s",
		 strcmp(name, "none") == 0 ? "" : name);
	return true;
}

void authority_policy_describe(const struct policy *pol, char out[AUTHORITY_POLICY_TEXT_BUF])
{
	char life[TIME_DURATION_BUF] = "none";
	if (pol->pat_max_lifetime)
		time_format_duration(pol->pat_max_lifetime, life);
	snprintf(out, AUTHORITY_POLICY_TEXT_BUF,
		 "pat_max_lifetime=%s pat_require_expiry=%s require_2fa=%s", life,
		 pol->pat_require_expiry ? "true" : "false",
		 pol->require_2fa[0] ? pol->require_2fa : "none");
}
