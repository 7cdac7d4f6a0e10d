/* SPDX-License-Identifier: MIT */
/* Every HTTP route jeton serve serves, in one table: the one place that
 * knows the handlers of every surface (the API, OAuth, the console). */
#include "api/api.h"
#include "cli/cli.h"
#include "console/console.h"
#include "oauth/oauth.h"

const struct http_route serve_routes[] = {
	{HTTP_GET, "/v1/ping", api_ping},
	{HTTP_GET, "/healthz", api_healthz},
	{HTTP_GET, "/metrics", api_metrics},
	{HTTP_GET, "/v1/me", api_me},
	{HTTP_GET | HTTP_POST, "/v1/users/me/access_tokens", api_tokens_collection},
	{HTTP_GET | HTTP_DELETE, "/v1/users/me/access_tokens/{}", api_token_item},
	{HTTP_PUT, "/v1/users/me/access_tokens/{}/revoked", api_token_revoked},
	{HTTP_POST, "/v1/users/me/access_tokens/{}/rotate", api_token_rotate},
	{HTTP_GET, "/v1/users/me/authorizations", api_authorizations},
	{HTTP_DELETE, "/v1/users/me/authorizations/{}", api_authorization_item},
	{HTTP_GET | HTTP_POST, "/v1/users", api_users_collection},
	{HTTP_GET | HTTP_PATCH, "/v1/users/{}", api_user_item},
	{HTTP_GET | HTTP_POST, "/v1/spaces", api_spaces_collection},
	{HTTP_GET, "/v1/spaces/{}", api_space_item},
	{HTTP_PUT | HTTP_DELETE, "/v1/spaces/{}/members/{}", api_space_member},
	{HTTP_GET | HTTP_POST, "/v1/apps", api_apps_collection},
	{HTTP_GET | HTTP_PATCH | HTTP_DELETE, "/v1/apps/{}", api_app_item},
	{HTTP_POST, "/v1/apps/{}/secret", api_app_secret},
	{HTTP_GET, "/v1/audit", api_audit_list},
	{HTTP_GET | HTTP_PUT, "/v1/policy", api_policy},
	{HTTP_GET, "/v1/tokens", api_inventory},
	{HTTP_POST, "/v1/tokens/revoke", api_inventory_revoke},
	{HTTP_POST, "/v1/token_leaks", api_token_leaks},
	{HTTP_GET, "/v1/revocable_token_types", api_revocable_token_types},
	{HTTP_POST, "/v1/revoke_tokens", api_revoke_tokens},
	{HTTP_GET | HTTP_POST, "/auth/verify", api_forward_verify},

	{HTTP_GET | HTTP_POST, "/oauth/authorize", oauth_authorize},
	{HTTP_POST, "/oauth/token", oauth_token},
	{HTTP_POST, "/oauth/revoke", oauth_revoke},
	{HTTP_POST, "/oauth/introspect", oauth_introspect},
	{HTTP_GET | HTTP_POST, "/oauth/user_info", oauth_user_info},
	{HTTP_GET, "/.well-known/oauth-authorization-server", oauth_metadata},
	{HTTP_GET, "/.well-known/jwks.json", oauth_jwks},

	{HTTP_GET | HTTP_POST, "/login", console_login},
	{HTTP_POST, "/logout", console_logout},
	{HTTP_GET, "/console", console_home},
	{HTTP_GET | HTTP_POST, "/console/tokens", console_tokens},
	{HTTP_GET | HTTP_POST, "/console/tokens/{}/revoke", console_token_revoke},
	{HTTP_GET | HTTP_POST, "/console/tokens/{}/rotate", console_token_rotate},
	{HTTP_GET | HTTP_POST, "/console/account", console_account},
	{HTTP_GET | HTTP_POST, "/console/spaces", console_spaces},
	{HTTP_GET, "/console/spaces/{}", console_space},
	{HTTP_GET, "/console/authorizations", console_authorizations},
	{HTTP_POST, "/console/authorizations/{}/{}/revoke", console_authorization_revoke},
	{HTTP_POST, "/console/spaces/{}/members", console_space_members},
	{HTTP_POST, "/console/spaces/{}/members/{}/remove", console_space_member_remove},
	{HTTP_GET, "/console/apps", console_apps},
	{HTTP_GET | HTTP_POST, "/console/apps/new", console_app_new},
	{HTTP_GET, "/console/apps/{}", console_app},
	{HTTP_GET | HTTP_POST, "/console/apps/{}/secret", console_app_secret},
	{HTTP_GET | HTTP_POST, "/console/apps/{}/delete", console_app_delete},
	{HTTP_GET | HTTP_POST, "/console/users", console_users},
	{HTTP_POST, "/console/users/{}", console_user},
	{HTTP_GET, "/console/audit", console_audit},
	{HTTP_GET | HTTP_POST, "/console/policy", console_policy},
	{HTTP_GET, "/console/all-tokens", console_inventory},
	{HTTP_POST, "/console/all-tokens/revoke", console_inventory_revoke},
	{HTTP_GET, "/static/{}", console_static},
};

const size_t serve_route_count = sizeof serve_routes / sizeof serve_routes[0];
