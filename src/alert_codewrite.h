/* alert_codewrite.h - the code_write rule: executable memory written from outside the mapping calls (ptrace, process_vm_writev, /proc/PID/mem, userfaultfd). */
#ifndef MW_ALERT_CODEWRITE_H
#define MW_ALERT_CODEWRITE_H

#include <stddef.h>
#include <stdint.h>
#include "alert.h"
#include "mapwatch.h"

/*
 * e is a code_write event (MW_EV_CODE_WRITE, src/bpf/codewrite.bpf.h): a
 * process (the event's context) wrote args[3] bytes at args[2] in process
 * args[1] (host pid) by route args[0] (enum mw_cw_via), and the call
 * succeeded. The kernel sends it when the target's VMA there is executable
 * (eff_status MW_EFF_OK, vm_flags, vma_start/end, and its file as the
 * event's file), or when it could not read that VMA (a kernel without
 * bpf_task_from_pid, the mmap lock taken): then, when proc_root is given,
 * <proc_root>/<pid>/maps is read now, and only an executable mapping there
 * makes the alert (cw_from_proc set). args[4] == 1: the pid is in the
 * writer's pid namespace (ptrace, process_vm_writev from a container):
 * <proc_root>/<writer>/root/proc/<pid>/maps is read instead.
 * Appends at most one code_write alert at al[0] (high; MITRE T1055.008
 * for ptrace, T1055.009 for /proc/PID/mem, T1055 for process_vm_writev):
 * the target pid, address, length, the VMA's protection. Returns the
 * number of alerts (0 or 1).
 */
int mw_code_write_rule(const struct mw_event *e, const char *proc_root, struct mw_alert *al);

/* One line of a /proc/PID/maps text (n bytes, no NUL needed): the
 * PROT_READ|WRITE|EXEC of its mapping when that holds addr; -1 when it does
 * not, or the line is not "START-END PERMS ..." (hex, START < END). */
int mw_cw_maps_line_prot(const char *line, size_t n, uint64_t addr);

#endif
