/* SPDX-License-Identifier: MIT */
/* Every limit jeton puts on untrusted input or on its own resources, in one
 * place so they can be read and reviewed together. */
#ifndef JETON_LIMITS_H
#define JETON_LIMITS_H

/* HTTP */
#define LIMIT_BODY_BYTES        (64 * 1024) /* API request body; larger gets 413 */
#define LIMIT_URL_BYTES         2048        /* request target; longer gets 414 */
#define LIMIT_HEADER_BYTES      8192        /* all request headers together; more gets 431 */
#define LIMIT_CONN_MEMORY       (32 * 1024) /* libmicrohttpd per-connection pool: request line + headers + buffers */
#define LIMIT_CONNECTIONS       4096        /* open connections on one node */
#define LIMIT_CONNECTIONS_PER_IP 1024       /* open connections from one address */
#define LIMIT_IDLE_SECONDS      30          /* idle or stalled connection is closed after this */
#define LIMIT_SHUTDOWN_SECONDS  5           /* SIGTERM: time given to in-flight requests */
#define LIMIT_RESPONSE_HEADERS  8           /* extra headers one response may set */
#define LIMIT_ROUTE_PARAMS      4           /* {placeholders} in one route */

/* Identities and names (bytes, excluding the terminating NUL) */
#define LIMIT_EMAIL_BYTES       254         /* RFC 5321 path limit */
#define LIMIT_NAME_CHARS        100         /* token, user and space names, in characters */
#define LIMIT_NAME_BYTES        (LIMIT_NAME_CHARS * 4)
#define LIMIT_PASSWORD_MIN      12          /* bytes */
#define LIMIT_PASSWORD_MAX      1024        /* bytes; argon2id input is bounded too */
#define LIMIT_PASSWORD_HASH     128         /* argon2id encoded string (libsodium's STRBYTES) */
#define LIMIT_SCOPES_BYTES      512         /* space-separated scope list */
#define LIMIT_IP_BYTES          45          /* textual IPv6 */

/* Lists */
#define LIMIT_PAGE_DEFAULT      25
#define LIMIT_PAGE_MAX          100
#define LIMIT_SPACES_PER_USER   1000        /* memberships loaded into one principal */

/* Verification cache */
#define LIMIT_CACHE_SLOTS       65536       /* verified tokens held in memory (power of two) */
#define LIMIT_CACHE_TTL_MS      1000        /* an entry is reloaded from the store after this */
#define LIMIT_LAST_USED_SECONDS 60          /* last-use times are written at most this often */

/* Store */
#define LIMIT_STORE_BUSY_MS     5000        /* SQLite waits this long for a write lock */

#endif
