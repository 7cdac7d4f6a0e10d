/* SPDX-License-Identifier: MIT */
/* Private to src/http: what server.c shares with deadline.c and reply.c. */
#ifndef JETON_HTTP_INT_H
#define JETON_HTTP_INT_H
#include "http/http.h"

struct MHD_Connection;
struct MHD_OptionItem;
struct MHD_Response;

/* ---- reply.c ---- */

/* {"error": error, "error_description": printf(fmt, ...)} with a literal
 * status: for HTTP's own answers, which no jt_status names (404 no route,
 * 405, 413, 414, 431, 501). Handlers outside src/http pass a jt_status to
 * http_reply_fail instead, so that http_status_of stays the one map. */
void http_reply_error(struct http_req *req, int status, const char *error, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Adds what every response carries to resp: Content-Type (when not
 * NULL), headers, Cache-Control: no-store unless headers set it,
 * X-Content-Type-Options: nosniff. */
void http_response_headers(struct MHD_Response *resp, const char *content_type,
			   const struct http_header *headers, size_t nheaders);
/* The library's response of a prepared one, to queue as it is. */
struct MHD_Response *http_prepared_response(const struct http_prepared *r);
/* Turns a prepared reply of req into an ordinary one (its own copy of the
 * body and headers), so that headers can be added to it. */
void http_prepared_unpack(struct http_req *req);

/* ---- metrics.c ---- */

#define HTTP_GROUPS 5 /* route groups of the answer-time histograms */
/* Records how long the answer to path took (from its request line). */
void http_latency_observe(const char *path, int64_t us);

/* ---- request_id.c ---- */

#define HTTP_REQUEST_ID_MAX 64    /* characters of an X-Request-Id taken from a request */
#define HTTP_REQUEST_ID_RANDOM 22 /* base62 characters of a fresh one: 131 bits */
/* The request's id: its X-Request-Id when valid, else a fresh random one. */
void http_request_id(struct http_req *req, char out[HTTP_REQUEST_ID_MAX + 1]);

/* ---- tls.c ---- */

struct tls_creds; /* one certificate chain and key, reference counted */

/* A TLS connection's hold on the server's credentials: the pair its
 * handshake took, kept until the connection closes, so that a reload
 * never frees a pair a session still points to. */
struct tls_hold {
	struct http_tls *tls;    /* the server's credentials; NULL: plain HTTP */
	struct tls_creds *creds; /* NULL until the handshake asks */
};
/* server.c: the hold of the library's connection conn; NULL when none. */
struct tls_hold *http_tls_hold(struct MHD_Connection *conn);
/* At the connection's close: drops what h holds. */
void tls_hold_release(struct tls_hold *h);
/* The library's options that serve TLS with the connections' holds:
 * the protocol policy and the certificate callback; ends with
 * MHD_OPTION_END, for MHD_OPTION_ARRAY. */
void tls_daemon_options(struct MHD_OptionItem *opts); /* 3 items */

/* ---- deadline.c ----
 * The library only knows an idle timeout, which a client sending a byte
 * now and then never reaches. Every open connection is tracked here with a
 * deadline for what it is waiting for (a request head, a body); a thread
 * shuts down the sockets that pass theirs, and when connections run short
 * a new one shuts down the one that has waited longest for its client.
 * Each connection also counts against its client's address, which holds
 * at most per_address of them: the peer's, or behind a trusted proxy the
 * client its latest request names (the proxy's own connections count
 * against no address). */

struct deadline_conn;
struct deadlines;

/* Starts the tracking thread; max_open: the server's connection limit;
 * per_address: the connections one client address may hold. */
enum jt_status deadlines_start(int max_open, int per_address, struct deadlines **out);
/* Call after the library has closed every connection. */
void deadlines_stop(struct deadlines *d);

/* A new connection on socket fd from peer (http_address_key; NULL when
 * unknown), waiting for its first request head. A peer that is a trusted
 * proxy counts against no address until a request names its client;
 * another peer counts at once, and when it holds more than per_address
 * connections this one is shut down before it is served. NULL when out of
 * memory: the connection is then not tracked. */
struct deadline_conn *deadline_open(struct deadlines *d, int fd, const uint8_t peer[16],
				    bool proxy);
/* A request's head came on c from client (http_address_key of its client
 * address): whether it may be served. Behind a trusted proxy, c counts
 * against client from now on (against none when client is the proxy itself
 * or NULL), and false when client then holds more than per_address
 * connections. False too when c was shut down (over its address's share
 * from the start, shed, past its deadline): its answer could not be sent.
 * The caller then answers without serving the request, and closes c. */
bool deadline_admit(struct deadlines *d, struct deadline_conn *c, const uint8_t client[16]);
/* The library is about to close the connection (before its socket). */
void deadline_close(struct deadlines *d, struct deadline_conn *c);
/* The connection now waits for its client, for at most seconds. */
void deadline_wait(struct deadline_conn *c, int seconds);
/* The server is working on the request or sending the response: no
 * deadline (the library's idle timeout still applies). */
void deadline_busy(struct deadline_conn *c);

#endif
