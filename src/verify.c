/* verify.c - completes --kill-wx for calls the kernel side could not judge: reads the stopped process's /proc/PID/maps, then kills or continues it. */
#include "verify.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

int mw_verify_stopped(struct mw_event *e, const char *proc_root)
{
	char name[256], line[512];
	uint64_t addr = (e->flags & MW_F_COMPAT) ? (uint32_t)e->ret : (uint64_t)e->ret;
	int found = 0, wx = 0;
	FILE *f;

	if (!(e->eff_flags & MW_EFFF_VERIFY))
		return 0;
	snprintf(name, sizeof name, "%s/%u/maps", proc_root ? proc_root : "/proc", (unsigned)e->pid);
	f = fopen(name, "re");
	if (!f)
		return -1;
	while (!found && fgets(line, sizeof line, f)) {
		unsigned long long s, t;
		char perms[5];
		if (sscanf(line, "%llx-%llx %4s", &s, &t, perms) != 3 || addr < s || addr >= t)
			continue;
		found = 1;
		e->vm_flags = (perms[0] == 'r' ? MW_VM_READ : 0) | (perms[1] == 'w' ? MW_VM_WRITE : 0) |
			      (perms[2] == 'x' ? MW_VM_EXEC : 0) | (perms[3] == 's' ? MW_VM_SHARED : 0);
		e->vma_start = s;
		e->vma_end = t;
		e->eff_status = MW_EFF_OK;
		e->eff_flags |= MW_EFFF_FROM_PROC;
		wx = perms[1] == 'w' && perms[2] == 'x';
	}
	fclose(f);
	if (!found)
		e->eff_status = MW_EFF_NOVMA;
	if (wx) {
		kill((pid_t)e->pid, SIGKILL);
		e->flags |= MW_F_ENFORCED;
		return 1;
	}
	kill((pid_t)e->pid, SIGCONT);
	return 0;
}
