/* proc.c - caches of per-process facts (executable path), filled from kernel records or /proc. */
#include <ctype.h>
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
