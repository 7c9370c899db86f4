/* fileid.h - a file's identity as the kernel names it: the kernel's dev_t encoding, and the (device, inode) key of a path. */
#ifndef MW_FILEID_H
#define MW_FILEID_H

#include <stdint.h>
#include <sys/stat.h>
#include "filter_abi.h"

/*
 * The kernel's own dev_t (what the BPF side reads from an inode or a
 * super block, and what include/ calls "kernel encoding"): the major number
 * in the 12 high bits, the minor in the 20 low ones. User space's dev_t
 * (stat's st_dev and st_rdev, /proc/PID/maps) is another encoding:
 * convert with mw_kdev() or mw_kdev_make().
 */
#define MW_KDEV_MINOR_BITS 20
#define MW_KDEV_MINOR_MASK ((1u << MW_KDEV_MINOR_BITS) - 1)

/* Kernel encoding of major:minor. */
static inline uint32_t mw_kdev_make(unsigned major, unsigned minor)
{
	return (uint32_t)major << MW_KDEV_MINOR_BITS | (minor & MW_KDEV_MINOR_MASK);
}

static inline unsigned mw_kdev_major(uint32_t kdev)
{
	return kdev >> MW_KDEV_MINOR_BITS;
}

static inline unsigned mw_kdev_minor(uint32_t kdev)
{
	return kdev & MW_KDEV_MINOR_MASK;
}

/* Kernel encoding of a user-space dev_t. */
uint32_t mw_kdev(uint64_t dev);

/* The identity of path, followed through symbolic links as stat(2) does:
 * its inode and device (kernel encoding), as the BPF maps of --exe, --path
 * and --allow hold them. A directory's key stands for everything below it
 * where the kernel side walks up the tree (--allow, --path). Fills *k, and
 * *st when st is not NULL. Returns 0, or -1 with the errno of stat (NULL
 * and "" give ENOENT). */
int mw_path_key(const char *path, struct mw_inode_key *k, struct stat *st);

#endif
