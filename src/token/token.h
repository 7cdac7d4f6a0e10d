/* SPDX-License-Identifier: MIT */
/* Opaque tokens and scopes.
 *
 * format.c: a token is a type prefix ("jtp_" ...), TOKEN_RANDOM_CHARS of
 * base62 randomness (190 bits) and a TOKEN_CHECKSUM_CHARS base62 CRC32 of
 * what precedes it, so a typo or a truncated paste is refused without a
 * store look-up and secret scanners can find leaked tokens. Only the
 * SHA-256 of a token is ever stored.
 *
 * scope.c: scopes are a fixed set of names held as a bit set. */
#ifndef JETON_TOKEN_H
#define JETON_TOKEN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/status.h"

#define TOKEN_TYPE_CHARS     4  /* "jtp_" */
#define TOKEN_RANDOM_CHARS   32 /* 32 * log2(62) = 190 bits */
#define TOKEN_CHECKSUM_CHARS 6  /* 62^6 > 2^32 */
#define TOKEN_LEN            (TOKEN_TYPE_CHARS + TOKEN_RANDOM_CHARS + TOKEN_CHECKSUM_CHARS)
#define TOKEN_DISPLAY_CHARS  8  /* shown in lists: "jtp_AbC1" */

enum token_kind {
	TOKEN_NONE = 0,
	TOKEN_PAT,          /* jtp_: personal access token */
	TOKEN_ACCESS,       /* jto_: OAuth access token */
	TOKEN_REFRESH,      /* jtr_: OAuth refresh token */
	TOKEN_CLIENT,       /* jtc_: client-credentials access token */
	TOKEN_SECRET,       /* jts_: client secret */
	TOKEN_CODE,         /* jtk_: authorization code */
};

/* Writes a fresh token of the given kind and a NUL into out. */
void token_generate(enum token_kind kind, char out[TOKEN_LEN + 1]);

/* Checks the shape and checksum of s (s_len bytes, no NUL needed).
 * JT_EINVAL: not a jeton token (length, prefix, characters);
 * JT_ECHECKSUM: shaped like one but the checksum does not match. */
enum jt_status token_parse(const char *s, size_t s_len, enum token_kind *kind);
/* The shape alone (JT_OK or JT_EINVAL, as token_parse): for the
 * verification cache, whose entries are tokens whose checksum was checked
 * (a token with the same SHA-256 is the same token). */
enum jt_status token_shape(const char *s, size_t s_len, enum token_kind *kind);

/* The name of a kind for JSON ("pat", "oauth", ...). */
const char *token_kind_name(enum token_kind kind);

/* Scopes, as bits of a uint64_t. */
enum scope {
	SCOPE_READ_CONTENT  = 1u << 0,
	SCOPE_WRITE_CONTENT = 1u << 1,
	SCOPE_MANAGE_SPACE  = 1u << 2,
	SCOPE_MANAGE_TOKENS = 1u << 3,
	SCOPE_MANAGE_USERS  = 1u << 4,
	SCOPE_MANAGE_APPS   = 1u << 5,
	SCOPE_REPORT_LEAKS  = 1u << 6, /* report leaked tokens: POST /v1/token_leaks */
};
#define SCOPE_COUNT 7
#define SCOPE_ALL   ((1u << SCOPE_COUNT) - 1)
/* Scopes a space role can grant; the others are instance-wide. */
#define SCOPE_SPACE_SCOPES (SCOPE_READ_CONTENT | SCOPE_WRITE_CONTENT | SCOPE_MANAGE_SPACE)

/* Parses a space-separated list. JT_EINVAL for an unknown name; an empty
 * list gives 0. */
enum jt_status scope_parse(const char *s, size_t s_len, uint64_t *out);

/* The bit for one name, or 0 if unknown. */
uint64_t scope_from_name(const char *s, size_t s_len);

/* The name of a single bit. */
const char *scope_name(uint64_t bit);
/* What a single bit allows, in words for a consent page. */
const char *scope_description(uint64_t bit);

/* Writes the set as a space-separated list in canonical order; out_len of
 * LIMIT_SCOPES_BYTES is always enough. */
void scope_format(uint64_t set, char *out, size_t out_len);

#endif
