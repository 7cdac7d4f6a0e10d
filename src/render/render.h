/* SPDX-License-Identifier: MIT */
/* JSON renderings of the store's records, one shape for each record
 * wherever it is shown: the API's answers, the CLI's --json, the console's
 * views. None of them ever includes a secret or a secret's hash. */
#ifndef JETON_RENDER_H
#define JETON_RENDER_H
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "store/store.h"

/* The names of the scopes in scopes, as an array. */
cJSON *render_scopes(uint64_t scopes);
/* Adds key: RFC 3339 string, or null for t == 0. */
void render_time(cJSON *o, const char *key, int64_t t);
/* A personal access token; its status (active, expired, revoked) as of now. */
cJSON *render_pat(const struct pat *p, int64_t now);
cJSON *render_user(const struct user *u);
cJSON *render_space(const struct space *s);
cJSON *render_membership(const struct membership *m);
cJSON *render_audit(const struct audit_event *e);
cJSON *render_app(const struct app *a); /* never the secret */
/* The instance's policy: {"pat_max_lifetime": "90d" or null,
 * "pat_max_lifetime_seconds", "pat_require_expiry", "updated_at"}. */
cJSON *render_policy(const struct policy *p);
/* A token of the inventory, never its secret: "ref" ("pat:12") names it
 * for POST /v1/tokens/revoke; status as of the caller's now;
 * exceeds_policy: a PAT that breaks the instance's policy. */
cJSON *render_inventory_item(const struct inventory_item *t, const char *status,
			     bool exceeds_policy);
/* A page of a list: {"items", "limit", "next_before"}; next_before is
 * last_id when the page is full (there may be more), else null. Takes
 * ownership of items. */
cJSON *render_page(cJSON *items, const struct store_page *page, size_t n, int64_t last_id);

#endif
