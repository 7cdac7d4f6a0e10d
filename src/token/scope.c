/* SPDX-License-Identifier: MIT */
/* Scope names and bit sets. */
#include "token/token.h"

#include <string.h>

static const char *const names[SCOPE_COUNT] = {
	"read_content", "write_content", "manage_space",
	"manage_tokens", "manage_users", "manage_apps", "report_leaks",
};

static const char *const descriptions[SCOPE_COUNT] = {
	"Read the content of the space",
	"Create, change and delete content in the space",
	"Manage the space's settings and members",
	"Create, list and revoke your personal access tokens",
	"Manage the users of this server",
	"Manage OAuth apps and their secrets",
	"Report leaked tokens, which are then revoked",
};

const char *scope_description(uint64_t bit)
{
	for (int i = 0; i < SCOPE_COUNT; i++)
		if (bit == (1u << i))
			return descriptions[i];
	return "";
}

uint64_t scope_from_name(const char *s, size_t s_len)
{
	for (int i = 0; i < SCOPE_COUNT; i++)
		if (strlen(names[i]) == s_len && memcmp(names[i], s, s_len) == 0)
			return 1u << i;
	return 0;
}

const char *scope_name(uint64_t bit)
{
	for (int i = 0; i < SCOPE_COUNT; i++)
		if (bit == (1u << i))
			return names[i];
	return "";
}

enum jt_status scope_parse(const char *s, size_t s_len, uint64_t *out)
{
	uint64_t set = 0;
	size_t i = 0;

	while (i < s_len) {
		if (s[i] == ' ') {
			i++;
			continue;
		}
		size_t start = i;
		while (i < s_len && s[i] != ' ')
			i++;
		uint64_t bit = scope_from_name(s + start, i - start);
		if (!bit)
			return JT_EINVAL;
		set |= bit;
	}
	*out = set;
	return JT_OK;
}

void scope_format(uint64_t set, char *out, size_t out_len)
{
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; i < SCOPE_COUNT; i++) {
		if (!(set & (1u << i)))
			continue;
		size_t n = strlen(names[i]);
		if (used + n + 2 > out_len)
			return;
		if (used)
			out[used++] = ' ';
		memcpy(out + used, names[i], n + 1);
		used += n;
	}
}
