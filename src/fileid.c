/* fileid.c - a file's identity as the kernel names it (fileid.h). */
#include "fileid.h"

#include <errno.h>
#include <string.h>
#include <sys/sysmacros.h>

uint32_t mw_kdev(uint64_t dev)
{
	return mw_kdev_make(major(dev), minor(dev));
}

int mw_path_key(const char *path, struct mw_inode_key *k, struct stat *st)
{
	struct stat s;

	if (!path || !*path) {
		errno = ENOENT;
		return -1;
	}
	if (stat(path, &s))
		return -1;
	memset(k, 0, sizeof(*k));
	k->ino = s.st_ino;
	k->dev = mw_kdev(s.st_dev);
	if (st)
		*st = s;
	return 0;
}
