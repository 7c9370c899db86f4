/* proc.c - caches of per-process facts (executable path), filled from kernel records or /proc. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "proc.h"

/* Direct-mapped by pid; a collision evicts the other process (its path is
 * read again from /proc if it is still needed). Entries go when a process's
 * exit record comes. Small on purpose: a table sized for every possible pid
 * grew mapwatch's RSS page by page as pids advanced. */
#define SLOTS 8192

struct slot {
	uint32_t pid;
	char *exe;
};

static struct slot slots[SLOTS];

void mw_proc_set_exe(uint32_t pid, const char *path)
{
	struct slot *s = &slots[pid % SLOTS];
	char *copy = strdup(path);

	if (!copy)
		return;
	free(s->exe);
	s->pid = pid;
	s->exe = copy;
}

void mw_proc_forget(uint32_t pid)
{
	struct slot *s = &slots[pid % SLOTS];

	if (s->pid == pid) {
		free(s->exe);
		s->exe = NULL;
		s->pid = 0;
	}
}

const char *mw_proc_exe(uint32_t pid)
{
	struct slot *s = &slots[pid % SLOTS];
	char link[64], buf[PATH_MAX];
	ssize_t n;

	if (s->exe && s->pid == pid)
		return s->exe;
	snprintf(link, sizeof(link), "/proc/%u/exe", pid);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	mw_proc_set_exe(pid, buf);
	return s->exe && s->pid == pid ? s->exe : NULL;
}

int mw_mountinfo_cgroup2(const char *text, size_t len, char *out, size_t outlen)
{
	const char *s = text, *end = text + len;

	while (s < end) {
		/* id parent maj:min root mountpoint options... - fstype source opts */
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)((nl ? nl : end) - s);
		char line[1024], mnt[512], fstype[64];
		const char *dash;

		if (n < sizeof(line) && outlen) {
			memcpy(line, s, n);
			line[n] = 0;
			dash = strstr(line, " - ");
			if (dash && sscanf(dash + 3, "%63s", fstype) == 1 && !strcmp(fstype, "cgroup2") &&
			    sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1) {
				snprintf(out, outlen, "%s", mnt);
				return 0;
			}
		}
		s = nl ? nl + 1 : end;
	}
	return -1;
}

const char *mw_cgroup2_root(void)
{
	static char root[512];
	static char text[1 << 16];
	size_t n;
	FILE *f;

	if (root[0])
		return root;
	strcpy(root, "/sys/fs/cgroup");
	f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return root;
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	if (mw_mountinfo_cgroup2(text, n, root, sizeof(root)))
		strcpy(root, "/sys/fs/cgroup");
	return root;
}

/* Container ids by cgroup id: a 4-way set-associative cache of 1024
 * entries (negative answers too), hashed on the whole id so that ids equal
 * modulo a power of two do not evict each other. A miss is resolved without
 * walking the tree: the cgroup id is the kernfs node id, which names the
 * directory as a file handle (FILEID_KERNFS) for open_by_handle_at(); the
 * path is then read back from /proc/self/fd. Where handles cannot be used
 * (no CAP_DAC_READ_SEARCH), one walk of the tree fills the cache with every
 * cgroup at once, repeated at most once a second for ids still unknown. */
#define CG_SETS 256
#define CG_WAYS 4
#define FILEID_KERNFS 0xfe

struct cg_entry {
	uint64_t id;      /* 0: empty */
	uint64_t used;    /* cg_clock at the last hit: the oldest way is replaced */
	char cid[65];     /* "" when none (or the cgroup is gone) */
};

static struct cg_entry cg_tab[CG_SETS][CG_WAYS];
static uint64_t cg_clock;
static int cg_root_fd = -2;   /* -2: not opened yet, -1: cannot be opened */
static bool cg_no_handles;    /* open_by_handle_at refused: walk instead */
static struct timespec cg_last_walk;
static struct mw_cg_stats cg_stats;

static struct cg_entry *cg_find(uint64_t id, bool *hit)
{
	struct cg_entry *set = cg_tab[(id * 0x9E3779B97F4A7C15ull) >> 56];
	struct cg_entry *victim = &set[0];

	for (int w = 0; w < CG_WAYS; w++) {
		if (set[w].id == id) {
			*hit = true;
			set[w].used = ++cg_clock;
			return &set[w];
		}
		if (set[w].used < victim->used)
			victim = &set[w];
	}
	*hit = false;
	if (victim->id)
		cg_stats.evictions++;
	victim->id = id;
	victim->used = ++cg_clock;
	victim->cid[0] = 0;
	return victim;
}

static void cg_store(uint64_t id, const char *path)
{
	bool hit;
	struct cg_entry *e = cg_find(id, &hit);

	if (!path || mw_container_id_from_cgroup(path, e->cid))
		e->cid[0] = 0;
}

int mw_cgroup_path(uint64_t id, char *out, size_t outlen)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh = { .handle_bytes = sizeof(uint64_t), .handle_type = FILEID_KERNFS }, .id = id };
	char link[64];
	ssize_t n;
	int fd;

	if (cg_root_fd == -2)
		cg_root_fd = open(mw_cgroup2_root(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_root_fd < 0 || outlen < 2)
		return -1;
	fd = open_by_handle_at(cg_root_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ESTALE || errno == ENOENT || errno == ENOTDIR)
			return 0; /* removed, or not a cgroup of this hierarchy */
		return -1; /* EPERM (no CAP_DAC_READ_SEARCH), EOPNOTSUPP, ... */
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, outlen - 1);
	close(fd);
	if (n <= 0)
		return 0;
	out[n] = 0;
	return 1;
}

/* Resolve id through a file handle: 1 resolved (cached), 0 not a cgroup
 * any more (cached as none), -1 handles unusable here. */
static int cg_by_handle(uint64_t id)
{
	char path[PATH_MAX];
	int rc = mw_cgroup_path(id, path, sizeof(path));

	if (rc >= 0)
		cg_store(id, rc ? path : NULL);
	return rc;
}

static int cg_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_D)
		cg_store((uint64_t)st->st_ino, path);
	return 0;
}

/* Fallback: one walk caches every cgroup of the tree. */
static void cg_walk(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (cg_last_walk.tv_sec && now.tv_sec - cg_last_walk.tv_sec < 1)
		return; /* at most once a second */
	cg_last_walk = now;
	cg_stats.walks++;
	nftw(mw_cgroup2_root(), cg_visit, 16, FTW_PHYS | FTW_MOUNT);
}

const char *mw_container_of_cgroup(uint64_t cgid)
{
	bool hit;
	struct cg_entry *e;

	if (cgid <= 1)
		return NULL; /* the root cgroup */
	e = cg_find(cgid, &hit);
	if (hit) {
		cg_stats.hits++;
		return e->cid[0] ? e->cid : NULL;
	}
	cg_stats.misses++;
	if (cg_no_handles || cg_by_handle(cgid) < 0) {
		cg_no_handles = true;
		cg_walk();
	}
	/* the entry may have moved (the walk stores many): look again; an id
	 * the walk did not find stays cached as none */
	e = cg_find(cgid, &hit);
	return e->cid[0] ? e->cid : NULL;
}

void mw_cgroup_cache_stats(struct mw_cg_stats *st)
{
	*st = cg_stats;
}

void mw_proc_clear(void)
{
	memset(cg_tab, 0, sizeof(cg_tab));
	if (cg_root_fd >= 0)
		close(cg_root_fd);
	cg_root_fd = -2;
	for (size_t i = 0; i < SLOTS; i++) {
		free(slots[i].exe);
		slots[i].exe = NULL;
		slots[i].pid = 0;
	}
}

/* Length of the run of hex digits at s. */
static size_t hexrun(const char *s)
{
	size_t n = 0;

	while (isxdigit((unsigned char)s[n]))
		n++;
	return n;
}

bool mw_cgroup_is_conmon(const char *name, size_t len)
{
	static const char *const pre[] = { "libpod-conmon-", "crio-conmon-" };

	for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
		size_t n = strlen(pre[i]);
		if (len >= n && !memcmp(name, pre[i], n))
			return true;
	}
	return false;
}

int mw_container_id_from_cgroup(const char *cgpath, char out[65])
{
	/* Walk the path's components from the leaf; the first one holding a
	 * run of 64 hex digits (docker-<id>.scope, cri-containerd-<id>.scope,
	 * crio-<id>.scope, libpod-<id>.scope, /docker/<id>, /kubepods/.../<id>)
	 * names the container. */
	const char *end = cgpath + strlen(cgpath);

	while (end > cgpath) {
		const char *start = end;
		while (start > cgpath && start[-1] != '/')
			start--;
		/* podman's and CRI-O's monitor (libpod-conmon-<id>.scope,
		 * crio-conmon-<id>.scope) is on the host, not in the container */
		if (mw_cgroup_is_conmon(start, (size_t)(end - start)))
			return -1;
		for (const char *p = start; p < end; p++) {
			size_t n = hexrun(p);
			if (n == 64 && (p == start || !isxdigit((unsigned char)p[-1]))) {
				memcpy(out, p, 64);
				out[64] = 0;
				return 0;
			}
			if (n)
				p += n - 1;
		}
		end = start > cgpath ? start - 1 : cgpath;
	}
	return -1;
}

int mw_shm_info(int shmid, struct mw_shm_info *out)
{
	FILE *f = fopen("/proc/sysvipc/shm", "re");
	char line[512];
	int rc = -1;

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) { /* the header */
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		int key, id, cpid, lpid;
		unsigned perms, nattch, uid, gid, cuid;
		unsigned long long size;
		if (sscanf(line, "%d %d %o %llu %d %d %u %u %u %u", &key, &id, &perms, &size, &cpid, &lpid,
			   &nattch, &uid, &gid, &cuid) == 10 && id == shmid) {
			*out = (struct mw_shm_info){ .key = key, .cpid = cpid, .perms = perms, .uid = uid,
						     .cuid = cuid, .size = size };
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

char *mw_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 64 * 1024, n = 0;
	char *buf = fd < 0 ? NULL : malloc(cap);

	if (fd < 0)
		return NULL;
	for (;;) {
		if (buf && n + 1 >= cap) { /* room for the data and its NUL */
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			} else {
				buf = nb;
				cap *= 2;
			}
		}
		if (!buf) {
			close(fd);
			errno = ENOMEM;
			return NULL;
		}
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	*len = n;
	return buf;
}
