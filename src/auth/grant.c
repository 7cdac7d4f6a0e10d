/* SPDX-License-Identifier: MIT */
/* Rights of users, and issuing personal access tokens. Shared by the HTTP
 * API and the CLI so both apply the same rules. */
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

enum jt_status grant_user_permissions(struct store *st, const struct user *u,
				      uint64_t *instance, uint64_t *held)
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
	static const char decoy[] =
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
		"9GdGc6bbNTkqBXxU2vTqE5r6Y0Pj6WjY5jv2v1t7E2E";
	enum jt_status status = store_user_find_by_email(st, email, out);
	if (status != JT_OK && status != JT_ENOTFOUND)
		return status;
	bool found = status == JT_OK && out->password_hash[0];
	bool match = password_verify(found ? out->password_hash : decoy, password, strlen(password));
	crypto_wipe(out->password_hash, sizeof out->password_hash);
	if (!found || !match || out->disabled)
		return JT_ENOTFOUND;
	return JT_OK;
}
