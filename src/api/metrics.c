/* SPDX-License-Identifier: MIT */
/* GET /metrics: counters in the Prometheus text format (version 0.0.4).
 * Nothing here names a user, a token or an address. */
#include "api/api.h"
#include "util/histogram.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define METRICS_BYTES 16384

/* The resident set size in bytes (/proc/self/statm), 0 if unknown. */
static unsigned long long rss_bytes(void)
{
	unsigned long long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f && fscanf(f, "%*s %llu", &pages) != 1)
		pages = 0;
	if (f)
		fclose(f);
	long page = sysconf(_SC_PAGESIZE);
	return pages * (unsigned long long)(page > 0 ? page : 4096);
}

static const char *const verify_kinds[AUTH_VERIFY_KINDS] = {"none", "pat", "oauth_access",
							    "client_credentials", "jwt", "other"};
static const char *const issued_kinds[AUTH_ISSUED_KINDS] = {
	"pat", "oauth_access", "oauth_refresh", "client_credentials", "jwt"};
static const char *const verify_results[AUTH_RESULTS] = {
	"ok",      "missing", "scheme",  "malformed", "checksum",
	"unknown", "expired", "revoked", "disabled",  "unavailable"};

void api_metrics(struct http_req *req)
{
	struct http_stats hs;
	uint64_t hits, misses;
	const struct histogram *batch_sizes, *batch_us;
	size_t used = 0;
	char *out = jt_alloc(METRICS_BYTES);
	if (!out) {
		http_reply_fail(req, JT_ENOMEM, "Out of memory.");
		return;
	}
	bool store_up = store_ping(jeton_of(req)->store) == JT_OK;
	store_write_stats(jeton_of(req)->store, &batch_sizes, &batch_us);

	http_stats_read(&hs);
	auth_cache_stats(jeton_of(req)->auth, &hits, &misses);
#define EMIT(...)                                                                  \
	do {                                                                       \
		int n_ = snprintf(out + used, METRICS_BYTES - used, __VA_ARGS__);  \
		if (n_ > 0 && (size_t)n_ < METRICS_BYTES - used)                   \
			used += (size_t)n_;                                        \
	} while (0)
	EMIT("# HELP jeton_http_requests_total HTTP requests answered, by status class.\n"
	     "# TYPE jeton_http_requests_total counter\n");
	for (int c = 1; c <= 5; c++)
		EMIT("jeton_http_requests_total{code=\"%dxx\"} %llu\n", c,
		     (unsigned long long)hs.requests[c]);
	EMIT("# HELP jeton_http_request_duration_seconds Time from request line to response, "
	     "by route group.\n"
	     "# TYPE jeton_http_request_duration_seconds histogram\n");
	http_latency_format(out, METRICS_BYTES, &used);
	EMIT("# HELP jeton_http_connections Open client connections.\n"
	     "# TYPE jeton_http_connections gauge\n"
	     "jeton_http_connections %lld\n", (long long)hs.connections);
	EMIT("# HELP jeton_http_requests_in_flight Requests being served now.\n"
	     "# TYPE jeton_http_requests_in_flight gauge\n"
	     "jeton_http_requests_in_flight %lld\n", (long long)hs.in_flight);
	EMIT("# HELP jeton_verify_cache_total Token verifications, by cache outcome.\n"
	     "# TYPE jeton_verify_cache_total counter\n"
	     "jeton_verify_cache_total{result=\"hit\"} %llu\n"
	     "jeton_verify_cache_total{result=\"miss\"} %llu\n",
	     (unsigned long long)hits, (unsigned long long)misses);
	uint64_t verified[AUTH_VERIFY_KINDS][AUTH_RESULTS];
	auth_verify_stats(jeton_of(req)->auth, verified);
	EMIT("# HELP jeton_tokens_verified_total Token verifications, by the kind the token "
	     "claims and the result; a pair appears once it happened.\n"
	     "# TYPE jeton_tokens_verified_total counter\n");
	for (int k = 0; k < AUTH_VERIFY_KINDS; k++)
		for (int r = 0; r < AUTH_RESULTS; r++)
			if (verified[k][r])
				EMIT("jeton_tokens_verified_total{kind=\"%s\",result=\"%s\"} %llu\n",
				     verify_kinds[k], verify_results[r],
				     (unsigned long long)verified[k][r]);
	uint64_t issued[AUTH_ISSUED_KINDS];
	auth_issued_stats(jeton_of(req)->auth, issued);
	EMIT("# HELP jeton_tokens_issued_total Tokens given out (stored and answered), by "
	     "kind.\n"
	     "# TYPE jeton_tokens_issued_total counter\n");
	for (int k = 0; k < AUTH_ISSUED_KINDS; k++)
		EMIT("jeton_tokens_issued_total{kind=\"%s\"} %llu\n", issued_kinds[k],
		     (unsigned long long)issued[k]);
	uint64_t oauth_errors[AUTH_OAUTH_ERRORS];
	auth_oauth_error_stats(jeton_of(req)->auth, oauth_errors);
	EMIT("# HELP jeton_oauth_errors_total OAuth error answers, by error code (\"other\": "
	     "a code not listed).\n"
	     "# TYPE jeton_oauth_errors_total counter\n");
	for (int e = 0; e < AUTH_OAUTH_ERRORS; e++)
		EMIT("jeton_oauth_errors_total{error=\"%s\"} %llu\n", auth_oauth_error_names[e],
		     (unsigned long long)oauth_errors[e]);
	EMIT("# HELP jeton_store_up Whether the store answers (1) or not (0).\n"
	     "# TYPE jeton_store_up gauge\n"
	     "jeton_store_up %d\n", store_up ? 1 : 0);
	if (batch_sizes && batch_us) {
		EMIT("# HELP jeton_store_write_batch_size Writes committed in one transaction by "
		     "the store's writer.\n"
		     "# TYPE jeton_store_write_batch_size histogram\n");
		histogram_format(batch_sizes, "jeton_store_write_batch_size", "", 1, out,
				 METRICS_BYTES, &used);
		EMIT("# HELP jeton_store_write_batch_duration_seconds Time from a batch's first "
		     "write to its commit.\n"
		     "# TYPE jeton_store_write_batch_duration_seconds histogram\n");
		histogram_format(batch_us, "jeton_store_write_batch_duration_seconds", "", 1e6, out,
				 METRICS_BYTES, &used);
	}
	const struct histogram *lag = store_listen_lag(jeton_of(req)->store);
	if (lag) {
		EMIT("# HELP jeton_store_change_heard_lag_seconds Time from another node's commit "
		     "of a change (a revocation, new keys) to this node hearing of it, by the "
		     "two nodes' clocks.\n"
		     "# TYPE jeton_store_change_heard_lag_seconds histogram\n");
		histogram_format(lag, "jeton_store_change_heard_lag_seconds", "", 1e6, out,
				 METRICS_BYTES, &used);
	}
	EMIT("# HELP jeton_password_attempts_throttled_total Password attempts refused by the "
	     "guess throttle.\n"
	     "# TYPE jeton_password_attempts_throttled_total counter\n"
	     "jeton_password_attempts_throttled_total %llu\n",
	     (unsigned long long)throttle_refused(jeton_of(req)->throttle));
	EMIT("# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
	     "# TYPE process_resident_memory_bytes gauge\n"
	     "process_resident_memory_bytes %llu\n", rss_bytes());
#undef EMIT
	http_reply_raw(req, 200, "text/plain; version=0.0.4; charset=utf-8", out, used);
	jt_free(out);
}
