/* SPDX-License-Identifier: MIT */
/* Apps, the OAuth clients jeton knows: the rules an app must meet, the
 * grant types and redirect URIs it may use, registering one and giving it
 * a new secret. One set of rules for every surface that manages apps (the
 * API, the console, the CLI) and for the OAuth endpoints that serve them.
 *
 * grant_type.c    grant type names, and those an app may use
 * redirect_uri.c  which redirect URIs an app may register; matching them
 * register.c      defaults, validation, client ids and secrets */
#ifndef JETON_APP_H
#define JETON_APP_H
#include <stdbool.h>
#include <stddef.h>
#include "store/store.h"
#include "token/token.h"

/* The OAuth 2.0 grant types jeton implements (RFC 6749), as bits. */
enum grant_type {
	GRANT_AUTHORIZATION_CODE = 1u << 0,
	GRANT_REFRESH_TOKEN = 1u << 1,
	GRANT_CLIENT_CREDENTIALS = 1u << 2,
	GRANT_DEVICE_CODE = 1u << 3, /* RFC 8628, urn:ietf:params:oauth:grant-type:device_code */
};
#define GRANT_ALL                                                                                  \
	(GRANT_AUTHORIZATION_CODE | GRANT_REFRESH_TOKEN | GRANT_CLIENT_CREDENTIALS |               \
	 GRANT_DEVICE_CODE)

/* ---- grant_type.c ---- */

/* Parses a list of grant type names separated by spaces or commas into
 * bits; JT_EINVAL for a name that is not one. */
enum jt_status grant_type_parse(const char *s, unsigned *out);
/* The names of the grant types in grants, separated by spaces. */
void grant_type_format(unsigned grants, char *out, size_t out_len);
/* The grant types an app may use (0 if its record's list does not parse). */
unsigned app_grant_types(const struct app *a);

/* ---- redirect_uri.c ---- */

/* An absolute redirect URI an app may register: https, http on a loopback
 * host, or a private-use scheme (com.example.app:/cb); no fragment, no
 * wildcard, no user info, at most LIMIT_URI_BYTES. */
bool redirect_uri_valid(const char *uri);
/* True if uri is byte-for-byte one of the app's registered URIs. */
bool redirect_uri_registered(const struct app *a, const char *uri);
/* Writes the app's only registered URI into out; false if it has none or
 * several, or when it does not fit. */
bool redirect_uri_single(const struct app *a, char *out, size_t out_len);

/* ---- register.c ---- */

/* True if the app's access tokens are JWTs. */
bool app_uses_jwt(const struct app *a);
/* Of the scopes granted (space-separated names), those the app may still
 * ask for: narrowing an app narrows what it was granted. 0 if either list
 * cannot be read. */
uint64_t app_scopes_within(const struct app *a, const char *granted);

#define CLIENT_ID_CHARS 24

/* Fills the defaults of a new app: 900 s access tokens, 30-day refresh
 * tokens rotated on use, opaque format, scope read_content. */
void app_defaults(struct app *a);
/* Checks an app against the rules (redirect URIs for the code grant, no
 * client_credentials for public apps, TTL ranges, ...). On failure writes
 * a sentence for a person into why and returns JT_EINVAL. */
enum jt_status app_validate(const struct app *a, char *why, size_t why_len);
/* Gives a (validated) app a client_id and, unless public, a secret which
 * is written into secret ("" for public apps); stores it. */
enum jt_status app_register(struct store *st, struct app *a, char secret[TOKEN_LEN + 1]);
/* Replaces a confidential app's secret; JT_ECONFLICT for a public app. */
enum jt_status app_new_secret(struct store *st, struct app *a, char secret[TOKEN_LEN + 1]);
/* Adds uri to the newline-separated list; JT_ETOOBIG past the limits. */
enum jt_status app_add_redirect(struct app *a, const char *uri);

#endif
