/* SPDX-License-Identifier: MIT */
/* /static/{name}: the stylesheet, script and icon, embedded in the binary
 * at build time, with caching headers; /favicon.ico, where browsers look. */
#include "console/console.h"

#include <string.h>

extern const char *const console_assets_names[];
extern const char *const console_assets_files[];
extern const size_t console_assets_sizes[];
extern const int console_assets_count;

static const char *content_type(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (dot && strcmp(dot, ".css") == 0)
		return "text/css; charset=utf-8";
	if (dot && strcmp(dot, ".js") == 0)
		return "text/javascript; charset=utf-8";
	if (dot && strcmp(dot, ".ico") == 0)
		return "image/x-icon";
	return "application/octet-stream";
}

static void reply_asset(struct http_req *req, const char *name)
{
	for (int i = 0; i < console_assets_count; i++) {
		if (strcmp(name, console_assets_names[i]) != 0)
			continue;
		http_header_add(req, "Cache-Control", "public, max-age=3600");
		http_reply_raw(req, 200, content_type(name), console_assets_files[i],
			       console_assets_sizes[i]);
		return;
	}
	http_reply_fail(req, JT_ENOTFOUND, "No such file.");
}

void console_static(struct http_req *req)
{
	reply_asset(req, req->params[0]);
}

void console_favicon(struct http_req *req)
{
	reply_asset(req, "favicon.ico");
}
