/* SPDX-License-Identifier: MIT */
/* src/web/template.c: the Mustache-like renderer, through the embedded
 * templates of src/web/templates/ (the only ones there are). */
#include "check.h"
#include "util/mem.h"
#include "web/web.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* Renders template name with the JSON text data; returns the document
 * (jt_free) or NULL, and the status in *st. */
static char *render(const char *name, const char *json, enum jt_status *st)
{
	struct html h;
	size_t len;
	cJSON *data = json ? cJSON_Parse(json) : NULL;
	if (json && !CHECK(data != NULL)) {
		fprintf(stderr, "  bad test JSON: %s\n", json);
		*st = JT_EINVAL;
		return NULL;
	}
	html_init(&h);
	*st = template_render(&h, name, data);
	char *doc = html_take(&h, &len);
	if (doc)
		CHECK_EQ_INT(strlen(doc), len);
	cJSON_Delete(data);
	return doc;
}

/* Renders and checks success; the document or NULL. */
static char *ok_render(const char *name, const char *json)
{
	enum jt_status st;
	char *doc = render(name, json, &st);
	if (!CHECK_EQ_INT(st, JT_OK) || !CHECK(doc != NULL)) {
		fprintf(stderr, "  template %s, data %s\n", name, json ? json : "(NULL)");
		jt_free(doc);
		return NULL;
	}
	return doc;
}

static bool contains(const char *doc, const char *want)
{
	bool ok = CHECK(doc && strstr(doc, want));
	if (!ok)
		fprintf(stderr, "  wanted \"%s\" in:\n%s\n", want, doc ? doc : "(NULL)");
	return ok;
}

static bool lacks(const char *doc, const char *unwanted)
{
	bool ok = CHECK(doc && !strstr(doc, unwanted));
	if (!ok)
		fprintf(stderr, "  did not want \"%s\" in:\n%s\n", unwanted, doc ? doc : "(NULL)");
	return ok;
}

static int occurrences(const char *doc, const char *s)
{
	int n = 0;
	for (const char *p = doc; p && (p = strstr(p, s)) != NULL; p += strlen(s))
		n++;
	return n;
}

/* The message page's class attribute for the given JSON value of error. */
static void error_class(const char *error_json, const char *want_p)
{
	char json[256];
	snprintf(json, sizeof json, "{\"message\": \"m\", \"error\": %s}", error_json);
	char *doc = ok_render("message.html", json);
	if (!contains(doc, want_p))
		fprintf(stderr, "  error = %s\n", error_json);
	jt_free(doc);
}

TEST(message_renders_exactly)
{
	char *doc = ok_render("message.html", "{\"heading\": \"Done\", \"message\": \"Saved.\"}");
	CHECK_EQ_STR(doc, "<section class=\"card narrow\">\n"
			  "  <h1>Done</h1>\n"
			  "  <p class=\"notice\" role=\"status\">Saved.</p>\n"
			  "  \n"
			  "</section>\n");
	jt_free(doc);

	doc = ok_render("message.html", "{\"heading\": \"Oops\", \"message\": \"No.\", "
					"\"error\": true, \"back\": \"/console\"}");
	CHECK_EQ_STR(doc, "<section class=\"card narrow\">\n"
			  "  <h1>Oops</h1>\n"
			  "  <p class=\"error\" role=\"alert\">No.</p>\n"
			  "  <p><a href=\"/console\">Back</a></p>\n"
			  "</section>\n");
	jt_free(doc);
}

TEST(values_are_escaped)
{
	char *doc = ok_render("message.html",
			      "{\"heading\": \"<b>&amp;</b>\", "
			      "\"message\": \"<script>alert('x' + \\\"y\\\")</script>\"}");
	contains(doc, "<h1>&lt;b&gt;&amp;amp;&lt;/b&gt;</h1>");
	contains(doc, ">&lt;script&gt;alert(&#39;x&#39; + &quot;y&quot;)&lt;/script&gt;</p>");
	lacks(doc, "<script");
	lacks(doc, "<b>");
	jt_free(doc);

	/* An attribute value cannot be closed from the data. */
	doc = ok_render("confirm.html", "{\"csrf\": \"\\\"><script>x</script>\", "
					"\"action\": \"/a?b=1&c='2'\", \"back\": \"javascript:\\\"\"}");
	contains(doc, "name=\"csrf\" value=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\"");
	contains(doc, "action=\"/a?b=1&amp;c=&#39;2&#39;\"");
	contains(doc, "href=\"javascript:&quot;\"");
	lacks(doc, "<script");
	jt_free(doc);
}

TEST(values_are_not_templates)
{
	/* Text from the data is output, never expanded again. */
	char *doc = ok_render("message.html", "{\"heading\": \"{{message}}\", \"message\": "
					      "\"{{#error}}x{{/error}}{{&heading}}\", \"error\": true}");
	contains(doc, "<h1>{{message}}</h1>");
	contains(doc, ">{{#error}}x{{/error}}{{&amp;heading}}</p>");
	jt_free(doc);
}

TEST(raw_values_are_not_escaped)
{
	char *doc = ok_render("layout.html", "{\"title\": \"<i>T</i>\", "
					     "\"body\": \"<p class=\\\"x\\\">Hi & bye</p>\"}");
	contains(doc, "<title>&lt;i&gt;T&lt;/i&gt; · jeton</title>");
	contains(doc, "<main id=\"main\">\n<p class=\"x\">Hi & bye</p>\n</main>");
	jt_free(doc);
}

TEST(scalars_format)
{
	static const struct {
		const char *json, *want;
	} cases[] = {
		{"42", "<h1>42</h1>"},
		{"-7", "<h1>-7</h1>"},
		{"0", "<h1>0</h1>"},
		{"1.5", "<h1>1.5</h1>"},
		{"0.25", "<h1>0.25</h1>"},
		{"1e15", "<h1>1000000000000000</h1>"},
		{"1e300", "<h1>1e+300</h1>"},
		{"-1e300", "<h1>-1e+300</h1>"},
		{"true", "<h1>true</h1>"},
		{"false", "<h1>false</h1>"},
		{"null", "<h1></h1>"},
		{"{\"a\": \"b\"}", "<h1></h1>"},
		{"[\"a\"]", "<h1></h1>"},
		{"\"\"", "<h1></h1>"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char json[128];
		snprintf(json, sizeof json, "{\"heading\": %s}", cases[i].json);
		char *doc = ok_render("message.html", json);
		if (!contains(doc, cases[i].want))
			fprintf(stderr, "  heading = %s\n", cases[i].json);
		jt_free(doc);
	}
	/* A missing value is empty. */
	char *doc = ok_render("message.html", "{}");
	contains(doc, "<h1></h1>");
	contains(doc, "role=\"status\"></p>");
	jt_free(doc);
}

TEST(sections_follow_truthiness)
{
	/* Falsy: missing, false, null, "", 0, []. */
	error_class("false", "class=\"notice\" role=\"status\"");
	error_class("null", "class=\"notice\" role=\"status\"");
	error_class("\"\"", "class=\"notice\" role=\"status\"");
	error_class("0", "class=\"notice\" role=\"status\"");
	error_class("0.0", "class=\"notice\" role=\"status\"");
	error_class("[]", "class=\"notice\" role=\"status\"");
	/* Truthy: true, a non-empty string, a non-zero number, an object. */
	error_class("true", "class=\"error\" role=\"alert\"");
	error_class("\"yes\"", "class=\"error\" role=\"alert\"");
	error_class("\"0\"", "class=\"error\" role=\"alert\"");
	error_class("\" \"", "class=\"error\" role=\"alert\"");
	error_class("1", "class=\"error\" role=\"alert\"");
	error_class("-0.5", "class=\"error\" role=\"alert\"");
	error_class("{}", "class=\"error\" role=\"alert\"");
	error_class("{\"x\": 1}", "class=\"error\" role=\"alert\"");
	/* An array: once per element, whatever the elements are. */
	error_class("[0]", "class=\"error\" role=\"alert\"");
	error_class("[1, 2]", "class=\"errorerror\" role=\"alertalert\"");
	error_class("[false, null, 3]", "class=\"errorerrorerror\"");

	char *doc = ok_render("message.html", "{}");
	contains(doc, "class=\"notice\" role=\"status\"");
	lacks(doc, "<a ");
	jt_free(doc);

	doc = ok_render("message.html", "{\"back\": \"/x?a=1&b=<2>\"}");
	contains(doc, "<p><a href=\"/x?a=1&amp;b=&lt;2&gt;\">Back</a></p>");
	jt_free(doc);
	doc = ok_render("message.html", "{\"back\": \"\"}");
	lacks(doc, "<a ");
	jt_free(doc);

	doc = ok_render("confirm.html", "{\"danger\": true, \"button\": \"Delete\"}");
	contains(doc, "class=\"danger\">Delete</button>");
	jt_free(doc);
	doc = ok_render("confirm.html", "{\"danger\": false, \"button\": \"Go\"}");
	contains(doc, "class=\"primary\">Go</button>");
	jt_free(doc);
}

TEST(dotted_names)
{
	char *doc = ok_render("account.html", "{\"user\": {\"email\": \"a<b>@x\", \"admin\": true}, "
					      "\"name\": \"N\"}");
	contains(doc, "<dt>Email</dt><dd>a&lt;b&gt;@x</dd>");
	contains(doc, "<dd>Instance administrator</dd>");
	jt_free(doc);

	doc = ok_render("account.html", "{\"user\": {\"email\": \"e\", \"admin\": false}}");
	contains(doc, "<dt>Role</dt><dd>User</dd>");
	jt_free(doc);

	/* A missing or non-object intermediate gives nothing. */
	doc = ok_render("account.html", "{\"user\": \"e\"}");
	contains(doc, "<dt>Email</dt><dd></dd>");
	contains(doc, "<dt>Role</dt><dd>User</dd>");
	jt_free(doc);
	doc = ok_render("account.html", "{}");
	contains(doc, "<dt>Email</dt><dd></dd>");
	contains(doc, "<dt>Role</dt><dd>User</dd>");
	jt_free(doc);
	/* A name with a dot is a path, not a key. */
	doc = ok_render("account.html", "{\"user.email\": \"flat\"}");
	contains(doc, "<dt>Email</dt><dd></dd>");
	jt_free(doc);

	/* Deeper paths and lists under them. */
	doc = ok_render("app.html", "{\"app\": {\"name\": \"A\", \"id\": 7, \"access_ttl\": 900, "
				    "\"redirect_uris\": [\"https://a.example/cb\", \"https://b/<x>\"]}}");
	contains(doc, "<h1>A</h1>");
	contains(doc, "<dd>900 s</dd>");
	contains(doc, "href=\"/console/apps/7/delete\"");
	contains(doc, "<dd><code>https://a.example/cb</code><br><code>https://b/&lt;x&gt;</code><br></dd>");
	lacks(doc, "none</span>");
	jt_free(doc);
}

TEST(dot_is_the_current_element)
{
	char *doc = ok_render("app.html", "{\"app\": {\"redirect_uris\": []}}");
	contains(doc, "<dt>Redirect URIs</dt><dd><span class=\"muted\">none</span></dd>");
	jt_free(doc);

	doc = ok_render("app.html", "{\"app\": {\"redirect_uris\": [\"x\", 3, true, null, {}]}}");
	contains(doc, "<dd><code>x</code><br><code>3</code><br><code>true</code><br>"
		      "<code></code><br><code></code><br></dd>");
	jt_free(doc);

	/* {{#.}} inside a list of objects: the object itself. */
	doc = ok_render("secret.html", "{\"details\": [{\"label\": \"Client ID\", \"value\": \"c<1>\"}, "
				       "{\"label\": \"L2\", \"value\": \"v2\"}], \"secret\": \"s\"}");
	contains(doc, "<dt>Client ID</dt><dd><code>c&lt;1&gt;</code></dd>");
	contains(doc, "<dt>L2</dt><dd><code>v2</code></dd>");
	contains(doc, "<code id=\"secret\">s</code>");
	jt_free(doc);
	/* An object section: rendered once, inside it. */
	doc = ok_render("secret.html", "{\"details\": {\"label\": \"One\", \"value\": \"1\"}}");
	CHECK_EQ_INT(occurrences(doc, "<dl class=\"facts\">"), 1);
	contains(doc, "<dt>One</dt><dd><code>1</code></dd>");
	jt_free(doc);
}

TEST(lists_render_per_element)
{
	char *doc = ok_render("consent.html",
			      "{\"app\": \"App\", \"scopes\": ["
			      "{\"name\": \"read_content\", \"description\": \"Read\"},"
			      "{\"name\": \"write_content\", \"description\": \"W<rite>\"}],"
			      "\"has_spaces\": true, \"spaces\": [{\"id\": 1, \"name\": \"S1\", \"role\": \"admin\"},"
			      "{\"id\": 2, \"name\": \"S2\", \"role\": \"viewer\"}],"
			      "\"hidden\": [{\"name\": \"state\", \"value\": \"a\\\"b\"}],"
			      "\"user\": {\"email\": \"u@x\"}}");
	contains(doc, "<li>Read <code class=\"muted\">read_content</code></li>"
		      "<li>W&lt;rite&gt; <code class=\"muted\">write_content</code></li>");
	contains(doc, "<option value=\"1\">S1 (admin)</option><option value=\"2\">S2 (viewer)</option>");
	contains(doc, "<input type=\"hidden\" name=\"state\" value=\"a&quot;b\">");
	contains(doc, "Signed in as u@x.");
	CHECK_EQ_INT(occurrences(doc, "value=\"allow\""), 1);
	lacks(doc, "not a member");
	jt_free(doc);

	doc = ok_render("consent.html", "{\"has_spaces\": false, \"spaces\": []}");
	contains(doc, "You are not a member of any space");
	lacks(doc, "<select");
	lacks(doc, "value=\"allow\"");
	jt_free(doc);
}

TEST(lookup_falls_back_to_outer_contexts)
{
	/* csrf is only at the top; each user row still gets it. A row's own
	 * value hides the outer one. */
	char *doc = ok_render("users.html",
			      "{\"csrf\": \"TOP\", \"users\": ["
			      "{\"id\": 1, \"email\": \"a@x\", \"admin\": true, \"status\": \"active\"},"
			      "{\"id\": 2, \"email\": \"b@x\", \"admin\": false, \"csrf\": \"ROW\"},"
			      "{\"id\": 3, \"email\": \"c@x\", \"self\": true}]}");
	contains(doc, "action=\"/console/users/1\" class=\"inline\"><input type=\"hidden\" "
		      "name=\"csrf\" value=\"TOP\">");
	contains(doc, "action=\"/console/users/2\" class=\"inline\"><input type=\"hidden\" "
		      "name=\"csrf\" value=\"ROW\">");
	lacks(doc, "/console/users/3\"");
	CHECK_EQ_INT(occurrences(doc, "<span class=\"muted\">you</span>"), 1);
	CHECK_EQ_INT(occurrences(doc, "value=\"unadmin\""), 1);
	CHECK_EQ_INT(occurrences(doc, "value=\"admin\" class=\"small\">Make admin"), 1);
	/* User 1's three forms (role, password reset, two-factor reset) and
	 * the add-user form after the list see the top-level csrf; user 2's
	 * three forms see its own. */
	CHECK_EQ_INT(occurrences(doc, "value=\"TOP\""), 4);
	CHECK_EQ_INT(occurrences(doc, "value=\"ROW\""), 3);
	jt_free(doc);

	/* Dotted names fall back too ({{space.id}} inside a member), and
	 * sections nest: has_members > members > can_manage > roles > selected. */
	doc = ok_render("space.html",
			"{\"space\": {\"id\": 9, \"name\": \"Sp\"}, \"csrf\": \"C\", \"can_manage\": true,"
			"\"has_members\": true, \"members\": [{\"user_id\": 4, \"email\": \"m@x\", \"roles\": ["
			"{\"name\": \"viewer\", \"selected\": false}, {\"name\": \"admin\", \"selected\": true}]}]}");
	contains(doc, "<form method=\"post\" action=\"/console/spaces/9/members\" class=\"inline\">");
	contains(doc, "<select id=\"role-4\" name=\"role\"><option value=\"viewer\">viewer</option>"
		      "<option value=\"admin\" selected>admin</option></select>");
	contains(doc, "action=\"/console/spaces/9/members/4/remove\"");
	contains(doc, "<h2>Add a member</h2>");
	jt_free(doc);

	/* The same page for a viewer: the inverted section shows the role. */
	doc = ok_render("space.html",
			"{\"space\": {\"id\": 9}, \"has_members\": true, "
			"\"members\": [{\"user_id\": 4, \"email\": \"m@x\", \"role\": \"editor\"}]}");
	contains(doc, "<td data-label=\"Role\">editor</td>");
	lacks(doc, "<form");
	lacks(doc, "Add a member");
	jt_free(doc);
}

TEST(inverted_sections)
{
	char *doc = ok_render("spaces.html", "{\"has_spaces\": false, \"user\": {\"admin\": true}}");
	contains(doc, "There are no spaces yet.");
	lacks(doc, "You are not a member");
	contains(doc, "<h2>Create a space</h2>");
	jt_free(doc);
	doc = ok_render("spaces.html", "{\"user\": {\"admin\": false}}");
	contains(doc, "You are not a member of any space yet.");
	lacks(doc, "Create a space");
	jt_free(doc);
	/* An inverted section over a non-empty list renders nothing. */
	doc = ok_render("spaces.html", "{\"has_spaces\": true, \"spaces\": [{\"id\": 1, \"name\": \"A\"},"
				       "{\"id\": 2, \"name\": \"B\", \"role\": \"admin\"}]}");
	contains(doc, "<td data-label=\"Your role\"><span class=\"muted\">none</span></td>");
	contains(doc, "<td data-label=\"Your role\">admin</td>");
	lacks(doc, "class=\"empty\"");
	jt_free(doc);
}

TEST(non_object_data)
{
	enum jt_status st;
	char *doc = render("message.html", NULL, &st);
	CHECK_EQ_INT(st, JT_OK);
	contains(doc, "<h1></h1>");
	jt_free(doc);
	doc = ok_render("message.html", "[1, 2]");
	contains(doc, "<h1></h1>");
	jt_free(doc);
	doc = ok_render("message.html", "\"heading\"");
	contains(doc, "<h1></h1>");
	jt_free(doc);
}

TEST(unknown_template)
{
	struct html h;
	html_init(&h);
	CHECK_EQ_INT(template_render(&h, "nope.html", NULL), JT_ENOTFOUND);
	CHECK(h.failed);
	html_free(&h);
	html_init(&h);
	CHECK_EQ_INT(template_render(&h, "message", NULL), JT_ENOTFOUND);
	CHECK(h.failed);
	html_free(&h);
	html_init(&h);
	CHECK_EQ_INT(template_render(&h, "", NULL), JT_ENOTFOUND);
	CHECK(h.failed);
	size_t len = 1;
	CHECK(html_take(&h, &len) == NULL);
	CHECK_EQ_INT(len, 0);
}

TEST(appends_to_what_is_there)
{
	struct html h;
	size_t len;
	cJSON *data = cJSON_Parse("{\"heading\": \"H\"}");
	html_init(&h);
	html_raw(&h, "<!-- before -->");
	CHECK_EQ_INT(template_render(&h, "message.html", data), JT_OK);
	html_text(&h, "<after>");
	char *doc = html_take(&h, &len);
	CHECK(doc && strncmp(doc, "<!-- before --><section", 23) == 0);
	CHECK(doc && len > 13 && strcmp(doc + len - 13, "&lt;after&gt;") == 0);
	jt_free(doc);
	cJSON_Delete(data);
}

TEST(too_large_output_fails)
{
	/* HTML_MAX_BYTES of '&' escape to five times as much. */
	size_t n = HTML_MAX_BYTES / 4;
	char *big = malloc(n + 1);
	if (!CHECK(big != NULL))
		return;
	memset(big, '&', n);
	big[n] = '\0';
	cJSON *data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "message", big);
	struct html h;
	size_t len = 1;
	html_init(&h);
	CHECK_EQ_INT(template_render(&h, "message.html", data), JT_EINVAL);
	CHECK(h.failed);
	CHECK(html_take(&h, &len) == NULL);
	CHECK_EQ_INT(len, 0);
	cJSON_Delete(data);
	free(big);
}

TEST(allocation_failure_fails)
{
	cJSON *data = cJSON_Parse("{\"heading\": \"H\", \"message\": \"M\"}");
	struct html h;
	size_t len = 1;
	html_init(&h);
	jt_mem_fail_after(1);
	enum jt_status st = template_render(&h, "message.html", data);
	jt_mem_fail_after(0);
	CHECK_EQ_INT(st, JT_EINVAL);
	CHECK(h.failed);
	CHECK(html_take(&h, &len) == NULL);
	cJSON_Delete(data);
}

TEST(every_template_renders_with_empty_data)
{
	static const char *const names[] = {
		"account.html", "app.html", "app_new.html", "apps.html", "audit.html",
		"confirm.html", "consent.html", "layout.html", "login.html", "message.html",
		"secret.html", "space.html", "spaces.html", "tokens.html", "users.html",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *doc = ok_render(names[i], "{}");
		if (!CHECK(doc && !strstr(doc, "{{") && !strstr(doc, "}}")))
			fprintf(stderr, "  template %s\n", names[i]);
		jt_free(doc);
	}
}

int main(void)
{
	RUN(message_renders_exactly);
	RUN(values_are_escaped);
	RUN(values_are_not_templates);
	RUN(raw_values_are_not_escaped);
	RUN(scalars_format);
	RUN(sections_follow_truthiness);
	RUN(dotted_names);
	RUN(dot_is_the_current_element);
	RUN(lists_render_per_element);
	RUN(lookup_falls_back_to_outer_contexts);
	RUN(inverted_sections);
	RUN(non_object_data);
	RUN(unknown_template);
	RUN(appends_to_what_is_there);
	RUN(too_large_output_fails);
	RUN(allocation_failure_fails);
	RUN(every_template_renders_with_empty_data);
	return check_summary(__FILE__);
}
