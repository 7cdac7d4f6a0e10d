/* SPDX-License-Identifier: MIT */
/* Reading request input with a precise 400 for each way it can be wrong. */
#include "api/api.h"
#include "crypto/crypto.h"
#include "util/mem.h"
#include "util/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* True if a JSON text holds a NUL, raw or as \u0000: cJSON would end the
 * string there and silently keep a shorter value. */
static bool has_nul(const char *s, size_t s_len)
{
	if (memchr(s, '\0', s_len))
		return true;
	for (size_t i = 0; i + 1 < s_len; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && i + 5 < s_len && s[i + 2] == '0' && s[i + 3] == '0' &&
		    s[i + 4] == '0' && s[i + 5] == '0')
			return true;
		i++; /* skip the escaped character */
	}
	return false;
}

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char no_memory[] = ""; /* duplicate_key could not check */

/* The first key that appears twice in one object, at any depth, or NULL.
 * RFC 8259 leaves duplicates to the reader, and readers disagree (cJSON
 * takes the first, others the last), so a proxy or client library and
 * jeton could act on different values: refuse them. Sorting keeps this
 * O(n log n) for a body of many keys. */
static const char *duplicate_key(const cJSON *v)
{
	const cJSON *child;
	size_t n = 0;
	const char *dup = NULL;

	cJSON_ArrayForEach(child, v)
		if ((dup = duplicate_key(child)) != NULL)
			return dup;
	if (!cJSON_IsObject(v))
		return NULL;
	cJSON_ArrayForEach(child, v)
		n++;
	if (n < 2)
		return NULL;
	const char **keys = jt_calloc(n, sizeof *keys);
	if (!keys)
		return no_memory;
	n = 0;
	cJSON_ArrayForEach(child, v)
		keys[n++] = child->string;
	qsort(keys, n, sizeof *keys, compare_keys);
	for (size_t i = 1; i < n && !dup; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0)
			dup = keys[i];
	jt_free(keys);
	return dup;
}

cJSON *input_json_object(struct http_req *req)
{
	return input_json(req, false);
}

cJSON *input_json(struct http_req *req, bool array_too)
{
	if (has_nul(req->body, req->body_len)) {
		http_reply_fail(req, JT_EINVAL, "Strings must not contain NUL characters.");
		return NULL;
	}
	/* The body is NUL-terminated: parsing up to and including that NUL
	 * with require_null_terminated refuses anything after the value but
	 * whitespace ({"a":1} x, or two objects). */
	cJSON *o = cJSON_ParseWithLengthOpts(req->body, req->body_len + 1, NULL, 1);
	if (!o || !(cJSON_IsObject(o) || (array_too && cJSON_IsArray(o)))) {
		secret_json_delete(o); /* a body may hold a password */
		http_reply_fail(req, JT_EINVAL,
				array_too ? "The request body must be one JSON object or array, "
					    "with nothing after it."
					  : "The request body must be one JSON object, with nothing "
					    "after it.");
		return NULL;
	}
	const char *dup = duplicate_key(o);
	if (dup == no_memory)
		http_reply_status(req, JT_ENOMEM, "body");
	else if (dup)
		http_reply_fail(req, JT_EINVAL,
				"The key \"%.64s\" appears twice in one object.", dup);
	if (dup) {
		secret_json_delete(o);
		return NULL;
	}
	return o;
}

bool input_string(struct http_req *req, const cJSON *o, const char *key, char *out,
		  size_t out_len, bool *present)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*present = v && !cJSON_IsNull(v);
	if (!*present)
		return true;
	if (!cJSON_IsString(v)) {
		http_reply_fail(req, JT_EINVAL, "\"%s\" must be a string.", key);
		return false;
	}
	size_t n = strlen(v->valuestring);
	if (n >= out_len) {
		http_reply_fail(req, JT_EINVAL, "\"%s\" is longer than %zu bytes.",
				key, out_len - 1);
		return false;
	}
	memcpy(out, v->valuestring, n + 1);
	return true;
}

bool input_bool(struct http_req *req, const cJSON *o, const char *key, bool *out,
		bool *present)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*present = v && !cJSON_IsNull(v);
	if (!*present)
		return true;
	if (!cJSON_IsBool(v)) {
		http_reply_fail(req, JT_EINVAL, "\"%s\" must be true or false.", key);
		return false;
	}
	*out = cJSON_IsTrue(v);
	return true;
}

static bool bad_scope(struct http_req *req, const char *name)
{
	http_reply_fail_with(req, JT_EINVAL, "invalid_scope", "Unknown scope \"%.64s\".", name);
	return false;
}

bool input_scopes(struct http_req *req, const cJSON *o, const char *key, uint64_t *out,
		  bool *present)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	const cJSON *item;
	*out = 0;
	*present = v && !cJSON_IsNull(v);
	if (!*present)
		return true;
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > SCOPE_COUNT) {
		http_reply_fail(req, JT_EINVAL,
				"\"%s\" must be a list of distinct scope names.", key);
		return false;
	}
	cJSON_ArrayForEach(item, v) {
		if (!cJSON_IsString(item)) {
			http_reply_fail(req, JT_EINVAL,
					"\"%s\" must contain only strings.", key);
			return false;
		}
		uint64_t bit = scope_from_name(item->valuestring, strlen(item->valuestring));
		if (!bit)
			return bad_scope(req, item->valuestring);
		if (*out & bit) {
			http_reply_fail(req, JT_EINVAL, "\"%s\" lists %s twice.", key,
					item->valuestring);
			return false;
		}
		*out |= bit;
	}
	return true;
}

static bool query_int(struct http_req *req, const char *name, int64_t min, int64_t max,
		      int64_t *out)
{
	const char *v = http_query(req, name);
	if (!v)
		return true;
	if (text_parse_i64(v, strlen(v), min, max, out) != JT_OK) {
		http_reply_fail(req, JT_EINVAL,
				"Query parameter \"%s\" must be an integer from %lld to %lld.", name,
				(long long)min, (long long)max);
		return false;
	}
	return true;
}

bool input_page(struct http_req *req, struct store_page *page)
{
	int64_t limit = LIMIT_PAGE_DEFAULT, before = 0;
	if (!query_int(req, "limit", 1, LIMIT_PAGE_MAX, &limit) ||
	    !query_int(req, "before", 1, INT64_MAX, &before))
		return false;
	page->limit = (int)limit;
	page->before = before;
	return true;
}

bool input_id(struct http_req *req, size_t index, int64_t *out)
{
	const char *v = index < req->nparams ? req->params[index] : NULL;
	if (!v || text_parse_i64(v, strlen(v), 1, INT64_MAX, out) != JT_OK) {
		http_reply_fail(req, JT_ENOTFOUND, "No such resource.");
		return false;
	}
	return true;
}

bool input_id_text(struct http_req *req, const char *value, int64_t *out)
{
	if (text_parse_i64(value, strlen(value), 1, INT64_MAX, out) != JT_OK) {
		http_reply_fail(req, JT_EINVAL, "An id must be a positive integer.");
		return false;
	}
	return true;
}
