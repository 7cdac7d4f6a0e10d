/* SPDX-License-Identifier: MIT */
/* The HTTP adapter: everything jeton knows about serving HTTP, over
 * libmicrohttpd. Handlers see a struct http_req and the reply functions,
 * never the library.
 *
 * server.c    the library's thread pool, listener, limits, access log
 * deadline.c  total deadlines for slow clients, shedding near the limit,
 *             connections per client address
 * router.c    method + path pattern ("/v1/spaces/{}/members/{}") matching
 * reply.c     reading a request (headers, query, cookies); responses: JSON,
 *             errors, the one map from jt_status to HTTP
 * form.c      I/O-free decoding of query strings and form bodies, and
 *             building a URL's query
 * proxy.c     the client's address behind trusted proxies (X-Forwarded-For)
 * tls.c       HTTPS: the certificate and key served, reloaded on demand */
#ifndef JETON_HTTP_H
#define JETON_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "util/limits.h"
#include "util/status.h"

/* A request's method. HEAD reaches handlers as HTTP_GET (the server sends
 * no body for it), so a handler has only GET as a read. */
enum http_method {
	HTTP_GET = 1 << 0,
	HTTP_HEAD = 1 << 1,   /* only in Allow headers; requests carry HTTP_GET */
	HTTP_POST = 1 << 2,
	HTTP_PUT = 1 << 3,
	HTTP_PATCH = 1 << 4,
	HTTP_DELETE = 1 << 5,
	HTTP_OPTIONS = 1 << 6,
	HTTP_OTHER = 1 << 7,
};

struct http_header {
	const char *name;  /* static string */
	char *value;       /* owned copy */
};

struct http_req;
typedef void (*http_handler)(struct http_req *req);

/* One request and the response being built for it. The request fields are
 * valid until the handler returns. */
struct http_req {
	enum http_method method;
	const char *path;                       /* decoded path, no query */
	const char *params[LIMIT_ROUTE_PARAMS]; /* the route's {} segments */
	size_t nparams;
	char *params_buf;                       /* storage for params, owned; NULL: none (the
						 * request stays small: no 2 KiB to zero each time) */
	const char *body;                       /* NUL-terminated copy, may be "" */
	size_t body_len;
	char client_ip[LIMIT_IP_BYTES + 1];     /* the client, behind trusted proxies too */
	void *server_ctx;                       /* given to http_server_start */
	void *conn;                             /* the library's connection */
	void *ctx;                              /* a handler's state across suspensions */
	void (*ctx_free)(void *ctx);            /* frees ctx if the request ends early */
	http_handler defer_work, defer_done;    /* set by http_defer */

	int status;                             /* 0 until a reply is set */
	char *resp;                             /* owned, allocated with jt_alloc; NUL after resp_len */
	size_t resp_len;
	bool secret;                            /* the response holds a secret: see http_secret */
	const char *content_type;               /* static string */
	struct http_header headers[LIMIT_RESPONSE_HEADERS];
	size_t nheaders;
	struct http_prepared *prepared;         /* http_reply_prepared's, a reference */
};

struct http_route {
	unsigned methods;     /* bit set of enum http_method */
	const char *pattern;  /* "/v1/users/me/access_tokens/{}": {} matches one segment */
	http_handler handler;
};

/* ---- router.c ---- */

/* Finds the route for method and path, filling req->params. Returns NULL
 * and sets *allowed to the methods the path accepts (0 if no pattern
 * matches at all). Out of memory for the parameters: NULL, *allowed 0 and
 * req answered 500. */
const struct http_route *http_route_find(const struct http_route *routes, size_t nroutes,
					 struct http_req *req, unsigned *allowed);

/* ---- reply.c ---- */

/* A header value of the request, or NULL. */
const char *http_header(struct http_req *req, const char *name);
/* A query parameter of the request, decoded, or NULL. */
const char *http_query(struct http_req *req, const char *name);
/* How many times the query has parameter name. */
int http_query_count(struct http_req *req, const char *name);
/* A cookie of the request, or NULL. */
const char *http_cookie(struct http_req *req, const char *name);

/* A redirect (302, 303) to location, which is copied. */
void http_redirect(struct http_req *req, int status, const char *location);
/* Sets an HTML response; takes ownership of html (jt_alloc'd), adds the
 * headers every page carries: CSP without inline script or style,
 * X-Frame-Options DENY, Referrer-Policy no-referrer. */
void http_reply_html(struct http_req *req, int status, char *html, size_t html_len);

/* Sets the response to body serialised compactly. Takes ownership of body. */
void http_reply_json(struct http_req *req, int status, cJSON *body);
/* Says that the response about to be set holds a secret (a new token, a
 * password, a client secret, a session cookie, a code in a Location): its
 * JSON body is then serialised and freed without copies left behind, and
 * its body and header values are wiped wherever they are freed. Call it
 * before setting the reply. */
void http_secret(struct http_req *req);
/* A response built once and sent as it is to many requests (an answer
 * rendered for a verified token), so that they allocate nothing for it.
 * Reference counted; it lives until its last holder releases it and the
 * library has sent it the last time. */
struct http_prepared;
/* Makes the reply set on req (status, content type, body, headers) a
 * prepared response, which req then sends, and returns a reference to it
 * for the caller to keep. NULL when out of memory or when the reply holds
 * a secret (http_secret): req keeps its ordinary reply then. */
struct http_prepared *http_prepare(struct http_req *req);
/* Sets the response to r, in place of anything set before (headers
 * included): the handler adds nothing to it. */
void http_reply_prepared(struct http_req *req, struct http_prepared *r);
void http_prepared_release(struct http_prepared *r); /* NULL is fine */
/* The same, for a free function taking void *. */
void http_prepared_free(void *r);
/* Sets the response to a copy of body. */
void http_reply_raw(struct http_req *req, int status, const char *content_type,
		    const char *body, size_t body_len);
/* The HTTP status of st: the one table from jt_status to HTTP (JT_OK 200,
 * JT_EINVAL 400, JT_EAUTH 401, JT_EDENIED 403, JT_ENOTFOUND 404,
 * JT_ECONFLICT 409, JT_ETOOBIG 413, JT_ETHROTTLED 429, JT_ENOMEM 500,
 * JT_ESTORE 503, ...). Every error reply outside src/http takes its status
 * from here: handlers pass a jt_status, never a number. */
int http_status_of(enum jt_status st);
/* The JSON error code an answer with st carries ("invalid_request", ...). */
const char *http_error_of(enum jt_status st);
/* {"error": st's code ("invalid_request", "forbidden", "not_found", ...),
 * "error_description": printf(fmt, ...)}, with http_status_of(st). */
void http_reply_fail(struct http_req *req, enum jt_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same with a protocol's own error code (RFC 6749's invalid_grant,
 * RFC 6750's invalid_token, invalid_scope); the status still comes from st. */
void http_reply_fail_with(struct http_req *req, enum jt_status st, const char *error,
			  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* http_reply_fail with the table's sentence; what names the thing that
 * was not found or in conflict ("token", "user"). JT_OK is 204. */
void http_reply_status(struct http_req *req, enum jt_status st, const char *what);
/* A response without a body: 204, or 200 where a protocol asks for it
 * (RFC 7009's revocation, forward authentication). */
void http_reply_empty(struct http_req *req, int status);
/* Adds a response header; value is copied. Silently ignored past
 * LIMIT_RESPONSE_HEADERS (a programming error, logged). */
void http_header_add(struct http_req *req, const char *name, const char *value);
/* Retry-After: seconds (at least 1), for a 429 or a 503. */
void http_retry_after(struct http_req *req, int seconds);

/* ---- server.c: a request's state, suspended or deferred ---- */

/* Attaches a handler's state to req for the time it is suspended; free
 * runs if the request ends without the handler taking ctx back (the client
 * went away). The handler sets req->ctx to NULL when it frees ctx itself. */
void http_set_ctx(struct http_req *req, void *ctx, void (*free_fn)(void *ctx));

/* Suspends the request: the handler returns without a reply, and once
 * anything (any thread) calls http_resume(req), done(req) runs on a serving
 * thread to build the reply, or to suspend again. Call http_suspend before
 * handing req to whatever will resume it. */
void http_suspend(struct http_req *req, http_handler done);
void http_resume(struct http_req *req);

/* Runs work(req) on one of the server's slow-work threads, away from the
 * threads that serve requests, then done(req) back on a serving thread to
 * build the reply. For argon2id and anything else that takes milliseconds.
 * The handler returns right after calling this; req->ctx carries its state
 * (done frees it). work reads only req->ctx and req->server_ctx: when the server
 * stops, the request may have been answered 503 and its connection closed
 * while work runs (done then never runs; ctx_free does). */
void http_defer(struct http_req *req, http_handler work, http_handler done);

/* ---- form.c ---- */

/* Finds key in an application/x-www-form-urlencoded string (s, s_len) and
 * writes its decoded value into out (NUL-terminated). JT_ENOTFOUND if
 * absent; JT_ETOOBIG if longer than out_len - 1; JT_EINVAL if it appears
 * twice or is badly encoded (RFC 6749 §3.1: parameters must not repeat). */
enum jt_status http_form_get(const char *s, size_t s_len, const char *key, char *out,
			     size_t out_len);
/* A field of the request's application/x-www-form-urlencoded body; "" when
 * absent, repeated, badly encoded or longer than out_len - 1. */
void http_form_field(struct http_req *req, const char *key, char *out, size_t out_len);

/* Decodes one application/x-www-form-urlencoded value ('+' and %XX) into
 * out. JT_ETOOBIG past out_len - 1 bytes, JT_EINVAL for a bad escape or
 * %00. */
enum jt_status http_form_decode(const char *s, size_t s_len, char *out, size_t out_len);

/* Appends "?key=value" (or "&key=value" when url has a query) to url,
 * percent-encoding everything but unreserved characters. False, and url
 * unchanged, when it does not fit in url_len. */
bool http_url_add(char *url, size_t url_len, const char *key, const char *value);

/* ---- proxy.c ---- */

/* An address (prefix 32 or 128) or a network. IPv4 is in addr[0..3]. */
struct http_cidr {
	int family;       /* AF_INET or AF_INET6 */
	uint8_t prefix;
	uint8_t addr[16];
};

/* The reverse proxies whose X-Forwarded-For is believed. */
struct http_proxies {
	struct http_cidr cidr[LIMIT_TRUSTED_PROXIES];
	size_t n;
};

/* Adds the CIDRs of spec, separated by commas or spaces ("10.0.0.0/8,
 * 2001:db8::/32 192.0.2.7"; a bare address is one host). JT_EINVAL for an
 * entry that is not one (p keeps the entries before it), JT_ETOOBIG past
 * LIMIT_TRUSTED_PROXIES. */
enum jt_status http_proxies_add(struct http_proxies *p, const char *spec);

/* The client's address: peer itself, unless peer is inside a trusted CIDR
 * of p and xff (every X-Forwarded-For value, in order, joined by commas)
 * names one: then the right-most hop that is not a trusted proxy (the
 * left-most when all are), in canonical form. A hop that is not an
 * address, met before the client, leaves peer. */
void http_client_address(const struct http_proxies *p, const char *peer, const char *xff,
			 char *out, size_t out_len);

/* Whether the textual address ip is inside a trusted CIDR of p (NULL: none). */
bool http_proxies_trusted(const struct http_proxies *p, const char *ip);

/* The 16 bytes that name the textual address ip, for counting by address:
 * an IPv6 address as it is, an IPv4 one mapped into IPv6 (::ffff:a.b.c.d),
 * so that one address has one key however it is written. False when ip is
 * not an address. */
bool http_address_key(const char *ip, uint8_t key[16]);

/* ---- server.c ---- */

/* Counters since start, for /metrics. */
struct http_stats {
	uint64_t requests[6];     /* by status class: [1] 1xx ... [5] 5xx */
	int64_t in_flight;
	int64_t connections;      /* open now */
};
void http_stats_read(struct http_stats *out);

/* ---- metrics.c ---- */

/* Appends the histograms of answer times by route group (api, oauth,
 * verify, console, other), in the Prometheus text format, to out. */
void http_latency_format(char *out, size_t len, size_t *used);

/* ---- tls.c ---- */

/* The certificate chain and private key served over HTTPS, read from two
 * PEM files (the key unencrypted), with the protocol policy of tls.c:
 * TLS 1.2 and 1.3, AEAD ciphers, forward secrecy. */
struct http_tls;

/* Reads the pair. On success about says which certificate it is
 * ("CN=..., serial ..., valid until ..."); on failure (JT_EINVAL) why says
 * what is wrong with which file, never quoting the key. */
enum jt_status http_tls_open(const char *cert_path, const char *key_path, struct http_tls **out,
			     char *about, size_t about_len, char *why, size_t why_len);
/* Reads the same two files again: every handshake from now on takes the
 * new pair, while open connections keep the one they have. On failure the
 * pair in use stays, and why says why. Any thread. */
enum jt_status http_tls_reload(struct http_tls *tls, char *about, size_t about_len, char *why,
			       size_t why_len);
/* After http_server_stop. NULL is fine. */
void http_tls_free(struct http_tls *tls);

struct http_server_config {
	const char *host;            /* numeric IPv4 or IPv6 address */
	uint16_t port;               /* 0 = any free port */
	int threads;                 /* worker threads */
	void *server_ctx;            /* handed to every request as req->server_ctx */
	const struct http_route *routes;
	size_t nroutes;
	bool access_log;             /* one line per request on stderr */
	const struct http_proxies *trusted_proxies; /* NULL: X-Forwarded-For is ignored */
	struct http_tls *tls;        /* HTTPS with this pair; NULL: plain HTTP */
};

struct http_server;

enum jt_status http_server_start(const struct http_server_config *cfg, struct http_server **out);
/* The port actually bound. */
uint16_t http_server_port(const struct http_server *srv);
/* Stops and frees srv, within grace_ms (plus the slow work in hand, such as
 * a password hash): answers every request that comes from then on 503
 * and closes every connection after its answer (the listening socket
 * stays open until the daemon stops); lets every request in hand finish, suspended ones included; and
 * when the grace is about to end, answers 503 what still waits. Whoever was
 * to resume a request answered so may still do it afterwards, until the
 * store is closed. */
void http_server_stop(struct http_server *srv, int grace_ms);

#endif
