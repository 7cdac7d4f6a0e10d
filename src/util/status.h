/* SPDX-License-Identifier: MIT */
/* The project-wide result code. Every fallible function returns one; results
 * come back through out-parameters. Only src/http/reply.c turns a status into
 * an HTTP status and an OAuth error code. */
#ifndef JETON_STATUS_H
#define JETON_STATUS_H

enum jt_status {
	JT_OK = 0,
	JT_ENOMEM,      /* an allocation failed */
	JT_EINVAL,      /* the input is malformed or out of range */
	JT_ENOTFOUND,   /* no such record */
	JT_ECONFLICT,   /* a unique value is taken, or the record is in the wrong state */
	JT_ETOOBIG,     /* the input is over its limit */
	JT_ESTORE,      /* the store failed or is unreachable */
	JT_ECHECKSUM,   /* a token's checksum does not match: a typo or a truncated paste */
	JT_EIO,         /* a system call failed */
};

/* A short, static, English name for a status, for logs. */
const char *jt_status_str(enum jt_status st);

#endif
