/* SPDX-License-Identifier: MIT */
/* Rights of users, who may hand them on, and issuing personal access
 * tokens. Shared by the HTTP API, the console and the CLI so all apply the
 * same rules. */
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

enum jt_status grant_user_permissions(struct store *st, const struct user *u, uint64_t *instance,
				      uint64_t *held)
{
	struct membership *ms = NULL;
	size_t n = 0;

	*instance = grant_instance_permissions(u);
	*held = *instance;
	enum jt_status status = store_memberships_of_user(st, u->id, &ms, &n);
	for (size_t i = 0; status == JT_OK && i < n; i++) {
		uint64_t perms = 0;
		if (scope_parse(ms[i].permissions, strlen(ms[i].permissions), &perms) == JT_OK)
			*held |= perms;
	}
	store_list_free(ms);
	return status;
}

bool auth_in_space(const struct principal *p, int64_t space_id)
{
	if (p->space_id && p->space_id != space_id)
		return false;
	for (size_t i = 0; i < p->nspaces; i++)
		if (p->spaces[i].id == space_id)
			return true;
	return false;
}

enum jt_status grant_users_share_space(struct store *st, int64_t caller_id, int64_t only_space,
				       int64_t user_id, bool *out)
{
	struct membership *mine = NULL, *theirs = NULL;
	size_t nmine = 0, ntheirs = 0;

	*out = false;
	enum jt_status status = store_memberships_of_user(st, caller_id, &mine, &nmine);
	if (status == JT_OK)
		status = store_memberships_of_user(st, user_id, &theirs, &ntheirs);
	for (size_t i = 0; status == JT_OK && i < nmine; i++) {
		if (only_space && mine[i].space_id != only_space)
			continue;
		for (size_t k = 0; k < ntheirs; k++)
			*out |= theirs[k].space_id == mine[i].space_id;
	}
	store_list_free(mine);
	store_list_free(theirs);
	return status;
}

void grant_caller_of_token(const struct principal *p, struct grant_caller *out)
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

void grant_caller_of_session(uint64_t held, struct grant_caller *out)
{
	out->personal = true;
	out->holds = held;
	out->expires_at = 0; /* a session is its user, signed in with their password */
}

/* The part of the rule that every action shares. */
static enum grant_refusal may_hand_on(const struct grant_caller *c, uint64_t scopes)
{
	if (!c->personal)
		return GRANT_NOT_PERSONAL;
	if (scopes & ~c->holds)
		return GRANT_NOT_HELD;
	return GRANT_OK;
}

enum grant_refusal grant_may_mint_pat(const struct grant_caller *c, uint64_t scopes,
				      int64_t expires_at)
{
	enum grant_refusal r = may_hand_on(c, scopes);
	if (r == GRANT_OK && c->expires_at && (!expires_at || expires_at > c->expires_at))
		r = GRANT_OUTLIVES;
	return r;
}

uint64_t grant_admin_scopes(void)
{
	return grant_instance_permissions(&(struct user){.admin = true});
}

enum grant_refusal grant_may_touch_admin(const struct grant_caller *c)
{
	return may_hand_on(c, grant_admin_scopes());
}

enum grant_refusal grant_may_register_app(const struct grant_caller *c, uint64_t scopes,
					  uint64_t *missing)
{
	/* An app belongs to no space, and manage_users gives any role in any
	 * space: whoever holds it can hand on every space scope. */
	struct grant_caller as_app = *c;
	if (c->holds & SCOPE_MANAGE_USERS)
		as_app.holds |= SCOPE_SPACE_SCOPES;
	*missing = scopes & ~as_app.holds;
	return may_hand_on(&as_app, scopes);
}

/* Fills p with a fresh token's hash and display prefix. */
static void fresh_secret(struct pat *p, char token[TOKEN_LEN + 1])
{
	token_generate(TOKEN_PAT, token);
	hash_sha256(token, TOKEN_LEN, p->token_hash);
	memcpy(p->display_prefix, token, TOKEN_DISPLAY_CHARS);
	p->display_prefix[TOKEN_DISPLAY_CHARS] = '\0';
}

static void prepare(int64_t user_id, const char *name, uint64_t scopes, int64_t expires_at,
		    char token[TOKEN_LEN + 1], struct pat *out)
{
	memset(out, 0, sizeof *out);
	out->user_id = user_id;
	snprintf(out->name, sizeof out->name, "%s", name);
	scope_format(scopes, out->scopes, sizeof out->scopes);
	out->created_at = time_now();
	out->expires_at = expires_at;
	fresh_secret(out, token);
}

enum jt_status grant_pat_create(struct store *st, int64_t user_id, const char *name,
				uint64_t scopes, int64_t expires_at, char token[TOKEN_LEN + 1],
				struct pat *out)
{
	prepare(user_id, name, scopes, expires_at, token, out);
	return store_pat_insert(st, out);
}

enum jt_status grant_pat_create_async(struct store *st, int64_t user_id, const char *name,
				      uint64_t scopes, int64_t expires_at,
				      char token[TOKEN_LEN + 1], struct pat *out, store_done done,
				      void *arg)
{
	prepare(user_id, name, scopes, expires_at, token, out);
	return store_pat_insert_async(st, out, done, arg);
}

enum jt_status grant_pat_rotate(struct store *st, int64_t user_id, int64_t id,
				char token[TOKEN_LEN + 1], struct pat *out)
{
	struct pat old;
	enum jt_status status = store_pat_get(st, user_id, id, &old);
	if (status != JT_OK)
		return status;
	memset(out, 0, sizeof *out);
	out->user_id = old.user_id;
	memcpy(out->name, old.name, sizeof out->name);
	memcpy(out->scopes, old.scopes, sizeof out->scopes);
	out->expires_at = old.expires_at;
	out->created_at = time_now();
	fresh_secret(out, token);
	return store_pat_rotate(st, user_id, id, out->created_at, out);
}

enum jt_status grant_check_password(struct store *st, const char *email, const char *password,
				    struct user *out)
{
	/* A valid argon2id hash of a random password: verified when the
	 * account does not exist, to spend the same time. */
	static const char decoy[] = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
				    "9GdGc6bbNTkqBXxU2vTqE5r6Y0Pj6WjY5jv2v1t7E2E";
	enum jt_status status = store_user_find_by_email(st, email, out);
	if (status != JT_OK && status != JT_ENOTFOUND)
		return status;
	bool found = status == JT_OK && out->password_hash[0];
	bool match =
		password_verify(found ? out->password_hash : decoy, password, strlen(password));
	crypto_wipe(out->password_hash, sizeof out->password_hash);
	if (!found || !match || out->disabled)
		return JT_ENOTFOUND;
	return JT_OK;
}
