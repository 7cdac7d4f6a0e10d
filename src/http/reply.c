/* SPDX-License-Identifier: MIT */
/* Building responses, and the one mapping from jt_status to HTTP. */
#include "http/http_int.h"
#include "crypto/crypto.h"
#include "util/log.h"
#include "util/mem.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

const char *http_header(struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_query(struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct query_count {
	const char *name;
	int n;
};

static enum MHD_Result count_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct query_count *qc = cls;
	(void)kind;
	(void)value;
	if (key && strcmp(key, qc->name) == 0)
		qc->n++;
	return MHD_YES;
}

int http_query_count(struct http_req *req, const char *name)
{
	struct query_count qc = {name, 0};
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, count_arg, &qc);
	return qc.n;
}

const char *http_cookie(struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

static void set_body(struct http_req *req, int status, const char *content_type, char *body,
		     size_t body_len)
{
	if (req->secret && req->resp)
		crypto_wipe(req->resp, req->resp_len);
	jt_free(req->resp);
	http_prepared_release(req->prepared);
	req->prepared = NULL;
	req->status = status;
	req->content_type = content_type;
	req->resp = body;
	req->resp_len = body_len;
}

void http_secret(struct http_req *req)
{
	req->secret = true;
}

void http_reply_json(struct http_req *req, int status, cJSON *body)
{
	size_t len = 0;
	char *text = NULL;
	if (req->secret && body) {
		text = secret_json_print(body, false, LIMIT_SECRET_BODY_BYTES, &len);
		secret_json_delete(body);
	} else {
		text = body ? cJSON_PrintUnformatted(body) : NULL;
		len = text ? strlen(text) : 0;
		cJSON_Delete(body);
	}
	if (!text) {
		set_body(req, 500, "application/json", NULL, 0);
		return;
	}
	set_body(req, status, "application/json", text, len);
}

void http_response_headers(struct MHD_Response *resp, const char *content_type,
			   const struct http_header *headers, size_t nheaders)
{
	bool cache_set = false;
	if (content_type)
		MHD_add_response_header(resp, "Content-Type", content_type);
	for (size_t i = 0; i < nheaders; i++) {
		MHD_add_response_header(resp, headers[i].name, headers[i].value);
		cache_set |= strcmp(headers[i].name, "Cache-Control") == 0;
	}
	/* Responses may carry secrets: nothing is cached unless a handler says so. */
	if (!cache_set)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
}

/* The library counts the connections sending a response and frees it
 * after the last; refs counts jeton's holders (a cache entry, requests not
 * yet queued), which hold one of the library's references between them. */
struct http_prepared {
	atomic_int refs;
	int status;
	const char *content_type;
	const char *body; /* freed by the library with resp */
	size_t body_len;
	struct http_header headers[LIMIT_RESPONSE_HEADERS];
	size_t nheaders;
	struct MHD_Response *resp;
};

struct http_prepared *http_prepare(struct http_req *req)
{
	if (req->secret || req->prepared || !req->status)
		return NULL;
	struct http_prepared *r = jt_calloc(1, sizeof *r);
	char *body = req->resp ? req->resp : jt_strdup("");
	if (r && body)
		r->resp = MHD_create_response_from_buffer_with_free_callback(req->resp_len, body,
									     jt_free);
	if (!r || !r->resp) {
		if (body != req->resp)
			jt_free(body);
		jt_free(r);
		return NULL;
	}
	/* The body and the header values move to r. */
	r->status = req->status;
	r->content_type = req->content_type;
	r->body = body;
	r->body_len = req->resp_len;
	memcpy(r->headers, req->headers, req->nheaders * sizeof req->headers[0]);
	r->nheaders = req->nheaders;
	http_response_headers(r->resp, r->content_type, r->headers, r->nheaders);
	req->resp = NULL;
	req->resp_len = 0;
	req->nheaders = 0;
	atomic_init(&r->refs, 2); /* req's and the caller's */
	req->prepared = r;
	return r;
}

void http_prepared_release(struct http_prepared *r)
{
	if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	MHD_destroy_response(r->resp); /* the library frees it after its last send */
	for (size_t i = 0; i < r->nheaders; i++)
		jt_free(r->headers[i].value);
	jt_free(r);
}

void http_prepared_free(void *r)
{
	http_prepared_release(r);
}

void http_reply_prepared(struct http_req *req, struct http_prepared *r)
{
	atomic_fetch_add(&r->refs, 1);
	set_body(req, r->status, r->content_type, NULL, 0);
	for (size_t i = 0; i < req->nheaders; i++) {
		if (req->secret)
			crypto_wipe(req->headers[i].value, strlen(req->headers[i].value));
		jt_free(req->headers[i].value);
	}
	req->nheaders = 0;
	req->prepared = r;
}

struct MHD_Response *http_prepared_response(const struct http_prepared *r)
{
	return r->resp;
}

void http_prepared_unpack(struct http_req *req)
{
	struct http_prepared *r = req->prepared;
	if (!r)
		return;
	req->prepared = NULL;
	http_reply_raw(req, r->status, r->content_type, r->body, r->body_len);
	for (size_t i = 0; i < r->nheaders; i++)
		http_header_add(req, r->headers[i].name, r->headers[i].value);
	http_prepared_release(r);
}

void http_reply_raw(struct http_req *req, int status, const char *content_type,
		    const char *body, size_t body_len)
{
	char *copy = jt_strndup(body, body_len);
	set_body(req, copy ? status : 500, content_type, copy, copy ? body_len : 0);
}

/* {"error": error, "error_description": desc}, with status. */
static void reply_error(struct http_req *req, int status, const char *error, const char *fmt,
			va_list ap)
{
	char desc[512];
	vsnprintf(desc, sizeof desc, fmt, ap);

	cJSON *o = cJSON_CreateObject();
	if (o) {
		cJSON_AddStringToObject(o, "error", error);
		cJSON_AddStringToObject(o, "error_description", desc);
	}
	http_reply_json(req, status, o);
}

void http_reply_error(struct http_req *req, int status, const char *error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	reply_error(req, status, error, fmt, ap);
	va_end(ap);
}

/* What a status is in HTTP: its status code, its JSON error code and a
 * sentence for http_reply_status ("%s" names what failed, where used). */
struct status_row {
	int http;
	const char *error;
	const char *sentence;
};

/* The one table from jt_status to HTTP. A switch, so that a status added
 * to the enum without a row here does not compile (-Wswitch). */
static struct status_row row_of(enum jt_status st)
{
	switch (st) {
	case JT_OK: return (struct status_row){200, "", ""};
	case JT_EINVAL:
	case JT_ECHECKSUM: return (struct status_row){400, "invalid_request", "The %s is not valid."};
	case JT_EAUTH: return (struct status_row){401, "unauthorized", "Sign in first."};
	case JT_EDENIED: return (struct status_row){403, "forbidden", "You may not do this."};
	case JT_ENOTFOUND: return (struct status_row){404, "not_found", "No such %s."};
	case JT_ECONFLICT:
		return (struct status_row){409, "conflict",
					   "The %s conflicts with an existing one or is in a "
					   "state that does not allow this."};
	case JT_ETOOBIG: return (struct status_row){413, "request_too_large", "The %s is too large."};
	case JT_ETHROTTLED:
		return (struct status_row){429, "too_many_requests",
					   "Too many attempts; try again later."};
	case JT_ESTORE:
	case JT_EIO:
		return (struct status_row){503, "temporarily_unavailable",
					   "The store is unavailable; try again shortly."};
	case JT_ENOMEM: break;
	}
	return (struct status_row){500, "server_error", "The server could not complete the request."};
}

int http_status_of(enum jt_status st)
{
	return row_of(st).http;
}

const char *http_error_of(enum jt_status st)
{
	return row_of(st).error;
}

void http_reply_fail(struct http_req *req, enum jt_status st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	reply_error(req, http_status_of(st), row_of(st).error, fmt, ap);
	va_end(ap);
}

void http_reply_fail_with(struct http_req *req, enum jt_status st, const char *error,
			  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	reply_error(req, http_status_of(st), error, fmt, ap);
	va_end(ap);
}

void http_reply_status(struct http_req *req, enum jt_status st, const char *what)
{
	char desc[256];
	if (st == JT_OK) {
		http_reply_empty(req, 204);
		return;
	}
	snprintf(desc, sizeof desc, row_of(st).sentence, what); /* the table's own format */
	http_reply_fail(req, st, "%s", desc);
}

void http_reply_empty(struct http_req *req, int status)
{
	set_body(req, status, NULL, NULL, 0);
}

void http_header_add(struct http_req *req, const char *name, const char *value)
{
	if (req->nheaders == LIMIT_RESPONSE_HEADERS) {
		log_error("too many response headers; dropped %s", name);
		return;
	}
	char *copy = jt_strdup(value);
	if (!copy)
		return;
	req->headers[req->nheaders].name = name;
	req->headers[req->nheaders].value = copy;
	req->nheaders++;
}

void http_retry_after(struct http_req *req, int seconds)
{
	char value[16];
	snprintf(value, sizeof value, "%d", seconds > 0 ? seconds : 1);
	http_header_add(req, "Retry-After", value);
}

void http_redirect(struct http_req *req, int status, const char *location)
{
	http_header_add(req, "Location", location);
	set_body(req, status, NULL, NULL, 0);
}

void http_reply_html(struct http_req *req, int status, char *html, size_t html_len)
{
	http_header_add(req, "Content-Security-Policy",
			"default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; "
			"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'");
	http_header_add(req, "X-Frame-Options", "DENY");
	http_header_add(req, "Referrer-Policy", "no-referrer");
	if (!html) {
		http_reply_error(req, 500, "server_error", "The page could not be built.");
		return;
	}
	set_body(req, status, "text/html; charset=utf-8", html, html_len);
}
