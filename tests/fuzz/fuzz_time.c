/* SPDX-License-Identifier: MIT */
/* libFuzzer driver: src/util/time.c, time_parse on any bytes (no NUL after
 * them). Checks that a parsed time formats and parses back to itself, and
 * that the result stays within what years 1970-9999 and a +-24 h offset
 * allow. */
#include "util/time.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_UNIX 253402300799LL /* 9999-12-31T23:59:59Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t t = INT64_MIN;
	if (time_parse((const char *)data, size, &t) != JT_OK)
		return 0;
	if (t < -86400 || t > MAX_UNIX + 86400)
		abort(); /* out of the documented range */
	if (t < 0 || t > MAX_UNIX)
		return 0;
	char text[TIME_RFC3339_BUF];
	int64_t back = INT64_MIN;
	time_format(t, text);
	if (strlen(text) != TIME_RFC3339_BUF - 1)
		abort();
	if (time_parse(text, strlen(text), &back) != JT_OK || back != t)
		abort(); /* format and parse disagree */
	return 0;
}
