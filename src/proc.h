/* proc.h - per-process facts kept by user space: executable paths, container ids. */
#ifndef MW_PROC_H
#define MW_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The whole of a file whose size stat() does not tell (/proc, /sys), in a
 * malloc'd buffer with a NUL after its *len bytes; NULL with errno set. */
char *mw_read_file(const char *path, size_t *len);

/* Remember the executable path of process pid (replacing an older one). */
void mw_proc_set_exe(uint32_t pid, const char *path);

/* Executable path of pid: the one the kernel sent, else /proc/PID/exe read
 * now (cached), else NULL. The string stays valid until the next call that
 * changes pid's entry. */
const char *mw_proc_exe(uint32_t pid);

/* Forget pid's executable (its process record was lost): the next
 * mw_proc_exe reads /proc/PID/exe. */
void mw_proc_forget(uint32_t pid);

/* Drop every cached entry (used at exit, so leak checkers stay quiet). */
void mw_proc_clear(void);

/* Extract a container id (64 hex digits, or the id part of a podman/cri-o
 * scope) from a cgroup path such as
 * "/system.slice/docker-<id>.scope" or "/kubepods/.../cri-containerd-<id>.scope".
 * Writes at most 64 hex digits + NUL into out (65 bytes). Returns 0 when one
 * was found, -1 otherwise. */
int mw_container_id_from_cgroup(const char *cgpath, char out[65]);

/* Whether a cgroup's name (len bytes, not NUL-terminated) is a container
 * monitor's own scope (podman's libpod-conmon-<id>.scope, CRI-O's
 * crio-conmon-<id>.scope): its processes are not in the container. */
bool mw_cgroup_is_conmon(const char *name, size_t len);

/* Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or
 * /sys/fs/cgroup/unified on hybrid systems), from /proc/self/mountinfo;
 * "/sys/fs/cgroup" if none is found. */
const char *mw_cgroup2_root(void);

/* The mount point of the first cgroup2 file system in mountinfo text
 * (/proc/self/mountinfo's format; lines over 1023 bytes are skipped) into
 * out. Returns 0, or -1 when there is none. */
int mw_mountinfo_cgroup2(const char *text, size_t len, char *out, size_t outlen);

/* Container id of the cgroup with this id (cgroup v2 inode number = kernfs
 * node id). Cached (negative answers too) in a bounded set-associative
 * cache; a miss opens the cgroup by file handle (no tree walk), or where
 * that is refused walks the tree at most once a second, caching every
 * cgroup it sees. NULL when the cgroup names no container. The string
 * stays valid until the entry is evicted (many later new ids). */
const char *mw_container_of_cgroup(uint64_t cgid);

/* The path of the cgroup (v2) with this id, as /proc/self/fd shows it
 * (mount point included), opened by file handle. Returns 1 with the path in
 * out, 0 when there is no such cgroup (any more), -1 when handles cannot be
 * used here (no CAP_DAC_READ_SEARCH). */
int mw_cgroup_path(uint64_t id, char *out, size_t outlen);

/* What the container-id cache did (for tests and --stats -v). */
struct mw_cg_stats {
	uint64_t hits, misses, evictions, walks;
};
void mw_cgroup_cache_stats(struct mw_cg_stats *st);
/* A SysV shared memory segment as /proc/sysvipc/shm shows it. */
struct mw_shm_info {
	int key, cpid;
	unsigned perms, uid, cuid;
	uint64_t size;
};

/* Look up segment shmid in /proc/sysvipc/shm (mapwatch's ipc namespace).
 * Returns 0 and fills *out, or -1 when it is not there (gone, or another
 * namespace's). */
int mw_shm_info(int shmid, struct mw_shm_info *out);

#endif
