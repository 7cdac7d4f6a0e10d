/* SPDX-License-Identifier: MIT */
/* POST /oauth/token: the authorization_code, refresh_token and
 * client_credentials grants (RFC 6749 §4.1.3, §6, §4.4), PKCE (RFC 7636),
 * refresh-token rotation with reuse detection (RFC 9700 §4.14), and, where
 * the operator enables it, a user's own email and password in the
 * client_credentials form (as Apinizer's management API takes them). */
#include "oauth/oauth.h"
#include "server/server.h"
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "util/mem.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool is_form(struct http_req *req)
{
	const char *ct = http_header(req, "Content-Type");
	return ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

/* Parses a token-shaped parameter and hashes it; false if not of kind. */
static bool token_hash_of(const char *value, enum token_kind want, uint8_t hash[STORE_HASH_LEN])
{
	enum token_kind kind;
	if (token_parse(value, strlen(value), &kind) != JT_OK || kind != want)
		return false;
	hash_sha256(value, strlen(value), hash);
	return true;
}

/* Revokes every token of a grant when a code or a refresh token is
 * replayed: whoever holds them may be an attacker. */
static void revoke_family(struct http_req *req, int64_t family_id)
{
	struct jeton *jt = jeton_of(req);
	if (family_id && store_oauth_revoke_family(jt->store, family_id, time_now()) == JT_OK)
		auth_invalidate(jt->auth);
}

/* A token request suspended while the store writes (group commit: many
 * requests share one transaction and one fsync). */
struct pending {
	struct app app;
	struct issued out;
	uint64_t scopes;
	int64_t space_id;
	enum jt_status status; /* of the last store write */
};

static void pending_destroy(void *ctx)
{
	crypto_wipe(ctx, sizeof(struct pending));
	jt_free(ctx);
}

static void pending_free(struct http_req *req)
{
	pending_destroy(req->ctx);
	req->ctx = NULL;
}

/* Called by the store's writer thread once a write is durable. */
static void store_finished(void *arg, enum jt_status status)
{
	struct http_req *req = arg;
	((struct pending *)req->ctx)->status = status;
	http_resume(req);
}

/* After http_suspend and an asynchronous store call: when the call could
 * not even be queued, resume at once with its error. */
static void resume_if_not_queued(struct http_req *req, enum jt_status queued)
{
	if (queued != JT_OK)
		store_finished(req, queued);
}

static void tokens_stored(struct http_req *req)
{
	struct pending *p = req->ctx;
	if (p->status != JT_OK)
		oauth_fail(req, p->status, "The token could not be stored.");
	else
		issue_reply(req, &p->out, p->scopes, p->space_id);
	pending_free(req);
}

/* Issues p->out: suspends until it is stored, then replies. */
static void store_tokens(struct http_req *req)
{
	struct pending *p = req->ctx;
	http_suspend(req, tokens_stored);
	enum jt_status queued = store_oauth_insert_async(jeton_of(req)->store, p->out.tokens,
							 p->out.ntokens, store_finished, req);
	resume_if_not_queued(req, queued);
}

static struct pending *pending_new(struct http_req *req, const struct app *app)
{
	struct pending *p = jt_calloc(1, sizeof *p);
	if (!p) {
		oauth_fail(req, JT_ENOMEM, "Out of memory.");
		return NULL;
	}
	p->app = *app;
	http_set_ctx(req, p, pending_destroy);
	return p;
}

/* After the redemption committed: the tokens, or the replay it was. */
static void code_redeemed(struct http_req *req)
{
	struct pending *p = req->ctx;
	if (p->status == JT_ECONFLICT) {
		auth_invalidate(jeton_of(req)->auth); /* the store revoked the grant's tokens */
		oauth_error(
			req, JT_EINVAL, "invalid_grant",
			"The authorization code was already used; every token issued from it is "
			"now revoked.");
	} else if (p->status == JT_ENOTFOUND) {
		oauth_error(req, JT_EINVAL, "invalid_grant",
			    "The authorization code is not valid.");
	} else if (p->status != JT_OK) {
		oauth_fail(req, p->status, "The token could not be stored.");
	} else {
		issue_reply(req, &p->out, p->scopes, p->space_id);
	}
	pending_free(req);
}

/* Redeems the code: suspends until its use and p->out (none for a
 * replay) are committed together, then replies. */
static void redeem(struct http_req *req, const uint8_t hash[STORE_HASH_LEN])
{
	struct pending *p = req->ctx;
	http_suspend(req, code_redeemed);
	enum jt_status queued =
		store_code_redeem_async(jeton_of(req)->store, hash, time_now(), p->out.tokens,
					p->out.ntokens, store_finished, req);
	resume_if_not_queued(req, queued);
}

/* Why the stored code c cannot be exchanged by this request, or NULL. */
static const char *code_refusal(const struct auth_code *c, const struct app *app,
				const char *redirect, bool has_redirect, const char *verifier,
				bool has_verifier)
{
	if (c->app_id != app->id)
		return "The authorization code is not valid.";
	if (c->expires_at <= time_now())
		return "The authorization code has expired.";
	if ((c->redirect_given || has_redirect) && strcmp(redirect, c->redirect_uri) != 0)
		return "redirect_uri does not match the one of the authorization request.";
	if (c->challenge[0] && !has_verifier)
		return "code_verifier is required (PKCE).";
	if (c->challenge[0] && !pkce_verify(verifier, c->challenge, c->challenge_method))
		return "code_verifier does not match the challenge.";
	if (!c->challenge[0] && has_verifier)
		return "code_verifier was sent but the authorization request had no challenge.";
	if (!app_scopes_within(app, c->scopes))
		return "The app may no longer ask for any scope of this code.";
	return NULL;
}

/* The checks read the code; only its redemption writes, in the same
 * transaction as the tokens it yields. A request that fails a check leaves
 * the code to the client that holds the verifier. */
static void code_grant(struct http_req *req, const struct app *app)
{
	char code[TOKEN_LEN + 8], redirect[LIMIT_URI_BYTES + 1], verifier[LIMIT_PKCE_MAX + 8];
	bool has_code, has_redirect, has_verifier;
	uint8_t hash[STORE_HASH_LEN];
	struct auth_code c;

	if (!oauth_param(req, "code", code, sizeof code, &has_code) ||
	    !oauth_param(req, "redirect_uri", redirect, sizeof redirect, &has_redirect) ||
	    !oauth_param(req, "code_verifier", verifier, sizeof verifier, &has_verifier))
		goto out;
	if (!has_code) {
		oauth_error(req, JT_EINVAL, "invalid_request", "The parameter code is missing.");
		goto out;
	}
	enum jt_status st = JT_ENOTFOUND;
	if (token_hash_of(code, TOKEN_CODE, hash))
		st = store_code_get(jeton_of(req)->store, hash, &c);
	if (st != JT_OK && st != JT_ENOTFOUND) {
		oauth_fail(req, st, "The store is unavailable.");
		goto out;
	}
	const char *refusal =
		st != JT_OK ? "The authorization code is not valid."
		: c.used_at ? NULL /* a replay: the redemption revokes */
			    : code_refusal(&c, app, redirect, has_redirect, verifier, has_verifier);
	if (refusal) {
		oauth_error(req, JT_EINVAL, "invalid_grant", refusal);
		goto out;
	}
	struct pending *p = pending_new(req, app);
	if (!p)
		goto out;
	if (!c.used_at) {
		p->scopes = app_scopes_within(app, c.scopes);
		p->space_id = c.space_id;
		struct issue_terms terms =
			issue_grant_terms(app, c.user_id, c.space_id, c.family_id, p->scopes,
					  app_grant_types(app) & GRANT_REFRESH_TOKEN);
		st = issue_prepare(req, &terms, &p->out);
		if (st != JT_OK) {
			oauth_fail(req, st, "The token could not be signed.");
			pending_free(req);
			goto out;
		}
	}
	redeem(req, hash);
out:
	crypto_wipe(code, sizeof code);
	crypto_wipe(verifier, sizeof verifier);
}

/* The successor of a rotation travels sealed under a key derived from the
 * rotated refresh token: its access token, a newline, its refresh token. */
#define SUCCESSOR_PLAIN_MAX (ISSUED_ACCESS_MAX + TOKEN_LEN + 1)
_Static_assert(SUCCESSOR_PLAIN_MAX + SEAL_OVERHEAD <= STORE_SUCCESSOR_SEALED_BYTES,
	       "a sealed successor fits its column");

/* Seals out's tokens for old_id, the refresh token value, until the end of
 * the app's grace window; false when the app has none. */
static bool seal_successor(const struct app *app, const char *value, int64_t old_id, int64_t now,
			   const struct issued *out, struct refresh_successor *s)
{
	char plain[SUCCESSOR_PLAIN_MAX];
	if (app->refresh_grace <= 0)
		return false;
	int n = snprintf(plain, sizeof plain, "%s\n%s", out->access, out->refresh);
	s->token_id = old_id;
	s->expires_at = now + app->refresh_grace;
	bool sealed = n > 0 && (size_t)n < sizeof plain &&
		      seal_by_secret(value, strlen(value), plain, (size_t)n, s->sealed,
				     sizeof s->sealed, &s->sealed_len) == JT_OK;
	crypto_wipe(plain, sizeof plain);
	return sealed;
}

/* Answers a rotated refresh token presented again within its grace window
 * (a retry after a lost response, a race) with the very successor its
 * rotation produced. False, with nothing answered, when there is no such
 * successor to give: the window ended, or the successor's refresh token
 * was itself used already, so this is no retry. A store that does not
 * answer is answered as such (true): a retry is never taken for a reuse. */
static bool answer_again(struct http_req *req, const struct oauth_token *old, const char *value,
			 int64_t now)
{
	struct jeton *jt = jeton_of(req);
	struct refresh_successor s;
	struct oauth_token access, refresh;
	struct issued out;
	char plain[SUCCESSOR_PLAIN_MAX + 1];
	uint8_t hash[STORE_HASH_LEN];
	uint64_t scopes = 0;
	size_t len = 0;
	bool answered = false;

	memset(&out, 0, sizeof out);
	enum jt_status st = store_refresh_successor_get(jt->store, old->id, now, &s);
	if (st != JT_OK && st != JT_ENOTFOUND)
		goto unavailable; /* no answer either way: certainly no reuse to punish */
	if (st != JT_OK || open_by_secret(value, strlen(value), s.sealed, s.sealed_len, plain,
					  sizeof plain - 1, &len) != JT_OK)
		goto out;
	plain[len] = '\0';
	const char *newline = strchr(plain, '\n');
	size_t access_len = newline ? (size_t)(newline - plain) : 0;
	size_t refresh_len = newline ? len - access_len - 1 : 0;
	if (!newline || access_len >= sizeof out.access || refresh_len >= sizeof out.refresh)
		goto out;
	memcpy(out.access, plain, access_len);
	memcpy(out.refresh, newline + 1, refresh_len);
	hash_sha256(out.refresh, strlen(out.refresh), hash);
	st = store_oauth_find_by_hash(jt->store, hash, &refresh);
	if (st == JT_OK && !refresh.rotated_at) {
		hash_sha256(out.access, strlen(out.access), hash);
		st = store_oauth_find_by_hash(jt->store, hash, &access);
	}
	if (st != JT_OK && st != JT_ENOTFOUND)
		goto unavailable;
	if (st != JT_OK || refresh.rotated_at)
		goto out;
	answered = true;
	if (access.revoked_at || refresh.revoked_at) {
		oauth_error(req, JT_EINVAL, "invalid_grant", "The refresh token has been revoked.");
		goto out;
	}
	out.expires_in = access.expires_at > now ? access.expires_at - now : 0;
	out.again = true;
	scope_parse(access.scopes, strlen(access.scopes), &scopes);
	issue_reply(req, &out, scopes, access.space_id);
	goto out;
unavailable:
	answered = true;
	oauth_fail(req, st, "The store is unavailable.");
out:
	crypto_wipe(plain, sizeof plain);
	crypto_wipe(&out, sizeof out);
	return answered;
}

/* A rotated refresh token used again, and not a retry: whoever holds it
 * may be an attacker. */
static void refresh_reused(struct http_req *req, const struct oauth_token *t)
{
	revoke_family(req, t->family_id);
	store_refresh_successor_delete(jeton_of(req)->store, t->id);
	oauth_error(req, JT_EINVAL, "invalid_grant",
		    "The refresh token was already used; every token of this grant is now "
		    "revoked.");
}

static void refresh_grant(struct http_req *req, const struct app *app)
{
	struct jeton *jt = jeton_of(req);
	char value[TOKEN_LEN + 8], scope[LIMIT_SCOPES_BYTES + 1];
	bool has_value, has_scope;
	uint8_t hash[STORE_HASH_LEN];
	struct oauth_token t;
	struct user u;
	struct issued out;
	struct refresh_successor successor;
	uint64_t scopes = 0, asked = 0;

	memset(&out, 0, sizeof out);
	if (!oauth_param(req, "refresh_token", value, sizeof value, &has_value) ||
	    !oauth_param(req, "scope", scope, sizeof scope, &has_scope))
		goto out;
	if (!has_value) {
		oauth_error(req, JT_EINVAL, "invalid_request",
			    "The parameter refresh_token is missing.");
		goto out;
	}
	enum jt_status st = JT_ENOTFOUND;
	if (token_hash_of(value, TOKEN_REFRESH, hash))
		st = store_oauth_find_by_hash(jt->store, hash, &t);
	if (st != JT_OK && st != JT_ENOTFOUND) {
		oauth_fail(req, st, "The store is unavailable.");
		goto out;
	}
	int64_t now = time_now();
	if (st != JT_OK || strcmp(t.kind, "refresh") != 0 || t.app_id != app->id) {
		oauth_error(req, JT_EINVAL, "invalid_grant", "The refresh token is not valid.");
		goto out;
	}
	if (t.rotated_at && !t.revoked_at) {
		if (!answer_again(req, &t, value, now))
			refresh_reused(req, &t);
		goto out;
	}
	if (t.revoked_at || t.expires_at <= now) {
		oauth_error(req, JT_EINVAL, "invalid_grant",
			    t.revoked_at ? "The refresh token has been revoked."
					 : "The refresh token has expired.");
		goto out;
	}
	st = store_user_get(jt->store, t.user_id, &u);
	if (st != JT_OK && st != JT_ENOTFOUND) {
		oauth_fail(req, st, "The store is unavailable.");
		goto out;
	}
	if (st != JT_OK || u.disabled) {
		oauth_error(req, JT_EINVAL, "invalid_grant",
			    "The user of this grant is no longer active.");
		goto out;
	}
	scopes = app_scopes_within(app, t.scopes);
	if (!scopes) {
		oauth_error(req, JT_EINVAL, "invalid_grant",
			    "The app may no longer ask for any scope of this grant.");
		goto out;
	}
	if (has_scope) {
		if (scope_parse(scope, strlen(scope), &asked) != JT_OK || !asked ||
		    (asked & ~scopes)) {
			oauth_error(req, JT_EINVAL, "invalid_scope",
				    "A refresh can only keep or narrow the scopes of the grant.");
			goto out;
		}
		scopes = asked;
	}
	bool rotate = app->public_client || app->rotate_refresh;
	struct issue_terms terms =
		issue_grant_terms(app, t.user_id, t.space_id, t.family_id, scopes, rotate);
	st = issue_prepare(req, &terms, &out);
	if (st != JT_OK) {
		oauth_fail(req, st, "The token could not be signed.");
		goto out;
	}
	/* Kept with the rotation, in its transaction: a concurrent refresh
	 * with the same token that loses finds it once it sees the rotation. */
	bool sealed = rotate && seal_successor(app, value, t.id, now, &out, &successor);
	st = store_oauth_refresh(jt->store, t.id, !rotate, now, out.tokens, out.ntokens,
				 sealed ? &successor : NULL);
	if (st == JT_ECONFLICT) {
		if (!answer_again(req, &t, value, now))
			refresh_reused(req, &t);
	} else if (st != JT_OK) {
		oauth_fail(req, st, "The token could not be stored.");
	} else {
		issue_reply(req, &out, scopes, t.space_id);
	}
out:
	crypto_wipe(&out, sizeof out);
	crypto_wipe(value, sizeof value);
}

static void client_grant(struct http_req *req, const struct app *app)
{
	char scope[LIMIT_SCOPES_BYTES + 1];
	bool has_scope;
	uint64_t allowed = 0, scopes;

	if (!oauth_param(req, "scope", scope, sizeof scope, &has_scope))
		return;
	if (!app->has_secret) {
		oauth_error(req, JT_EINVAL, "unauthorized_client",
			    "A public client cannot use client_credentials.");
		return;
	}
	scope_parse(app->scopes, strlen(app->scopes), &allowed);
	scopes = allowed;
	if (has_scope &&
	    (scope_parse(scope, strlen(scope), &scopes) != JT_OK || (scopes & ~allowed))) {
		oauth_error(req, JT_EINVAL, "invalid_scope",
			    "The scope asked is unknown or beyond what this client may have.");
		return;
	}
	struct pending *p = pending_new(req, app);
	if (!p)
		return;
	p->scopes = scopes;
	struct issue_terms terms = {
		.kind = TOKEN_CLIENT,
		.app = app,
		.scopes = scopes,
		.access_ttl = app->access_ttl,
		.jwt = app_uses_jwt(app),
	};
	enum jt_status st = issue_prepare(req, &terms, &p->out);
	if (st != JT_OK) {
		oauth_fail(req, st, "The token could not be signed.");
		pending_free(req);
		return;
	}
	store_tokens(req);
}

/* ---- a user's own email and password (Apinizer's form) ---- */

struct user_grant {
	char email[LIMIT_EMAIL_BYTES + 1];
	char password[LIMIT_PASSWORD_MAX + 1];
	char scope[LIMIT_SCOPES_BYTES + 1];
	bool has_scope;
	struct throttle_ticket ticket;
	struct user user;
	bool password_ok;
	bool second_factor; /* the user signs in with two factors: no password grant */
	enum jt_status status;
	uint64_t held;
};

static void bad_credentials(struct http_req *req)
{
	oauth_error(req, JT_EAUTH, "unauthorized_client", "Bad credentials");
}

static void user_grant_destroy(void *ctx)
{
	crypto_wipe(ctx, sizeof(struct user_grant));
	jt_free(ctx);
}

static void user_grant_work(struct http_req *req)
{
	struct user_grant *g = req->ctx;
	struct jeton *jt = jeton_of(req);
	uint64_t instance;
	g->status = auth_check_password(jt->store, g->email, g->password, &g->user);
	g->password_ok = g->status == JT_OK;
	if (g->status == JT_OK)
		g->status = auth_user_permissions(jt->store, &g->user, &instance, &g->held);
	if (g->status == JT_OK)
		g->status = auth_totp_enabled(jt->store, g->user.id, &g->second_factor);
	crypto_wipe(g->password, sizeof g->password);
}

static void user_grant_done(struct http_req *req)
{
	struct jeton *jt = jeton_of(req);
	struct user_grant *g = req->ctx;
	struct issued out;
	uint64_t scopes = g->held;

	if (g->password_ok)
		throttle_release(jt->throttle, &g->ticket, g->email, req->client_ip);
	if (g->status == JT_ENOTFOUND) {
		bad_credentials(req);
	} else if (g->status != JT_OK) {
		oauth_fail(req, g->status, "The store is unavailable.");
	} else if (g->second_factor) {
		oauth_error(req, JT_EINVAL, "invalid_grant",
			    "This account uses two-factor sign-in, which a password alone cannot "
			    "give: use a personal access token instead.");
	} else if (g->user.password_must_change) {
		oauth_error(req, JT_EINVAL, "invalid_grant",
			    "This account's password is a one-time password: change it in the "
			    "console first.");
	} else if (g->has_scope && (scope_parse(g->scope, strlen(g->scope), &scopes) != JT_OK ||
				    (scopes & ~g->held))) {
		oauth_error(req, JT_EINVAL, "invalid_scope",
			    "The scope asked is unknown or not yours.");
	} else {
		struct issue_terms terms = {
			.kind = TOKEN_ACCESS,
			.user_id = g->user.id,
			.scopes = scopes,
			.access_ttl = LIMIT_USER_TOKEN_TTL,
			.jwt = jt->user_tokens_jwt,
			.client_id = g->email,
		};
		enum jt_status st = issue_prepare(req, &terms, &out);
		if (st == JT_OK)
			st = store_oauth_insert(jt->store, out.tokens, out.ntokens);
		if (st != JT_OK)
			oauth_fail(req, st, "The token could not be stored.");
		else
			issue_reply(req, &out, scopes, 0);
		crypto_wipe(&out, sizeof out);
	}
	user_grant_destroy(g);
	req->ctx = NULL;
}

/* Reads a client_credentials request's client_id, client_secret and scope
 * into g. True when the client_id names a user (an email) rather than an
 * app and a secret is given; false otherwise, with a 400 reply set when a
 * parameter repeats or is too long. */
static bool user_credentials(struct http_req *req, struct user_grant *g)
{
	bool has_id, has_secret;
	if (!oauth_param(req, "client_id", g->email, sizeof g->email, &has_id) ||
	    !oauth_param(req, "client_secret", g->password, sizeof g->password, &has_secret) ||
	    !oauth_param(req, "scope", g->scope, sizeof g->scope, &g->has_scope))
		return false;
	return has_id && has_secret && strchr(g->email, '@');
}

static void user_grant(struct http_req *req)
{
	struct jeton *jt = jeton_of(req);
	struct user_grant *g = jt_calloc(1, sizeof *g);
	if (!g) {
		oauth_fail(req, JT_ENOMEM, "Out of memory.");
		return;
	}
	if (!user_credentials(req, g)) {
		if (!req->status)
			bad_credentials(req);
	} else if (!throttle_reserve(jt->throttle, g->email, req->client_ip, time_now_ms(),
				     &g->ticket)) {
		http_retry_after(req, g->ticket.retry_after);
		oauth_error(req, JT_ETHROTTLED, "slow_down",
			    "Too many failed attempts; try again later.");
	} else {
		http_set_ctx(req, g, user_grant_destroy);
		http_defer(req, user_grant_work, user_grant_done);
		return;
	}
	crypto_wipe(g, sizeof *g);
	jt_free(g);
}

/* True if this client_credentials request carries a user's email as
 * client_id in the form (no Basic header). */
static bool names_a_user(struct http_req *req)
{
	char id[LIMIT_EMAIL_BYTES + 1];
	const char *auth = http_header(req, "Authorization");
	if (auth && strncasecmp(auth, "Basic ", 6) == 0)
		return false;
	return http_form_get(req->body, req->body_len, "client_id", id, sizeof id) == JT_OK &&
	       strchr(id, '@') != NULL;
}

void oauth_token(struct http_req *req)
{
	char grant[64];
	bool has_grant;
	struct app app;

	if (!is_form(req)) {
		oauth_error(req, JT_EINVAL, "invalid_request",
			    "The body must be application/x-www-form-urlencoded.");
		return;
	}
	if (!oauth_param(req, "grant_type", grant, sizeof grant, &has_grant))
		return;
	if (!has_grant) {
		oauth_error(req, JT_EINVAL, "invalid_request",
			    "The parameter grant_type is missing.");
		return;
	}
	unsigned g = 0;
	if (strcmp(grant, DEVICE_GRANT_URN) == 0)
		g = GRANT_DEVICE_CODE; /* by its URN only, as RFC 8628 names it */
	else if (grant_type_parse(grant, &g) != JT_OK || g == GRANT_DEVICE_CODE)
		g = 0;
	if (g == 0 || (g & (g - 1)) != 0) {
		oauth_error(req, JT_EINVAL, "unsupported_grant_type",
			    "Supported grants: authorization_code, refresh_token, "
			    "client_credentials, " DEVICE_GRANT_URN ".");
		return;
	}
	if (g == GRANT_CLIENT_CREDENTIALS && jeton_of(req)->allow_user_credentials &&
	    names_a_user(req)) {
		user_grant(req);
		return;
	}
	if (!oauth_client_authenticate(req, g != GRANT_CLIENT_CREDENTIALS, &app))
		return;
	if (!(app_grant_types(&app) & g)) {
		oauth_error(req, JT_EINVAL, "unauthorized_client",
			    "This client may not use this grant type.");
		return;
	}
	if (g == GRANT_AUTHORIZATION_CODE)
		code_grant(req, &app);
	else if (g == GRANT_REFRESH_TOKEN)
		refresh_grant(req, &app);
	else if (g == GRANT_DEVICE_CODE)
		oauth_device_grant(req, &app);
	else
		client_grant(req, &app);
}
