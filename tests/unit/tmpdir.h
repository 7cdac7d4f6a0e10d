/* SPDX-License-Identifier: MIT */
/* A scratch directory under /tmp for tests that touch files, removed with
 * everything in it afterwards. */
#ifndef JETON_TMPDIR_H
#define JETON_TMPDIR_H
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tmpdir {
	char path[64];
};

static inline bool tmpdir_make(struct tmpdir *d)
{
	snprintf(d->path, sizeof d->path, "/tmp/jeton-unit-XXXXXX");
	if (!mkdtemp(d->path)) {
		perror("mkdtemp");
		return false;
	}
	return true;
}

/* Writes "<dir>/<name>" into out. */
static inline const char *tmpdir_file(const struct tmpdir *d, const char *name, char *out,
				      size_t out_len)
{
	snprintf(out, out_len, "%s/%s", d->path, name);
	return out;
}

/* Removes the files in the directory (it has no subdirectories), then it. */
static inline void tmpdir_remove(struct tmpdir *d)
{
	DIR *dir = opendir(d->path);
	if (dir) {
		struct dirent *e;
		char file[512];
		while ((e = readdir(dir)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(file, sizeof file, "%s/%s", d->path, e->d_name);
			unlink(file);
		}
		closedir(dir);
	}
	if (rmdir(d->path) != 0)
		perror("rmdir");
}

#endif
