/* verify.h - completes --kill-wx for calls the kernel side could not judge: reads the stopped process's /proc/PID/maps, then kills or continues it. */
#ifndef MW_VERIFY_H
#define MW_VERIFY_H

#include "mapwatch.h"

/*
 * An event with MW_EFFF_VERIFY comes from a process the BPF side stopped
 * (SIGSTOP at syscall exit, before it ran another instruction) because
 * --kill-wx could not judge its call: an i386 old_mmap, whose argument
 * struct another thread can rewrite under the kernel, and whose VMA could
 * not be read (the mmap lock was held). mw_verify_stopped() reads
 * <proc_root>/<pid>/maps, finds the mapping at the returned address, and
 *   - writes its rwx bits into e->vm_flags (VM_READ/WRITE/EXEC), sets
 *     e->vma_start/vma_end, e->eff_status = MW_EFF_OK and MW_EFFF_FROM_PROC,
 *     so alerts judge what the kernel did;
 *   - sends SIGKILL when it is writable and executable (and sets
 *     MW_F_ENFORCED: the alert says "killed"), SIGCONT otherwise (nothing
 *     mapped there any more included).
 * When the maps cannot be read (the process is gone) nothing is sent.
 * Returns 1 when it killed, 0 when it continued the process, -1 when the
 * maps could not be read. Events without MW_EFFF_VERIFY are left alone (0).
 */
int mw_verify_stopped(struct mw_event *e, const char *proc_root);

#endif
