/* SPDX-License-Identifier: MIT */
/* Issuing and rotating personal access tokens: a fresh secret, its hash
 * stored, the token shown once. */
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

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

enum jt_status pat_create(struct store *st, int64_t user_id, const char *name, uint64_t scopes,
			  int64_t expires_at, char token[TOKEN_LEN + 1], struct pat *out)
{
	prepare(user_id, name, scopes, expires_at, token, out);
	return store_pat_insert(st, out);
}

enum jt_status pat_create_async(struct store *st, int64_t user_id, const char *name,
				uint64_t scopes, int64_t expires_at, char token[TOKEN_LEN + 1],
				struct pat *out, store_done done, void *arg)
{
	prepare(user_id, name, scopes, expires_at, token, out);
	return store_pat_insert_async(st, out, done, arg);
}

/* The end of old's overlap when rotated at now: capped at a week and by
 * old's own expiry (which the policy's maximum lifetime already bounds: a
 * token that breaks it cannot be rotated). */
static int64_t overlap_end(const struct pat *old, int64_t overlap, int64_t now)
{
	int64_t until = now + (overlap < LIMIT_PAT_OVERLAP_MAX ? overlap : LIMIT_PAT_OVERLAP_MAX);
	return old->expires_at && old->expires_at < until ? old->expires_at : until;
}

enum jt_status pat_rotate(struct store *st, int64_t user_id, int64_t id, int64_t overlap,
			  char token[TOKEN_LEN + 1], struct pat *out, int64_t *old_until)
{
	struct pat old;
	int64_t until = 0;
	enum jt_status status = store_pat_get(st, user_id, id, &old);
	if (status != JT_OK)
		return status;
	memset(out, 0, sizeof *out);
	out->user_id = old.user_id;
	memcpy(out->name, old.name, sizeof out->name);
	memcpy(out->scopes, old.scopes, sizeof out->scopes);
	out->expires_at = old.expires_at;
	out->created_at = time_now();
	if (overlap > 0)
		until = overlap_end(&old, overlap, out->created_at);
	if (old_until)
		*old_until = until;
	fresh_secret(out, token);
	return store_pat_rotate(st, user_id, id, out->created_at, until, out);
}
