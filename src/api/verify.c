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

/* The headers of a 200: http_header_add keeps the name, so names come from
 * here and a packed rendering holds each one's index. */
static const char *const header_names[] = {"X-Jeton-User",   "X-Jeton-Email",      "X-Jeton-Client",
					   "X-Jeton-Scopes", "X-Jeton-Token-Kind", "X-Jeton-Space"};
enum {
	H_USER,
	H_EMAIL,
	H_CLIENT,
	H_SCOPES,
	H_KIND,
	H_SPACE
};

/* The X-Jeton-* headers for rights, packed as (index byte, value, NUL)
 * pairs; 0 when they do not fit in out. */
static size_t pack_headers(const struct principal *p, uint64_t rights, char *out, size_t out_len)
{
	char user[24], space[24], scopes[LIMIT_SCOPES_BYTES + 1];
	const char *values[6] = {NULL};
	size_t used = 0;

	if (p->user.id) {
		snprintf(user, sizeof user, "%lld", (long long)p->user.id);
		values[H_USER] = user;
		values[H_EMAIL] = p->user.email;
	}
	if (p->client_id[0])
		values[H_CLIENT] = p->client_id;
	scope_format(rights, scopes, sizeof scopes);
	values[H_SCOPES] = scopes;
	values[H_KIND] = token_kind_name(p->kind);
	if (p->space_id) {
		snprintf(space, sizeof space, "%lld", (long long)p->space_id);
		values[H_SPACE] = space;
	}
	for (int i = 0; i < 6; i++) {
		if (!values[i])
			continue;
		size_t len = strlen(values[i]) + 1;
		if (len + 1 > out_len - used)
			return 0;
		out[used++] = (char)i;
		memcpy(out + used, values[i], len);
		used += len;
	}
	return used;
}

static void add_headers(struct http_req *req, const char *packed, size_t len)
{
	for (size_t at = 0; at < len;) {
		const char *value = packed + at + 1;
		http_header_add(req, header_names[(unsigned char)packed[at]], value);
		at += 1 + strlen(value) + 1;
	}
}

void api_forward_verify(struct http_req *req)
{
	char packed[LIMIT_EMAIL_BYTES + LIMIT_CLIENT_ID_BYTES + LIMIT_SCOPES_BYTES + 160];
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
	/* Without a space the headers depend on the token alone: rendered once
	 * per verification-cache entry, like GET /v1/me's body. */
	const struct auth_rendered *r = space_id ? NULL : auth_rendered_get(p, AUTH_RENDER_VERIFY);
	if (r) {
		add_headers(req, r->text, r->len);
	} else {
		size_t len = pack_headers(p, rights, packed, sizeof packed);
		if (!len) { /* cannot happen: packed holds the longest values */
			auth_release(p);
			http_reply_fail(req, JT_ENOMEM, "The answer could not be built.");
			return;
		}
		if (!space_id)
			auth_rendered_keep(p, AUTH_RENDER_VERIFY, packed, len);
		add_headers(req, packed, len);
	}
	auth_release(p);
	http_reply_empty(req, 200);
}
