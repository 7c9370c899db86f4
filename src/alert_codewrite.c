/* alert_codewrite.c - the code_write rule: executable memory written from outside the mapping calls (ptrace, process_vm_writev, /proc/PID/mem, userfaultfd). */
#include "alert_codewrite.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* A hex number at *p (at most 16 digits), *p past it; -1 when none. */
static int hex_at(const char **p, const char *end, uint64_t *v)
{
	int nd = 0;

	*v = 0;
	for (; *p < end && nd < 17; (*p)++, nd++) {
		char c = **p;
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			break;
		*v = *v << 4 | (uint64_t)d;
	}
	return nd >= 1 && nd <= 16 ? 0 : -1;
}

int mw_cw_maps_line_prot(const char *line, size_t n, uint64_t addr)
{
	const char *p = line, *end = line + n;
	uint64_t s, t;

	if (hex_at(&p, end, &s) || p >= end || *p++ != '-' || hex_at(&p, end, &t) || p >= end || *p++ != ' ' ||
	    end - p < 4 || s >= t || addr < s || addr >= t)
		return -1;
	if ((p[0] != 'r' && p[0] != '-') || (p[1] != 'w' && p[1] != '-') || (p[2] != 'x' && p[2] != '-'))
		return -1;
	return (p[0] == 'r' ? PROT_READ : 0) | (p[1] == 'w' ? PROT_WRITE : 0) | (p[2] == 'x' ? PROT_EXEC : 0);
}

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
	while (prot < 0 && fgets(line, sizeof line, f))
		prot = mw_cw_maps_line_prot(line, strlen(line), addr);
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
	} /* process_vm_writev, userfaultfd: no sub-technique of their own, T1055 */
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
