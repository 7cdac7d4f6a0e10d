/* SPDX-License-Identifier: MIT */
/* Private to src/http: what server.c shares with deadline.c and reply.c. */
#ifndef JETON_HTTP_INT_H
#define JETON_HTTP_INT_H
#include "http/http.h"

/* ---- reply.c ---- */

/* {"error": error, "error_description": printf(fmt, ...)} with a literal
 * status: for HTTP's own answers, which no jt_status names (404 no route,
 * 405, 413, 414, 431, 501). Handlers outside src/http pass a jt_status to
 * http_reply_fail instead, so that http_status_of stays the one map. */
void http_reply_error(struct http_req *req, int status, const char *error, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- deadline.c ----
 * The library only knows an idle timeout, which a client sending a byte
 * now and then never reaches. Every open connection is tracked here with a
 * deadline for what it is waiting for (a request head, a body); a thread
 * shuts down the sockets that pass theirs, and when connections run short
 * a new one shuts down the one that has waited longest for its client. */

struct deadline_conn;
struct deadlines;

/* Starts the tracking thread; max_open: the server's connection limit. */
enum jt_status deadlines_start(int max_open, struct deadlines **out);
/* Call after the library has closed every connection. */
void deadlines_stop(struct deadlines *d);

/* A new connection on socket fd, waiting for its first request head.
 * NULL when out of memory: the connection is then not tracked. */
struct deadline_conn *deadline_open(struct deadlines *d, int fd);
/* The library is about to close the connection (before its socket). */
void deadline_close(struct deadlines *d, struct deadline_conn *c);
/* The connection now waits for its client, for at most seconds. */
void deadline_wait(struct deadline_conn *c, int seconds);
/* The server is working on the request or sending the response: no
 * deadline (the library's idle timeout still applies). */
void deadline_busy(struct deadline_conn *c);

#endif
