/* SPDX-License-Identifier: MIT */
/* Every HTTP route jeton serves, in one table. */
#include "api/api.h"

const struct http_route api_routes[] = {
	{HTTP_GET, "/v1/ping", api_ping},
	{HTTP_GET, "/healthz", api_healthz},
	{HTTP_GET, "/v1/me", api_me},
	{HTTP_GET | HTTP_POST, "/v1/users/me/access_tokens", api_tokens_collection},
	{HTTP_GET | HTTP_DELETE, "/v1/users/me/access_tokens/{}", api_token_item},
	{HTTP_PUT, "/v1/users/me/access_tokens/{}/revoked", api_token_revoked},
	{HTTP_POST, "/v1/users/me/access_tokens/{}/rotate", api_token_rotate},
	{HTTP_GET | HTTP_POST, "/v1/users", api_users_collection},
	{HTTP_GET | HTTP_PATCH, "/v1/users/{}", api_user_item},
	{HTTP_GET | HTTP_POST, "/v1/spaces", api_spaces_collection},
	{HTTP_GET, "/v1/spaces/{}", api_space_item},
	{HTTP_PUT | HTTP_DELETE, "/v1/spaces/{}/members/{}", api_space_member},
};

const size_t api_route_count = sizeof api_routes / sizeof api_routes[0];
