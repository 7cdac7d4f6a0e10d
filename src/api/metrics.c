/* SPDX-License-Identifier: MIT */
/* GET /metrics: counters in the Prometheus text format (version 0.0.4).
 * Nothing here names a user, a token or an address. */
#include "api/api.h"

#include <stdio.h>
#include <string.h>

#define METRICS_BYTES 4096

void api_metrics(struct http_req *req)
{
	struct http_stats hs;
	uint64_t hits, misses, total = 0;
	char out[METRICS_BYTES];
	size_t used = 0;
	bool store_up = store_ping(jeton_of(req)->store) == JT_OK;

	http_stats_read(&hs);
	auth_cache_stats(jeton_of(req)->auth, &hits, &misses);
#define EMIT(...)                                                                  \
	do {                                                                       \
		int n_ = snprintf(out + used, sizeof out - used, __VA_ARGS__);     \
		if (n_ > 0 && (size_t)n_ < sizeof out - used)                      \
			used += (size_t)n_;                                        \
	} while (0)
	EMIT("# HELP jeton_http_requests_total HTTP requests answered, by status class.\n"
	     "# TYPE jeton_http_requests_total counter\n");
	for (int c = 1; c <= 5; c++) {
		EMIT("jeton_http_requests_total{code=\"%dxx\"} %llu\n", c,
		     (unsigned long long)hs.requests[c]);
		total += hs.requests[c];
	}
	EMIT("# HELP jeton_http_request_duration_seconds Time from request line to response.\n"
	     "# TYPE jeton_http_request_duration_seconds summary\n"
	     "jeton_http_request_duration_seconds_sum %.6f\n"
	     "jeton_http_request_duration_seconds_count %llu\n",
	     (double)hs.duration_us / 1e6, (unsigned long long)total);
	EMIT("# HELP jeton_http_requests_in_flight Requests being served now.\n"
	     "# TYPE jeton_http_requests_in_flight gauge\n"
	     "jeton_http_requests_in_flight %lld\n", (long long)hs.in_flight);
	EMIT("# HELP jeton_verify_cache_total Token verifications, by cache outcome.\n"
	     "# TYPE jeton_verify_cache_total counter\n"
	     "jeton_verify_cache_total{result=\"hit\"} %llu\n"
	     "jeton_verify_cache_total{result=\"miss\"} %llu\n",
	     (unsigned long long)hits, (unsigned long long)misses);
	EMIT("# HELP jeton_store_up Whether the store answers (1) or not (0).\n"
	     "# TYPE jeton_store_up gauge\n"
	     "jeton_store_up %d\n", store_up ? 1 : 0);
#undef EMIT
	http_reply_raw(req, 200, "text/plain; version=0.0.4; charset=utf-8", out, used);
}
