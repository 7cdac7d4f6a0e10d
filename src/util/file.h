/* SPDX-License-Identifier: MIT */
/* Reading a small file an operator names (a certificate, a key, the
 * configuration) whole, bounded, and never waiting on a FIFO. */
#ifndef JETON_FILE_H
#define JETON_FILE_H
#include <stddef.h>
#include <sys/stat.h>
#include "util/status.h"

/* Reads the regular file at path, at most max bytes, into *out (jt_alloc,
 * with a NUL after its *len bytes), which the caller wipes and frees; *sb
 * is the file's stat. On failure *out is NULL and why holds the reason,
 * without the path ("not a regular file", "larger than 65536 bytes",
 * "cannot open it: No such file or directory"): JT_EIO when it cannot be
 * opened or read, JT_EINVAL when it is not a regular file or too large,
 * JT_ENOMEM. */
enum jt_status file_read_all(const char *path, size_t max, char **out, size_t *len, struct stat *sb,
			     char *why, size_t why_len);

#endif
