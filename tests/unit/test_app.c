/* SPDX-License-Identifier: MIT */
/* src/app: grant type lists, redirect URI rules, the rules an app must meet;
 * src/http/form.c: http_url_add. */
#include "check.h"
#include "app/app.h"
#include "http/http.h"
#include "keys/keys.h"
#include "util/limits.h"

#include <stdlib.h>
#include <string.h>

/* ---- grants ---- */

static void parses(const char *s, unsigned want)
{
	unsigned got = 12345;
	if (!CHECK_EQ_INT(grant_type_parse(s, &got), JT_OK) || !CHECK_EQ_INT(got, want))
		fprintf(stderr, "  \"%s\"\n", s);
}

static void refuses_grants(const char *s)
{
	unsigned got;
	if (!CHECK_EQ_INT(grant_type_parse(s, &got), JT_EINVAL))
		fprintf(stderr, "  \"%s\"\n", s);
}

TEST(grant_type_parse_lists)
{
	parses("", 0);
	parses(" ", 0);
	parses(",, ,", 0);
	parses("authorization_code", GRANT_AUTHORIZATION_CODE);
	parses("refresh_token", GRANT_REFRESH_TOKEN);
	parses("client_credentials", GRANT_CLIENT_CREDENTIALS);
	parses("authorization_code refresh_token", GRANT_AUTHORIZATION_CODE | GRANT_REFRESH_TOKEN);
	parses("authorization_code,refresh_token,client_credentials,device_code", GRANT_ALL);
	parses(" client_credentials ,  authorization_code ",
	       GRANT_CLIENT_CREDENTIALS | GRANT_AUTHORIZATION_CODE);
	parses("refresh_token refresh_token", GRANT_REFRESH_TOKEN);

	refuses_grants("password");
	refuses_grants("implicit");
	refuses_grants("Authorization_code");
	refuses_grants("authorization_code refresh");
	refuses_grants("authorization_codes");
	refuses_grants("authorization");
	refuses_grants("authorization_code;refresh_token");
	refuses_grants("authorization_code\trefresh_token");
	refuses_grants("authorization_code\nrefresh_token");
	refuses_grants("urn:ietf:params:oauth:grant-type:device_code");
}

TEST(grant_type_format_round_trip)
{
	char out[96];
	grant_type_format(0, out, sizeof out);
	CHECK_EQ_STR(out, "");
	grant_type_format(GRANT_CLIENT_CREDENTIALS, out, sizeof out);
	CHECK_EQ_STR(out, "client_credentials");
	grant_type_format(GRANT_ALL, out, sizeof out);
	CHECK_EQ_STR(out, "authorization_code refresh_token client_credentials device_code");
	grant_type_format(GRANT_REFRESH_TOKEN | GRANT_CLIENT_CREDENTIALS, out, sizeof out);
	CHECK_EQ_STR(out, "refresh_token client_credentials");
	/* Unknown bits are ignored. */
	grant_type_format(GRANT_AUTHORIZATION_CODE | (1u << 10), out, sizeof out);
	CHECK_EQ_STR(out, "authorization_code");
	for (unsigned g = 0; g <= GRANT_ALL; g++) {
		unsigned back = 99;
		grant_type_format(g, out, sizeof out);
		CHECK_EQ_INT(grant_type_parse(out, &back), JT_OK);
		CHECK_EQ_INT(back, g);
	}
	/* A small buffer: still a string, never overrun. */
	char small[12];
	memset(small, 'X', sizeof small);
	grant_type_format(GRANT_ALL, small, sizeof small);
	CHECK(memchr(small, '\0', sizeof small) != NULL);
	/* app_grant_types. */
	struct app a;
	app_defaults(&a);
	snprintf(a.grants, sizeof a.grants, "authorization_code refresh_token");
	CHECK_EQ_INT(app_grant_types(&a), GRANT_AUTHORIZATION_CODE | GRANT_REFRESH_TOKEN);
	snprintf(a.grants, sizeof a.grants, "authorization_code password");
	CHECK_EQ_INT(app_grant_types(&a), 0);
}

/* ---- redirect URIs ---- */

static void valid(const char *uri)
{
	if (!CHECK(redirect_uri_valid(uri)))
		fprintf(stderr, "  refused \"%s\"\n", uri);
}

static void invalid(const char *uri)
{
	if (!CHECK(!redirect_uri_valid(uri)))
		fprintf(stderr, "  accepted \"%s\"\n", uri);
}

TEST(redirect_https_anywhere)
{
	valid("https://app.example/cb");
	valid("https://app.example");
	valid("https://app.example:8443/oauth/callback?x=1&y=2");
	valid("https://app.example/cb?next=%2Fhome");
	valid("https://[2001:db8::1]/cb");
	valid("https://192.0.2.1/cb");
	valid("https://localhost/cb");
	valid("https://app.example/a@b"); /* '@' in the path is not user info */
	valid("https://app.example/cb?u=a@b");
}

TEST(redirect_http_only_on_loopback)
{
	valid("http://localhost/cb");
	valid("http://localhost:8080/cb");
	valid("http://localhost");
	valid("http://127.0.0.1/cb");
	valid("http://127.0.0.1:53111/callback?x=1");
	valid("http://[::1]/cb");
	valid("http://[::1]:8080/cb");
	valid("http://localhost?x=1");

	invalid("http://app.example/cb");
	invalid("http://localhost.app.example/cb");
	invalid("http://127.0.0.1.nip.io/cb");
	invalid("http://127.0.0.2/cb");
	invalid("http://10.0.0.1/cb");
	invalid("http://[::2]/cb");
	invalid("http://[::1/cb");
	invalid("http://[::1");
	invalid("http://0.0.0.0/cb");
	invalid("http://evil.example#localhost");
	invalid("http://evil.example/?localhost");
	invalid("http://evil.example/localhost");
}

TEST(redirect_private_schemes)
{
	valid("com.example.app:/callback");
	valid("com.example.app:/");
	valid("com.example.app://callback");
	valid("net.app-1+x.y:/cb");

	invalid("myapp:/callback");     /* no dot: not reverse-DNS */
	invalid("com.example.app:");    /* nothing after the scheme */
	invalid("javascript:alert(1)");
	invalid("data:text/html,x");
	invalid("file:///etc/passwd");
	invalid("Com.Example.App:/cb"); /* schemes in lower case */
	invalid(".example.app:/cb");
	invalid("1com.example:/cb");
	invalid("com.exa_mple:/cb");
}

TEST(redirect_refusals)
{
	invalid("");
	invalid("/relative/cb");
	invalid("app.example/cb");
	invalid(":/cb");
	invalid("https:/app.example/cb");
	invalid("https:app.example/cb");
	invalid("https://");
	invalid("https:///cb");
	invalid("https://:443/cb");
	invalid("HTTPS://app.example/cb");
	invalid("ftp://app.example/cb");
	/* Fragments and wildcards. */
	invalid("https://app.example/cb#");
	invalid("https://app.example/cb#frag");
	invalid("https://*.app.example/cb");
	invalid("https://app.example/*");
	invalid("com.example.app:/cb#x");
	/* User info. */
	invalid("https://user@app.example/cb");
	invalid("https://user:pass@app.example/cb");
	invalid("https://app.example@evil.example/cb");
	invalid("http://localhost@evil.example/cb");
	invalid("http://localhost:80@evil.example/cb");
	invalid("http://127.0.0.1@evil.example/");
	invalid("http://[::1]@evil.example/");
	invalid("https://@app.example/cb");
	/* Spaces, control characters, backslashes, non-ASCII. */
	invalid("https://app.example/c b");
	invalid(" https://app.example/cb");
	invalid("https://app.example/cb ");
	invalid("https://app.example/cb\t");
	invalid("https://app.example/cb\r\nX: y");
	invalid("https://app.example\\@evil.example/cb");
	invalid("https://app.example/\\cb");
	invalid("http://localhost\\@evil.example/");
	invalid("https://app.example/\x7f");
	invalid("https://app.ex\xc3\xa4mple/cb");
}

TEST(redirect_length_limit)
{
	char uri[LIMIT_URI_BYTES + 8];
	const char *prefix = "https://app.example/";
	size_t p = strlen(prefix);
	memcpy(uri, prefix, p);
	memset(uri + p, 'a', LIMIT_URI_BYTES - p);
	uri[LIMIT_URI_BYTES] = '\0';
	CHECK_EQ_INT(strlen(uri), 512);
	valid(uri);
	uri[LIMIT_URI_BYTES] = 'a';
	uri[LIMIT_URI_BYTES + 1] = '\0';
	invalid(uri);
	char *huge = malloc(100000);
	if (huge) {
		memcpy(huge, prefix, p);
		memset(huge + p, 'a', 100000 - p - 1);
		huge[99999] = '\0';
		invalid(huge);
		free(huge);
	}
}

TEST(redirect_registered_is_an_exact_match)
{
	struct app a;
	app_defaults(&a);
	snprintf(a.redirect_uris, sizeof a.redirect_uris,
		 "https://app.example/cb\nhttp://localhost:8080/cb\ncom.example.app:/cb");
	CHECK(redirect_uri_registered(&a, "https://app.example/cb"));
	CHECK(redirect_uri_registered(&a, "http://localhost:8080/cb"));
	CHECK(redirect_uri_registered(&a, "com.example.app:/cb"));

	CHECK(!redirect_uri_registered(&a, ""));
	CHECK(!redirect_uri_registered(&a, "https://app.example/cb/"));
	CHECK(!redirect_uri_registered(&a, "https://app.example/c"));
	CHECK(!redirect_uri_registered(&a, "https://app.example/cbx"));
	CHECK(!redirect_uri_registered(&a, "https://APP.example/cb"));
	CHECK(!redirect_uri_registered(&a, "https://app.example/cb?x=1"));
	CHECK(!redirect_uri_registered(&a, "https://app.example/cb#"));
	CHECK(!redirect_uri_registered(&a, "https://app.example:443/cb"));
	CHECK(!redirect_uri_registered(&a, "https://app.example/%63b"));
	CHECK(!redirect_uri_registered(&a, "http://localhost:8081/cb"));
	CHECK(!redirect_uri_registered(&a, "http://localhost/cb"));
	CHECK(!redirect_uri_registered(&a, "https://app.example/cb\nhttp://localhost:8080/cb"));
	CHECK(!redirect_uri_registered(&a, "http://localhost:8080/cb\n"));
	CHECK(!redirect_uri_registered(&a, "com.example.app:/cb\n"));
	CHECK(!redirect_uri_registered(&a, "cb"));

	/* An app with none matches nothing. */
	app_defaults(&a);
	CHECK(!redirect_uri_registered(&a, ""));
	CHECK(!redirect_uri_registered(&a, "https://app.example/cb"));
}

TEST(redirect_single)
{
	struct app a;
	char out[LIMIT_URI_BYTES + 1];
	app_defaults(&a);
	CHECK(!redirect_uri_single(&a, out, sizeof out));
	CHECK_EQ_INT(app_add_redirect(&a, "https://app.example/cb"), JT_OK);
	CHECK(redirect_uri_single(&a, out, sizeof out));
	CHECK_EQ_STR(out, "https://app.example/cb");
	char tiny[8];
	CHECK(!redirect_uri_single(&a, tiny, sizeof tiny));
	CHECK_EQ_INT(app_add_redirect(&a, "https://app.example/two"), JT_OK);
	CHECK_EQ_STR(a.redirect_uris, "https://app.example/cb\nhttps://app.example/two");
	CHECK(!redirect_uri_single(&a, out, sizeof out));
	CHECK(redirect_uri_registered(&a, "https://app.example/two"));
}

TEST(add_redirect_limits)
{
	struct app a;
	char uri[LIMIT_URI_BYTES + 2];
	app_defaults(&a);
	for (int i = 0; i < LIMIT_REDIRECT_URIS; i++) {
		snprintf(uri, sizeof uri, "https://app.example/%d", i);
		CHECK_EQ_INT(app_add_redirect(&a, uri), JT_OK);
	}
	CHECK_EQ_INT(app_add_redirect(&a, "https://app.example/one-more"), JT_ETOOBIG);
	CHECK(!redirect_uri_registered(&a, "https://app.example/one-more"));
	CHECK(redirect_uri_registered(&a, "https://app.example/9"));
	/* The longest URIs, as many as allowed, fit. */
	app_defaults(&a);
	memset(uri, 'a', LIMIT_URI_BYTES);
	memcpy(uri, "https://app.example/", 20);
	uri[LIMIT_URI_BYTES] = '\0';
	for (int i = 0; i < LIMIT_REDIRECT_URIS; i++) {
		uri[LIMIT_URI_BYTES - 1] = (char)('0' + i);
		CHECK_EQ_INT(app_add_redirect(&a, uri), JT_OK);
	}
	CHECK(strlen(a.redirect_uris) < sizeof a.redirect_uris);
	/* One byte too long. */
	app_defaults(&a);
	memset(uri, 'a', LIMIT_URI_BYTES + 1);
	memcpy(uri, "https://app.example/", 20);
	uri[LIMIT_URI_BYTES + 1] = '\0';
	CHECK_EQ_INT(app_add_redirect(&a, uri), JT_ETOOBIG);
	CHECK_EQ_STR(a.redirect_uris, "");
}

/* ---- app rules ---- */

/* A valid confidential app with the code grant. */
static void base_app(struct app *a)
{
	app_defaults(a);
	snprintf(a->name, sizeof a->name, "Test app");
	snprintf(a->grants, sizeof a->grants, "authorization_code refresh_token");
	snprintf(a->redirect_uris, sizeof a->redirect_uris, "https://app.example/cb");
}

static bool app_ok(const struct app *a, const char *what)
{
	char why[256] = "untouched";
	bool ok = CHECK_EQ_INT(app_validate(a, why, sizeof why), JT_OK);
	if (!ok)
		fprintf(stderr, "  %s: %s\n", what, why);
	return ok;
}

static bool app_refused(const struct app *a, const char *what)
{
	char why[256] = "";
	bool ok = CHECK_EQ_INT(app_validate(a, why, sizeof why), JT_EINVAL) && CHECK(why[0] != '\0');
	if (!ok)
		fprintf(stderr, "  %s\n", what);
	return ok;
}

TEST(app_defaults_are_as_documented)
{
	struct app a;
	memset(&a, 0x5a, sizeof a);
	app_defaults(&a);
	CHECK_EQ_INT(a.access_ttl, 900);
	CHECK_EQ_INT(a.refresh_ttl, 30 * 86400);
	CHECK(a.rotate_refresh);
	CHECK_EQ_STR(a.token_format, "opaque");
	CHECK_EQ_STR(a.scopes, "read_content");
	CHECK_EQ_STR(a.name, "");
	CHECK_EQ_STR(a.redirect_uris, "");
	CHECK(!a.public_client);
	CHECK(!app_uses_jwt(&a));
}

TEST(app_valid_shapes)
{
	struct app a;
	base_app(&a);
	app_ok(&a, "code + refresh");
	a.public_client = true;
	app_ok(&a, "public code + refresh");

	app_defaults(&a);
	snprintf(a.name, sizeof a.name, "Machine");
	snprintf(a.grants, sizeof a.grants, "client_credentials");
	app_ok(&a, "client_credentials without redirect URIs");

	base_app(&a);
	snprintf(a.grants, sizeof a.grants, "authorization_code");
	snprintf(a.redirect_uris, sizeof a.redirect_uris,
		 "https://app.example/cb\nhttp://127.0.0.1:8080/cb\ncom.example.app:/cb");
	snprintf(a.scopes, sizeof a.scopes, "read_content write_content manage_space");
	app_ok(&a, "several URIs and scopes");

	base_app(&a);
	snprintf(a.token_format, sizeof a.token_format, "jwt");
	CHECK(app_uses_jwt(&a));
	app_ok(&a, "jwt");
}

TEST(app_code_grant_needs_a_redirect_uri)
{
	struct app a;
	base_app(&a);
	a.redirect_uris[0] = '\0';
	app_refused(&a, "code grant, no redirect URI");
	snprintf(a.grants, sizeof a.grants, "authorization_code client_credentials");
	app_refused(&a, "code + client_credentials, no redirect URI");
}

TEST(app_redirect_uris_are_checked)
{
	static const char *const bad[] = {
		"http://app.example/cb",
		"https://app.example/cb#x",
		"https://*.app.example/cb",
		"https://user@app.example/cb",
		"https://app.example/cb\n\nhttps://b.example/cb",
		"\nhttps://app.example/cb",
		"https://app.example/cb\nmyapp:/cb",
		"https://app.example/c b",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct app a;
		base_app(&a);
		snprintf(a.redirect_uris, sizeof a.redirect_uris, "%s", bad[i]);
		app_refused(&a, bad[i]);
	}
	/* A URI over 512 bytes. */
	struct app a;
	base_app(&a);
	memset(a.redirect_uris, 'a', LIMIT_URI_BYTES + 1);
	memcpy(a.redirect_uris, "https://app.example/", 20);
	a.redirect_uris[LIMIT_URI_BYTES + 1] = '\0';
	app_refused(&a, "513-byte redirect URI");
	a.redirect_uris[LIMIT_URI_BYTES] = '\0';
	app_ok(&a, "512-byte redirect URI");
	/* Checked for client_credentials apps too. */
	app_defaults(&a);
	snprintf(a.name, sizeof a.name, "Machine");
	snprintf(a.grants, sizeof a.grants, "client_credentials");
	snprintf(a.redirect_uris, sizeof a.redirect_uris, "http://evil.example/");
	app_refused(&a, "client_credentials with a bad redirect URI");
}

TEST(app_grant_rules)
{
	struct app a;
	base_app(&a);
	a.public_client = true;
	snprintf(a.grants, sizeof a.grants, "client_credentials");
	app_refused(&a, "public + client_credentials");
	snprintf(a.grants, sizeof a.grants, "authorization_code client_credentials");
	app_refused(&a, "public + code + client_credentials");

	base_app(&a);
	snprintf(a.grants, sizeof a.grants, "refresh_token");
	app_refused(&a, "refresh without code");
	snprintf(a.grants, sizeof a.grants, "refresh_token client_credentials");
	app_refused(&a, "refresh + client_credentials without code");
	snprintf(a.grants, sizeof a.grants, "%s", "");
	app_refused(&a, "no grants");
	snprintf(a.grants, sizeof a.grants, "password");
	app_refused(&a, "unknown grant");
	snprintf(a.grants, sizeof a.grants, "authorization_code implicit");
	app_refused(&a, "a known and an unknown grant");
}

TEST(app_name_and_scopes)
{
	struct app a;
	base_app(&a);
	a.name[0] = '\0';
	app_refused(&a, "no name");
	snprintf(a.name, sizeof a.name, "   ");
	app_refused(&a, "blank name");
	snprintf(a.name, sizeof a.name, "a\x01");
	app_refused(&a, "control character in the name");
	base_app(&a);
	a.scopes[0] = '\0';
	app_refused(&a, "no scopes");
	snprintf(a.scopes, sizeof a.scopes, "read_content admin");
	app_refused(&a, "unknown scope");
}

TEST(app_ttl_ranges)
{
	static const struct {
		int64_t access, refresh;
		bool ok;
	} cases[] = {
		{60, 0, true},
		{59, 0, false},
		{0, 0, false},
		{-1, 0, false},
		{LIMIT_ACCESS_TTL_MAX, 0, true},
		{LIMIT_ACCESS_TTL_MAX + 1, 0, false},
		{INT64_MAX, 0, false},
		{INT64_MIN, 0, false},
		{900, LIMIT_REFRESH_TTL_MAX, true},
		{900, LIMIT_REFRESH_TTL_MAX + 1, false},
		{900, -1, false},
		{900, INT64_MIN, false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct app a;
		base_app(&a);
		a.access_ttl = cases[i].access;
		a.refresh_ttl = cases[i].refresh;
		char what[96];
		snprintf(what, sizeof what, "access_ttl %lld, refresh_ttl %lld",
			 (long long)cases[i].access, (long long)cases[i].refresh);
		if (cases[i].ok)
			app_ok(&a, what);
		else
			app_refused(&a, what);
	}
}

TEST(app_token_format)
{
	static const char *const bad[] = {"", "JWT", "Opaque", "jwt ", "paseto", "opaque\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct app a;
		base_app(&a);
		snprintf(a.token_format, sizeof a.token_format, "%s", bad[i]);
		app_refused(&a, bad[i]);
	}
	/* JWT access tokens live at most a day; opaque ones may live longer. */
	struct app a;
	base_app(&a);
	snprintf(a.token_format, sizeof a.token_format, "jwt");
	a.access_ttl = KEYS_JWT_TTL_MAX;
	app_ok(&a, "jwt, 86400 s");
	a.access_ttl = KEYS_JWT_TTL_MAX + 1;
	app_refused(&a, "jwt, 86401 s");
	snprintf(a.token_format, sizeof a.token_format, "opaque");
	app_ok(&a, "opaque, 86401 s");
}

/* ---- http_url_add ---- */

TEST(url_add_separators)
{
	char url[256] = "https://app.example/cb";
	CHECK(http_url_add(url, sizeof url, "code", "abc"));
	CHECK_EQ_STR(url, "https://app.example/cb?code=abc");
	CHECK(http_url_add(url, sizeof url, "state", "xyz"));
	CHECK_EQ_STR(url, "https://app.example/cb?code=abc&state=xyz");
	snprintf(url, sizeof url, "https://app.example/cb?keep=1");
	CHECK(http_url_add(url, sizeof url, "code", "c"));
	CHECK_EQ_STR(url, "https://app.example/cb?keep=1&code=c");
	snprintf(url, sizeof url, "https://app.example/cb?");
	CHECK(http_url_add(url, sizeof url, "a", "b"));
	CHECK_EQ_STR(url, "https://app.example/cb?&a=b");
	snprintf(url, sizeof url, "com.example.app:/cb");
	CHECK(http_url_add(url, sizeof url, "error", "access_denied"));
	CHECK_EQ_STR(url, "com.example.app:/cb?error=access_denied");
	/* An empty value. */
	snprintf(url, sizeof url, "https://a/");
	CHECK(http_url_add(url, sizeof url, "state", ""));
	CHECK_EQ_STR(url, "https://a/?state=");
}

TEST(url_add_percent_encodes)
{
	char url[512] = "https://a/";
	CHECK(http_url_add(url, sizeof url, "v", "AZaz09-._~"));
	CHECK_EQ_STR(url, "https://a/?v=AZaz09-._~");
	snprintf(url, sizeof url, "https://a/");
	CHECK(http_url_add(url, sizeof url, "v", " !\"#$%&'()*+,/:;<=>?@[\\]^`{|}"));
	CHECK_EQ_STR(url, "https://a/?v=%20%21%22%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3C%3D%3E%3F"
			  "%40%5B%5C%5D%5E%60%7B%7C%7D");
	snprintf(url, sizeof url, "https://a/");
	CHECK(http_url_add(url, sizeof url, "v", "\xc3\xa9\x01\x7f\xff\n"));
	CHECK_EQ_STR(url, "https://a/?v=%C3%A9%01%7F%FF%0A");
	/* Round trip through http_form_decode. */
	const char *value = "a b&c=d%e+f/\xe2\x9c\x93";
	snprintf(url, sizeof url, "https://a/");
	CHECK(http_url_add(url, sizeof url, "v", value));
	char decoded[64];
	const char *q = strstr(url, "v=");
	if (CHECK(q)) {
		CHECK_EQ_INT(http_form_decode(q + 2, strlen(q + 2), decoded, sizeof decoded), JT_OK);
		CHECK_EQ_STR(decoded, value);
	}
}

TEST(url_add_fits_or_fails)
{
	/* Exactly fitting: 10 + "?k=" + 3 escapes = 22 bytes, 23 with NUL. */
	char url[64];
	snprintf(url, sizeof url, "https://a/");
	CHECK(http_url_add(url, 23, "k", "   "));
	CHECK_EQ_STR(url, "https://a/?k=%20%20%20");
	snprintf(url, sizeof url, "https://a/");
	CHECK(http_url_add(url, 17, "k", "abc"));
	CHECK_EQ_STR(url, "https://a/?k=abc");

	/* One byte short, at each stage: false, and url unchanged. */
	static const struct {
		size_t len;
		const char *value;
	} cases[] = {
		{22, "   "}, {16, "abc"}, {13, "abc"}, {12, "abc"}, {11, "abc"}, {15, "abc"},
		{20, "   "}, {14, " "},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(url, 'X', sizeof url);
		memcpy(url, "https://a/", 11);
		bool ok = http_url_add(url, cases[i].len, "k", cases[i].value);
		CHECK(!ok);
		if (!CHECK(memchr(url, '\0', cases[i].len) != NULL))
			fprintf(stderr, "  url_len %zu, value \"%s\": no NUL within the buffer: "
					"\"%.*s\"\n",
				cases[i].len, cases[i].value, (int)cases[i].len, url);
		else if (!CHECK_EQ_STR(url, "https://a/"))
			fprintf(stderr, "  url_len %zu, value \"%s\"\n", cases[i].len, cases[i].value);
		/* Nothing written past url_len. */
		for (size_t j = cases[i].len; j < sizeof url; j++)
			if (!CHECK_EQ_INT(url[j], 'X'))
				break;
	}
}

int main(void)
{
	RUN(grant_type_parse_lists);
	RUN(grant_type_format_round_trip);
	RUN(redirect_https_anywhere);
	RUN(redirect_http_only_on_loopback);
	RUN(redirect_private_schemes);
	RUN(redirect_refusals);
	RUN(redirect_length_limit);
	RUN(redirect_registered_is_an_exact_match);
	RUN(redirect_single);
	RUN(add_redirect_limits);
	RUN(app_defaults_are_as_documented);
	RUN(app_valid_shapes);
	RUN(app_code_grant_needs_a_redirect_uri);
	RUN(app_redirect_uris_are_checked);
	RUN(app_grant_rules);
	RUN(app_name_and_scopes);
	RUN(app_ttl_ranges);
	RUN(app_token_format);
	RUN(url_add_separators);
	RUN(url_add_percent_encodes);
	RUN(url_add_fits_or_fails);
	return check_summary(__FILE__);
}
