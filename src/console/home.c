/* SPDX-License-Identifier: MIT */
/* /console: the landing page is the user's tokens. /: browsers go to the
 * console; other clients are told where the API and its description are. */
#include "console/console.h"

#include <cjson/cJSON.h>
#include <string.h>

void console_home(struct http_req *req)
{
	http_redirect(req, 303, "/console/tokens");
}

void console_root(struct http_req *req)
{
	const char *accept = http_header(req, "Accept");
	if (accept && strstr(accept, "text/html")) {
		http_redirect(req, 303, "/console");
		return;
	}
	if (accept && strstr(accept, "application/json")) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "console", "/console");
		cJSON_AddStringToObject(o, "api", "/v1");
		cJSON_AddStringToObject(o, "oauth_metadata",
					"/.well-known/oauth-authorization-server");
		cJSON_AddStringToObject(o, "health", "/healthz");
		cJSON_AddStringToObject(o, "docs", "docs/api.md in the jeton distribution");
		cJSON_AddStringToObject(o, "openapi", "/openapi.json");
		http_reply_json(req, 200, o);
		return;
	}
	static const char text[] = "jeton: an access-token server.\n"
				   "console: /console (open it in a browser)\n"
				   "api: /v1 (described in docs/api.md in the jeton distribution)\n"
				   "oauth metadata: /.well-known/oauth-authorization-server\n"
				   "health: /healthz\n"
				   "openapi: /openapi.json (the API's description, OpenAPI 3.1)\n";
	http_reply_raw(req, 200, "text/plain; charset=utf-8", text, sizeof text - 1);
}
