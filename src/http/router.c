/* SPDX-License-Identifier: MIT */
/* Route matching: a pattern is a path whose "{}" segments match any one
 * non-empty segment. Routes are few, so a linear scan is the simplest
 * thing that is fast enough (tens of nanoseconds). */
#include "http/http_int.h"
#include "util/mem.h"

#include <string.h>

/* Matches path (path_len bytes) against pattern; on success records where
 * each {} segment starts and how long it is. */
static bool match(const char *pattern, const char *path, size_t path_len, size_t *starts,
		  size_t *lens, size_t *nparams)
{
	size_t pi = 0, si = 0;
	*nparams = 0;
	while (pattern[pi] && si < path_len) {
		if (pattern[pi] == '{' && pattern[pi + 1] == '}') {
			size_t start = si;
			while (si < path_len && path[si] != '/')
				si++;
			if (si == start || *nparams == LIMIT_ROUTE_PARAMS)
				return false;
			starts[*nparams] = start;
			lens[(*nparams)++] = si - start;
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

/* Copies the matched segments, NUL-terminated, into storage that lives as
 * long as req; routes without any allocate nothing. */
static bool keep_params(struct http_req *req, const size_t *starts, const size_t *lens,
			size_t nparams)
{
	size_t total = 0;
	for (size_t i = 0; i < nparams; i++)
		total += lens[i] + 1;
	req->nparams = 0;
	if (!nparams)
		return true;
	jt_free(req->params_buf);
	req->params_buf = jt_alloc(total);
	if (!req->params_buf)
		return false;
	char *at = req->params_buf;
	for (size_t i = 0; i < nparams; i++) {
		memcpy(at, req->path + starts[i], lens[i]);
		at[lens[i]] = '\0';
		req->params[i] = at;
		at += lens[i] + 1;
	}
	req->nparams = nparams;
	return true;
}

const struct http_route *http_route_find(const struct http_route *routes, size_t nroutes,
					 struct http_req *req, unsigned *allowed)
{
	size_t starts[LIMIT_ROUTE_PARAMS], lens[LIMIT_ROUTE_PARAMS], nparams;
	size_t path_len = strlen(req->path);

	*allowed = 0;
	if (path_len > LIMIT_URL_BYTES)
		return NULL;
	for (size_t i = 0; i < nroutes; i++) {
		if (!match(routes[i].pattern, req->path, path_len, starts, lens, &nparams))
			continue;
		*allowed |= routes[i].methods;
		if (!(routes[i].methods & req->method))
			continue;
		if (keep_params(req, starts, lens, nparams))
			return &routes[i];
		*allowed = 0;
		http_reply_error(req, 500, "server_error", "Out of memory.");
		return NULL;
	}
	return NULL;
}
