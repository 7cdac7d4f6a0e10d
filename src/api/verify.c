/* SPDX-License-Identifier: MIT */
/* GET /auth/verify: forward authentication for a reverse proxy (nginx
 * auth_request, Traefik ForwardAuth, Envoy ext_authz). The proxy passes the
 * client's Authorization header; jeton answers 200 with who the caller is
 * in X-Jeton-* headers, or 401/403 as on its own API. Optional query
 * parameters: scope (a scope the token must have; in space when given) and
 * space (a space the token must be valid in). */
#include "api/api.h"

#include <stdio.h>
#include <string.h>

/* The X-Jeton-* headers of a 200: who the caller is and what it may do. */
static void add_headers(struct http_req *req, const struct principal *p, uint64_t rights)
{
	char buf[LIMIT_SCOPES_BYTES + 1];
	if (p->user.id) {
		snprintf(buf, sizeof buf, "%lld", (long long)p->user.id);
		http_header_add(req, "X-Jeton-User", buf);
		http_header_add(req, "X-Jeton-Email", p->user.email);
	}
	if (p->client_id[0])
		http_header_add(req, "X-Jeton-Client", p->client_id);
	scope_format(rights, buf, sizeof buf);
	http_header_add(req, "X-Jeton-Scopes", buf);
	http_header_add(req, "X-Jeton-Token-Kind", token_kind_name(p->kind));
	if (p->space_id) {
		snprintf(buf, sizeof buf, "%lld", (long long)p->space_id);
		http_header_add(req, "X-Jeton-Space", buf);
	}
}

void api_forward_verify(struct http_req *req)
{
	uint64_t need = 0;
	int64_t space_id = 0;
	const char *scope = http_query(req, "scope");
	const char *space = http_query(req, "space");

	if (scope && (scope_parse(scope, strlen(scope), &need) != JT_OK || !need)) {
		http_reply_fail(req, JT_EINVAL, "Unknown scope in \"scope\".");
		return;
	}
	if (space && !input_id_text(req, space, &space_id))
		return;
	/* Instance-wide scopes are checked by bearer_authenticate; space scopes
	 * against the space below. */
	struct principal *p = bearer_authenticate(req, space_id ? 0 : need);
	if (!p)
		return;
	/* Asked about a space, a token passes only if it may act there, scope
	 * or none: a space-bound token never passes for another space. */
	if (space_id && !auth_in_space(p, space_id)) {
		http_reply_fail(req, JT_EDENIED, "This token is not valid in space %lld.",
				(long long)space_id);
		auth_release(p);
		return;
	}
	uint64_t rights = space_id ? auth_rights_in_space(p, space_id) : auth_rights(p);
	if ((rights & need) != need) {
		bearer_reply_insufficient_scope(req, need & ~rights);
		auth_release(p);
		return;
	}
	/* Without a space the answer depends on the token alone: rendered once
	 * per verification-cache entry, like GET /v1/me's. */
	struct http_prepared *r = space_id ? NULL : auth_rendered_get(p, AUTH_RENDER_VERIFY);
	if (r) {
		http_reply_prepared(req, r);
	} else {
		add_headers(req, p, rights);
		http_reply_empty(req, 200);
		if (!space_id && (r = http_prepare(req)))
			auth_rendered_keep(p, AUTH_RENDER_VERIFY, r, http_prepared_free);
	}
	auth_release(p);
}
