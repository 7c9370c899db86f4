/* alerts_family.h - the memory family's part of the alert engine (SysV shm, brk, memfd chains): its state is alerts.c's, its calls are one row of alert_rules.c's table. */
#ifndef MW_ALERTS_FAMILY_H
#define MW_ALERTS_FAMILY_H

#include <stdint.h>
#include "alert.h"
#include "format.h"
#include "regions.h"

struct mw_family;

/* New state (reads vm.memfd_noexec); NULL when out of memory. */
struct mw_family *mw_family_new(void);
void mw_family_free(struct mw_family *f);

/* For tests: the vm.memfd_noexec value to judge memfds by. */
void mw_family_set_memfd_noexec(struct mw_family *f, int v);

/* A lifecycle record: fork copies the parent's memfds to the child, exec
 * forgets the process's shm attaches and break (and marks it for the
 * memfd-program check at its next event), exit forgets everything. */
void mw_family_task(struct mw_family *f, const struct mw_task_rec *r);

/*
 * One event (after alerts.c knows the process): raises into al[*n..] (at
 * most 3) and keeps the region maps for
 *   shmat   wx_mapping when the attach is writable and executable, or
 *           executable while the segment is attached writable elsewhere
 *           (any process since mapwatch started); exec_fileless
 *           (fileless "sysv_shm") for any executable attach; the region
 *           [address, end of its VMA) enters both maps, shared;
 *   shmdt   removes that attach's region;
 *   brk     grows or shrinks the heap region read-write (a refused brk
 *           changes nothing);
 *   memfd_create  remembers (pid, fd, name, flags, executable or not);
 *   the first event after an exec whose executable is "/memfd:NAME":
 *           exec_fileless with the chain memfd_create -> execveat.
 * Returns 0, -1 when out of memory. errors counts refused map updates.
 */
int mw_family_event(struct mw_family *f, struct mw_regions *regions, struct mw_regions *fileless,
		    const struct mw_view *v, struct mw_alert *al, int *n, uint64_t *errors);

/* An mmap's exec_fileless (memfd) alerts in al[0..n) get the chain
 * memfd_create -> mmap when the fd is a memfd the process created that the
 * kernel lets be executed. */
void mw_family_chain_mmap(struct mw_family *f, const struct mw_event *e, struct mw_alert *al, int n);

#endif
