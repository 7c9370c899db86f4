/* alerts.h - the alert engine: turns mapping events and process lifecycle records into security alerts. */
#ifndef MW_ALERTS_H
#define MW_ALERTS_H

#include <stdint.h>
#include "alert.h"
#include "format.h"
#include "filter_abi.h"
#include "mapwatch.h"
#include "regions.h"

/*
 * The engine keeps a region map per process (src/regions.h) from the
 * events and the fork/exec/exit records it is given, and decides for each
 * event which alerts it raises. Feed it every record in ring-buffer order:
 * mw_alerts_task() for MW_REC_FORK/EXEC/EXIT, mw_alerts_event() for every
 * MW_REC_EVENT (failed calls and msync too). Not thread-safe.
 *
 * What a call is judged on: its EFFECTIVE protection, the rwx bits of the
 * vm_flags the kernel left on the mapping, read from the VMA at syscall exit
 * (struct mw_event.vm_flags, eff_status MW_EFF_OK): READ_IMPLIES_EXEC, an
 * old_mmap whose argument struct another thread changed under the kernel, or
 * anything else the kernel added or refused is thus what the kernel did.
 * Only when the event has no effective protection (the lookup failed: mmap
 * lock contended; or the call failed and only its request is known) is the
 * requested prot judged, READ_IMPLIES_EXEC applied to it as the kernel does
 * (PROT_READ implies PROT_EXEC), and each alert says so (judged_on_request;
 * "judgedOn":"requestedProt"). Under --kill-wx an old_mmap without effective
 * protection is not judged on its request (another thread may have rewritten
 * its struct): the BPF side stopped the process and src/verify.c completed
 * the event from /proc/PID/maps (MW_EFFF_FROM_PROC) before it gets here.
 * Below, "asking for" means "getting", in that sense. The region map is
 * kept with the effective protection too.
 *
 * Kinds, severities and MITRE ATT&CK ids:
 *
 *   wx_mapping      high    T1055      a successful mmap/mmap2/old_mmap asking for
 *                                      PROT_WRITE|PROT_EXEC.
 *   wx_mprotect     high    T1055      a successful mprotect/pkey_mprotect asking for
 *                                      PROT_WRITE|PROT_EXEC over a non-empty range
 *                                      (even if the memory was RWX already: the
 *                                      request is what is reported; previousProt says
 *                                      what it was).
 *   x_after_w       medium  T1027.002  an mprotect/pkey_mprotect WITHOUT PROT_WRITE
 *                                      giving PROT_EXEC to memory that lacked it and
 *                                      was writable now or earlier in its life (the
 *                                      region map's sticky bit): JIT, unpacker or
 *                                      staged shellcode. An mprotect to RWX raises
 *                                      only wx_mprotect, never x_after_w as well: both
 *                                      would describe the same fact (writable memory
 *                                      is executable) for the same call; previousProt
 *                                      and wasWritable in the wx_mprotect alert carry
 *                                      the history. Memory the map has no history
 *                                      for (a gap: the kernel mapped it at exec,
 *                                      stack, .data/.bss, and the process's seed
 *                                      from /proc failed or came late; or a seed
 *                                      read after this call, which shows its effect
 *                                      already) counts as written when the kernel
 *                                      says its VMA holds written private pages
 *                                      (anon_vma, MW_EFFF_ANON_WRITTEN): the alert
 *                                      says so (anon_written, "writtenPages"). The
 *                                      kernel's word is per VMA, not per page (a
 *                                      page never written in a VMA with written
 *                                      ones counts; a transparent-huge-page read
 *                                      fault also makes an anon_vma).
 *   exec_fileless   high    T1620      executable memory backed by a memfd, a deleted
 *                                      file, or a file on tmpfs (/dev/shm, or any
 *                                      tmpfs: file kind MW_FK_MEMFD/SHM/DELETED, or
 *                                      MW_FILE_DELETED/MW_FILE_TMPFS): a mmap with
 *                                      PROT_EXEC of such a file, or an mprotect adding
 *                                      PROT_EXEC to a region mapped from one (the
 *                                      engine remembers which regions are fileless, so
 *                                      "map R, then mprotect RX" is caught too; seeded
 *                                      regions count as fileless when /proc names them
 *                                      "/memfd:...", "/dev/shm/..." or "... (deleted)").
 *                                      At exec too (at_exec, "judgedAt":"exec"): the
 *                                      kernel's "exec" event (MW_EV_EXEC, sent from
 *                                      sched_process_exec before the program's first
 *                                      instruction, only for such a program) raises
 *                                      one for a program run from a memfd, a tmpfs
 *                                      file, or a file with no link left (unlinked,
 *                                      O_TMPFILE: fileless "deleted"), even if it
 *                                      never makes a mapping call; a memfd's gets the
 *                                      chain below, and no second alert follows.
 *   (the memory family, src/alerts_family.h: shmat with SHM_EXEC raises
 *   wx_mapping when attached writable or writable elsewhere, and
 *   exec_fileless "sysv_shm"; a memfd made by memfd_create and then mapped
 *   executable or executed raises one exec_fileless naming both calls in
 *   "chain")
 *   device_mapping  high    T1014      a successful mmap of /dev/mem, /dev/kmem or
 *                                      /dev/port (char 1:1, 1:2, 1:4): raw physical
 *                                      memory or I/O port access, the rootkit route.
 *                   info    T1068      a successful mmap of any other character device
 *                                      (GPU /dev/nvidiaN, /dev/dri/cardN, /dev/fb0,
 *                                      /dev/uioN, /dev/zero...): the mmap handlers of
 *                                      drivers are a known privilege-escalation
 *                                      surface; reported for inventory.
 *   dropped_code    high    T1129      a successful mmap, or mprotect/pkey_mprotect
 *                   medium             asking PROT_EXEC, leaving executable memory
 *                                      backed by a regular file written after the
 *                                      process began (high), changed after it began
 *                                      though its mtime is older (rename, chmod, an
 *                                      mtime set back: medium), or written less than
 *                                      MW_DROPPED_WINDOW_S ago (medium: a dropper that
 *                                      starts another process to load its file). The
 *                                      kernel reads the file's times from the VMA at
 *                                      exit (MW_EFFF_FILE_AGE). Not raised beside an
 *                                      exec_fileless of the same call, nor at a mapping
 *                                      of the program's own executable file: that one
 *                                      is judged at exec (at_exec, "judgedAt":"exec"),
 *                                      on the same causes against the process that
 *                                      exec'd (the kernel sends the "exec" event of a
 *                                      program on disk only when one holds).
 *   wx_alias        high    T1055      alias views (the double-mapping trick): a
 *                                      successful mmap/mmap2/mprotect/pkey_mprotect/
 *                                      mremap whose VMA the kernel found (at syscall
 *                                      exit, src/bpf/alias.bpf.h; eff_flags
 *                                      MW_EFFF_ALIAS_*) executable while a writable
 *                                      MAP_SHARED view of the same file pages exists
 *                                      (a regular file, a memfd, /dev/shm, shared
 *                                      anonymous memory across fork or mremap(old, 0,
 *                                      ...): "writableView"), or writable and shared
 *                                      while an executable view of the same pages
 *                                      exists (the reverse order, raised on the
 *                                      writer's call: "executableView"); the other
 *                                      view's host pid and address come with it
 *                                      (alias_pid, alias_addr), in this process or
 *                                      another. shmat is alerts_family.c's.
 *                   medium  T1055      the same calls leaving executable memory of a
 *                                      regular file that is open for writing
 *                                      somewhere (i_writecount: write()/pwrite()
 *                                      change the code; "openFd"). A writable view
 *                                      that went away before the executable one was
 *                                      made, and a file opened for writing only after
 *                                      it was mapped, are not seen.
 *
 *   code_write      high    T1055.008  (ptrace) / T1055.009 (/proc/PID/mem) / T1055
 *                                      (process_vm_writev): the kernel's code_write
 *                                      event (src/bpf/codewrite.bpf.h), a write into
 *                                      a VM_EXEC VMA of a process by a route other
 *                                      than the mapping calls: the rule is
 *                                      alert_codewrite.h's.
 *
 * One event raises at most MW_ALERTS_MAX alerts, in this order (the rows of
 * src/alert_rules.c's table): wx_mapping
 * or wx_mprotect or x_after_w, then exec_fileless, then device_mapping, then
 * dropped_code (mmap, mprotect), then wx_alias; code_write events raise
 * only code_write.
 * 32-bit tasks (MW_F_COMPAT; mmap2, and old_mmap reported as mmap) are
 * judged exactly as 64-bit ones. An old_mmap whose argument struct could not
 * be read at entry is read again at exit by the kernel side (eff_flags
 * MW_EFFF_ARGS_REREAD); if that fails too (MW_F_ARGS_FAULT stays), it is
 * judged on its VMA alone (range = the VMA), and only an event with neither
 * arguments nor VMA raises nothing and changes no region.
 *
 * Failed calls raise nothing, with two exceptions: an mprotect or
 * pkey_mprotect that failed with ENOMEM (Linux changed the mappings up to the
 * first hole: mw_regions_mprotect_enomem()) raises what the changed part
 * warrants; and a failed call with MW_F_ENFORCED (a W+X request the kernel
 * refused, which --kill-wx kills too) raises what its arguments warrant,
 * judged against the region map without changing it (no region range for
 * a failed mmap: the address was never given). Every event with
 * MW_F_ENFORCED (SIGKILLed by --kill-wx at syscall exit) raises at least its
 * wx_mapping / wx_mprotect alert (action "killed"), whatever the region map
 * says: a kill is always reported.
 *
 * Region map upkeep: successful mmap/mmap2/munmap/mprotect/pkey_mprotect/
 * mremap are applied, mprotect ENOMEM failures as above; MW_EV_DO_MMAP
 * events are ignored. Host-wide, every process is seeded at start
 * (mw_alerts_seed_all()), so the earlier writability of processes older than
 * mapwatch is known at their first call. A process the engine meets first
 * in an event (its seed failed, or its fork record was lost) is seeded
 * from <proc root>/PID/maps before the event is applied: each region gets
 * its current protection, and counts as writable earlier iff it is writable
 * now. A fork record copies the parent's map to the child (a parent the
 * engine does not know leaves the child unknown: it is seeded at its first
 * event); a fork record with MW_TASK_F_SHARED_MM (vfork, clone(CLONE_VM)
 * without CLONE_THREAD: another process, the same memory) copies nothing:
 * the child's calls are judged on and applied to the one map of that
 * memory, kept under the process that owns it (src/mmshare.h), so that a
 * page one of them writes and another makes executable raises x_after_w;
 * when the owner execs or exits first, a remaining child takes the map
 * over. An exec record forgets the process, so that its next event seeds
 * it again: that is how the mappings the kernel's ELF loader made (program,
 * interpreter, stack, vdso, brk heap), which no syscall reports, get into the
 * map. An exit record forgets the process. Events that the process made
 * between the exec and the read of /proc are replayed on top of what was
 * read, which is harmless (mmap replaces, mprotect sets the same prot) except
 * that an mprotect adding PROT_EXEC that /proc already shows applied raises
 * no alert unless the kernel says its pages were written (x_after_w above).
 * Memory that no traced call mapped after the seed (brk growth) has an
 * unknown history: giving it PROT_EXEC raises x_after_w only when its pages
 * were written.
 *
 * --allow is decided in the kernel, by identity, not by the path the task
 * sees: the inode (and device) of each allowed path, stat()ed by mapwatch
 * (symbolic links followed), is loaded into the BPF map allow_ino; an
 * executable is allowed when its own inode is there, or that of a directory
 * above it (crossing mounts to the top of the mount tree, so a chroot's
 * /usr/bin/node is not the host's). Such events carry MW_EFFF_ALLOWED and
 * raise no alert (counted as suppressed); their region map is kept all the
 * same, and --kill-wx does not kill them. (The verdict is cached per process
 * until its next exec.) --kill-wx kills the caller of a call that raises
 * wx_alias (the kernel decides it on the same flags).
 */

/* Counters for --stats. */
struct mw_alerts_stats {
	uint64_t raised;           /* alerts returned by mw_alerts_event() */
	uint64_t suppressed;       /* alerts withheld by --allow */
	uint64_t seeded;           /* processes seeded from /proc (first sight, or after exec) */
	uint64_t seed_failed;      /* /proc reads that failed (process gone): started empty */
	uint64_t model_errors;     /* region map updates refused (ENOMEM, EINVAL) */
};

struct mw_alerts;

/* A new engine. Seeding reads /proc. Returns NULL with errno ENOMEM when
 * out of memory. */
struct mw_alerts *mw_alerts_new(void);

/* Free the engine and everything it holds; NULL is a no-op. */
void mw_alerts_free(struct mw_alerts *a);

/* Where PID/maps files are read from ("/proc" by default; a copy is kept).
 * NULL turns seeding off: unknown processes start empty (MW_PROC_PARTIAL).
 * Returns 0, or -1 with errno ENOMEM. */
int mw_alerts_set_proc_root(struct mw_alerts *a, const char *root);

/* What mw_alerts_seed_all() did. */
struct mw_seed_report {
	unsigned seeded;     /* processes whose maps were read */
	unsigned gone;       /* exited before their maps could be read (ENOENT/ESRCH) */
	unsigned denied;     /* EACCES/EPERM (another user namespace, ptrace rules) */
	unsigned other;      /* other errors; the last one in other_errno */
	int other_errno;
	int dir_errno;       /* the proc root could not be listed: nothing seeded */
};

/* Seed every process listed in the proc root (except skip, and those
 * already known) from its PID/maps, now: so that the earlier writability of
 * processes older than mapwatch is known when their first call is seen
 * (x_after_w). Call it once, right after the BPF programs are attached:
 * events those processes made meanwhile are applied on top, as for any
 * seed. Fills *r; returns 0, or -1 when the proc root could not be listed
 * (r->dir_errno). A process whose read fails stays unknown and is tried
 * again at its first event. */
int mw_alerts_seed_all(struct mw_alerts *a, uint32_t skip, struct mw_seed_report *r);

/* The same in steps, so the caller can go on reading events meanwhile: seeds
 * for about budget_ns (0: to the end) and returns 1 while processes remain
 * (call again with the same r), 0 once done, -1 when the proc root could not
 * be listed (r->dir_errno). The first call starts the walk and clears *r. A
 * process whose first event comes before its turn is seeded then. */
int mw_alerts_seed_step(struct mw_alerts *a, uint32_t skip, struct mw_seed_report *r, uint64_t budget_ns);

/* The pid of the -- COMMAND mapwatch started: its first exec runs the
 * program the operator named, which dropped_code does not judge (a freshly
 * built program run under mapwatch is not dropped code); its later execs,
 * and every other process's, are judged. */
void mw_alerts_set_command(struct mw_alerts *a, uint32_t pid);

/* A lifecycle record (MW_REC_FORK, MW_REC_EXEC, MW_REC_EXIT; other types are
 * ignored). Raises no alert. */
void mw_alerts_task(struct mw_alerts *a, const struct mw_task_rec *r);

/* One event (v->e, with v->path the file path of v->e->file when there is
 * one, and v->exe the executable path or NULL). Updates the region map and
 * writes the alerts it raises to out[0..max); returns how many were written
 * (0 when none, or when the executable is allowed). Alerts beyond max are
 * dropped (max >= MW_ALERTS_MAX never drops one). The alerts point to static
 * strings only; format them with the same v. */
int mw_alerts_event(struct mw_alerts *a, const struct mw_view *v, struct mw_alert *out, int max);

/* 1 when the kernel found the event's executable in --allow (MW_EFFF_ALLOWED), else 0. */
int mw_alerts_allowed(const struct mw_event *e);

/* The region map (read-only; pointers stay valid until the next call into
 * the engine). For tests and diagnostics. */
const struct mw_regions *mw_alerts_regions(const struct mw_alerts *a);

/* Copy the counters into *st. */
void mw_alerts_get_stats(const struct mw_alerts *a, struct mw_alerts_stats *st);

#endif
