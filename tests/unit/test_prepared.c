/* SPDX-License-Identifier: MIT */
/* src/http/reply.c: prepared responses, built once and sent to many
 * requests. Leaks and double frees of the reference counts show under
 * make BUILD=... SAN=1. */
#include "check.h"
#include "http/http_int.h"
#include "util/mem.h"

#include <string.h>

static struct http_req req; /* large: kept off the stack */

/* What the server frees when a request ends (server.c, request_free). */
static void request_end(void)
{
	jt_free(req.resp);
	http_prepared_release(req.prepared);
	for (size_t i = 0; i < req.nheaders; i++)
		jt_free(req.headers[i].value);
	memset(&req, 0, sizeof req);
}

static void json_reply(void)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", 7);
	http_reply_json(&req, 200, o);
}

TEST(prepare_moves_the_reply_into_a_shared_response)
{
	http_header_add(&req, "X-Jeton-User", "7");
	json_reply();
	struct http_prepared *r = http_prepare(&req);
	if (!CHECK(r))
		return;
	CHECK(req.prepared == r);
	CHECK(!req.resp && req.nheaders == 0);
	CHECK_EQ_INT(req.status, 200);
	CHECK(http_prepared_response(r) != NULL);
	request_end();
	/* The caller's reference outlives the request. */
	CHECK(http_prepared_response(r) != NULL);
	http_prepared_release(r);
}

TEST(a_prepared_reply_is_sent_to_other_requests_as_it_is)
{
	json_reply();
	struct http_prepared *r = http_prepare(&req);
	request_end();
	if (!CHECK(r))
		return;
	http_header_add(&req, "X-Dropped", "yes");
	http_reply_prepared(&req, r);
	CHECK(req.prepared == r);
	CHECK_EQ_INT(req.status, 200);
	CHECK(req.nheaders == 0 && !req.resp);
	http_prepared_release(r); /* the cache entry goes first: the request still holds it */
	CHECK(http_prepared_response(req.prepared) != NULL);
	request_end();
}

TEST(unpacking_gives_the_request_its_own_copy_to_add_headers_to)
{
	http_header_add(&req, "X-Jeton-User", "7");
	json_reply();
	struct http_prepared *r = http_prepare(&req);
	if (!CHECK(r))
		return;
	http_prepared_unpack(&req);
	CHECK(!req.prepared);
	CHECK_EQ_INT(req.status, 200);
	CHECK_EQ_STR(req.content_type, "application/json");
	CHECK(req.resp && req.resp_len == strlen("{\"id\":7}"));
	CHECK(req.resp && memcmp(req.resp, "{\"id\":7}", req.resp_len) == 0);
	CHECK(req.nheaders == 1);
	CHECK_EQ_STR(req.headers[0].name, "X-Jeton-User");
	CHECK_EQ_STR(req.headers[0].value, "7");
	http_header_add(&req, "Connection", "close");
	CHECK(req.nheaders == 2);
	request_end();
	http_prepared_release(r);
}

TEST(another_reply_set_afterwards_drops_the_prepared_one)
{
	json_reply();
	struct http_prepared *r = http_prepare(&req);
	if (!CHECK(r))
		return;
	http_reply_empty(&req, 204);
	CHECK(!req.prepared);
	CHECK_EQ_INT(req.status, 204);
	request_end();
	http_prepared_release(r);
}

TEST(a_reply_holding_a_secret_is_never_prepared)
{
	http_secret(&req);
	json_reply();
	CHECK(http_prepare(&req) == NULL);
	CHECK(!req.prepared && req.resp);
	request_end();
}

int main(void)
{
	RUN(prepare_moves_the_reply_into_a_shared_response);
	RUN(a_prepared_reply_is_sent_to_other_requests_as_it_is);
	RUN(unpacking_gives_the_request_its_own_copy_to_add_headers_to);
	RUN(another_reply_set_afterwards_drops_the_prepared_one);
	RUN(a_reply_holding_a_secret_is_never_prepared);
	return check_summary(__FILE__);
}
