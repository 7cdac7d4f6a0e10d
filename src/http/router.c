/* SPDX-License-Identifier: MIT */
/* Route matching: a pattern is a path whose "{}" segments match any one
 * non-empty segment. Routes are few, so a linear scan is the simplest
 * thing that is fast enough (tens of nanoseconds). */
#include "http/http.h"

#include <string.h>

/* Matches path against pattern; on success stores the {} segments as
 * pointers into buf (a copy of path with '/' replaced by NUL). */
static bool match(const char *pattern, const char *path, char *buf, size_t buf_len,
		  const char **params, size_t *nparams)
{
	size_t path_len = strlen(path);
	size_t pi = 0, si = 0;
	*nparams = 0;

	if (path_len >= buf_len)
		return false;
	memcpy(buf, path, path_len + 1);
	while (pattern[pi] && si < path_len) {
		if (pattern[pi] == '{' && pattern[pi + 1] == '}') {
			size_t start = si;
			while (si < path_len && path[si] != '/')
				si++;
			if (si == start || *nparams == LIMIT_ROUTE_PARAMS)
				return false;
			buf[si] = '\0';
			params[(*nparams)++] = buf + start;
			pi += 2;
			continue;
		}
		if (pattern[pi] != path[si])
			return false;
		pi++;
		si++;
	}
	return pattern[pi] == '\0' && si == path_len;
}

const struct http_route *http_route_find(const struct http_route *routes, size_t nroutes,
					 struct http_req *req, unsigned *allowed)
{
	char scratch[LIMIT_URL_BYTES + 1];
	const char *params[LIMIT_ROUTE_PARAMS];
	size_t nparams;

	*allowed = 0;
	for (size_t i = 0; i < nroutes; i++) {
		if (!match(routes[i].pattern, req->path, scratch, sizeof scratch, params, &nparams))
			continue;
		*allowed |= routes[i].methods;
		if (routes[i].methods & req->method) {
			/* Keep the parameters in storage that outlives this call. */
			memcpy(req->params_buf, scratch, sizeof req->params_buf);
			for (size_t p = 0; p < nparams; p++)
				req->params[p] = req->params_buf + (params[p] - scratch);
			req->nparams = nparams;
			return &routes[i];
		}
	}
	return NULL;
}
