/* SPDX-License-Identifier: MIT */
/* The project-wide result code. Every fallible function returns one; results
 * come back through out-parameters. A status becomes an HTTP status in one
 * place only, http_status_of() in src/http/reply.c: handlers pass a status
 * (and a sentence) to the reply functions, never an error code of their own.
 * Protocol answers (RFC 6749's error codes, RFC 6750's challenges) name
 * their error but take their HTTP status from the same table. */
#ifndef JETON_STATUS_H
#define JETON_STATUS_H

enum jt_status {
	JT_OK = 0,
	JT_ENOMEM,     /* an allocation failed */
	JT_EINVAL,     /* the input is malformed or out of range */
	JT_ENOTFOUND,  /* no such record */
	JT_ECONFLICT,  /* a unique value is taken, or the record is in the wrong state */
	JT_ETOOBIG,    /* the input is over its limit */
	JT_ESTORE,     /* the store failed or is unreachable */
	JT_ECHECKSUM,  /* a token's checksum does not match: a typo or a truncated paste */
	JT_EIO,        /* a system call failed */
	JT_EAUTH,      /* the credentials are missing or wrong: no one is signed in */
	JT_EDENIED,    /* the caller is known but may not do this */
	JT_ETHROTTLED, /* too many attempts: wait before the next one */
};

/* A short, static, English name for a status, for logs. */
const char *jt_status_str(enum jt_status st);

#endif
