/* SPDX-License-Identifier: MIT */
/* My tokens: the signed-in user's personal access tokens, as the seeds'
 * "My Profile -> Personal API Access Tokens": list, create (shown once),
 * rotate and revoke with confirmation. */
#include "console/console.h"
#include "server/server.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "util/text.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

#define TOKENS_SHOWN         100 /* newest first; older ones are in the API */
#define EXPIRES_SOON_SECONDS (7 * 86400)

/* Tells the owner which of their revoked tokens leaked, and where: "leak"
 * on those rows. A store that does not answer only leaves it out. */
static void add_leaks(struct http_req *req, int64_t user_id, const struct pat *items, size_t n,
		      cJSON *rows)
{
	struct token_leak *leaks = NULL;
	size_t nleaks = 0;
	bool any_revoked = false;
	for (size_t i = 0; i < n; i++)
		any_revoked |= items[i].revoked_at != 0;
	if (!any_revoked ||
	    store_leak_list_user(jeton_of(req)->store, user_id, &leaks, &nleaks) != JT_OK)
		return;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < nleaks; j++)
			if (items[i].revoked_at && strcmp(leaks[j].kind, "pat") == 0 &&
			    leaks[j].token_id == items[i].id) {
				char note[LIMIT_URI_BYTES + 32];
				snprintf(note, sizeof note, "revoked: leaked%s%s",
					 leaks[j].url[0] ? " at " : "", leaks[j].url);
				cJSON_AddStringToObject(cJSON_GetArrayItem(rows, (int)i), "leak",
							note);
				break;
			}
	store_list_free(leaks);
}

/* The expiry choices the instance's policy leaves (docs/console.md): no
 * "Never" when it wants an expiry, no quick choice and no date beyond its
 * maximum lifetime. Whether "Never" is one. */
static bool expiry_choices(struct http_req *req, cJSON *d, int64_t now)
{
	struct policy pol = {0};
	char life[TIME_DURATION_BUF], latest[TIME_RFC3339_BUF], note[160];
	static const struct {
		const char *key;
		int days;
	} quick[] = {{"allow_d7", 7}, {"allow_d30", 30}, {"allow_d90", 90}};

	(void)store_policy_get(jeton_of(req)->store, &pol); /* the create re-checks it */
	bool never_ok = authority_pat_policy(&pol, 0, now) == AUTHORITY_OK;
	cJSON_AddBoolToObject(d, "allow_never", never_ok);
	for (size_t i = 0; i < sizeof quick / sizeof quick[0]; i++)
		cJSON_AddBoolToObject(d, quick[i].key,
				      authority_pat_policy(&pol, now + quick[i].days * 86400LL,
							   now) == AUTHORITY_OK);
	if (pol.pat_max_lifetime) {
		time_format_duration(pol.pat_max_lifetime, life);
		time_format(now + pol.pat_max_lifetime, latest);
		latest[10] = '\0';
		cJSON_AddStringToObject(d, "max_date", latest);
		snprintf(note, sizeof note,
			 "This instance's policy: a token lives at most %s (until %s for one "
			 "made today).",
			 life, latest);
		cJSON_AddStringToObject(d, "policy_note", note);
	} else if (!never_ok) {
		cJSON_AddStringToObject(d, "policy_note",
					"This instance's policy: every token must expire.");
	}
	return never_ok;
}

static void tokens_page(struct http_req *req, enum jt_status status, const struct page_ctx *c,
			const char *notice, const char *error, cJSON *form)
{
	struct pat *items = NULL;
	size_t n = 0;
	struct store_page page = {.before = 0, .limit = TOKENS_SHOWN};
	int64_t now = time_now();
	char tomorrow[TIME_RFC3339_BUF];

	enum jt_status listed = store_pat_list(jeton_of(req)->store, c->user.id, &page, &items, &n);
	if (listed != JT_OK) {
		cJSON_Delete(form);
		page_fail(req, listed, NULL, c);
		return;
	}
	cJSON *d = cJSON_CreateObject();
	cJSON *rows = cJSON_AddArrayToObject(d, "tokens");
	int expiring = 0;
	for (size_t i = 0; i < n; i++) {
		const struct pat *p = &items[i];
		cJSON *r = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "id", (double)p->id);
		cJSON_AddStringToObject(r, "name", p->name);
		cJSON_AddStringToObject(r, "display_prefix", p->display_prefix);
		cJSON_AddStringToObject(r, "scopes", p->scopes);
		console_add_time(r, "created", p->created_at, "");
		console_add_time(r, "expires", p->expires_at, "Never");
		console_add_time(r, "last_used", p->last_used_at, "Never used");
		/* rotated: with an overlap, it works until it expires */
		const char *st = p->revoked_at                           ? "revoked"
				 : p->rotated_at                         ? "rotated"
				 : p->expires_at && p->expires_at <= now ? "expired"
									 : "active";
		cJSON_AddStringToObject(r, "status", st);
		cJSON_AddBoolToObject(r, "active", strcmp(st, "active") == 0);
		cJSON_AddBoolToObject(r, "overlapping", p->rotated_at && p->expires_at > now);
		/* An active token that stops within a week: time to replace it. */
		bool soon = strcmp(st, "active") == 0 && p->expires_at &&
			    p->expires_at - now <= EXPIRES_SOON_SECONDS;
		cJSON_AddBoolToObject(r, "expires_soon", soon);
		expiring += soon;
		cJSON_AddItemToArray(rows, r);
	}
	add_leaks(req, c->user.id, items, n, rows);
	store_list_free(items);
	cJSON_AddBoolToObject(d, "has_tokens", n > 0);
	if (expiring) {
		char soon[96];
		snprintf(soon, sizeof soon, "%d of your tokens expire%s within 7 days.", expiring,
			 expiring == 1 ? "s" : "");
		cJSON_AddStringToObject(d, "expiring", soon);
	}
	bool never_ok = expiry_choices(req, d, now);
	if (!form) {
		form = cJSON_CreateObject();
		cJSON_AddBoolToObject(form, never_ok ? "never" : "on_date", 1);
	}
	cJSON *scopes = cJSON_AddArrayToObject(d, "scopes");
	for (int i = 0; i < SCOPE_COUNT; i++) {
		uint64_t bit = 1u << i;
		if (!(c->held & bit))
			continue;
		char key[48];
		snprintf(key, sizeof key, "scope_%s", scope_name(bit));
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "name", scope_name(bit));
		cJSON_AddStringToObject(s, "description", scope_description(bit));
		cJSON_AddBoolToObject(s, "checked", cJSON_IsTrue(cJSON_GetObjectItem(form, key)));
		cJSON_AddItemToArray(scopes, s);
	}
	cJSON_AddItemToObject(d, "form", form);
	time_format(now + 86400, tomorrow);
	tomorrow[10] = '\0';
	cJSON_AddStringToObject(d, "tomorrow", tomorrow);
	if (notice)
		cJSON_AddStringToObject(d, "notice", notice);
	if (error)
		cJSON_AddStringToObject(d, "error", error);
	page_render(req, status, "My tokens", "tokens", "tokens.html", d, c);
}

static void show_token(struct http_req *req, const struct page_ctx *c, const char *heading,
		       char token[TOKEN_LEN + 1])
{
	auth_count_issued(jeton_of(req)->auth, AUTH_ISSUED_PAT);
	console_secret_page(
		req, c, "tokens", heading, token,
		"Copy this token now: it will not be shown again.",
		"Send it as \"Authorization: Bearer <token>\". Anyone who has it can act "
		"as you within its scopes; revoke it here if it leaks.",
		"/console/tokens", NULL);
	crypto_wipe(token, TOKEN_LEN + 1);
}

/* Parses the expiry choice of the form into *at (0 = never). */
static const char *read_expiry(struct http_req *req, cJSON *form, int64_t *at)
{
	char choice[16], date[16];
	int64_t now = time_now();
	http_form_field(req, "expiry", choice, sizeof choice);
	http_form_field(req, "expires_on", date, sizeof date);
	cJSON_AddStringToObject(form, "expires_on", date);
	*at = 0;
	if (strcmp(choice, "never") == 0 || !choice[0]) {
		cJSON_AddBoolToObject(form, "never", 1);
		/* A date typed under "Never" is a mistake to point out, not to drop. */
		return date[0] ? "You typed a date but chose \"Never\": choose \"On a date\" or "
				 "clear the date."
			       : NULL;
	}
	if (strcmp(choice, "date") == 0) {
		char full[32];
		cJSON_AddBoolToObject(form, "on_date", 1);
		snprintf(full, sizeof full, "%.10sT00:00:00Z", date);
		if (strlen(date) != 10 || time_parse(full, strlen(full), at) != JT_OK)
			return "Pick a date.";
		if (*at <= now)
			return "The date must be in the future.";
		return NULL;
	}
	static const struct {
		const char *value, *key;
		int days;
	} quick[] = {{"7", "d7", 7}, {"30", "d30", 30}, {"90", "d90", 90}};
	for (size_t i = 0; i < 3; i++) {
		if (strcmp(choice, quick[i].value) == 0) {
			cJSON_AddBoolToObject(form, quick[i].key, 1);
			*at = now + (int64_t)quick[i].days * 86400;
			return NULL;
		}
	}
	return "Choose when the token expires.";
}

static void create(struct http_req *req, const struct page_ctx *c)
{
	char name[LIMIT_NAME_BYTES + 1], token[TOKEN_LEN + 1];
	uint64_t scopes = 0;
	int64_t expires_at;
	struct pat pat;
	bool bad = false;
	cJSON *form = cJSON_CreateObject();

	http_form_field(req, "name", name, sizeof name);
	cJSON_AddStringToObject(form, "name", name);
	if (!text_name_valid(name, strlen(name), LIMIT_NAME_CHARS)) {
		cJSON_AddStringToObject(form, "name_error",
					"Give the token a name of 1 to 100 characters.");
		bad = true;
	}
	for (int i = 0; i < SCOPE_COUNT; i++) {
		char key[48], v[4];
		snprintf(key, sizeof key, "scope_%s", scope_name(1u << i));
		http_form_field(req, key, v, sizeof v);
		if (strcmp(v, "1") == 0) {
			scopes |= 1u << i;
			cJSON_AddBoolToObject(form, key, 1);
		}
	}
	const char *expiry_error = read_expiry(req, form, &expires_at);
	if (expiry_error) {
		cJSON_AddStringToObject(form, "expiry_error", expiry_error);
		bad = true;
	}
	struct authority by;
	struct policy pol;
	int64_t now = time_now();
	enum jt_status got = store_policy_get(jeton_of(req)->store, &pol);
	if (got != JT_OK) {
		cJSON_Delete(form);
		page_fail(req, got, NULL, c);
		return;
	}
	authority_of_session(c->held, &by);
	enum authority_refusal r = authority_may_mint_pat(&by, &pol, scopes, expires_at, now);
	if (!scopes || r == AUTHORITY_NOT_HELD) {
		cJSON_AddStringToObject(form, "scope_error", "Choose at least one scope you hold.");
		bad = true;
	} else if (!expiry_error && r != AUTHORITY_OK) {
		char why[320];
		authority_policy_explain(&pol, r, false, now, why, sizeof why);
		cJSON_AddStringToObject(form, "expiry_error", why);
		bad = true;
	}
	if (bad) {
		tokens_page(req, JT_EINVAL, c, NULL, "The token was not created: see below.", form);
		return;
	}
	cJSON_Delete(form);
	enum jt_status st =
		pat_create(jeton_of(req)->store, c->user.id, name, scopes, expires_at, token, &pat);
	if (st != JT_OK) {
		crypto_wipe(token, sizeof token);
		page_fail(req, st, "The token could not be stored.", c);
		return;
	}
	audit_record(jeton_of(req)->store, c->user.id, c->user.email, "token.created",
		     req->client_ip, true, "token %lld (%s)", (long long)pat.id, pat.name);
	show_token(req, c, "Token created", token);
}

void console_tokens(struct http_req *req)
{
	struct page_ctx c;
	if (!console_begin(req, false, &c))
		return;
	if (req->method == HTTP_POST) {
		create(req, &c);
		return;
	}
	const char *done = http_query(req, "done");
	tokens_page(req, JT_OK, &c,
		    done && strcmp(done, "revoked") == 0 ? "The token was revoked." : NULL, NULL,
		    NULL);
}

/* The user's token named by the route, or a reply. */
static bool route_token(struct http_req *req, const struct page_ctx *c, struct pat *out)
{
	int64_t id;
	const char *v = req->params[0];
	enum jt_status st = JT_ENOTFOUND;
	if (text_parse_i64(v, strlen(v), 1, INT64_MAX, &id) == JT_OK)
		st = store_pat_get(jeton_of(req)->store, c->user.id, id, out);
	if (st != JT_OK) {
		page_fail(req, st, st == JT_ENOTFOUND ? "You have no such token." : NULL, c);
		return false;
	}
	return true;
}

void console_token_revoke(struct http_req *req)
{
	struct page_ctx c;
	struct pat pat;
	char msg[LIMIT_NAME_BYTES + 160];
	if (!console_begin(req, false, &c) || !route_token(req, &c, &pat))
		return;
	if (req->method != HTTP_POST) {
		snprintf(
			msg, sizeof msg,
			"The token \"%s\" (%s…) will stop working at once, everywhere. This cannot "
			"be undone.",
			pat.name, pat.display_prefix);
		console_confirm(req, &c, "tokens", "Revoke token?", msg, "Revoke token", true,
				"/console/tokens");
		return;
	}
	struct jeton *jt = jeton_of(req);
	enum jt_status st = store_pat_revoke(jt->store, c.user.id, pat.id, time_now(), &pat);
	if (st != JT_OK) {
		page_fail(req, st, "The token could not be revoked.", &c);
		return;
	}
	auth_invalidate(jt->auth);
	audit_record(jt->store, c.user.id, c.user.email, "token.revoked", req->client_ip, true,
		     "token %lld (%s)", (long long)pat.id, pat.name);
	http_redirect(req, 303, "/console/tokens?done=revoked");
}

void console_token_rotate(struct http_req *req)
{
	struct page_ctx c;
	struct pat pat, fresh;
	char msg[LIMIT_NAME_BYTES + 200], token[TOKEN_LEN + 1];
	if (!console_begin(req, false, &c) || !route_token(req, &c, &pat))
		return;
	if (req->method != HTTP_POST) {
		/* The old token may keep working for a while: an overlap. */
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "name", pat.name);
		cJSON_AddStringToObject(d, "prefix", pat.display_prefix);
		cJSON_AddStringToObject(d, "action", req->path);
		page_render(req, JT_OK, "Rotate token?", "tokens", "token_rotate.html", d, &c);
		return;
	}
	char overlap_text[TIME_DURATION_BUF];
	int64_t overlap = 0;
	http_form_field(req, "overlap", overlap_text, sizeof overlap_text);
	if (overlap_text[0] &&
	    time_parse_duration(overlap_text, strlen(overlap_text), &overlap) != JT_OK) {
		page_fail(req, JT_EINVAL, "The overlap must be a duration such as 24h.", &c);
		return;
	}
	/* A rotation hands out the old token's rights anew: only to a user who
	 * still holds them. */
	struct authority by;
	struct policy pol;
	uint64_t scopes;
	int64_t now = time_now();
	enum jt_status got = store_policy_get(jeton_of(req)->store, &pol);
	if (got != JT_OK) {
		page_fail(req, got, NULL, &c);
		return;
	}
	authority_of_session(c.held, &by);
	if (scope_parse(pat.scopes, strlen(pat.scopes), &scopes) != JT_OK)
		scopes = SCOPE_ALL;
	enum authority_refusal r = authority_may_mint_pat(&by, &pol, scopes, pat.expires_at, now);
	if (r == AUTHORITY_POLICY_NO_EXPIRY || r == AUTHORITY_POLICY_TOO_LONG) {
		char why[320];
		authority_policy_explain(&pol, r, true, now, why, sizeof why);
		page_fail(req, JT_EINVAL, why, &c);
		return;
	}
	if (r != AUTHORITY_OK) {
		char names[LIMIT_SCOPES_BYTES + 1];
		scope_format(scopes & ~by.holds, names, sizeof names);
		snprintf(msg, sizeof msg,
			 "This token carries rights you no longer hold (%s): "
			 "create a new token instead.",
			 names);
		page_fail(req, JT_EDENIED, msg, &c);
		return;
	}
	struct jeton *jt = jeton_of(req);
	enum jt_status st = pat_rotate(jt->store, c.user.id, pat.id, overlap, token, &fresh, NULL);
	if (st != JT_OK) {
		crypto_wipe(token, sizeof token);
		page_fail(req, st,
			  st == JT_ECONFLICT ? "Only an active token can be rotated."
					     : "The token could not be rotated.",
			  &c);
		return;
	}
	auth_invalidate(jt->auth);
	audit_record(jt->store, c.user.id, c.user.email, "token.rotated", req->client_ip, true,
		     "token %lld -> %lld (%s)", (long long)pat.id, (long long)fresh.id, fresh.name);
	show_token(req, &c, "Token rotated", token);
}
