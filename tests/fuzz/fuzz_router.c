/* SPDX-License-Identifier: MIT */
/* libFuzzer driver: src/http/router.c, http_route_find over jeton's own
 * route table. The first byte picks the method, the rest is the path.
 * Checks: a route found accepts the method; its {} segments are non-empty,
 * hold no '/', and put back into the pattern give the path again; when no
 * route is found, the methods said to be allowed are not the request's. */
#include "cli/cli.h"
#include "http/http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The pattern with each {} replaced by the next parameter. */
static void rebuild(const char *pattern, const struct http_req *req, char *out, size_t out_len)
{
	size_t o = 0, p = 0;
	for (size_t i = 0; pattern[i]; i++) {
		if (pattern[i] == '{' && pattern[i + 1] == '}') {
			size_t n = strlen(req->params[p]);
			if (o + n >= out_len)
				abort();
			memcpy(out + o, req->params[p++], n);
			o += n;
			i++;
			continue;
		}
		if (o + 1 >= out_len)
			abort();
		out[o++] = pattern[i];
	}
	out[o] = '\0';
	if (p != req->nparams)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_req req; /* large: keep it off the stack */
	char path[LIMIT_URL_BYTES + 1], again[LIMIT_URL_BYTES + 1];
	unsigned allowed;

	if (size < 1 || size - 1 > LIMIT_URL_BYTES)
		return 0;
	free(req.params_buf); /* the router's copy of the last input's parameters */
	memset(&req, 0, sizeof req);
	req.method = 1u << (data[0] % 8);
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';
	req.path = path;

	const struct http_route *r = http_route_find(serve_routes, serve_route_count, &req, &allowed);
	if (!r) {
		if (allowed & req.method)
			abort(); /* allowed, yet not found */
		return 0;
	}
	if (!(r->methods & req.method) || !(allowed & req.method))
		abort();
	for (size_t i = 0; i < req.nparams; i++)
		if (!req.params[i][0] || strchr(req.params[i], '/'))
			abort();
	rebuild(r->pattern, &req, again, sizeof again);
	if (strcmp(again, path) != 0)
		abort();
	return 0;
}
