/* SPDX-License-Identifier: MIT */
/* The HTTP server: libmicrohttpd in thread-pool mode (one epoll loop per
 * worker thread), with jeton's limits on URL, headers, body, connections
 * and idle time, and a graceful stop; over TLS with the pair of tls.c when
 * configured. Measured as the safest fast choice on
 * these machines (docs/decisions.md). */
#include "http/http_int.h"
#include "crypto/crypto.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/time.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define SLOW_WORKERS 2 /* threads for http_defer work (argon2id) */
#define STOP_FLUSH_MS 250 /* of the stop's grace, kept to answer 503 what still waits */

struct request_state;

/* Process-wide counters (one server per process). */
static atomic_uint_fast64_t stat_requests[6];
static atomic_int stat_in_flight;
static atomic_int stat_connections;

void http_stats_read(struct http_stats *out)
{
	for (int i = 0; i < 6; i++)
		out->requests[i] = atomic_load(&stat_requests[i]);
	out->in_flight = atomic_load(&stat_in_flight);
	out->connections = atomic_load(&stat_connections);
}

struct http_server {
	struct MHD_Daemon *daemon;
	struct http_server_config cfg;
	struct deadlines *deadlines;
	atomic_int in_flight; /* requests from their headers to their completion */
	uint16_t port;

	/* The stop (http_server_stop). Draining: a request whose headers come
	 * in is answered 503 and every response closes its connection. Closing:
	 * the grace is over, what is still suspended is answered 503 (under
	 * suspend_mu, with the list of suspended requests). */
	atomic_bool draining;
	atomic_bool closing; /* set under suspend_mu */
	struct request_state *suspended; /* waiting for the http_resume owed to them */

	/* http_defer: a queue of suspended requests and the threads that run them */
	pthread_mutex_t jobs_mu;
	pthread_cond_t jobs_cv;
	struct request_state *jobs_head, *jobs_tail;
	bool stopping; /* no more jobs: workers exit once the queue is empty */
	pthread_t workers[SLOW_WORKERS];
	int nworkers;
};

/* Guards every request's suspension fields and every server's list of
 * suspended requests. Process-wide, not per server: a request answered at
 * the end of the grace outlives its server until the thread that holds it
 * (the store's writer) calls http_resume. */
static pthread_mutex_t suspend_mu = PTHREAD_MUTEX_INITIALIZER;

/* What the server keeps for each connection, as the library's socket
 * context, from its start to its close. */
struct conn_state {
	struct deadline_conn *deadline; /* NULL: untracked */
	struct tls_hold tls;            /* HTTPS: the credentials its handshake took */
};

static struct conn_state *conn_state_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* The deadline of the connection a request came on (NULL: untracked). */
static struct deadline_conn *deadline_of(struct MHD_Connection *conn)
{
	struct conn_state *cs = conn_state_of(conn);
	return cs ? cs->deadline : NULL;
}

struct tls_hold *http_tls_hold(struct MHD_Connection *conn)
{
	struct conn_state *cs = conn ? conn_state_of(conn) : NULL;
	return cs ? &cs->tls : NULL;
}

/* Per-request state, from the first call of the access handler to the
 * completion callback. */
struct request_state {
	struct http_req req;
	char *body;       /* grows up to LIMIT_BODY_BYTES */
	size_t body_len;
	bool too_big;     /* the body went past the limit: answer 413 */
	bool started;     /* the access handler has seen the headers */
	bool answered;    /* a response was queued early */
	size_t target_len; /* raw request-target length: path and query */
	bool nul_in_target; /* %00 in the raw target: the library's decoding would cut it there */
	bool counted;     /* in srv->in_flight */
	bool suspended;   /* serving thread's view: waiting to be resumed */
	http_handler on_resume;
	/* Under suspend_mu. A suspended request is owed one http_resume by the
	 * thread it was handed to; until then that thread may write to it. */
	bool owed;        /* an http_resume is still to come */
	bool resumed;     /* it came: run on_resume */
	bool abandoned;   /* the grace ran out first: answer 503, never on_resume */
	bool orphan;      /* the library is done with it: the owed http_resume frees it */
	struct request_state *susp_prev, *susp_next; /* in srv->suspended */
	struct http_server *srv;
	struct request_state *next_job;
	int64_t start_us;
	const char *route; /* the matched route's pattern, for the access log; NULL: none */
};

static void request_free(struct request_state *rs);

/* The request state a handler's req belongs to (req is its first member). */
static struct request_state *state_of(struct http_req *req)
{
	return (struct request_state *)(void *)req;
}

void http_set_ctx(struct http_req *req, void *ctx, void (*free_fn)(void *ctx))
{
	req->ctx = ctx;
	req->ctx_free = free_fn;
}

/* Under suspend_mu: the list of a server's suspended requests. */
static void suspended_add(struct http_server *srv, struct request_state *rs)
{
	rs->susp_prev = NULL;
	rs->susp_next = srv->suspended;
	if (srv->suspended)
		srv->suspended->susp_prev = rs;
	srv->suspended = rs;
}

static void suspended_remove(struct http_server *srv, struct request_state *rs)
{
	if (rs->susp_prev)
		rs->susp_prev->susp_next = rs->susp_next;
	else if (srv->suspended == rs)
		srv->suspended = rs->susp_next;
	if (rs->susp_next)
		rs->susp_next->susp_prev = rs->susp_prev;
	rs->susp_prev = rs->susp_next = NULL;
}

/* The library's connection is suspended before the request is listed, and
 * resumed exactly once, under suspend_mu, by whoever takes it off the list:
 * http_resume, or the stop once the grace is over. Once the stop is
 * closing, a request that suspends is resumed at once, to be answered 503.
 * So when the library stops, no connection is suspended without its resume
 * under way. */
void http_suspend(struct http_req *req, http_handler done)
{
	struct request_state *rs = state_of(req);
	struct http_server *srv = rs->srv;
	rs->on_resume = done;
	rs->suspended = true;
	MHD_suspend_connection(req->conn);
	pthread_mutex_lock(&suspend_mu);
	rs->owed = true;
	rs->resumed = false;
	if (atomic_load(&srv->closing)) {
		rs->abandoned = true;
		MHD_resume_connection(req->conn);
	} else {
		suspended_add(srv, rs);
	}
	pthread_mutex_unlock(&suspend_mu);
}

void http_resume(struct http_req *req)
{
	struct request_state *rs = state_of(req);
	pthread_mutex_lock(&suspend_mu);
	rs->owed = false;
	bool orphan = rs->orphan;
	if (!orphan && !rs->abandoned) {
		rs->resumed = true;
		suspended_remove(rs->srv, rs);
		MHD_resume_connection(req->conn);
	}
	pthread_mutex_unlock(&suspend_mu);
	if (orphan)
		request_free(rs); /* answered and closed at the end of the grace */
}

/* The grace is over: every suspended request is resumed to be answered 503
 * (whoever holds it still calls http_resume later, and may still write to
 * it: the request stays allocated until then). */
static int abandon_suspended(struct http_server *srv)
{
	int n = 0;
	pthread_mutex_lock(&suspend_mu);
	atomic_store(&srv->closing, true);
	while (srv->suspended) {
		struct request_state *rs = srv->suspended;
		suspended_remove(srv, rs);
		rs->abandoned = true;
		MHD_resume_connection(rs->req.conn);
		n++;
	}
	pthread_mutex_unlock(&suspend_mu);
	return n;
}

static void run_deferred_done(struct http_req *req)
{
	req->defer_done(req);
}

static void *slow_worker(void *arg)
{
	struct http_server *srv = arg;
	for (;;) {
		pthread_mutex_lock(&srv->jobs_mu);
		while (!srv->jobs_head && !srv->stopping)
			pthread_cond_wait(&srv->jobs_cv, &srv->jobs_mu);
		struct request_state *rs = srv->jobs_head;
		if (rs) {
			srv->jobs_head = rs->next_job;
			if (!srv->jobs_head)
				srv->jobs_tail = NULL;
		}
		pthread_mutex_unlock(&srv->jobs_mu);
		if (!rs)
			return NULL; /* stopping and nothing left */
		rs->req.defer_work(&rs->req);
		http_resume(&rs->req);
	}
}

void http_defer(struct http_req *req, http_handler work, http_handler done)
{
	struct request_state *rs = state_of(req);
	struct http_server *srv = rs->srv;
	req->defer_work = work;
	req->defer_done = done;
	http_suspend(req, run_deferred_done);
	pthread_mutex_lock(&srv->jobs_mu);
	bool queued = !srv->stopping;
	if (queued) {
		rs->next_job = NULL;
		if (srv->jobs_tail)
			srv->jobs_tail->next_job = rs;
		else
			srv->jobs_head = rs;
		srv->jobs_tail = rs;
		pthread_cond_signal(&srv->jobs_cv);
	}
	pthread_mutex_unlock(&srv->jobs_mu);
	if (!queued)
		http_resume(req); /* the workers are gone: it was answered 503 */
}


static enum http_method method_of(const char *m)
{
	static const struct {
		const char *name;
		enum http_method method;
	} methods[] = {
		{"GET", HTTP_GET}, {"HEAD", HTTP_HEAD}, {"POST", HTTP_POST},
		{"PUT", HTTP_PUT}, {"PATCH", HTTP_PATCH}, {"DELETE", HTTP_DELETE},
		{"OPTIONS", HTTP_OPTIONS},
	};
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strcmp(m, methods[i].name) == 0)
			return methods[i].method;
	return HTTP_OTHER;
}

static void allow_header(struct http_req *req, unsigned allowed)
{
	static const char *const names[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
					    "OPTIONS"};
	char buf[64] = "";
	size_t used = 0;
	if (allowed & HTTP_GET)
		allowed |= HTTP_HEAD;
	for (int i = 0; i < 7; i++) {
		if (!(allowed & (1u << i)))
			continue;
		int n = snprintf(buf + used, sizeof buf - used, "%s%s", used ? ", " : "", names[i]);
		if (n < 0 || (size_t)n >= sizeof buf - used)
			break;
		used += (size_t)n;
	}
	http_header_add(req, "Allow", buf);
}

static void dispatch(struct http_server *srv, struct http_req *req)
{
	unsigned allowed = 0;
	const struct http_route *route =
		http_route_find(srv->cfg.routes, srv->cfg.nroutes, req, &allowed);
	if (route) {
		state_of(req)->route = route->pattern;
		route->handler(req);
		if (req->status == 0 && !state_of(req)->suspended)
			http_reply_error(req, 500, "server_error", "The request produced no response.");
		return;
	}
	if (req->status)
		return; /* the router could not keep the path's parameters */
	if (allowed) {
		allow_header(req, allowed);
		http_reply_error(req, 405, "method_not_allowed",
				 "This path does not accept that method.");
		return;
	}
	http_reply_error(req, 404, "not_found", "No such endpoint.");
}

/* Frees a response body that holds a secret (a NUL-terminated text, see
 * struct http_req) once the library is done with it. */
static void free_wiped(void *body)
{
	crypto_wipe(body, strlen(body));
	jt_free(body);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct http_req *req)
{
	struct MHD_Response *resp;
	if (req->prepared) /* built once, sent as it is: the library counts its senders */
		return MHD_queue_response(conn, (unsigned)req->status,
					  http_prepared_response(req->prepared));
	if (req->resp && req->secret) {
		resp = MHD_create_response_from_buffer_with_free_callback(req->resp_len, req->resp,
									  free_wiped);
		if (resp)
			req->resp = NULL; /* the library frees it now */
	} else if (req->resp) {
		resp = MHD_create_response_from_buffer(req->resp_len, req->resp,
						       MHD_RESPMEM_MUST_FREE);
		if (resp)
			req->resp = NULL; /* the library frees it now */
	} else {
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (!resp)
		return MHD_NO;
	http_response_headers(resp, req->content_type, req->headers, req->nheaders);
	enum MHD_Result r = MHD_queue_response(conn, (unsigned)req->status, resp);
	MHD_destroy_response(resp);
	return r;
}

/* The access-log line: method, "path", status, time, client address (and
 * in JSON the request id and route); never a header, query or body. Every
 * field from the request is escaped, so a path holding %0a or %1b cannot
 * forge a line or drive a terminal. */
static void access_log(const struct request_state *rs, const char *method, const char *id)
{
	char m[32], path[LOG_FIELD_BYTES], ip[LIMIT_IP_BYTES * 4 + 1];
	struct log_request line = {
		.request_id = id, .method = log_escape(method, m, sizeof m),
		.path = log_escape(rs->req.path, path, sizeof path),
		.route = rs->route ? rs->route : "", .status = rs->req.status,
		.duration_ms = (double)(time_mono_us() - rs->start_us) / 1000.0,
		.client = log_escape(rs->req.client_ip, ip, sizeof ip)};
	log_request(&line);
}

/* The answer to a request that comes, or is still waiting, once the server
 * is stopping. */
static void reply_stopping(struct http_req *req)
{
	http_reply_error(req, 503, "temporarily_unavailable",
			 "The server is stopping; try again in a moment.");
	http_retry_after(req, 1);
}

/* Queues the response and writes the access-log line. While the server
 * stops, every response closes its connection, so that keep-alive clients
 * take their next request elsewhere. */
static enum MHD_Result finish(struct http_server *srv, struct request_state *rs,
			      const char *method)
{
	char id[HTTP_REQUEST_ID_MAX + 1];
	id[0] = '\0';
	rs->answered = true;
	if (atomic_load(&srv->draining)) {
		http_prepared_unpack(&rs->req); /* a shared response takes no header */
		http_header_add(&rs->req, "Connection", "close");
	}
	if (log_json()) { /* request ids go with JSON logs: no cost otherwise */
		http_request_id(&rs->req, id);
		http_prepared_unpack(&rs->req);
		http_header_add(&rs->req, "X-Request-Id", id);
	}
	enum MHD_Result r = send_reply(rs->req.conn, &rs->req);
	int cls = rs->req.status / 100;
	atomic_fetch_add(&stat_requests[cls >= 1 && cls <= 5 ? cls : 0], 1);
	http_latency_observe(rs->req.path, time_mono_us() - rs->start_us);
	if (srv->cfg.access_log)
		access_log(rs, method, id);
	return r;
}

/* One pass over a request's headers: their size, whether every name is
 * an RFC 9110 token, and the headers that name the site or frame the body,
 * which must not be ambiguous. */
struct header_scan {
	size_t bytes;
	bool bad_name;
	int hosts;                  /* Host headers */
	int lengths;                /* Content-Length headers */
	bool lengths_differ;        /* ... with different values */
	int codings;                /* Transfer-Encoding headers */
	const char *length, *coding; /* the first of each */
};

/* key (key_len bytes) is name, in any case. */
static bool named(const char *key, size_t key_len, const char *name, size_t name_len)
{
	return key_len == name_len && strcasecmp(key, name) == 0;
}

static bool token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
				   size_t key_len, const char *value, size_t value_len)
{
	struct header_scan *hs = cls;
	(void)kind;
	hs->bytes += key_len + value_len + 4; /* ": " and CRLF */
	for (size_t i = 0; i < key_len; i++)
		hs->bad_name |= !token_char(key[i]);
	hs->bad_name |= key_len == 0;
	if (!key)
		return MHD_YES;
	if (named(key, key_len, "Host", 4)) {
		hs->hosts++;
	} else if (named(key, key_len, "Content-Length", 14)) {
		if (hs->lengths++ == 0)
			hs->length = value;
		else if (!value || !hs->length || strcmp(value, hs->length) != 0)
			hs->lengths_differ = true;
	} else if (named(key, key_len, "Transfer-Encoding", 17) && hs->codings++ == 0) {
		hs->coding = value;
	}
	return MHD_YES;
}

static const char *client_ip(struct MHD_Connection *conn, char *out, size_t out_len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	out[0] = '\0';
	if (!ci || !ci->client_addr)
		return out;
	const struct sockaddr *sa = ci->client_addr;
	/* Every request asks: inet_ntop would print IPv4 with sprintf. */
	if (sa->sa_family == AF_INET && out_len >= TEXT_IPV4_BUF)
		text_ipv4((const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr,
			  out);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  out, (socklen_t)out_len);
	return out;
}

/* Every X-Forwarded-For value in order, joined by commas, into buf; NULL
 * when there is none or it does not fit (the peer is then the client). */
struct forwarded {
	char *buf;
	size_t len, cap;
	bool overflow;
};

static enum MHD_Result join_forwarded(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	struct forwarded *f = cls;
	(void)kind;
	if (!key || !value || strcasecmp(key, "X-Forwarded-For") != 0)
		return MHD_YES;
	int n = snprintf(f->buf + f->len, f->cap - f->len, "%s%s", f->len ? "," : "", value);
	if (n < 0 || (size_t)n >= f->cap - f->len)
		f->overflow = true;
	else
		f->len += (size_t)n;
	return f->overflow ? MHD_NO : MHD_YES;
}

/* Sets req->client_ip: the peer, or behind a trusted proxy the client it
 * names in X-Forwarded-For. Throttling, the audit log, the access log and
 * a token's last-used address all read it. */
static void set_client_ip(struct http_server *srv, struct MHD_Connection *conn,
			  struct http_req *req)
{
	char peer[LIMIT_IP_BYTES + 1], xff[LIMIT_HEADER_BYTES + 1];
	struct forwarded f = {xff, 0, sizeof xff, false};
	client_ip(conn, peer, sizeof peer);
	if (srv->cfg.trusted_proxies && srv->cfg.trusted_proxies->n)
		MHD_get_connection_values(conn, MHD_HEADER_KIND, join_forwarded, &f);
	http_client_address(srv->cfg.trusted_proxies, peer, f.len && !f.overflow ? xff : NULL,
			    req->client_ip, sizeof req->client_ip);
}

/* Called by the library as soon as the request line is read, with the raw
 * request target: the only place its full length (query included) is
 * known. The state it returns is the request's from then on. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_server *srv = cls;
	(void)conn;
	struct request_state *rs = jt_calloc(1, sizeof *rs);
	if (!rs)
		return NULL;
	rs->target_len = strlen(uri);
	rs->nul_in_target = strstr(uri, "%00") != NULL;
	rs->start_us = time_mono_us();
	rs->srv = srv;
	atomic_fetch_add(&stat_in_flight, 1);
	return rs;
}

/* First call for a request: headers are in. Checks the limits that can be
 * checked before the body, and answers at once when one is broken. */
static enum MHD_Result on_headers(struct http_server *srv, struct MHD_Connection *conn,
				  const char *url, const char *method, struct request_state *rs)
{
	struct http_req *req = &rs->req;
	struct header_scan hs = {0};

	deadline_wait(deadline_of(conn), LIMIT_BODY_SECONDS);
	/* HEAD is GET without the body (the library drops it): handlers never
	 * see HEAD, so no handler can treat it as anything but a read. */
	req->method = method_of(method);
	if (req->method == HTTP_HEAD)
		req->method = HTTP_GET;
	req->path = url;
	req->server_ctx = srv->cfg.server_ctx;
	req->conn = conn;
	set_client_ip(srv, conn, req);
	/* Counted before draining is read, as the stop sets draining before it
	 * reads the count: a request it does not wait for is one that sees
	 * draining and suspends nothing. */
	rs->counted = true;
	atomic_fetch_add(&srv->in_flight, 1);

	uint8_t client[16];
	bool admitted = deadline_admit(srv->deadlines, deadline_of(conn),
				       http_address_key(req->client_ip, client) ? client : NULL);

	MHD_get_connection_values_n(conn, MHD_HEADER_KIND, scan_header, &hs);
	if (atomic_load(&srv->draining)) {
		reply_stopping(req);
	} else if (!admitted) {
		http_reply_error(req, 503, "temporarily_unavailable",
				 "Too many connections from your address (at most %d).",
				 LIMIT_CONNECTIONS_PER_IP);
		http_retry_after(req, 1);
		http_header_add(req, "Connection", "close");
	} else if (rs->target_len > LIMIT_URL_BYTES || strlen(url) > LIMIT_URL_BYTES) {
		http_reply_error(req, 414, "invalid_request", "The URL is longer than %d bytes.",
				 LIMIT_URL_BYTES);
	} else if (hs.bytes > LIMIT_HEADER_BYTES) {
		http_reply_error(req, 431, "invalid_request",
				 "The request headers are larger than %d bytes.", LIMIT_HEADER_BYTES);
	} else if (hs.bad_name) {
		http_reply_error(req, 400, "invalid_request", "A header name is not valid.");
	} else if (hs.lengths_differ || (hs.lengths && hs.codings) || hs.codings > 1) {
		/* Framing a proxy and this server could read differently
		 * (request smuggling, RFC 9112 §6.3). */
		http_reply_error(req, 400, "invalid_request",
				 "Conflicting Content-Length or Transfer-Encoding headers.");
	} else if (hs.hosts > 1) {
		/* Which Host names the site would be a guess (RFC 9112 §3.2). */
		http_reply_error(req, 400, "invalid_request", "The request has more than one Host header.");
	} else if (rs->nul_in_target) {
		http_reply_error(req, 400, "invalid_request", "The URL must not contain %%00.");
	} else if (hs.coding && strcasecmp(hs.coding, "chunked") != 0) {
		/* The library would wait until the idle timeout for a body it
		 * cannot frame. */
		http_reply_error(req, 501, "not_implemented",
				 "Only the chunked transfer coding is supported.");
	} else {
		const char *cl = hs.length;
		if (cl && strlen(cl) > 9)
			rs->too_big = true;
		else if (cl && strtol(cl, NULL, 10) > LIMIT_BODY_BYTES)
			rs->too_big = true;
		if (!rs->too_big)
			return MHD_YES;
		http_reply_error(req, 413, "request_too_large",
				 "The request body is larger than %d bytes.", LIMIT_BODY_BYTES);
	}
	return finish(srv, rs, method);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct request_state *rs = *con_cls;
	(void)version;

	if (!rs)
		return MHD_NO; /* out of memory when the request line came in */
	if (!rs->started) {
		rs->started = true;
		return on_headers(srv, conn, url, method, rs);
	}
	if (rs->answered) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rs->suspended) {
		pthread_mutex_lock(&suspend_mu);
		bool resumed = rs->resumed, abandoned = rs->abandoned;
		pthread_mutex_unlock(&suspend_mu);
		if (!resumed && !abandoned)
			return MHD_YES;
		rs->suspended = false;
		if (abandoned) {
			reply_stopping(&rs->req);
			return finish(srv, rs, method);
		}
		rs->on_resume(&rs->req);
		if (rs->suspended)
			return MHD_YES; /* the handler waits again */
		if (rs->req.status == 0)
			http_reply_error(&rs->req, 500, "server_error", "The request produced no response.");
		return finish(srv, rs, method);
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (rs->too_big || rs->body_len + n > LIMIT_BODY_BYTES) {
			rs->too_big = true;
			return MHD_YES;
		}
		/* A body may hold a password or a secret: it grows by copying, and
		 * the copy it leaves is wiped (realloc would free it as it is). */
		char *grown = jt_alloc(rs->body_len + n + 1);
		if (!grown)
			return MHD_NO;
		if (rs->body) {
			memcpy(grown, rs->body, rs->body_len);
			crypto_wipe(rs->body, rs->body_len);
			jt_free(rs->body);
		}
		rs->body = grown;
		memcpy(rs->body + rs->body_len, upload_data, n);
		rs->body_len += n;
		rs->body[rs->body_len] = '\0';
		return MHD_YES;
	}

	struct http_req *req = &rs->req;
	if (rs->too_big) {
		http_reply_error(req, 413, "request_too_large",
				 "The request body is larger than %d bytes.", LIMIT_BODY_BYTES);
	} else {
		req->body = rs->body ? rs->body : "";
		req->body_len = rs->body_len;
		deadline_busy(deadline_of(conn));
		if (atomic_load(&srv->closing))
			reply_stopping(req);
		else
			dispatch(srv, req);
		if (rs->suspended)
			return MHD_YES;
	}
	return finish(srv, rs, method);
}

/* Frees the request and what it holds. */
static void request_free(struct request_state *rs)
{
	if (rs->req.ctx && rs->req.ctx_free)
		rs->req.ctx_free(rs->req.ctx); /* the request ended before its handler took it back */
	if (rs->req.secret && rs->req.resp)
		crypto_wipe(rs->req.resp, rs->req.resp_len);
	jt_free(rs->req.resp);
	http_prepared_release(rs->req.prepared);
	jt_free(rs->req.params_buf);
	for (size_t i = 0; i < rs->req.nheaders; i++) {
		if (rs->req.secret)
			crypto_wipe(rs->req.headers[i].value, strlen(rs->req.headers[i].value));
		jt_free(rs->req.headers[i].value);
	}
	if (rs->body)
		crypto_wipe(rs->body, rs->body_len); /* it may hold a password or a secret */
	jt_free(rs->body);
	jt_free(rs);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct request_state *rs = *con_cls;
	(void)toe;
	deadline_wait(deadline_of(conn), LIMIT_HEAD_SECONDS); /* for the next request */
	if (!rs)
		return;
	*con_cls = NULL;
	/* Answered 503 at the end of the grace while another thread still
	 * holds it: that thread's http_resume frees it. (on_resume is set on
	 * this thread by http_suspend: a request that never suspended is
	 * nobody else's.) */
	bool counted = rs->counted, orphan = false;
	if (rs->on_resume) {
		pthread_mutex_lock(&suspend_mu);
		rs->orphan = rs->owed;
		orphan = rs->orphan;
		if (orphan)
			suspended_remove(srv, rs);
		pthread_mutex_unlock(&suspend_mu);
	}
	if (!orphan)
		request_free(rs);
	if (counted)
		atomic_fetch_sub(&srv->in_flight, 1);
	atomic_fetch_sub(&stat_in_flight, 1);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		char peer[LIMIT_IP_BYTES + 1];
		uint8_t key[16];
		bool known = http_address_key(client_ip(conn, peer, sizeof peer), key);
		/* A trusted proxy's connection counts against the clients its
		 * requests name, never against the proxy. */
		bool proxy = known && http_proxies_trusted(srv->cfg.trusted_proxies, peer);
		struct conn_state *cs = jt_calloc(1, sizeof *cs);
		if (cs) {
			cs->deadline = ci ? deadline_open(srv->deadlines, ci->connect_fd,
							  known ? key : NULL, proxy)
					  : NULL;
			cs->tls.tls = srv->cfg.tls;
		}
		*socket_context = cs; /* NULL: untracked, and a TLS handshake fails */
		atomic_fetch_add(&stat_connections, 1);
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		struct conn_state *cs = *socket_context;
		atomic_fetch_sub(&stat_connections, 1);
		if (cs) {
			deadline_close(srv->deadlines, cs->deadline);
			tls_hold_release(&cs->tls);
			jt_free(cs);
		}
		*socket_context = NULL;
	}
}

/* Every connection is a descriptor: raises the soft limit so that the
 * connection limit, not the kernel, decides, and returns how many
 * connections fit. Without room, accept(2) would fail before jeton could
 * shed its slowest clients. */
static int connection_room(void)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)LIMIT_CONNECTIONS + LIMIT_FDS_RESERVED;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return LIMIT_CONNECTIONS;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur >= want)
		return LIMIT_CONNECTIONS;
	int room = rl.rlim_cur > 2 * LIMIT_FDS_RESERVED ? (int)(rl.rlim_cur - LIMIT_FDS_RESERVED)
							: LIMIT_FDS_RESERVED;
	log_warn("http: the descriptor limit (%llu) leaves room for %d connections, not %d",
		 (unsigned long long)rl.rlim_cur, room, LIMIT_CONNECTIONS);
	return room;
}

static void on_library_error(void *cls, const char *fmt, va_list ap)
{
	char msg[512], shown[LOG_FIELD_BYTES];
	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_warn("http: %s", log_escape(msg, shown, sizeof shown)); /* may quote the request */
}

/* Lets the slow-work threads finish the jobs they hold, then joins them.
 * Jobs still queued are not run: they were abandoned (answered 503), and
 * are resumed here as their worker would have. */
static void stop_workers(struct http_server *srv)
{
	pthread_mutex_lock(&srv->jobs_mu);
	struct request_state *dropped = srv->jobs_head;
	srv->jobs_head = srv->jobs_tail = NULL;
	srv->stopping = true;
	pthread_cond_broadcast(&srv->jobs_cv);
	pthread_mutex_unlock(&srv->jobs_mu);
	while (dropped) {
		struct request_state *next = dropped->next_job;
		http_resume(&dropped->req);
		dropped = next;
	}
	for (int i = 0; i < srv->nworkers; i++)
		pthread_join(srv->workers[i], NULL);
	srv->nworkers = 0;
	pthread_cond_destroy(&srv->jobs_cv);
	pthread_mutex_destroy(&srv->jobs_mu);
}

enum jt_status http_server_start(const struct http_server_config *cfg, struct http_server **out)
{
	struct sockaddr_storage addr;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	struct MHD_OptionItem tls_options[3] = {{MHD_OPTION_END, 0, NULL}};
	if (cfg->tls) {
		flags |= MHD_USE_TLS;
		tls_daemon_options(tls_options);
	}

	*out = NULL;
	memset(&addr, 0, sizeof addr);
	struct sockaddr_in *a4 = (struct sockaddr_in *)&addr;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&addr;
	if (inet_pton(AF_INET, cfg->host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(cfg->port);
	} else if (inet_pton(AF_INET6, cfg->host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(cfg->port);
		flags |= MHD_USE_IPv6;
	} else {
		log_error("listen address %s is not a numeric IP address", cfg->host);
		return JT_EINVAL;
	}

	struct http_server *srv = jt_calloc(1, sizeof *srv);
	if (!srv)
		return JT_ENOMEM;
	int max_open = connection_room();
	if (deadlines_start(max_open, LIMIT_CONNECTIONS_PER_IP, &srv->deadlines) != JT_OK) {
		jt_free(srv);
		return JT_ENOMEM;
	}
	srv->cfg = *cfg;
	pthread_mutex_init(&srv->jobs_mu, NULL);
	pthread_cond_init(&srv->jobs_cv, NULL);
	for (; srv->nworkers < SLOW_WORKERS; srv->nworkers++)
		if (pthread_create(&srv->workers[srv->nworkers], NULL, slow_worker, srv) != 0)
			break;
	srv->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, srv,
		MHD_OPTION_EXTERNAL_LOGGER, on_library_error, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)(cfg->threads > 0 ? cfg->threads : 1),
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)max_open,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)LIMIT_IDLE_SECONDS,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)LIMIT_CONN_MEMORY,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
		MHD_OPTION_URI_LOG_CALLBACK, on_request_line, srv,
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		MHD_OPTION_ARRAY, tls_options,
		MHD_OPTION_END);
	if (!srv->daemon) {
		log_error("cannot listen on %s:%u (address in use or not permitted)", cfg->host,
			  (unsigned)cfg->port);
		stop_workers(srv);
		deadlines_stop(srv->deadlines);
		jt_free(srv);
		return JT_EIO;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = di ? di->port : cfg->port;
	*out = srv;
	return JT_OK;
}

uint16_t http_server_port(const struct http_server *srv)
{
	return srv->port;
}

/* Waits until no request is in hand, or until the monotonic ms until. */
static void wait_in_flight(struct http_server *srv, int64_t until)
{
	while (atomic_load(&srv->in_flight) > 0 && time_mono_ms() < until)
		usleep(2 * 1000);
}

void http_server_stop(struct http_server *srv, int grace_ms)
{
	if (!srv)
		return;
	int64_t end = time_mono_ms() + grace_ms;
	/* From now on every new request is answered 503, and every answer
	 * closes its connection. The listening socket stays open until the
	 * daemon stops: quiescing a pool of epoll workers races inside
	 * libmicrohttpd 0.9.75 (a worker and the quiesce both take the socket
	 * out of an epoll set, and the loser aborts the process), so a
	 * connection made during the stop is answered 503 like the others. */
	atomic_store(&srv->draining, true);
	/* The requests in hand finish: the store's writer and the slow-work
	 * threads resume the suspended ones, which answer as usual. */
	wait_in_flight(srv, end - STOP_FLUSH_MS);
	/* Past the grace, whatever is still suspended is answered 503 now,
	 * and queued slow work is dropped. */
	int abandoned = abandon_suspended(srv);
	if (abandoned)
		log_warn("http: %d requests were still waiting at the end of the grace: answered 503",
			 abandoned);
	stop_workers(srv);
	wait_in_flight(srv, end);
	/* No connection is suspended, or its resume is under way: the library
	 * takes those back as it stops. */
	MHD_stop_daemon(srv->daemon);
	deadlines_stop(srv->deadlines); /* every connection is closed now */
	jt_free(srv);
}
