/* SPDX-License-Identifier: MIT */
/* libFuzzer driver: src/app/redirect_uri.c, redirect_uri_valid on any string.
 * Checks what RFC 9700 §2.1 and RFC 8252 ask of a URI jeton accepts: at
 * most LIMIT_URI_BYTES, printable ASCII without spaces, backslashes,
 * fragments or wildcards; https, http only to a loopback host, or a
 * private-use scheme with a dot; no user info before the host. */
#include "app/app.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char uri[LIMIT_URI_BYTES + 64];
	if (size >= sizeof uri)
		return 0;
	memcpy(uri, data, size);
	uri[size] = '\0';
	if (!redirect_uri_valid(uri))
		return 0;

	size_t n = strlen(uri);
	if (n == 0 || n > LIMIT_URI_BYTES || strpbrk(uri, "#*\\"))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)uri[i] <= 0x20 || (unsigned char)uri[i] >= 0x7F)
			abort();
	if (strncmp(uri, "https://", 8) == 0 || strncmp(uri, "http://", 7) == 0) {
		const char *host = strstr(uri, "://") + 3;
		size_t authority = strcspn(host, "/?");
		if (memchr(host, '@', authority))
			abort(); /* user info could hide the real host */
		if (uri[4] == ':' && strncmp(host, "localhost", 9) != 0 &&
		    strncmp(host, "127.0.0.1", 9) != 0 && strncmp(host, "[::1]", 5) != 0)
			abort(); /* plain http beyond loopback */
		return 0;
	}
	const char *colon = strchr(uri, ':');
	if (!colon || !memchr(uri, '.', (size_t)(colon - uri)))
		abort(); /* another scheme without a dot */
	return 0;
}
