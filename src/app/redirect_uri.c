/* SPDX-License-Identifier: MIT */
/* Redirect URIs: which an app may register (RFC 9700 §2.1, RFC 8252), and
 * matching a request's against an app's, byte for byte. */
#include "app/app.h"

#include <string.h>

static bool loopback_host(const char *host, size_t n)
{
	return (n == 9 && strncmp(host, "localhost", 9) == 0) ||
	       (n == 9 && strncmp(host, "127.0.0.1", 9) == 0) ||
	       (n == 5 && strncmp(host, "[::1]", 5) == 0);
}

bool redirect_uri_valid(const char *uri)
{
	size_t n = strlen(uri);
	if (n == 0 || n > LIMIT_URI_BYTES || strchr(uri, '#') || strchr(uri, '*'))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)uri[i] <= 0x20 || (unsigned char)uri[i] >= 0x7F ||
		    uri[i] == '\\')
			return false;
	const char *colon = strchr(uri, ':');
	if (!colon || colon == uri)
		return false;
	size_t scheme_len = (size_t)(colon - uri);
	for (size_t i = 0; i < scheme_len; i++) {
		char c = uri[i];
		if (!((c >= 'a' && c <= 'z') ||
		      (i > 0 && ((c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-'))))
			return false;
	}
	bool https = scheme_len == 5 && strncmp(uri, "https", 5) == 0;
	bool http = scheme_len == 4 && strncmp(uri, "http", 4) == 0;
	if (!https && !http) /* a native app's private-use scheme: must contain a dot */
		return memchr(uri, '.', scheme_len) != NULL && colon[1] != '\0';
	if (strncmp(colon, "://", 3) != 0)
		return false;
	const char *host = colon + 3;
	/* An IPv6 literal keeps its colons inside brackets. */
	size_t host_len = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":/?");
	if (host[0] == '[' && host[host_len - 1] != ']')
		return false;
	if (host_len == 0 || memchr(host, '@', strcspn(host, "/?")))
		return false;
	return https || loopback_host(host, host_len);
}

bool redirect_uri_registered(const struct app *a, const char *uri)
{
	size_t n = strlen(uri);
	const char *p = a->redirect_uris;
	while (*p) {
		size_t len = strcspn(p, "\n");
		if (len == n && memcmp(p, uri, n) == 0)
			return true;
		p += len;
		if (*p)
			p++;
	}
	return false;
}

bool redirect_uri_single(const struct app *a, char *out, size_t out_len)
{
	size_t len = strcspn(a->redirect_uris, "\n");
	if (len == 0 || a->redirect_uris[len] != '\0' || len >= out_len)
		return false;
	memcpy(out, a->redirect_uris, len + 1);
	return true;
}
