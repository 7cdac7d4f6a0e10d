/* SPDX-License-Identifier: MIT */
/* /console: the landing page is the user's tokens. */
#include "console/console.h"

void console_home(struct http_req *req)
{
	http_redirect(req, 303, "/console/tokens");
}
