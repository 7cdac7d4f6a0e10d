/* SPDX-License-Identifier: MIT */
/* Parsing of the Authorization header value (RFC 6750 §2.1, and the bare
 * form Storyblok uses for personal access tokens). */
#include "auth/auth.h"

#include <strings.h>

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

enum auth_result auth_parse_header(const char *value, const char **token, size_t *token_len)
{
	*token = NULL;
	*token_len = 0;
	if (!value)
		return AUTH_MISSING;

	const char *s = value;
	while (is_space(*s))
		s++;
	const char *end = s;
	while (*end)
		end++;
	while (end > s && is_space(end[-1]))
		end--;
	if (s == end)
		return AUTH_MISSING;

	const char *word_end = s;
	while (word_end < end && !is_space(*word_end))
		word_end++;
	if (word_end == end) { /* one word: a bare token */
		*token = s;
		*token_len = (size_t)(end - s);
		return AUTH_OK;
	}
	if ((size_t)(word_end - s) != 6 || strncasecmp(s, "Bearer", 6) != 0)
		return AUTH_SCHEME;
	const char *t = word_end;
	while (t < end && is_space(*t))
		t++;
	for (const char *c = t; c < end; c++)
		if (is_space(*c))
			return AUTH_MALFORMED;
	*token = t;
	*token_len = (size_t)(end - t);
	return AUTH_OK;
}

const char *auth_result_description(enum auth_result r)
{
	switch (r) {
	case AUTH_OK:
		return "The token is valid.";
	case AUTH_MISSING:
		return "No access token: send it in the Authorization header, as "
		       "\"Authorization: Bearer <token>\".";
	case AUTH_SCHEME:
		return "Unsupported authorization scheme: use \"Authorization: Bearer <token>\".";
	case AUTH_MALFORMED:
		return "The access token is malformed: check that it was copied whole, "
		       "without extra spaces or quotes.";
	case AUTH_CHECKSUM:
		return "The access token is mistyped or truncated: its checksum does not match.";
	case AUTH_UNKNOWN:
		return "The access token is not valid.";
	case AUTH_EXPIRED:
		return "The access token has expired.";
	case AUTH_REVOKED:
		return "The access token has been revoked.";
	case AUTH_DISABLED:
		return "The account this access token belongs to is disabled.";
	case AUTH_UNAVAILABLE:
		return "The token could not be checked: the store is unavailable.";
	}
	return "The access token is not valid.";
}
