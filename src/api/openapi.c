/* SPDX-License-Identifier: MIT */
/* GET /openapi.json: the OpenAPI 3.1 description of the API (docs/openapi.json),
 * embedded in the binary at build time, so that it always describes the
 * server that serves it. */
#include "api/api.h"

extern const char *const openapi_files[];
extern const size_t openapi_sizes[];

void api_openapi(struct http_req *req)
{
	/* It changes only with the binary. */
	http_header_add(req, "Cache-Control", "public, max-age=3600");
	http_reply_raw(req, 200, "application/json", openapi_files[0], openapi_sizes[0]);
}
