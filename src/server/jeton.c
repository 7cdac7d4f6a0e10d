/* SPDX-License-Identifier: MIT */
/* The running server, as a request reaches it. */
#include "server/server.h"

struct jeton *jeton_of(struct http_req *req)
{
	return req->server_ctx;
}
