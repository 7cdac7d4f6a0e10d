/* SPDX-License-Identifier: MIT */
/* A small logic-less template renderer for jeton's pages, after
 * Mustache: the data is a cJSON tree, and every value is HTML-escaped
 * unless the template says otherwise.
 *
 *   {{name}}              the value of name (dotted: a.b), escaped
 *   {{&name}}             the value, raw: only for markup the renderer made
 *   {{#name}}..{{/name}}  a list: once per element; an object: once, inside
 *                         it; true, a non-empty string or non-zero number:
 *                         once; anything else: not at all
 *   {{^name}}..{{/name}}  once when name is missing, false, empty or zero
 *   {{!comment}}
 *
 * Templates live in src/web/templates/ and are embedded at build time. */
#include "web/web.h"

#include <stdio.h>
#include <string.h>

#define TMPL_MAX_DEPTH 16 /* nested sections */
#define TMPL_NAME_MAX  64 /* bytes of a tag name */

extern const char *const web_templates_names[];
extern const char *const web_templates_files[];
extern const size_t web_templates_sizes[];
extern const int web_templates_count;

struct scope {
	const cJSON *stack[TMPL_MAX_DEPTH + 1];
	int depth;
};

static const cJSON *find_in(const cJSON *obj, const char *name)
{
	char part[TMPL_NAME_MAX];
	const char *dot;
	while (obj && (dot = strchr(name, '.'))) {
		size_t n = (size_t)(dot - name);
		if (n >= sizeof part)
			return NULL;
		memcpy(part, name, n);
		part[n] = '\0';
		obj = cJSON_GetObjectItemCaseSensitive(obj, part);
		name = dot + 1;
	}
	return obj && cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;
}

/* Looks name up from the innermost context outwards; "." is the context. */
static const cJSON *lookup(const struct scope *sc, const char *name)
{
	if (strcmp(name, ".") == 0)
		return sc->stack[sc->depth];
	for (int i = sc->depth; i >= 0; i--) {
		const cJSON *v = find_in(sc->stack[i], name);
		if (v)
			return v;
	}
	return NULL;
}

static bool truthy(const cJSON *v)
{
	if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v))
		return false;
	if (cJSON_IsString(v))
		return v->valuestring[0] != '\0';
	if (cJSON_IsNumber(v))
		return v->valuedouble != 0;
	if (cJSON_IsArray(v))
		return cJSON_GetArraySize(v) > 0;
	return true;
}

static void emit_value(struct html *h, const cJSON *v, bool raw)
{
	char num[32];
	const char *text = NULL;
	if (cJSON_IsString(v)) {
		text = v->valuestring;
	} else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		/* Whole numbers print as integers; the range check keeps the cast defined. */
		if (d > -9.2e18 && d < 9.2e18 && d == (double)(long long)d)
			snprintf(num, sizeof num, "%lld", (long long)v->valuedouble);
		else
			snprintf(num, sizeof num, "%g", v->valuedouble);
		text = num;
	} else if (cJSON_IsBool(v)) {
		text = cJSON_IsTrue(v) ? "true" : "false";
	}
	if (!text)
		return;
	if (raw)
		html_raw(h, text);
	else
		html_text(h, text);
}

/* Finds the {{/name}} closing the section whose body starts at s,
 * counting nested sections of the same name. */
static const char *section_end(const char *s, const char *end, const char *name, const char **after)
{
	int depth = 1;
	size_t n = strlen(name);
	while (s < end) {
		const char *open = strstr(s, "{{");
		if (!open || open >= end)
			return NULL;
		const char *close = strstr(open, "}}");
		if (!close || close >= end)
			return NULL;
		const char *tag = open + 2;
		if ((tag[0] == '#' || tag[0] == '^' || tag[0] == '/') &&
		    (size_t)(close - tag - 1) == n && strncmp(tag + 1, name, n) == 0) {
			depth += tag[0] == '/' ? -1 : 1;
			if (depth == 0) {
				*after = close + 2;
				return open;
			}
		}
		s = close + 2;
	}
	return NULL;
}

static void render_span(struct html *h, const char *s, const char *end, struct scope *sc);

static void render_section(struct html *h, char kind, const char *name, const char *body,
			   const char *body_end, struct scope *sc)
{
	const cJSON *v = lookup(sc, name);
	if (kind == '^') {
		if (!truthy(v))
			render_span(h, body, body_end, sc);
		return;
	}
	if (!truthy(v))
		return;
	if (sc->depth == TMPL_MAX_DEPTH) {
		h->failed = true;
		return;
	}
	if (cJSON_IsArray(v)) {
		const cJSON *item;
		cJSON_ArrayForEach(item, v) {
			sc->stack[++sc->depth] = item;
			render_span(h, body, body_end, sc);
			sc->depth--;
		}
	} else if (cJSON_IsObject(v)) {
		sc->stack[++sc->depth] = v;
		render_span(h, body, body_end, sc);
		sc->depth--;
	} else {
		render_span(h, body, body_end, sc);
	}
}

static void render_span(struct html *h, const char *s, const char *end, struct scope *sc)
{
	while (s < end && !h->failed) {
		const char *open = strstr(s, "{{");
		if (!open || open >= end)
			open = end;
		html_rawn(h, s, (size_t)(open - s));
		if (open == end)
			return;
		const char *close = strstr(open, "}}");
		if (!close || close >= end) {
			h->failed = true; /* an unclosed tag is a bug in the template */
			return;
		}
		char kind = open[2];
		const char *tag = strchr("#^/&!", kind) ? open + 3 : open + 2;
		char name[TMPL_NAME_MAX];
		size_t n = (size_t)(close - tag);
		if (n >= sizeof name) {
			h->failed = true;
			return;
		}
		memcpy(name, tag, n);
		name[n] = '\0';
		s = close + 2;
		if (kind == '!')
			continue;
		if (kind == '#' || kind == '^') {
			const char *after;
			const char *body_end = section_end(s, end, name, &after);
			if (!body_end) {
				h->failed = true;
				return;
			}
			render_section(h, kind, name, s, body_end, sc);
			s = after;
			continue;
		}
		if (kind == '/') {
			h->failed = true; /* a stray closing tag */
			return;
		}
		emit_value(h, lookup(sc, name), kind == '&');
	}
}

enum jt_status template_render(struct html *h, const char *name, const cJSON *data)
{
	for (int i = 0; i < web_templates_count; i++) {
		if (strcmp(web_templates_names[i], name) != 0)
			continue;
		struct scope sc = {.stack = {data}, .depth = 0};
		const char *t = web_templates_files[i];
		render_span(h, t, t + web_templates_sizes[i], &sc);
		return h->failed ? JT_EINVAL : JT_OK;
	}
	h->failed = true;
	return JT_ENOTFOUND;
}
