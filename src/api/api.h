/* SPDX-License-Identifier: MIT */
/* The /v1 management API and the service endpoints (/healthz, /metrics,
 * forward authentication at /auth/verify).
 *
 * input.c    reading JSON bodies and query parameters, with clear 400s
 * audit.c    the audit events of API calls; GET /v1/audit
 * me.c tokens.c authorizations.c policy.c inventory.c users.c spaces.c apps.c verify.c metrics.c
 *            one file per endpoint group */
#ifndef JETON_API_H
#define JETON_API_H
#include <cjson/cJSON.h>
#include "auth/auth.h"
#include "http/http.h"
#include "render/render.h"
#include "server/server.h"
#include "store/store.h"

/* ---- audit.c ---- */

/* Records an audit event for the caller p (may be NULL), from the
 * request's address. */
void api_audit(struct http_req *req, const struct principal *p, const char *action, bool success,
	       const char *target_fmt, ...) __attribute__((format(printf, 5, 6)));

/* ---- input.c ---- */

/* Parses the body as one JSON object: nothing after it but whitespace, no
 * key twice in any object at any depth, no NUL in a string. On failure sets
 * a 400 reply and returns NULL. The caller frees the object, with
 * secret_json_delete when it may hold a secret (a password). */
cJSON *input_json_object(struct http_req *req);
/* The same, where a JSON array is also accepted (array_too). */
cJSON *input_json(struct http_req *req, bool array_too);
/* Reads the optional string member key into out (if present). Returns
 * false after setting a 400 reply when it is not a string or is longer
 * than out_len - 1 bytes. */
bool input_string(struct http_req *req, const cJSON *o, const char *key, char *out, size_t out_len,
		  bool *present);
/* Reads the optional boolean member key. */
bool input_bool(struct http_req *req, const cJSON *o, const char *key, bool *out, bool *present);
/* Reads a scope list: a JSON array of distinct names. Unknown names set a
 * 400 invalid_scope reply, anything else ill-formed 400 invalid_request. */
bool input_scopes(struct http_req *req, const cJSON *o, const char *key, uint64_t *out,
		  bool *present);
/* Reads "limit" and "before" query parameters into page. */
bool input_page(struct http_req *req, struct store_page *page);
/* Reads the audit filter query parameters (actor, action, since, until). */
bool api_audit_filter(struct http_req *req, struct audit_filter *f);
/* users.c: whether p acts as an instance admin with every admin scope,
 * as creating or changing an admin, or reaching admins' tokens, needs;
 * false after a 403 whose sentence begins with what. */
struct principal;
bool api_may_touch_admin(struct http_req *req, const struct principal *p, const char *what);
/* Parses a positive id given as a query parameter; on failure replies 400. */
bool input_id_text(struct http_req *req, const char *value, int64_t *out);
/* Parses a route parameter as a positive id; on failure replies 404. */
bool input_id(struct http_req *req, size_t index, int64_t *out);

/* ---- handlers ---- */
void api_ping(struct http_req *req);
void api_healthz(struct http_req *req);
void api_me(struct http_req *req);
void api_tokens_collection(struct http_req *req);
void api_token_item(struct http_req *req);
void api_token_revoked(struct http_req *req);
void api_token_rotate(struct http_req *req);
void api_authorizations(struct http_req *req);
void api_authorization_item(struct http_req *req);
void api_policy(struct http_req *req);
void api_inventory(struct http_req *req);
void api_inventory_revoke(struct http_req *req);
void api_users_collection(struct http_req *req);
void api_user_item(struct http_req *req);
void api_user_password_reset(struct http_req *req);
void api_user_two_factor_reset(struct http_req *req);
void api_spaces_collection(struct http_req *req);
void api_space_item(struct http_req *req);
void api_space_member(struct http_req *req);
void api_apps_collection(struct http_req *req);
void api_audit_list(struct http_req *req);
void api_forward_verify(struct http_req *req);
void api_metrics(struct http_req *req);
void api_app_item(struct http_req *req);
void api_app_secret(struct http_req *req);
/* leaks.c: leaked tokens reported by scanners (GitHub's partner program,
 * GitLab's Token Revocation API) or by whoever holds them. */
void api_token_leaks(struct http_req *req);
void api_revocable_token_types(struct http_req *req);
void api_revoke_tokens(struct http_req *req);
/* openapi.c: GET /openapi.json, the API's description (docs/openapi.json). */
void api_openapi(struct http_req *req);

#endif
