/* SPDX-License-Identifier: MIT */
/* Personal access tokens of the caller: /v1/users/me/access_tokens.
 * Every endpoint needs manage_tokens and touches only the caller's own
 * tokens: another user's token id is "not found". */
#include "api/api.h"
#include "audit/audit.h"
#include "crypto/crypto.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

/* Replies to the caller's refusal to mint a token with scopes until
 * expires_at (authority_may_mint_pat); false when the caller may. A scope the
 * client asked for and may not have is invalid_scope; one that a rotation
 * would hand on is a right the token lacks for the request. */
static bool refused(struct http_req *req, const struct authority *by, uint64_t scopes,
		    int64_t expires_at, bool asked)
{
	char names[LIMIT_SCOPES_BYTES + 1], until[TIME_RFC3339_BUF], why[320];
	struct policy pol;
	int64_t now = time_now();

	enum jt_status st = store_policy_get(jeton_of(req)->store, &pol);
	if (st != JT_OK) {
		http_reply_status(req, st, "policy");
		return true;
	}
	enum authority_refusal r = authority_may_mint_pat(by, &pol, scopes, expires_at, now);
	switch (r) {
	case AUTHORITY_OK:
		return false;
	case AUTHORITY_NOT_PERSONAL:
		http_reply_fail(req, JT_EDENIED,
				"Personal access tokens are created by their user, with a personal "
				"access token or in the console, not with an OAuth token.");
		return true;
	case AUTHORITY_NOT_HELD:
		if (!asked) {
			bearer_reply_insufficient_scope(req, scopes & ~by->holds);
			return true;
		}
		scope_format(scopes & ~by->holds, names, sizeof names);
		http_reply_fail_with(req, JT_EINVAL, "invalid_scope",
				     "You cannot grant %s: neither you nor this token hold it.",
				     names);
		return true;
	case AUTHORITY_OUTLIVES:
		time_format(by->expires_at, until);
		http_reply_fail(req, JT_EDENIED,
				"This token expires at %s; the token it %s must expire no later%s.",
				until, asked ? "creates" : "rotates",
				asked ? ": set \"expires_at\" to that time or earlier" : "");
		return true;
	case AUTHORITY_POLICY_NO_EXPIRY:
	case AUTHORITY_POLICY_TOO_LONG:
		authority_policy_explain(&pol, r, !asked, now, why, sizeof why);
		http_reply_fail_with(req, JT_EINVAL, "policy_violation", "%s", why);
		return true;
	}
	return true;
}

/* previous: the token a rotation with an overlap left working, or NULL. */
static void reply_created(struct http_req *req, const struct pat *pat, char token[TOKEN_LEN + 1],
			  const struct pat *previous)
{
	char location[96];
	auth_count_issued(jeton_of(req)->auth, AUTH_ISSUED_PAT);
	http_secret(req);
	cJSON *o = render_pat(pat, time_now());
	if (o)
		cJSON_AddStringToObject(o, "token", token);
	if (o && previous)
		cJSON_AddItemToObject(o, "previous", render_pat(previous, time_now()));
	crypto_wipe(token, TOKEN_LEN + 1);
	snprintf(location, sizeof location, "/v1/users/me/access_tokens/%lld", (long long)pat->id);
	http_header_add(req, "Location", location);
	http_reply_json(req, 201, o);
}

/* A token being created, between the request and the commit. */
struct new_pat {
	struct pat pat;
	char token[TOKEN_LEN + 1];
	int64_t actor_id; /* who creates it, for the audit event */
	char actor[LIMIT_EMAIL_BYTES + 1];
	enum jt_status status;
};

static void new_pat_destroy(void *ctx)
{
	crypto_wipe(ctx, sizeof(struct new_pat));
	jt_free(ctx);
}

/* Called by the store once the token is durable (or not). */
static void pat_stored(void *arg, enum jt_status status)
{
	struct http_req *req = arg;
	((struct new_pat *)req->ctx)->status = status;
	http_resume(req);
}

static void pat_created(struct http_req *req)
{
	struct new_pat *np = req->ctx;
	if (np->status != JT_OK) {
		http_reply_status(req, np->status, "token");
	} else {
		audit_record(jeton_of(req)->store, np->actor_id, np->actor, "token.created",
			     req->client_ip, true, "token %lld (%s)", (long long)np->pat.id,
			     np->pat.name);
		reply_created(req, &np->pat, np->token, NULL);
	}
	new_pat_destroy(np);
	req->ctx = NULL;
}

static void create(struct http_req *req, struct principal *p)
{
	struct jeton *jt = jeton_of(req);
	char name[LIMIT_NAME_BYTES + 1];
	char expires[64];
	bool has_name, has_scopes, has_expires;
	uint64_t scopes;
	int64_t expires_at = 0;

	cJSON *body = input_json_object(req);
	if (!body)
		return;
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(body, "expires_at");
	if (!input_string(req, body, "name", name, sizeof name, &has_name) ||
	    !input_scopes(req, body, "scopes", &scopes, &has_scopes))
		goto out;
	if (exp && !cJSON_IsNull(exp) && !cJSON_IsString(exp)) {
		http_reply_fail(req, JT_EINVAL,
				"\"expires_at\" must be null (never) or an RFC 3339 time.");
		goto out;
	}
	if (!input_string(req, body, "expires_at", expires, sizeof expires, &has_expires))
		goto out;
	if (!has_name || !text_name_valid(name, strlen(name), LIMIT_NAME_CHARS)) {
		http_reply_fail(req, JT_EINVAL,
				"\"name\" is required: 1 to %d characters, no control characters.",
				LIMIT_NAME_CHARS);
		goto out;
	}
	if (has_expires) {
		if (time_parse(expires, strlen(expires), &expires_at) != JT_OK) {
			http_reply_fail(
				req, JT_EINVAL,
				"\"expires_at\" must be an RFC 3339 time such as "
				"2030-01-31T00:00:00Z, or null for a token that never expires.");
			goto out;
		}
		if (expires_at <= time_now()) {
			http_reply_fail(req, JT_EINVAL, "\"expires_at\" must be in the future.");
			goto out;
		}
	}
	struct authority by;
	authority_of_token(p, &by);
	if (!has_scopes)
		scopes = by.holds;
	if (scopes == 0) {
		http_reply_fail_with(req, JT_EINVAL, "invalid_scope",
				     "\"scopes\" must not be empty.");
		goto out;
	}
	if (refused(req, &by, scopes, expires_at, true))
		goto out;
	struct new_pat *np = jt_calloc(1, sizeof *np);
	if (!np) {
		http_reply_status(req, JT_ENOMEM, "token");
		goto out;
	}
	np->actor_id = p->user.id;
	snprintf(np->actor, sizeof np->actor, "%s", p->user.email);
	http_set_ctx(req, np, new_pat_destroy);
	http_suspend(req, pat_created);
	enum jt_status st = pat_create_async(jt->store, p->user.id, name, scopes, expires_at,
					     np->token, &np->pat, pat_stored, req);
	if (st != JT_OK)
		pat_stored(req, st); /* nothing queued: resume with the error */
out:
	cJSON_Delete(body);
}

static void list(struct http_req *req, struct principal *p)
{
	struct store_page page;
	struct pat *items = NULL;
	size_t n = 0;

	if (!input_page(req, &page))
		return;
	enum jt_status st = store_pat_list(jeton_of(req)->store, p->user.id, &page, &items, &n);
	if (st != JT_OK) {
		http_reply_status(req, st, "token");
		return;
	}
	int64_t now = time_now();
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < n; i++)
		cJSON_AddItemToArray(arr, render_pat(&items[i], now));
	cJSON *o = render_page(arr, &page, n, n ? items[n - 1].id : 0);
	store_list_free(items);
	http_reply_json(req, 200, o);
}

void api_tokens_collection(struct http_req *req)
{
	struct principal *p = bearer_authenticate(req, SCOPE_MANAGE_TOKENS);
	if (!p)
		return;
	if (req->method == HTTP_POST)
		create(req, p);
	else
		list(req, p);
	auth_release(p);
}

/* Revokes the token named by the route and replies with it (PUT .../revoked)
 * or with 204 (DELETE). */
static void revoke(struct http_req *req, bool with_body)
{
	struct jeton *jt = jeton_of(req);
	struct pat pat;
	int64_t id;
	struct principal *p = bearer_authenticate(req, SCOPE_MANAGE_TOKENS);
	if (!p)
		return;
	if (input_id(req, 0, &id)) {
		enum jt_status st = store_pat_revoke(jt->store, p->user.id, id, time_now(), &pat);
		if (st == JT_OK) {
			auth_invalidate(jt->auth);
			api_audit(req, p, "token.revoked", true, "token %lld (%s)", (long long)id,
				  pat.name);
		}
		if (st != JT_OK)
			http_reply_status(req, st, "token");
		else if (with_body)
			http_reply_json(req, 200, render_pat(&pat, time_now()));
		else
			http_reply_empty(req, 204);
	}
	auth_release(p);
}

void api_token_item(struct http_req *req)
{
	struct pat pat;
	int64_t id;

	if (req->method == HTTP_DELETE) {
		revoke(req, false);
		return;
	}
	struct principal *p = bearer_authenticate(req, SCOPE_MANAGE_TOKENS);
	if (!p)
		return;
	if (input_id(req, 0, &id)) {
		enum jt_status st = store_pat_get(jeton_of(req)->store, p->user.id, id, &pat);
		if (st != JT_OK)
			http_reply_status(req, st, "token");
		else
			http_reply_json(req, 200, render_pat(&pat, time_now()));
	}
	auth_release(p);
}

void api_token_revoked(struct http_req *req)
{
	revoke(req, true);
}

/* The optional body of a rotation: {"overlap": "24h"}; 0 without one. */
static bool read_overlap(struct http_req *req, int64_t *overlap)
{
	char text[TIME_DURATION_BUF];
	bool has = false;
	*overlap = 0;
	if (req->body_len == 0)
		return true;
	cJSON *body = input_json_object(req);
	if (!body)
		return false;
	bool ok = input_string(req, body, "overlap", text, sizeof text, &has);
	if (ok && has && time_parse_duration(text, strlen(text), overlap) != JT_OK) {
		http_reply_fail(
			req, JT_EINVAL,
			"\"overlap\" must be a duration such as \"24h\" (at most 7d are kept).");
		ok = false;
	}
	cJSON_Delete(body);
	return ok;
}

/* A rotation hands out a new secret with the old token's rights and
 * expiry: the caller must be able to create that token. */
static void rotate(struct http_req *req, struct principal *p, int64_t id)
{
	struct jeton *jt = jeton_of(req);
	char token[TOKEN_LEN + 1];
	struct pat old, pat;
	struct authority by;
	uint64_t scopes;
	int64_t overlap, old_until = 0;

	if (!read_overlap(req, &overlap))
		return;
	enum jt_status st = store_pat_get(jt->store, p->user.id, id, &old);
	if (st != JT_OK) {
		http_reply_status(req, st, "token");
		return;
	}
	if (scope_parse(old.scopes, strlen(old.scopes), &scopes) != JT_OK)
		scopes = SCOPE_ALL; /* unreadable: only a caller holding everything */
	authority_of_token(p, &by);
	if (refused(req, &by, scopes, old.expires_at, false))
		return;
	st = pat_rotate(jt->store, p->user.id, id, overlap, token, &pat, &old_until);
	if (st != JT_OK)
		crypto_wipe(token, sizeof token); /* it may hold the token that was not stored */
	if (st == JT_ECONFLICT) {
		http_reply_fail(
			req, JT_ECONFLICT,
			"Only an active token can be rotated; this one is revoked, expired or "
			"rotated already.");
	} else if (st != JT_OK) {
		http_reply_status(req, st, "token");
	} else {
		auth_invalidate(jt->auth);
		api_audit(req, p, "token.rotated", true, "token %lld -> %lld (%s)", (long long)id,
			  (long long)pat.id, pat.name);
		old.rotated_at = old_until ? pat.created_at : 0;
		old.expires_at = old_until;
		reply_created(req, &pat, token, old_until ? &old : NULL);
	}
}

void api_token_rotate(struct http_req *req)
{
	int64_t id;
	struct principal *p = bearer_authenticate(req, SCOPE_MANAGE_TOKENS);
	if (!p)
		return;
	if (input_id(req, 0, &id))
		rotate(req, p, id);
	auth_release(p);
}
