/* SPDX-License-Identifier: MIT */
/* OAuth grant types: their names, and those an app may use. */
#include "app/app.h"

#include <stdio.h>
#include <string.h>

static const struct {
	unsigned bit;
	const char *name;
} grant_type_names[] = {
	{GRANT_AUTHORIZATION_CODE, "authorization_code"},
	{GRANT_REFRESH_TOKEN, "refresh_token"},
	{GRANT_CLIENT_CREDENTIALS, "client_credentials"},
	{GRANT_DEVICE_CODE, "device_code"},
};

enum jt_status grant_type_parse(const char *s, unsigned *out)
{
	*out = 0;
	while (*s) {
		size_t n = strcspn(s, " ,");
		if (n) {
			unsigned bit = 0;
			for (size_t i = 0; i < sizeof grant_type_names / sizeof grant_type_names[0];
			     i++)
				if (strlen(grant_type_names[i].name) == n &&
				    strncmp(grant_type_names[i].name, s, n) == 0)
					bit = grant_type_names[i].bit;
			if (!bit)
				return JT_EINVAL;
			*out |= bit;
		}
		s += n;
		if (*s)
			s++;
	}
	return JT_OK;
}

void grant_type_format(unsigned grants, char *out, size_t out_len)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof grant_type_names / sizeof grant_type_names[0]; i++) {
		if (!(grants & grant_type_names[i].bit))
			continue;
		int n = snprintf(out + used, out_len - used, "%s%s", used ? " " : "",
				 grant_type_names[i].name);
		if (n < 0 || (size_t)n >= out_len - used)
			return;
		used += (size_t)n;
	}
}

unsigned app_grant_types(const struct app *a)
{
	unsigned g = 0;
	if (grant_type_parse(a->grants, &g) != JT_OK)
		return 0;
	return g;
}
