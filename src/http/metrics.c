/* SPDX-License-Identifier: MIT */
/* Answer times by route group, for /metrics: the group is read from the
 * path's first bytes, so that recording costs no lookup and no lock. */
#include "http/http_int.h"
#include "util/histogram.h"

#include <stdio.h>
#include <string.h>

static const char *const group_names[HTTP_GROUPS] = {"api", "oauth", "verify", "console", "other"};

#define LATENCY                                                                                    \
	{                                                                                          \
		.bounds = histogram_latency_us, .nbounds = HISTOGRAM_LATENCY_BOUNDS                \
	}
static struct histogram latency[HTTP_GROUPS] = {LATENCY, LATENCY, LATENCY, LATENCY, LATENCY};

static bool starts(const char *path, const char *prefix)
{
	return strncmp(path, prefix, strlen(prefix)) == 0;
}

static int group_of(const char *path)
{
	if (starts(path, "/v1/"))
		return 0;
	if (starts(path, "/oauth/") || starts(path, "/.well-known/"))
		return 1;
	if (starts(path, "/auth/verify"))
		return 2;
	if (starts(path, "/console") || starts(path, "/login") || starts(path, "/logout") ||
	    starts(path, "/static/") || strcmp(path, "/favicon.ico") == 0 || strcmp(path, "/") == 0)
		return 3;
	return 4;
}

void http_latency_observe(const char *path, int64_t us)
{
	histogram_observe(&latency[group_of(path ? path : "")], us > 0 ? (uint64_t)us : 0);
}

void http_latency_format(char *out, size_t len, size_t *used)
{
	char labels[32];
	for (int g = 0; g < HTTP_GROUPS; g++) {
		snprintf(labels, sizeof labels, "group=\"%s\"", group_names[g]);
		histogram_format(&latency[g], "jeton_http_request_duration_seconds", labels, 1e6,
				 out, len, used);
	}
}
