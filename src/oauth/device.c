/* SPDX-License-Identifier: MIT */
/* The device authorization grant (RFC 8628), for tools that cannot receive
 * a redirect (a command-line tool, a TV): the device asks for a code at
 * /oauth/device_authorization, its user allows it at /device in a browser
 * (signed in, on the consent page's own pieces), and the device polls
 * /oauth/token until the answer is there. Only the codes' SHA-256 are
 * stored; a user code is short, so every look-up of one is throttled like
 * a password guess. */
#include "oauth/oauth.h"
#include "server/server.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "web/web.h"
#include "util/text.h"
#include "util/time.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DEVICE_SECONDS  600 /* a device code's lifetime */
#define DEVICE_INTERVAL 5   /* seconds between polls, at first */
#define USER_CODE_CHARS 8   /* 20^8: 34 bits, throttled and living 10 minutes */

/* No vowels (no words), no look-alikes (0/O, 1/I/L, 5/S, 2/Z stay apart). */
static const char user_alphabet[] = "BCDFGHJKLMNPQRSTVWXZ";

/* "XXXX-XXXX", drawn uniformly (bytes past 239 are dropped: 240 = 12 * 20). */
static void user_code_generate(char out[USER_CODE_CHARS + 2])
{
	size_t n = 0;
	while (n < USER_CODE_CHARS) {
		uint8_t bytes[16];
		random_bytes(bytes, sizeof bytes);
		for (size_t i = 0; i < sizeof bytes && n < USER_CODE_CHARS; i++)
			if (bytes[i] < 240)
				out[n + (n >= 4)] = user_alphabet[bytes[i] % 20], n++;
		crypto_wipe(bytes, sizeof bytes);
	}
	out[4] = '-';
	out[USER_CODE_CHARS + 1] = '\0';
}

/* The SHA-256 of a typed user code, case, dashes and spaces aside; false
 * when it cannot be one. */
static bool user_code_hash(const char *typed, uint8_t hash[STORE_HASH_LEN])
{
	char code[USER_CODE_CHARS];
	size_t n = 0;
	for (const char *p = typed; *p; p++) {
		if (*p == '-' || *p == ' ')
			continue;
		char c = (char)toupper((unsigned char)*p);
		if (n == USER_CODE_CHARS || !strchr(user_alphabet, c))
			return false;
		code[n++] = c;
	}
	if (n != USER_CODE_CHARS)
		return false;
	hash_sha256(code, n, hash);
	crypto_wipe(code, sizeof code);
	return true;
}

/* ---- POST /oauth/device_authorization (RFC 8628 §3.1, §3.2) ---- */

static bool device_scopes(struct http_req *req, const struct app *app, uint64_t *scopes)
{
	char scope[LIMIT_SCOPES_BYTES + 1];
	bool has_scope;
	uint64_t allowed = 0;
	if (!oauth_param(req, "scope", scope, sizeof scope, &has_scope))
		return false;
	scope_parse(app->scopes, strlen(app->scopes), &allowed);
	*scopes = allowed;
	if (has_scope && (scope_parse(scope, strlen(scope), scopes) != JT_OK || !*scopes ||
			  (*scopes & ~allowed))) {
		oauth_error(req, JT_EINVAL, "invalid_scope",
			    "The scope asked is unknown or beyond what this client may have.");
		return false;
	}
	return true;
}

void oauth_device_authorization(struct http_req *req)
{
	struct jeton *jt = jeton_of(req);
	char device[TOKEN_LEN + 1], user[USER_CODE_CHARS + 2], complete[48];
	struct device_auth d;
	struct app app;
	uint64_t scopes;
	const char *ct = http_header(req, "Content-Type");

	if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
		oauth_error(req, JT_EINVAL, "invalid_request",
			    "The body must be application/x-www-form-urlencoded.");
		return;
	}
	if (!oauth_client_authenticate(req, true, &app))
		return;
	if (!(app_grant_types(&app) & GRANT_DEVICE_CODE)) {
		oauth_error(req, JT_EINVAL, "unauthorized_client",
			    "This client may not use the device authorization grant.");
		return;
	}
	if (!device_scopes(req, &app, &scopes))
		return;
	memset(&d, 0, sizeof d);
	d.app_id = app.id;
	scope_format(scopes, d.scopes, sizeof d.scopes);
	d.family_id = issue_family_id();
	d.created_at = time_now();
	d.expires_at = d.created_at + DEVICE_SECONDS;
	d.poll_interval = DEVICE_INTERVAL;
	token_generate(TOKEN_CODE, device);
	hash_sha256(device, TOKEN_LEN, d.device_hash);
	enum jt_status st = JT_ECONFLICT;
	for (int tries = 0; st == JT_ECONFLICT && tries < 3; tries++) { /* user codes may collide */
		user_code_generate(user);
		user_code_hash(user, d.user_code_hash);
		st = store_device_insert(jt->store, &d);
	}
	if (st == JT_ETHROTTLED) {
		oauth_error(req, st, "slow_down",
			    "Too many devices are signing in to this app at once; try again in a "
			    "minute.");
	} else if (st != JT_OK) {
		oauth_fail(req, st, "The device code could not be stored.");
	} else {
		cJSON *o = cJSON_CreateObject();
		snprintf(complete, sizeof complete, "/device?user_code=%s", user);
		cJSON_AddStringToObject(o, "device_code", device);
		cJSON_AddStringToObject(o, "user_code", user);
		oauth_add_url(o, "verification_uri", jt->issuer, "/device");
		oauth_add_url(o, "verification_uri_complete", jt->issuer, complete);
		cJSON_AddNumberToObject(o, "expires_in", DEVICE_SECONDS);
		cJSON_AddNumberToObject(o, "interval", DEVICE_INTERVAL);
		http_header_add(req, "Pragma", "no-cache");
		http_secret(req);
		http_reply_json(req, 200, o);
	}
	crypto_wipe(device, sizeof device);
	crypto_wipe(user, sizeof user);
}

/* ---- POST /oauth/token, grant_type DEVICE_GRANT_URN (RFC 8628 §3.4, §3.5) ---- */

/* Prepares the tokens of an allowed, unused, unexpired sign-in into out;
 * false, with the reply set, when its user or scopes are gone. */
static bool device_tokens(struct http_req *req, const struct app *app, const struct device_auth *d,
			  struct issued *out, uint64_t *scopes)
{
	struct user u;
	enum jt_status st = store_user_get(jeton_of(req)->store, d->user_id, &u);
	if (st != JT_OK && st != JT_ENOTFOUND) {
		oauth_fail(req, st, "The store is unavailable.");
		return false;
	}
	*scopes = app_scopes_within(app, d->scopes);
	if (st != JT_OK || u.disabled || !*scopes) {
		oauth_error(req, JT_EINVAL, "invalid_grant",
			    "The user of this sign-in is no longer active, or the app may no "
			    "longer ask for its scopes.");
		return false;
	}
	struct issue_terms terms =
		issue_grant_terms(app, d->user_id, d->space_id, d->family_id, *scopes,
				  app_grant_types(app) & GRANT_REFRESH_TOKEN);
	st = issue_prepare(req, &terms, out);
	if (st != JT_OK)
		oauth_fail(req, st, "The token could not be signed.");
	return st == JT_OK;
}

static void poll_reply(struct http_req *req, enum device_poll r, const struct issued *out,
		       uint64_t scopes, int64_t space_id)
{
	static const char *const errors[][2] = {
		[DEVICE_PENDING] = {"authorization_pending",
				    "The user has not allowed or denied this sign-in yet."},
		[DEVICE_SLOW_DOWN] = {"slow_down",
				      "Polled sooner than the interval, which is now 5 seconds "
				      "longer."},
		[DEVICE_DENIED] = {"access_denied", "The user denied this sign-in."},
		[DEVICE_EXPIRED] = {"expired_token",
				    "The device code has expired: ask for a new one."},
		[DEVICE_USED] = {"invalid_grant", "The device code was used already."},
	};
	if (r == DEVICE_ISSUED)
		issue_reply(req, out, scopes, space_id);
	else
		oauth_error(req, JT_EINVAL, errors[r][0], errors[r][1]);
}

void oauth_device_grant(struct http_req *req, const struct app *app)
{
	struct jeton *jt = jeton_of(req);
	char code[TOKEN_LEN + 8];
	bool has_code, prepared = false;
	uint8_t hash[STORE_HASH_LEN];
	enum token_kind kind;
	struct device_auth d;
	struct issued out;
	uint64_t scopes = 0;
	enum device_poll r;
	int64_t now = time_now();

	memset(&out, 0, sizeof out);
	if (!oauth_param(req, "device_code", code, sizeof code, &has_code))
		return;
	if (!has_code) {
		oauth_error(req, JT_EINVAL, "invalid_request",
			    "The parameter device_code is missing.");
		return;
	}
	enum jt_status st = JT_ENOTFOUND;
	if (token_parse(code, strlen(code), &kind) == JT_OK && kind == TOKEN_CODE) {
		hash_sha256(code, strlen(code), hash);
		st = store_device_by_device_code(jt->store, hash, &d);
	}
	crypto_wipe(code, sizeof code);
	if (st != JT_OK && st != JT_ENOTFOUND) {
		oauth_fail(req, st, "The store is unavailable.");
		return;
	}
	if (st != JT_OK || d.app_id != app->id) {
		oauth_error(req, JT_EINVAL, "invalid_grant", "The device code is not valid.");
		return;
	}
	if (strcmp(d.decision, "allowed") == 0 && !d.used_at && d.expires_at > now) {
		if (!device_tokens(req, app, &d, &out, &scopes))
			return;
		prepared = true;
	}
	st = store_device_poll(jt->store, hash, now, prepared ? out.tokens : NULL,
			       prepared ? out.ntokens : 0, &r);
	if (st != JT_OK)
		oauth_fail(req, st, "The store is unavailable.");
	else
		poll_reply(req, r, &out, scopes, d.space_id);
	crypto_wipe(&out, sizeof out);
}

/* ---- GET and POST /device: the user's side ---- */

static void device_message(struct http_req *req, const struct page_ctx *c, const char *heading,
			   const char *message)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "heading", heading);
	cJSON_AddStringToObject(d, "message", message);
	page_render(req, JT_OK, heading, NULL, "message.html", d, c);
}

/* The sign-in a typed user code names, once the throttle lets the look-up
 * through; false, with the page sent, otherwise. A code found gives the
 * attempt back: only wrong codes count. */
static bool find_user_code(struct http_req *req, const struct page_ctx *c, const char *typed,
			   struct device_auth *d, struct app *app)
{
	struct jeton *jt = jeton_of(req);
	struct throttle_ticket ticket;
	char account[LIMIT_EMAIL_BYTES + 16], wait[96];
	uint8_t hash[STORE_HASH_LEN];

	snprintf(account, sizeof account, "device:%s", c->user.email);
	if (!throttle_reserve(jt->throttle, account, req->client_ip, time_now_ms(), &ticket)) {
		snprintf(wait, sizeof wait, "Too many codes tried. Try again in %d seconds.",
			 ticket.retry_after);
		http_retry_after(req, ticket.retry_after);
		page_fail(req, JT_ETHROTTLED, wait, c);
		return false;
	}
	enum jt_status st = JT_ENOTFOUND;
	if (user_code_hash(typed, hash))
		st = store_device_by_user_code(jt->store, hash, d);
	if (st == JT_OK && (d->decision[0] || d->expires_at <= time_now()))
		st = JT_ENOTFOUND; /* decided or expired: as good as unknown */
	if (st == JT_OK)
		st = store_app_get(jt->store, d->app_id, app);
	if (st == JT_OK)
		throttle_release(jt->throttle, &ticket, account, req->client_ip);
	if (st == JT_ENOTFOUND)
		page_fail(req, JT_EINVAL,
			  "This code is not valid: check it on your device, or start again there.",
			  c);
	else if (st != JT_OK)
		page_fail(req, st, NULL, c);
	return st == JT_OK;
}

static void decide(struct http_req *req, const struct page_ctx *c, struct device_auth *d,
		   const struct app *app, bool allow)
{
	struct jeton *jt = jeton_of(req);
	char space[24];
	int64_t space_id = 0;

	if (allow) {
		http_form_field(req, "space_id", space, sizeof space);
		if (text_parse_i64(space, strlen(space), 1, INT64_MAX, &space_id) != JT_OK ||
		    !oauth_user_in_space(jt->store, c->user.id, space_id)) {
			page_fail(req, JT_EINVAL, "Pick one of your spaces to grant access to.", c);
			return;
		}
	}
	snprintf(d->decision, sizeof d->decision, "%s", allow ? "allowed" : "denied");
	d->user_id = c->user.id;
	d->space_id = space_id;
	enum jt_status st = store_device_decide(jt->store, d, time_now());
	if (st == JT_ECONFLICT) {
		page_fail(req, JT_EINVAL, "This code was used or has expired meanwhile.", c);
		return;
	}
	if (st != JT_OK) {
		page_fail(req, st, NULL, c);
		return;
	}
	audit_record(jt->store, c->user.id, c->user.email,
		     allow ? "consent.allowed" : "consent.denied", req->client_ip, true,
		     "app %lld (%s), a device's sign-in, space %lld", (long long)app->id, app->name,
		     (long long)space_id);
	device_message(req, c, allow ? "Device signed in" : "Sign-in denied",
		       allow ? "You may return to your device: it is signed in."
			     : "The device was not signed in.");
}

/* Signed in first, as for /oauth/authorize; then the code, then consent. */
void oauth_device_page(struct http_req *req)
{
	struct page_ctx c;
	char typed[32], csrf[CSRF_CHARS + 8], decision[16], next[64], login[160];
	struct device_auth d;
	struct app app;

	memset(&c, 0, sizeof c);
	if (req->method == HTTP_POST) {
		http_form_field(req, "csrf", csrf, sizeof csrf);
		if (!session_csrf_ok(req, csrf)) {
			page_fail(req, JT_EDENIED, "The form expired or came from another site.",
				  NULL);
			return;
		}
	}
	const char *given = http_query(req, "user_code");
	snprintf(typed, sizeof typed, "%s", given && strlen(given) < sizeof typed ? given : "");
	if (!session_user(req, &c.user)) {
		snprintf(next, sizeof next, "/device");
		if (typed[0])
			http_url_add(next, sizeof next, "user_code", typed);
		snprintf(login, sizeof login, "/login");
		http_url_add(login, sizeof login, "next", next);
		http_redirect(req, 302, login);
		return;
	}
	if (c.user.password_must_change) { /* before anything else (console.c) */
		http_redirect(req, 303, "/console/account");
		return;
	}
	if (auth_totp_must_enrol(jeton_of(req)->store, &c.user)) {
		http_redirect(req, 303, "/console/account/2fa");
		return;
	}
	session_csrf(req, c.csrf);
	if (req->method != HTTP_POST) {
		cJSON *data = cJSON_CreateObject();
		cJSON_AddStringToObject(data, "user_code", typed);
		page_render(req, JT_OK, "Sign in a device", NULL, "device.html", data, &c);
		return;
	}
	http_form_field(req, "user_code", typed, sizeof typed);
	http_form_field(req, "decision", decision, sizeof decision);
	if (!find_user_code(req, &c, typed, &d, &app))
		return;
	if (strcmp(decision, "allow") == 0 || strcmp(decision, "deny") == 0) {
		decide(req, &c, &d, &app, strcmp(decision, "allow") == 0);
		return;
	}
	uint64_t scopes = 0;
	scope_parse(d.scopes, strlen(d.scopes), &scopes);
	cJSON *fields = cJSON_CreateArray();
	oauth_hidden(fields, "user_code", typed);
	oauth_consent_page(req, app.name, scopes, &c.user, "/device", NULL, fields);
}
