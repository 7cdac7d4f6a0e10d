/* SPDX-License-Identifier: MIT */
/* Leaked tokens are revoked by whoever finds them.
 *
 * POST /v1/token_leaks takes a report in the shape of GitHub's
 * secret-scanning partner program: a JSON array of {token, type, url,
 * source}, signed by a scanner (ECDSA P-256 over the raw body, the key
 * named by Github-Public-Key-Identifier, the signature in
 * Github-Public-Key-Signature) or sent with a bearer token holding
 * report_leaks. It answers each token's label, true_positive for a jeton
 * token that exists (revoked now or before), false_positive otherwise.
 * With no credentials at all it takes one {"token"}: holding a token is
 * the right to kill it, and the answer, always 200, says nothing of it.
 *
 * GET /v1/revocable_token_types and POST /v1/revoke_tokens are the same
 * for GitLab's Token Revocation API (bearer token with report_leaks).
 *
 * Every valid token reported (PATs, OAuth tokens, client secrets) is
 * revoked with its leak recorded (reason, URL, reporter) in one
 * transaction, audited once, and shown to its owner; a replayed report
 * revokes nothing more and answers the same labels. */
#include "api/api.h"
#include "audit/audit.h"
#include "crypto/crypto.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

#define LEAK_REPORT_MAX 1000 /* entries in one report, within the body limit */

/* GitLab's type names: "gitleaks_rule_id_" and the rule's id, as its
 * secret detection concatenates them (docs/api.md gives the rules). */
static const char *const gitlab_types[] = {
	"gitleaks_rule_id_jeton_personal_access_token",
	"gitleaks_rule_id_jeton_oauth_access_token",
	"gitleaks_rule_id_jeton_oauth_refresh_token",
	"gitleaks_rule_id_jeton_client_credentials_token",
};

/* Copies s into out, cut at a character boundary when too long: a URL is
 * worth keeping even if the scanner's was longer than ours. */
static void copy_bounded(char *out, size_t out_len, const char *s)
{
	size_t n = strlen(s);
	if (n >= out_len) {
		n = out_len - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--; /* not inside a UTF-8 sequence */
	}
	memcpy(out, s, n);
	out[n] = '\0';
}

/* Who reported, for the leak's record and the audit log. */
struct reporter {
	char name[LIMIT_NAME_BYTES + 16];
	int64_t user_id; /* 0: a scanner, an app or the holder */
};

/* Revokes token if it is a jeton token that exists; *known says whether it
 * does. A store failure is the only error. */
static enum jt_status revoke_leaked(struct http_req *req, const struct reporter *who,
				    const char *token, const char *url, const char *source,
				    bool *known)
{
	struct jeton *jt = jeton_of(req);
	enum token_kind kind;
	uint8_t hash[HASH_SHA256_LEN];
	struct token_leak leak = {.reported_at = time_now()};
	struct pat pat;
	struct oauth_token t;
	struct app app;
	int64_t family_id = 0;
	enum jt_status st;

	*known = false;
	if (token_parse(token, strlen(token), &kind) != JT_OK)
		return JT_OK;
	hash_sha256(token, strlen(token), hash);
	if (kind == TOKEN_PAT) {
		st = store_pat_find_by_hash(jt->store, hash, &pat);
		snprintf(leak.kind, sizeof leak.kind, "pat");
		if (st == JT_OK) {
			leak.token_id = pat.id;
			leak.user_id = pat.user_id;
		}
	} else if (kind == TOKEN_ACCESS || kind == TOKEN_REFRESH || kind == TOKEN_CLIENT) {
		st = store_oauth_find_by_hash(jt->store, hash, &t);
		if (st == JT_OK) {
			snprintf(leak.kind, sizeof leak.kind, "%s", t.kind);
			leak.token_id = t.id;
			leak.user_id = t.user_id;
			if (kind == TOKEN_REFRESH)
				family_id = t.family_id; /* the grant is the attacker's too */
		}
	} else if (kind == TOKEN_SECRET) {
		st = store_leak_app_by_secret(jt->store, hash, &app);
		snprintf(leak.kind, sizeof leak.kind, "secret");
		if (st == JT_OK) {
			leak.token_id = app.id;
			leak.user_id = app.owner_id;
		}
	} else {
		return JT_OK; /* a code dies within a minute of its issue */
	}
	if (st == JT_ENOTFOUND) {
		/* Gone since it leaked (a secret replaced): known, nothing to do. */
		struct token_leak before;
		st = store_leak_get(jt->store, hash, &before);
		*known = st == JT_OK;
		return st == JT_ENOTFOUND ? JT_OK : st;
	}
	if (st != JT_OK)
		return st;
	*known = true;
	memcpy(leak.token_hash, hash, sizeof hash);
	copy_bounded(leak.url, sizeof leak.url, url);
	copy_bounded(leak.source, sizeof leak.source, source);
	copy_bounded(leak.reporter, sizeof leak.reporter, who->name);
	bool recorded = false;
	st = store_leak_revoke(jt->store, &leak, family_id, &recorded);
	if (st != JT_OK || !recorded)
		return st;
	auth_invalidate(jt->auth);
	audit_record(jt->store, who->user_id, who->name, "token.leaked", req->client_ip, true,
		     "%s %lld of user %lld at %.200s", leak.kind, (long long)leak.token_id,
		     (long long)leak.user_id, leak.url);
	return JT_OK;
}

/* A string member, or "" when absent or not a string. */
static const char *member(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* Revokes every token of a report (entries: {token, type, url_key,
 * source}); with labels, fills it with GitHub's feedback. */
static enum jt_status revoke_report(struct http_req *req, const struct reporter *who,
				    const cJSON *report, const char *url_key, cJSON *labels)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, report) {
		const char *token = member(e, "token");
		bool known = false;
		enum jt_status st = revoke_leaked(req, who, token, member(e, url_key),
						  member(e, "source"), &known);
		if (st != JT_OK)
			return st;
		if (!labels)
			continue;
		cJSON *l = cJSON_CreateObject();
		cJSON_AddItemToArray(labels, l);
		cJSON_AddStringToObject(l, "token_raw", token);
		cJSON_AddStringToObject(l, "token_type", member(e, "type"));
		cJSON_AddStringToObject(l, "label", known ? "true_positive" : "false_positive");
	}
	return JT_OK;
}

/* The report as an array within bounds, or NULL after a 400. */
static cJSON *read_report(struct http_req *req)
{
	cJSON *report = input_json(req, true);
	if (report && !cJSON_IsArray(report)) {
		http_reply_fail(req, JT_EINVAL, "A leak report is a JSON array of objects.");
	} else if (report && cJSON_GetArraySize(report) > LEAK_REPORT_MAX) {
		http_reply_fail(req, JT_ETOOBIG, "A leak report holds at most %d tokens.",
				LEAK_REPORT_MAX);
	} else {
		return report;
	}
	secret_json_delete(report);
	return NULL;
}

/* The scanner whose key signed the raw body, into who; false after a 401. */
static bool scanner_authenticate(struct http_req *req, const char *key_id, const char *sig,
				 struct reporter *who)
{
	struct scanner s;
	enum jt_status st = key_id && sig && strlen(key_id) <= STORE_SCANNER_KEY_ID_BYTES
				    ? store_scanner_find_by_key_id(jeton_of(req)->store, key_id, &s)
				    : JT_ENOTFOUND;
	if (st == JT_OK &&
	    !signature_verify(s.public_key, req->body, req->body_len, sig, strlen(sig)))
		st = JT_EAUTH;
	if (st == JT_OK) {
		snprintf(who->name, sizeof who->name, "scanner:%s", s.name);
		return true;
	}
	if (st == JT_ENOTFOUND || st == JT_EAUTH)
		http_reply_fail(req, JT_EAUTH,
				"The report's signature does not verify with a known scanner's "
				"key.");
	else
		http_reply_status(req, st, "scanner");
	return false;
}

/* The caller of a bearer token holding report_leaks, into who. */
static struct principal *reporter_authenticate(struct http_req *req, struct reporter *who)
{
	struct principal *p = bearer_authenticate(req, SCOPE_REPORT_LEAKS);
	if (p) {
		snprintf(who->name, sizeof who->name, "%s",
			 p->user.id ? p->user.email : p->client_id);
		who->user_id = p->user.id;
	}
	return p;
}

/* No credentials: the holder revokes the one token it sends. */
static void holder_revokes(struct http_req *req)
{
	cJSON *o = input_json(req, true);
	if (!o)
		return;
	const cJSON *token = cJSON_GetObjectItemCaseSensitive(o, "token");
	if (!cJSON_IsObject(o) || !cJSON_IsString(token)) {
		secret_json_delete(o);
		http_reply_fail(req, JT_EAUTH,
				"Send {\"token\": ...} to revoke a token you hold; a report of "
				"many tokens must be signed or carry a token with report_leaks.");
		return;
	}
	struct reporter who = {.name = "holder"};
	bool known;
	enum jt_status st = revoke_leaked(req, &who, token->valuestring, member(o, "url"),
					  member(o, "source"), &known);
	secret_json_delete(o);
	if (st != JT_OK)
		http_reply_status(req, st, "token");
	else
		http_reply_empty(req, 200); /* RFC 7009 §2.2: the same whether it existed */
}

void api_token_leaks(struct http_req *req)
{
	const char *key_id = http_header(req, "Github-Public-Key-Identifier");
	const char *sig = http_header(req, "Github-Public-Key-Signature");
	struct reporter who = {.name = ""};
	struct principal *p = NULL;

	if (!key_id && !sig && !http_header(req, "Authorization")) {
		holder_revokes(req);
		return;
	}
	if (key_id || sig ? !scanner_authenticate(req, key_id, sig, &who)
			  : !(p = reporter_authenticate(req, &who)))
		return;
	cJSON *report = read_report(req);
	cJSON *labels = report ? cJSON_CreateArray() : NULL;
	enum jt_status st = report ? revoke_report(req, &who, report, "url", labels) : JT_OK;
	if (report && st != JT_OK) {
		secret_json_delete(labels);
		http_reply_status(req, st, "token");
	} else if (report) {
		http_secret(req); /* the labels repeat the tokens */
		http_reply_json(req, 200, labels);
	}
	secret_json_delete(report);
	auth_release(p);
}

void api_revocable_token_types(struct http_req *req)
{
	struct reporter who = {.name = ""};
	struct principal *p = reporter_authenticate(req, &who);
	if (!p)
		return;
	cJSON *o = cJSON_CreateObject();
	cJSON *types = cJSON_AddArrayToObject(o, "types");
	for (size_t i = 0; i < sizeof gitlab_types / sizeof gitlab_types[0]; i++)
		cJSON_AddItemToArray(types, cJSON_CreateString(gitlab_types[i]));
	http_reply_json(req, 200, o);
	auth_release(p);
}

void api_revoke_tokens(struct http_req *req)
{
	struct reporter who = {.name = ""};
	struct principal *p = reporter_authenticate(req, &who);
	if (!p)
		return;
	cJSON *report = read_report(req);
	enum jt_status st = report ? revoke_report(req, &who, report, "location", NULL) : JT_OK;
	if (report && st != JT_OK)
		http_reply_status(req, st, "token");
	else if (report)
		http_reply_empty(req, 204);
	secret_json_delete(report);
	auth_release(p);
}
