/* SPDX-License-Identifier: MIT */
/* X-Request-Id: the client's (or its proxy's) when it is a plausible id,
 * else a fresh random one, so that a log line and an answer can be
 * matched. */
#include "http/http_int.h"
#include "crypto/crypto.h"

#include <string.h>

/* 1 to HTTP_REQUEST_ID_MAX of [A-Za-z0-9._:-]: what request ids of
 * proxies and tracing systems look like (UUIDs, hex, base62), and nothing
 * that could split a header or a log line. */
static bool valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > HTTP_REQUEST_ID_MAX)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") == n;
}

void http_request_id(struct http_req *req, char out[HTTP_REQUEST_ID_MAX + 1])
{
	const char *given = http_header(req, "X-Request-Id");
	if (valid(given))
		memcpy(out, given, strlen(given) + 1);
	else
		random_base62(out, HTTP_REQUEST_ID_RANDOM);
}
