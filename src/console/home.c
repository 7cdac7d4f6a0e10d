/* SPDX-License-Identifier: MIT */
/* /console: the signed-in landing page. */
#include "console/console.h"

void console_home(struct http_req *req)
{
	struct user u;
	char csrf[CSRF_CHARS + 1];
	struct html h;

	if (!session_user(req, &u)) {
		http_redirect(req, 302, "/login?next=%2Fconsole");
		return;
	}
	session_csrf(req, csrf);
	html_init(&h);
	page_begin(&h, "Console", &u, csrf);
	html_raw(&h, "<section class=\"card\"><h1>Welcome, ");
	html_text(&h, u.friendly_name);
	html_raw(&h, "</h1><p class=\"muted\">You are signed in as ");
	html_text(&h, u.email);
	html_raw(&h, ".</p></section>");
	page_end(&h);
	page_send(req, 200, &h);
}
