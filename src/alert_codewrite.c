/* alert_codewrite.c - the code_write rule: executable memory written from outside the mapping calls (ptrace, process_vm_writev, /proc/PID/mem). */
#include "alert_codewrite.h"

#include <stdio.h>
#include <sys/mman.h>

/* The protection of the mapping holding addr in <proc_root>/<pid>/maps;
 * -1 when there is none (or the file cannot be read: the process is gone). */
static int maps_prot(const char *proc_root, uint32_t pid, uint64_t addr)
{
	char name[256], line[512];
	int prot = -1;
	FILE *f;

	snprintf(name, sizeof name, "%s/%u/maps", proc_root, (unsigned)pid);
	f = fopen(name, "re");
	if (!f)
		return -1;
	while (prot < 0 && fgets(line, sizeof line, f)) {
		unsigned long long s, t;
		char perms[5];
		if (sscanf(line, "%llx-%llx %4s", &s, &t, perms) != 3 || addr < s || addr >= t)
			continue;
		prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
		       (perms[2] == 'x' ? PROT_EXEC : 0);
	}
	fclose(f);
	return prot;
}

static int vm_prot(uint64_t vm_flags)
{
	return ((vm_flags & MW_VM_READ) ? PROT_READ : 0) | ((vm_flags & MW_VM_WRITE) ? PROT_WRITE : 0) |
	       ((vm_flags & MW_VM_EXEC) ? PROT_EXEC : 0);
}

int mw_code_write_rule(const struct mw_event *e, const char *proc_root, struct mw_alert *al)
{
	int n = 0, prot, from_proc = 0;

	if (e->event != MW_EV_CODE_WRITE || e->ret < 0 || e->args[0] == MW_CW_NONE || e->args[0] >= MW_CW_MAX)
		return 0;
	if (e->eff_status == MW_EFF_OK) {
		prot = vm_prot(e->vm_flags);
	} else {
		if (!proc_root)
			return 0;
		char root[128];
		/* a target named in the writer's pid namespace: that namespace's /proc, as the writer sees it */
		if (e->args[4] == 1)
			snprintf(root, sizeof root, "%s/%u/root/proc", proc_root, (unsigned)e->pid);
		prot = maps_prot(e->args[4] == 1 ? root : proc_root, (uint32_t)e->args[1], e->args[2]);
		from_proc = 1;
	}
	if (prot < 0 || !(prot & PROT_EXEC))
		return 0; /* data, not code (or nothing there any more: not judged) */
	struct mw_alert *x = mw_alert_add(al, &n, MW_AL_CODE_WRITE);
	if (e->args[0] == MW_CW_PTRACE) {
		x->mitre = "T1055.008";
		x->technique = "Process Injection: Ptrace System Calls";
	} else if (e->args[0] == MW_CW_PROC_MEM) {
		x->mitre = "T1055.009";
		x->technique = "Process Injection: Proc Memory";
	} /* process_vm_writev: no sub-technique of its own, T1055 */
	x->cw_via = (uint8_t)e->args[0];
	x->cw_pid = (uint32_t)e->args[1];
	x->cw_addr = e->args[2];
	x->cw_len = e->args[3];
	x->cw_prot = (uint8_t)prot;
	x->cw_from_proc = (uint8_t)from_proc;
	x->cw_ns_pid = e->args[4] == 1;
	mw_alert_region(x, e->args[2], e->args[2] + e->args[3]);
	return n;
}
