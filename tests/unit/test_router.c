/* SPDX-License-Identifier: MIT */
/* src/http/router.c: method + path pattern matching. */
#include "check.h"
#include "http/http.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

static void handler(struct http_req *req)
{
	(void)req;
}

enum {
	R_ME,
	R_TOKENS,
	R_TOKEN,
	R_MEMBER_PUT,
	R_MEMBER_DELETE,
	R_OAUTH_TOKEN,
	R_ROOT,
};

static const struct http_route routes[] = {
	[R_ME] = {HTTP_GET, "/v1/users/me", handler},
	[R_TOKENS] = {HTTP_GET | HTTP_POST, "/v1/users/me/access_tokens", handler},
	[R_TOKEN] = {HTTP_GET | HTTP_DELETE, "/v1/users/me/access_tokens/{}", handler},
	[R_MEMBER_PUT] = {HTTP_PUT, "/v1/spaces/{}/members/{}", handler},
	[R_MEMBER_DELETE] = {HTTP_DELETE, "/v1/spaces/{}/members/{}", handler},
	[R_OAUTH_TOKEN] = {HTTP_POST, "/oauth/token", handler},
	[R_ROOT] = {HTTP_GET, "/", handler},
};
#define NROUTES (sizeof routes / sizeof routes[0])

static struct http_req req; /* large: kept off the stack */

static const struct http_route *find(enum http_method method, const char *path,
				     unsigned *allowed)
{
	free(req.params_buf);
	memset(&req, 0, sizeof req);
	req.method = method;
	req.path = path;
	*allowed = 0xFFFF;
	return http_route_find(routes, NROUTES, &req, allowed);
}

/* Checks that method + path is answered by routes[want]. */
static bool finds(enum http_method method, const char *path, int want)
{
	unsigned allowed;
	const struct http_route *r = find(method, path, &allowed);
	bool ok = CHECK(r == &routes[want]);
	if (!ok)
		fprintf(stderr, "  %d %s: got route %td, want %d\n", (int)method, path,
			r ? r - routes : -1, want);
	return ok;
}

/* Checks that method + path finds no route and the allowed methods. */
static bool misses(enum http_method method, const char *path, unsigned want_allowed)
{
	unsigned allowed;
	const struct http_route *r = find(method, path, &allowed);
	bool ok = CHECK(r == NULL) && CHECK_EQ_INT(allowed, want_allowed);
	if (!ok)
		fprintf(stderr, "  %d %s\n", (int)method, path);
	return ok;
}

TEST(exact_paths)
{
	finds(HTTP_GET, "/v1/users/me", R_ME);
	finds(HTTP_GET, "/v1/users/me/access_tokens", R_TOKENS);
	finds(HTTP_POST, "/v1/users/me/access_tokens", R_TOKENS);
	finds(HTTP_POST, "/oauth/token", R_OAUTH_TOKEN);
	finds(HTTP_GET, "/", R_ROOT);
	CHECK_EQ_INT(req.nparams, 0);
}

TEST(placeholders_capture_their_segment)
{
	if (finds(HTTP_DELETE, "/v1/users/me/access_tokens/42", R_TOKEN) &&
	    CHECK_EQ_INT(req.nparams, 1))
		CHECK_EQ_STR(req.params[0], "42");

	if (finds(HTTP_PUT, "/v1/spaces/7/members/19", R_MEMBER_PUT) &&
	    CHECK_EQ_INT(req.nparams, 2)) {
		CHECK_EQ_STR(req.params[0], "7");
		CHECK_EQ_STR(req.params[1], "19");
	}
	if (finds(HTTP_DELETE, "/v1/spaces/docs-site/members/alice%40example.com",
		  R_MEMBER_DELETE) &&
	    CHECK_EQ_INT(req.nparams, 2)) {
		CHECK_EQ_STR(req.params[0], "docs-site");
		CHECK_EQ_STR(req.params[1], "alice%40example.com");
	}
}

TEST(params_live_in_the_request_and_leave_the_path_alone)
{
	char path[] = "/v1/spaces/7/members/19";
	unsigned allowed;
	free(req.params_buf);
	memset(&req, 0, sizeof req);
	req.method = HTTP_PUT;
	req.path = path;
	if (!CHECK(http_route_find(routes, NROUTES, &req, &allowed) == &routes[R_MEMBER_PUT]))
		return;
	CHECK_EQ_STR(path, "/v1/spaces/7/members/19");
	for (size_t i = 0; i < req.nparams; i++)
		CHECK(req.params[i] >= req.params_buf &&
		      req.params[i] < req.params_buf + sizeof "7\0" "19");
	/* Still valid once the path is gone. */
	memset(path, 'x', sizeof path - 1);
	CHECK_EQ_STR(req.params[0], "7");
	CHECK_EQ_STR(req.params[1], "19");
}

TEST(wrong_method_reports_the_allowed_ones)
{
	misses(HTTP_POST, "/v1/users/me", HTTP_GET);
	misses(HTTP_PATCH, "/v1/spaces/7/members/19", HTTP_PUT | HTTP_DELETE);
	misses(HTTP_GET, "/v1/spaces/7/members/19", HTTP_PUT | HTTP_DELETE);
	misses(HTTP_DELETE, "/v1/users/me/access_tokens", HTTP_GET | HTTP_POST);
	misses(HTTP_PUT, "/v1/users/me/access_tokens/42", HTTP_GET | HTTP_DELETE);
	misses(HTTP_GET, "/oauth/token", HTTP_POST);
	misses(HTTP_OPTIONS, "/oauth/token", HTTP_POST);
	misses(HTTP_OTHER, "/v1/users/me", HTTP_GET);
}

TEST(no_match_gives_no_allowed_methods)
{
	misses(HTTP_GET, "/v1/nope", 0);
	misses(HTTP_GET, "/v1/users/mex", 0);
	misses(HTTP_GET, "/v1/users/m", 0);
	misses(HTTP_GET, "/V1/users/me", 0);
	misses(HTTP_GET, "", 0);
	misses(HTTP_GET, "/v1/users/me/access_tokens/42/extra", 0);
	misses(HTTP_PUT, "/v1/spaces/7/members", 0);
}

TEST(trailing_slash_does_not_match)
{
	misses(HTTP_GET, "/v1/users/me/", 0);
	misses(HTTP_POST, "/oauth/token/", 0);
	misses(HTTP_DELETE, "/v1/users/me/access_tokens/42/", 0);
	misses(HTTP_GET, "//", 0);
}

TEST(empty_segment_does_not_match_a_placeholder)
{
	misses(HTTP_DELETE, "/v1/users/me/access_tokens/", 0);
	misses(HTTP_PUT, "/v1/spaces//members/19", 0);
	misses(HTTP_PUT, "/v1/spaces/7/members/", 0);
	misses(HTTP_PUT, "/v1/spaces///members/19", 0);
}

TEST(path_of_the_longest_allowed_length_matches)
{
	static char path[LIMIT_URL_BYTES + 1];
	memcpy(path, "/v1/users/me/access_tokens/", 27);
	memset(path + 27, 'a', LIMIT_URL_BYTES - 27);
	path[LIMIT_URL_BYTES] = '\0';
	if (finds(HTTP_GET, path, R_TOKEN))
		CHECK_EQ_INT(strlen(req.params[0]), LIMIT_URL_BYTES - 27);
}

TEST(a_route_without_parameters_allocates_nothing)
{
	finds(HTTP_GET, "/v1/users/me", R_ME);
	CHECK(req.params_buf == NULL);
}

TEST(out_of_memory_for_the_parameters_answers_500)
{
	unsigned allowed;
	free(req.params_buf);
	memset(&req, 0, sizeof req);
	req.method = HTTP_GET;
	req.path = "/v1/users/me/access_tokens/42";
	jt_mem_fail_after(1);
	const struct http_route *r = http_route_find(routes, NROUTES, &req, &allowed);
	jt_mem_fail_after(0);
	CHECK(r == NULL);
	CHECK_EQ_INT(allowed, 0);
	CHECK_EQ_INT(req.status, 500);
	jt_free(req.resp);
	req.resp = NULL;
}

TEST(overlong_path_matches_nothing)
{
	size_t n = 3 * LIMIT_URL_BYTES;
	char *path = malloc(n + 1);
	if (!CHECK(path != NULL))
		return;
	memcpy(path, "/v1/users/me/access_tokens/", 27);
	memset(path + 27, 'a', n - 27);
	path[n] = '\0';
	misses(HTTP_GET, path, 0);
	free(path);
}

int main(void)
{
	RUN(exact_paths);
	RUN(placeholders_capture_their_segment);
	RUN(params_live_in_the_request_and_leave_the_path_alone);
	RUN(wrong_method_reports_the_allowed_ones);
	RUN(no_match_gives_no_allowed_methods);
	RUN(trailing_slash_does_not_match);
	RUN(empty_segment_does_not_match_a_placeholder);
	RUN(path_of_the_longest_allowed_length_matches);
	RUN(overlong_path_matches_nothing);
	RUN(a_route_without_parameters_allocates_nothing);
	RUN(out_of_memory_for_the_parameters_answers_500);
	free(req.params_buf);
	return check_summary(__FILE__);
}
