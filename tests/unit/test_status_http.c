/* SPDX-License-Identifier: MIT */
/* src/http/reply.c's http_status_of, the one map from jt_status to HTTP, and
 * the replies built on it: the API's JSON errors, the OAuth errors and the
 * error pages of src/web all answer a status with the same HTTP status. */
#include "check.h"
#include "oauth/oauth.h"
#include "server/server.h"
#include "util/mem.h"
#include "web/web.h"

#include <cjson/cJSON.h>

/* Frees what a reply left on req, and clears it for the next one. */
/* Empties req for the next answer; it stays on its server. */
static void req_reset(struct http_req *req)
{
	void *server = req->server_ctx;
	jt_free(req->resp);
	for (size_t i = 0; i < req->nheaders; i++)
		jt_free(req->headers[i].value);
	memset(req, 0, sizeof *req);
	req->server_ctx = server;
}

/* The "error" member of req's JSON body, copied into out ("" if none). */
static void json_error(const struct http_req *req, char *out, size_t out_len)
{
	out[0] = '\0';
	cJSON *o = req->resp ? cJSON_ParseWithLength(req->resp, req->resp_len) : NULL;
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
	if (cJSON_IsString(e))
		snprintf(out, out_len, "%s", e->valuestring);
	cJSON_Delete(o);
}

static const struct {
	enum jt_status st;
	int http;
	const char *error;
} expected[] = {
	{JT_EINVAL, 400, "invalid_request"},      {JT_ECHECKSUM, 400, "invalid_request"},
	{JT_EAUTH, 401, "unauthorized"},          {JT_EDENIED, 403, "forbidden"},
	{JT_ENOTFOUND, 404, "not_found"},         {JT_ECONFLICT, 409, "conflict"},
	{JT_ETOOBIG, 413, "request_too_large"},   {JT_ETHROTTLED, 429, "too_many_requests"},
	{JT_ENOMEM, 500, "server_error"},         {JT_ESTORE, 503, "temporarily_unavailable"},
	{JT_EIO, 503, "temporarily_unavailable"},
};
#define NEXPECTED (sizeof expected / sizeof expected[0])

TEST(every_status_has_its_http_status)
{
	CHECK_EQ_INT(http_status_of(JT_OK), 200);
	for (size_t i = 0; i < NEXPECTED; i++)
		CHECK_EQ_INT(http_status_of(expected[i].st), expected[i].http);
	/* a store failure is never the client's fault, out of memory never the store's */
	CHECK_EQ_INT(http_status_of(JT_ESTORE), 503);
	CHECK_EQ_INT(http_status_of(JT_ENOMEM), 500);
	CHECK_EQ_INT(http_status_of((enum jt_status)400), 500); /* not a status: a server error */
}

TEST(json_errors_take_status_and_code_from_the_map)
{
	struct http_req req = {0};
	char error[64];
	for (size_t i = 0; i < NEXPECTED; i++) {
		http_reply_fail(&req, expected[i].st, "Because %d.", 42);
		CHECK_EQ_INT(req.status, expected[i].http);
		json_error(&req, error, sizeof error);
		CHECK_EQ_STR(error, expected[i].error);
		req_reset(&req);

		http_reply_status(&req, expected[i].st, "token");
		CHECK_EQ_INT(req.status, expected[i].http);
		req_reset(&req);
	}
	http_reply_fail_with(&req, JT_EINVAL, "invalid_scope", "Unknown scope.");
	CHECK_EQ_INT(req.status, 400);
	json_error(&req, error, sizeof error);
	CHECK_EQ_STR(error, "invalid_scope");
	req_reset(&req);
}

TEST(oauth_errors_take_their_status_from_the_map)
{
	struct jeton jt = {0};
	struct http_req req = {0};
	uint64_t counted[AUTH_OAUTH_ERRORS];
	char error[64];
	if (!CHECK_EQ_INT(auth_new(NULL, &jt.auth), JT_OK))
		return;
	req.server_ctx = &jt;
	oauth_error(&req, JT_EAUTH, "invalid_client", "Unknown client.");
	CHECK_EQ_INT(req.status, 401);
	json_error(&req, error, sizeof error);
	CHECK_EQ_STR(error, "invalid_client");
	req_reset(&req);

	oauth_fail(&req, JT_ESTORE, "The token could not be stored.");
	CHECK_EQ_INT(req.status, 503);
	json_error(&req, error, sizeof error);
	CHECK_EQ_STR(error, "temporarily_unavailable");
	req_reset(&req);

	oauth_fail(&req, JT_ENOMEM, "Out of memory.");
	CHECK_EQ_INT(req.status, 500);
	req_reset(&req);

	oauth_error(&req, JT_EINVAL, "no_such_code", "A code outside RFC 6749.");
	req_reset(&req);
	/* each counted by its code for /metrics, an unknown one as "other" */
	auth_oauth_error_stats(jt.auth, counted);
	for (int i = 0; i < AUTH_OAUTH_ERRORS; i++) {
		const char *name = auth_oauth_error_names[i];
		bool once = strcmp(name, "invalid_client") == 0 ||
			    strcmp(name, "temporarily_unavailable") == 0 ||
			    strcmp(name, "server_error") == 0 || strcmp(name, "other") == 0;
		CHECK_EQ_INT((int)counted[i], once ? 1 : 0);
	}
	auth_free(jt.auth);
}

TEST(error_pages_take_their_status_from_the_map)
{
	struct http_req req = {0};
	for (size_t i = 0; i < NEXPECTED; i++) {
		page_fail(&req, expected[i].st, NULL, NULL);
		CHECK_EQ_INT(req.status, expected[i].http);
		CHECK(req.content_type && strncmp(req.content_type, "text/html", 9) == 0);
		req_reset(&req);
	}
	page_fail(&req, JT_ESTORE, NULL, NULL);
	CHECK(req.resp && strstr(req.resp, "Unavailable") != NULL);
	req_reset(&req);
	page_fail(&req, JT_EINVAL, "Pick a date.", NULL);
	CHECK_EQ_INT(req.status, 400);
	CHECK(req.resp && strstr(req.resp, "Pick a date.") != NULL);
	req_reset(&req);
}

int main(void)
{
	RUN(every_status_has_its_http_status);
	RUN(json_errors_take_status_and_code_from_the_map);
	RUN(oauth_errors_take_their_status_from_the_map);
	RUN(error_pages_take_their_status_from_the_map);
	return check_summary(__FILE__);
}
