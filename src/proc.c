/* proc.c - caches of per-process facts (executable path), filled from kernel records or /proc. */
#include <ctype.h>
#include <ftw.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "proc.h"

#define SLOTS 65536 /* direct-mapped by pid; a collision evicts the older process */

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

const char *mw_cgroup2_root(void)
{
	static char root[512];
	FILE *f;
	char line[1024];

	if (root[0])
		return root;
	strcpy(root, "/sys/fs/cgroup");
	f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return root;
	while (fgets(line, sizeof(line), f)) {
		/* id parent maj:min root mountpoint options... - fstype source opts */
		char mnt[512], fstype[64];
		const char *dash = strstr(line, " - ");
		if (!dash || sscanf(dash + 3, "%63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1) {
			snprintf(root, sizeof(root), "%s", mnt);
			break;
		}
	}
	fclose(f);
	return root;
}

#define CG_SLOTS 1024

struct cg_slot {
	uint64_t id;      /* 0: empty */
	char cid[65];     /* "" when none */
};

static struct cg_slot cg_slots[CG_SLOTS];
static uint64_t cg_want;
static char cg_found[65];
static int cg_hit;

static int cg_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type != FTW_D || (uint64_t)st->st_ino != cg_want)
		return 0;
	cg_hit = 1;
	if (mw_container_id_from_cgroup(path, cg_found))
		cg_found[0] = 0;
	return 1; /* stop the walk */
}

const char *mw_container_of_cgroup(uint64_t cgid)
{
	struct cg_slot *s = &cg_slots[cgid % CG_SLOTS];

	if (cgid <= 1)
		return NULL; /* the root cgroup */
	if (s->id != cgid) {
		cg_want = cgid;
		cg_hit = 0;
		cg_found[0] = 0;
		nftw(mw_cgroup2_root(), cg_visit, 16, FTW_PHYS | FTW_MOUNT);
		/* a cgroup's directory exists before any task joins it, so a
		 * miss is final (a removed cgroup): cache it too */
		s->id = cgid;
		memcpy(s->cid, cg_found, sizeof(s->cid));
	}
	return s->cid[0] ? s->cid : NULL;
}

void mw_proc_clear(void)
{
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
