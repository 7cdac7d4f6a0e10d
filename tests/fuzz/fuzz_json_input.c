/* SPDX-License-Identifier: MIT */
/* libFuzzer driver: src/api/input.c, input_json_object on any body, as the
 * API handlers call it. Checks: a refusal is a 400 JSON reply; an accepted
 * body is an object that holds no key twice at any depth and no NUL in a
 * string, and its compact form is accepted again. */
#include "api/api.h"
#include "util/mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void reset(struct http_req *req)
{
	jt_free(req->resp);
	for (size_t i = 0; i < req->nheaders; i++)
		jt_free(req->headers[i].value);
	memset(req, 0, sizeof *req);
}

static cJSON *parse(struct http_req *req, const char *body, size_t body_len)
{
	req->method = HTTP_POST;
	req->path = "/v1/fuzz";
	req->body = body;
	req->body_len = body_len;
	cJSON *o = input_json_object(req);
	if (!o && (req->status != 400 || !req->resp))
		abort(); /* refused without a 400 */
	if (o && (req->status != 0 || !cJSON_IsObject(o)))
		abort();
	return o;
}

static void check_keys(const cJSON *v)
{
	const cJSON *a, *b;
	cJSON_ArrayForEach(a, v) {
		check_keys(a);
		if (cJSON_IsString(a) && strlen(a->valuestring) > 4096 * 16)
			abort();
		if (!cJSON_IsObject(v))
			continue;
		for (b = a->next; b; b = b->next)
			if (strcmp(a->string, b->string) == 0)
				abort(); /* a duplicate key got through */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_req req;
	if (size > LIMIT_BODY_BYTES)
		return 0;
	char *body = jt_alloc(size + 1); /* the server hands handlers a NUL-terminated copy */
	if (!body)
		return 0;
	memcpy(body, data, size);
	body[size] = '\0';

	cJSON *o = parse(&req, body, size);
	reset(&req);
	if (o) {
		check_keys(o);
		char *text = cJSON_PrintUnformatted(o);
		if (text) {
			cJSON *again = parse(&req, text, strlen(text));
			if (!again)
				abort(); /* jeton refuses what it would write itself */
			cJSON_Delete(again);
			reset(&req);
			cJSON_free(text);
		}
		cJSON_Delete(o);
	}
	jt_free(body);
	return 0;
}
