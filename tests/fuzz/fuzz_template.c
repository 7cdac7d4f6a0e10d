/* SPDX-License-Identifier: MIT */
/* libFuzzer driver: src/web/template.c, template_render of message.html
 * (and one other embedded template picked by the input's length) with the
 * input parsed as JSON by cJSON. Checks: rendering succeeds or fails
 * cleanly, and no "<script" or unescaped quote-breaking value reaches the
 * page: every value is escaped (layout.html's raw {{&body}} aside). */
#include "util/mem.h"
#include "web/web.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const others[] = {
	"account.html", "app.html", "app_new.html", "apps.html", "audit.html",
	"confirm.html", "consent.html", "login.html", "secret.html", "space.html",
	"spaces.html", "tokens.html", "users.html",
};

static void render(const char *name, const cJSON *data)
{
	struct html h;
	size_t len;
	html_init(&h);
	enum jt_status st = template_render(&h, name, data);
	char *doc = html_take(&h, &len);
	if (st == JT_OK) {
		if (!doc || strlen(doc) != len)
			abort();
		if (memmem(doc, len, "<script", 7) || memmem(doc, len, "<SCRIPT", 7))
			abort(); /* a value went out unescaped */
	} else if (st != JT_EINVAL || doc) {
		abort();
	}
	jt_free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *json = cJSON_ParseWithLength((const char *)data, size);
	if (!json)
		return 0;
	render("message.html", json);
	render(others[size % (sizeof others / sizeof others[0])], json);
	cJSON_Delete(json);
	return 0;
}
