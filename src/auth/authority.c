/* SPDX-License-Identifier: MIT */
/* Who may hand on rights: the one rule that every action yielding or
 * widening a secret asks, through the API and the console alike. */
#include "auth/auth.h"

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

enum authority_refusal authority_may_mint_pat(const struct authority *c, uint64_t scopes,
					      int64_t expires_at)
{
	enum authority_refusal r = may_hand_on(c, scopes);
	if (r == AUTHORITY_OK && c->expires_at && (!expires_at || expires_at > c->expires_at))
		r = AUTHORITY_OUTLIVES;
	return r;
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
