/* SPDX-License-Identifier: MIT */
/* src/auth/authority.c and rights.c: who may hand on rights (the rule every
 * secret-yielding action asks), and whether a token may act in a space. */
#include "check.h"
#include "auth/auth.h"

#define ADMIN (SCOPE_MANAGE_TOKENS | SCOPE_MANAGE_USERS | SCOPE_MANAGE_APPS | SCOPE_REPORT_LEAKS)
#define T     2000000000           /* a caller's expiry */
#define NOW   ((int64_t)T - 86400) /* when the tokens are minted */
static const struct policy no_policy;

static struct principal_space space(int64_t id, uint64_t permissions)
{
	return (struct principal_space){.id = id, .permissions = permissions};
}

TEST(caller_of_a_pat_holds_its_scopes_within_its_users_rights)
{
	struct principal_space spaces[] = {space(1, SCOPE_READ_CONTENT | SCOPE_WRITE_CONTENT),
					   space(2, SCOPE_READ_CONTENT | SCOPE_MANAGE_SPACE)};
	struct principal p = {.kind = TOKEN_PAT,
			      .expires_at = T,
			      .token_scopes =
				      SCOPE_MANAGE_TOKENS | SCOPE_MANAGE_SPACE | SCOPE_MANAGE_USERS,
			      .user_permissions = SCOPE_MANAGE_TOKENS,
			      .spaces = spaces,
			      .nspaces = 2};
	struct authority c;
	authority_of_token(&p, &c);
	CHECK(c.personal);
	CHECK_EQ_INT(c.holds, SCOPE_MANAGE_TOKENS | SCOPE_MANAGE_SPACE);
	CHECK_EQ_INT(c.expires_at, T);
}

TEST(oauth_and_client_tokens_are_not_personal)
{
	struct principal p = {
		.kind = TOKEN_ACCESS, .token_scopes = SCOPE_ALL, .user_permissions = SCOPE_ALL};
	struct authority c;
	authority_of_token(&p, &c);
	CHECK(!c.personal);
	CHECK_EQ_INT(authority_may_mint_pat(&c, &no_policy, SCOPE_READ_CONTENT, 1, NOW),
		     AUTHORITY_NOT_PERSONAL);
	CHECK_EQ_INT(authority_may_touch_admin(&c), AUTHORITY_NOT_PERSONAL);
	p.kind = TOKEN_CLIENT;
	authority_of_token(&p, &c);
	CHECK(!c.personal);
}

TEST(minting_needs_every_scope_held)
{
	struct authority c = {.personal = true, .holds = SCOPE_MANAGE_TOKENS};
	CHECK_EQ_INT(authority_may_mint_pat(&c, &no_policy, SCOPE_MANAGE_TOKENS, 0, NOW),
		     AUTHORITY_OK);
	CHECK_EQ_INT(authority_may_mint_pat(&c, &no_policy,
					    SCOPE_MANAGE_TOKENS | SCOPE_READ_CONTENT, 0, NOW),
		     AUTHORITY_NOT_HELD);
}

TEST(an_expiring_caller_mints_nothing_that_outlives_it)
{
	struct authority c = {.personal = true, .holds = SCOPE_ALL, .expires_at = T};
	CHECK_EQ_INT(authority_may_mint_pat(&c, &no_policy, SCOPE_READ_CONTENT, T - 1, NOW),
		     AUTHORITY_OK);
	CHECK_EQ_INT(authority_may_mint_pat(&c, &no_policy, SCOPE_READ_CONTENT, T, NOW),
		     AUTHORITY_OK);
	CHECK_EQ_INT(authority_may_mint_pat(&c, &no_policy, SCOPE_READ_CONTENT, T + 1, NOW),
		     AUTHORITY_OUTLIVES);
	CHECK_EQ_INT(authority_may_mint_pat(&c, &no_policy, SCOPE_READ_CONTENT, 0, NOW),
		     AUTHORITY_OUTLIVES); /* never */
	c.expires_at = 0;
	CHECK_EQ_INT(authority_may_mint_pat(&c, &no_policy, SCOPE_READ_CONTENT, 0, NOW),
		     AUTHORITY_OK);
}

TEST(the_policy_bounds_every_new_token)
{
	struct authority c = {.personal = true, .holds = SCOPE_ALL};
	struct policy pol = {.pat_max_lifetime = 90 * 86400};
	CHECK_EQ_INT(authority_may_mint_pat(&c, &pol, SCOPE_READ_CONTENT, NOW + 90 * 86400, NOW),
		     AUTHORITY_OK);
	CHECK_EQ_INT(
		authority_may_mint_pat(&c, &pol, SCOPE_READ_CONTENT, NOW + 90 * 86400 + 1, NOW),
		AUTHORITY_POLICY_TOO_LONG);
	CHECK_EQ_INT(authority_may_mint_pat(&c, &pol, SCOPE_READ_CONTENT, 0, NOW),
		     AUTHORITY_POLICY_NO_EXPIRY); /* never is longer than any maximum */
	pol = (struct policy){.pat_require_expiry = true};
	CHECK_EQ_INT(authority_may_mint_pat(&c, &pol, SCOPE_READ_CONTENT, 0, NOW),
		     AUTHORITY_POLICY_NO_EXPIRY);
	CHECK_EQ_INT(
		authority_may_mint_pat(&c, &pol, SCOPE_READ_CONTENT, NOW + 10 * 365 * 86400, NOW),
		AUTHORITY_OK);
	/* What the caller may not hand on is refused before the policy is asked. */
	c.holds = SCOPE_READ_CONTENT;
	CHECK_EQ_INT(authority_may_mint_pat(&c, &pol, SCOPE_WRITE_CONTENT, 0, NOW),
		     AUTHORITY_NOT_HELD);
}

TEST(a_console_session_holds_what_its_user_holds)
{
	struct authority c;
	authority_of_session(SCOPE_MANAGE_TOKENS | SCOPE_READ_CONTENT, &c);
	CHECK(c.personal);
	CHECK_EQ_INT(authority_may_mint_pat(&c, &no_policy, SCOPE_READ_CONTENT, 0, NOW),
		     AUTHORITY_OK);
	CHECK_EQ_INT(authority_may_mint_pat(&c, &no_policy, SCOPE_WRITE_CONTENT, 0, NOW),
		     AUTHORITY_NOT_HELD);
}

TEST(admin_accounts_need_every_admin_scope)
{
	CHECK_EQ_INT(auth_admin_permissions(), ADMIN);
	struct authority c = {.personal = true, .holds = ADMIN, .expires_at = T};
	CHECK_EQ_INT(authority_may_touch_admin(&c), AUTHORITY_OK); /* expiry does not matter */
	for (uint64_t missing = 1; missing <= SCOPE_MANAGE_APPS; missing <<= 1) {
		if (!(ADMIN & missing))
			continue;
		c.holds = SCOPE_ALL & ~missing;
		CHECK_EQ_INT(authority_may_touch_admin(&c), AUTHORITY_NOT_HELD);
	}
}

TEST(an_app_gets_only_scopes_its_registrar_holds)
{
	uint64_t missing;
	struct authority c = {.personal = true, .holds = SCOPE_MANAGE_APPS};
	CHECK_EQ_INT(authority_may_register_app(&c, SCOPE_MANAGE_APPS, &missing), AUTHORITY_OK);
	CHECK_EQ_INT(missing, 0);
	CHECK_EQ_INT(
		authority_may_register_app(&c, SCOPE_MANAGE_USERS | SCOPE_READ_CONTENT, &missing),
		AUTHORITY_NOT_HELD);
	CHECK_EQ_INT(missing, SCOPE_MANAGE_USERS | SCOPE_READ_CONTENT);
	CHECK_EQ_INT(authority_may_register_app(&c, SCOPE_MANAGE_TOKENS, &missing),
		     AUTHORITY_NOT_HELD);
	CHECK_EQ_INT(missing, SCOPE_MANAGE_TOKENS);
	/* a space scope held through a role is the caller's to hand on */
	c.holds = SCOPE_MANAGE_APPS | SCOPE_READ_CONTENT;
	CHECK_EQ_INT(authority_may_register_app(&c, SCOPE_READ_CONTENT, &missing), AUTHORITY_OK);
	CHECK_EQ_INT(authority_may_register_app(&c, SCOPE_WRITE_CONTENT, &missing),
		     AUTHORITY_NOT_HELD);
	CHECK_EQ_INT(missing, SCOPE_WRITE_CONTENT);
}

TEST(manage_users_hands_on_every_space_scope_to_an_app)
{
	uint64_t missing;
	struct authority c = {.personal = true, .holds = ADMIN};
	CHECK_EQ_INT(authority_may_register_app(&c, SCOPE_ALL, &missing), AUTHORITY_OK);
	CHECK_EQ_INT(missing, 0);
	/* but not the instance scopes it lacks */
	c.holds = SCOPE_MANAGE_USERS | SCOPE_MANAGE_APPS;
	CHECK_EQ_INT(authority_may_register_app(&c, SCOPE_ALL, &missing), AUTHORITY_NOT_HELD);
	CHECK_EQ_INT(missing, SCOPE_MANAGE_TOKENS | SCOPE_REPORT_LEAKS);
	/* nor does a space role reach further than its own scopes */
	c.holds = SCOPE_MANAGE_APPS | SCOPE_SPACE_SCOPES;
	CHECK_EQ_INT(authority_may_register_app(&c, SCOPE_MANAGE_USERS, &missing),
		     AUTHORITY_NOT_HELD);
}

TEST(only_a_person_registers_an_app)
{
	uint64_t missing;
	struct principal p = {
		.kind = TOKEN_CLIENT, .token_scopes = SCOPE_ALL, .user_permissions = SCOPE_ALL};
	struct authority c;
	authority_of_token(&p, &c);
	CHECK_EQ_INT(authority_may_register_app(&c, 0, &missing), AUTHORITY_NOT_PERSONAL);
	p.kind = TOKEN_ACCESS;
	authority_of_token(&p, &c);
	CHECK_EQ_INT(authority_may_register_app(&c, SCOPE_READ_CONTENT, &missing),
		     AUTHORITY_NOT_PERSONAL);
	/* an admin's console session holds every admin scope */
	authority_of_session(ADMIN, &c);
	CHECK_EQ_INT(authority_may_register_app(&c, SCOPE_ALL, &missing), AUTHORITY_OK);
	authority_of_session(SCOPE_MANAGE_TOKENS | SCOPE_READ_CONTENT, &c);
	CHECK_EQ_INT(authority_may_register_app(&c, SCOPE_MANAGE_USERS, &missing),
		     AUTHORITY_NOT_HELD);
}

TEST(a_token_acts_only_in_its_users_spaces_and_its_bound_space)
{
	struct principal_space spaces[] = {space(1, SCOPE_READ_CONTENT),
					   space(2, SCOPE_READ_CONTENT)};
	struct principal p = {.kind = TOKEN_PAT, .spaces = spaces, .nspaces = 2};
	CHECK(auth_in_space(&p, 1));
	CHECK(auth_in_space(&p, 2));
	CHECK(!auth_in_space(&p, 3));
	p.kind = TOKEN_ACCESS;
	p.space_id = 1;
	CHECK(auth_in_space(&p, 1));
	CHECK(!auth_in_space(&p, 2)); /* bound to 1: never another, even a member's */
}

TEST(require_2fa_is_set_by_name_and_described)
{
	struct policy pol = {.pat_max_lifetime = 30 * 86400, .pat_require_expiry = true};
	char what[AUTHORITY_POLICY_TEXT_BUF];
	CHECK(authority_policy_set_require_2fa(&pol, "admins"));
	CHECK_EQ_STR(pol.require_2fa, "admins");
	CHECK(!authority_policy_set_require_2fa(&pol, "everyone")); /* unchanged */
	CHECK(!authority_policy_set_require_2fa(&pol, ""));
	CHECK_EQ_STR(pol.require_2fa, "admins");
	authority_policy_describe(&pol, what);
	CHECK_EQ_STR(what, "pat_max_lifetime=30d pat_require_expiry=true require_2fa=admins");
	CHECK(authority_policy_set_require_2fa(&pol, "none"));
	CHECK_EQ_STR(pol.require_2fa, "");
	pol.pat_max_lifetime = 0;
	pol.pat_require_expiry = false;
	authority_policy_describe(&pol, what);
	CHECK_EQ_STR(what, "pat_max_lifetime=none pat_require_expiry=false require_2fa=none");
}

int main(void)
{
	RUN(caller_of_a_pat_holds_its_scopes_within_its_users_rights);
	RUN(oauth_and_client_tokens_are_not_personal);
	RUN(minting_needs_every_scope_held);
	RUN(an_expiring_caller_mints_nothing_that_outlives_it);
	RUN(the_policy_bounds_every_new_token);
	RUN(a_console_session_holds_what_its_user_holds);
	RUN(admin_accounts_need_every_admin_scope);
	RUN(an_app_gets_only_scopes_its_registrar_holds);
	RUN(manage_users_hands_on_every_space_scope_to_an_app);
	RUN(only_a_person_registers_an_app);
	RUN(a_token_acts_only_in_its_users_spaces_and_its_bound_space);
	RUN(require_2fa_is_set_by_name_and_described);
	return check_summary(__FILE__);
}
