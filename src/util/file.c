/* SPDX-License-Identifier: MIT */
#include "util/file.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum jt_status file_read_all(const char *path, size_t max, char **out, size_t *len, struct stat *sb,
			     char *why, size_t why_len)
{
	enum jt_status st = JT_OK;
	char *buf = NULL;
	size_t n = 0;
	/* O_NONBLOCK: a FIFO given by mistake is refused below, not waited on. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	*out = NULL;
	*len = 0;
	if (fd < 0) {
		snprintf(why, why_len, "cannot open it: %s", strerror(errno));
		return JT_EIO;
	}
	if (fstat(fd, sb) != 0 || !S_ISREG(sb->st_mode)) {
		snprintf(why, why_len, "not a regular file");
		st = JT_EINVAL;
		goto out;
	}
	buf = jt_alloc(max + 1);
	if (!buf) {
		snprintf(why, why_len, "out of memory");
		st = JT_ENOMEM;
		goto out;
	}
	/* To the end, whatever stat said: the file may be rewritten meanwhile. */
	for (;;) {
		ssize_t got = read(fd, buf + n, max + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(why, why_len, "cannot read it: %s", strerror(errno));
			st = JT_EIO;
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > max) {
			snprintf(why, why_len, "larger than %zu bytes", max);
			st = JT_EINVAL;
			goto out;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
out:
	if (buf) {
		explicit_bzero(buf, n); /* it may hold a key */
		jt_free(buf);
	}
	close(fd);
	return st;
}
