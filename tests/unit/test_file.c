/* SPDX-License-Identifier: MIT */
/* src/util/file.c: a file read whole and bounded; what is not a regular
 * file or is too large is refused, a FIFO without waiting for a writer. */
#include "check.h"
#include "util/file.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/jeton-file-XXXXXX";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

TEST(reads_a_file_whole_with_a_nul_after_it)
{
	char path[64], why[128], *text = NULL;
	size_t len = 0;
	struct stat sb;
	snprintf(path, sizeof path, "%s/ok", dir);
	write_file(path, "listen = 127.0.0.1:8080\n");
	if (CHECK_EQ_INT(file_read_all(path, 64, &text, &len, &sb, why, sizeof why), JT_OK)) {
		CHECK_EQ_INT((int)len, 24);
		CHECK_EQ_STR(text, "listen = 127.0.0.1:8080\n");
		CHECK(S_ISREG(sb.st_mode));
	}
	jt_free(text);
	/* exactly the bound is read; one byte more is refused */
	CHECK_EQ_INT(file_read_all(path, 24, &text, &len, &sb, why, sizeof why), JT_OK);
	jt_free(text);
	CHECK_EQ_INT(file_read_all(path, 23, &text, &len, &sb, why, sizeof why), JT_EINVAL);
	CHECK(text == NULL);
	CHECK_EQ_STR(why, "larger than 23 bytes");
}

TEST(refuses_what_is_not_a_regular_file)
{
	char path[64], why[128], *text = NULL;
	size_t len = 0;
	struct stat sb;
	snprintf(path, sizeof path, "%s/fifo", dir);
	CHECK_EQ_INT(mkfifo(path, 0600), 0);
	/* no writer: opening it must not wait for one */
	CHECK_EQ_INT(file_read_all(path, 64, &text, &len, &sb, why, sizeof why), JT_EINVAL);
	CHECK_EQ_STR(why, "not a regular file");
	CHECK_EQ_INT(file_read_all(dir, 64, &text, &len, &sb, why, sizeof why), JT_EINVAL);
	snprintf(path, sizeof path, "%s/missing", dir);
	CHECK_EQ_INT(file_read_all(path, 64, &text, &len, &sb, why, sizeof why), JT_EIO);
	CHECK_EQ_STR(why, "cannot open it: No such file or directory");
	CHECK(text == NULL);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	RUN(reads_a_file_whole_with_a_nul_after_it);
	RUN(refuses_what_is_not_a_regular_file);
	char path[64];
	snprintf(path, sizeof path, "%s/ok", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/fifo", dir);
	unlink(path);
	rmdir(dir);
	return check_summary(__FILE__);
}
