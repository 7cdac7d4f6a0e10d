/* SPDX-License-Identifier: MIT */
/* Every limit jeton puts on untrusted input or on its own resources, in one
 * place so they can be read and reviewed together. */
#ifndef JETON_LIMITS_H
#define JETON_LIMITS_H

/* HTTP */
#define LIMIT_BODY_BYTES        (64 * 1024) /* API request body; larger gets 413 */
#define LIMIT_SECRET_BODY_BYTES (64 * 1024) /* a JSON response that holds a secret */
#define LIMIT_URL_BYTES         2048        /* request target; longer gets 414 */
#define LIMIT_HEADER_BYTES      8192        /* all request headers together; more gets 431 */
#define LIMIT_CONN_MEMORY       (24 * 1024) /* libmicrohttpd per-connection pool: request line,
					     * headers, their index, the response head; holds
					     * the longest URL and 8 KiB of headers in up to
					     * LIMIT_HEADER_LINES lines. The library zeroes it
					     * for every request: no larger than that */
#define LIMIT_HEADER_LINES      200         /* header lines served with the longest URL and
					     * 8 KiB of headers (more may get 431) */
#define LIMIT_CONNECTIONS       4096        /* open connections on one node */
#define LIMIT_CONNECTIONS_PER_IP 1024       /* open connections from one address */
#define LIMIT_IDLE_SECONDS      30          /* idle or stalled connection is closed after this */
#define LIMIT_HEAD_SECONDS      10          /* request line and headers, in all: from the connection's
					     * start or the previous response; then it is closed */
#define LIMIT_BODY_SECONDS      20          /* the whole body, from the end of the headers */
#define LIMIT_CONNECTIONS_SPARE 256         /* past LIMIT_CONNECTIONS minus this, a new connection
					     * closes the one that has waited longest for its client */
#define LIMIT_FDS_RESERVED      256         /* descriptors kept for all but connections (store, logs) */
#define LIMIT_SHUTDOWN_SECONDS  5           /* SIGTERM: the process exits within this */
#define LIMIT_SHUTDOWN_CLOSE_MS 1000        /* of it, kept for the slow work in hand and
					     * for closing the store */
#define LIMIT_RESPONSE_HEADERS  12          /* extra headers one response may set */
#define LIMIT_ROUTE_PARAMS      4           /* {placeholders} in one route */
#define LIMIT_TRUSTED_PROXIES   32          /* --trusted-proxy CIDRs */
#define LIMIT_TLS_FILE_BYTES    (256 * 1024) /* --tls-cert or --tls-key file */
#define LIMIT_TLS_CHAIN         16          /* certificates in --tls-cert's chain */

/* Identities and names (bytes, excluding the terminating NUL) */
#define LIMIT_EMAIL_BYTES       254         /* RFC 5321 path limit */
#define LIMIT_NAME_CHARS        100         /* token, user and space names, in characters */
#define LIMIT_NAME_BYTES        (LIMIT_NAME_CHARS * 4)
#define LIMIT_PASSWORD_MIN      12          /* bytes */
#define LIMIT_PASSWORD_MAX      1024        /* bytes; argon2id input is bounded too */
#define LIMIT_PASSWORD_HASH     128         /* argon2id encoded string (libsodium's STRBYTES) */
#define LIMIT_SCOPES_BYTES      512         /* space-separated scope list */
#define LIMIT_IP_BYTES          45          /* textual IPv6 */

/* OAuth */
#define LIMIT_URI_BYTES         512         /* one redirect URI */
#define LIMIT_REDIRECT_URIS     10          /* redirect URIs of one app */
#define LIMIT_REDIRECT_URIS_BYTES (LIMIT_REDIRECT_URIS * (LIMIT_URI_BYTES + 1))
#define LIMIT_STATE_BYTES       512         /* the client's state, returned untouched */
#define LIMIT_PKCE_MIN          43          /* RFC 7636 §4.1 verifier and challenge length */
#define LIMIT_PKCE_MAX          128
#define LIMIT_CODE_SECONDS      60          /* authorization code lifetime */
#define LIMIT_ACCESS_TTL_MAX    7776000     /* 90 days, as Beyond Identity's */
#define LIMIT_REFRESH_TTL_MAX   (366 * 86400)
#define LIMIT_DEFAULT_ACCESS_TTL 900        /* seconds; the seeds show expires_in 899 */
#define LIMIT_DEFAULT_REFRESH_TTL (30 * 86400)
/* A rotated refresh token gets the same successor again for this long. */
#define LIMIT_DEFAULT_REFRESH_GRACE 30
#define LIMIT_REFRESH_GRACE_MAX   300
/* The longest a rotated personal access token keeps working beside its successor. */
#define LIMIT_PAT_OVERLAP_MAX     (7 * 86400)
#define LIMIT_USER_TOKEN_TTL    3600        /* the password form of client_credentials */
#define LIMIT_CLIENT_ID_BYTES   48
#define LIMIT_FORM_VALUE_BYTES  4096        /* any one form field */
#define LIMIT_JWT_BYTES         4096        /* a JWT access token, RS256 with a long issuer */
#define LIMIT_JTI_CHARS         22          /* a JWT's jti: base62, 131 bits of randomness */
#define LIMIT_ISSUER_BYTES      512         /* --issuer: it is in every JWT twice (iss, aud) */
#define LIMIT_SIGNING_KEYS      64          /* published keys held at once */

/* Sessions and logins */
#define LIMIT_LOGIN_FREE_FAILS  3           /* an account's failures before each attempt waits */
#define LIMIT_LOGIN_DELAY_MAX_SECONDS 300   /* ... 1, 2, 4 ... s after the last failure, at most this */
#define LIMIT_LOGIN_CLEAN_PASSES 10         /* attempts let past an account's wait from addresses
					     * without failures, until its failures are forgotten */
#define LIMIT_LOGIN_FAILS_ADDRESS 20        /* failures per source address per window */
#define LIMIT_LOGIN_WINDOW_SECONDS 900      /* an address's window; an account's failures are
					     * forgotten this long after its last one */
#define LIMIT_THROTTLE_SLOTS    4096        /* tracked accounts, addresses, (account, address) pairs */

/* Lists */
#define LIMIT_PAGE_DEFAULT      25
#define LIMIT_PAGE_MAX          100
#define LIMIT_GRANT_TOKENS      10000       /* a user's tokens read to list their authorized apps */
#define LIMIT_DEVICE_PENDING    1000        /* an app's device sign-ins running at once: more is
					     * answered slow_down (anyone may ask for a public
					     * client) */
#define LIMIT_SPACES_PER_USER   1000        /* memberships loaded into one principal */

/* Verification cache */
#define LIMIT_CACHE_SLOTS       65536       /* verified tokens held in memory (power of two) */
#define LIMIT_CACHE_TTL_MS      1000        /* an entry is reloaded from the store after this */
#define LIMIT_LAST_USED_SECONDS 60          /* last-use times are written at most this often */

/* Store */
#define LIMIT_STORE_BUSY_MS     5000        /* SQLite waits this long for a write lock */
#define LIMIT_WAL_RESTART_BYTES (16 * 1024 * 1024) /* SQLite: the WAL starts over from its beginning
						     * once a commit leaves it this large */
#define LIMIT_WAL_BYTES         (64 * 1024 * 1024) /* SQLite: the -wal file stays under this
						     * (documented bound; the restart keeps it near the size above) */
#define LIMIT_DISK_RESERVE_BYTES (8 * 1024 * 1024) /* SQLite: <store>.reserve, released when the disk
						     * is full so that revocations still commit */
#define LIMIT_PG_CONNECT_SECONDS 2          /* libpq connect_timeout unless the location sets one */
#define LIMIT_PG_STATEMENT_MS   2000        /* statement_timeout and lock_timeout of a session */
#define LIMIT_PG_WAIT_MS        2500        /* client-side wait for any reply; then reset */
#define LIMIT_PURGE_BATCH       1000        /* rows a purge deletes in one transaction */
#define LIMIT_RECLAIM_PAGES     256         /* SQLite pages (1 MiB) given back per transaction */
#define LIMIT_PG_MIGRATE_MS     600000      /* a migration, or waiting for another node's */
#define LIMIT_PG_LISTEN_PING_MS 5000        /* the connection hearing other nodes' changes is
					     * pinged this often: a dead one is replaced */
#define LIMIT_PG_LISTEN_RETRY_MS 5000       /* ... reconnecting after 0.1, 0.2, 0.4 ... s, at most this */

/* Logs */
#define LIMIT_LOG_REPEAT_SECONDS 10         /* a repeated warning or error: one line per interval */

/* The configuration file (--config) */
#define LIMIT_CONFIG_BYTES      (64 * 1024) /* the whole file; a larger one is refused */
#define LIMIT_CONFIG_LINE_BYTES 4096        /* one line, its newline excluded (a long
					     * PostgreSQL location fits) */

#endif
