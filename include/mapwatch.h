/* mapwatch.h - record layout shared by the BPF programs and user space (the event ABI). */
#ifndef MAPWATCH_H
#define MAPWATCH_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Only fixed-width kernel types here: this header is included both by the
 * BPF side (through vmlinux.h) and by user space (through linux/types.h). */

#define MW_TASK_COMM_LEN 16
#define MW_PATH_MAX 4096       /* bytes of path data carried per record */
#define MW_NAME_MAX 256        /* longest single path component read */
#define MW_PATH_DEPTH 40       /* most path components walked */

/* Event identifiers (enum mw_event_id) and everything per call: the catalogue. */
#include "mw_calls.h"

/* Kind of the file behind an fd (or of the mapping's backing object). */
enum mw_file_kind {
	MW_FK_NONE = 0,       /* no fd involved (anonymous, or call without fd) */
	MW_FK_BADFD = 1,      /* fd was not open in the caller at entry */
	MW_FK_REGULAR = 2,
	MW_FK_CHARDEV = 3,
	MW_FK_BLOCKDEV = 4,
	MW_FK_DIR = 5,
	MW_FK_FIFO = 6,
	MW_FK_SOCKET = 7,
	MW_FK_SYMLINK = 8,
	MW_FK_MEMFD = 9,      /* memfd_create() object (shmem or hugetlbfs) */
	MW_FK_SHM = 10,       /* regular file on tmpfs (e.g. /dev/shm) */
	MW_FK_DELETED = 11,   /* regular file whose last link is gone */
	MW_FK_ANON_INODE = 12,/* anon_inode: eventfd, dma-buf, perf, io_uring... */
	MW_FK_UNKNOWN = 13,
	MW_FK_MAX = 14,
};

/* struct mw_file.flags */
#define MW_FILE_DELETED    (1u << 0) /* i_nlink == 0 */
#define MW_FILE_TMPFS      (1u << 1) /* on tmpfs/shmem */
#define MW_FILE_PATH_TRUNC (1u << 2) /* path deeper than MW_PATH_DEPTH or longer than MW_PATH_MAX */
#define MW_FILE_HUGETLBFS  (1u << 3)

struct mw_file {
	__u64 ino;
	__u32 dev;       /* st_dev of the file, kernel encoding (major << 20 | minor) */
	__u32 rdev;      /* st_rdev (devices), kernel encoding */
	__u32 mode;      /* i_mode */
	__u16 kind;      /* enum mw_file_kind */
	__u16 flags;     /* MW_FILE_* */
	__u64 fs_magic;  /* superblock magic */
};

/* Record types in the ring buffer. */
enum mw_rec_type {
	MW_REC_EVENT = 1,  /* struct mw_event (+ path data) */
	MW_REC_PROC = 2,   /* struct mw_proc_rec (+ exe path data) */
	MW_REC_LOSS = 3,   /* reserved for user-space synthesized loss reports */
	MW_REC_FORK = 4,   /* struct mw_task_rec: pid = new process, ppid = parent */
	MW_REC_EXEC = 5,   /* struct mw_task_rec: pid replaced its program */
	MW_REC_EXIT = 6,   /* struct mw_task_rec: the last thread of pid exited */
	MW_REC_COMPAT = 7, /* struct mw_compat_rec, in ring buffer ctl_rb only */
	MW_REC_CGROUP = 18, /* struct mw_cgroup_rec, in ring buffer ctr_rb only (16 is MW_REC_STACK, stack_abi.h; 17 MW_REC_CHUNK, capture_abi.h) */
};

/* MW_REC_CGROUP: sent once per cgroup (per ctr_verdict entry) when user
 * space must know who a cgroup is before its calls reach it: --container
 * NAME, --pod, --k8s-namespace judge each cgroup in user space, and -c
 * grouped by container or pod names each container while it runs. */
struct mw_cgroup_rec {
	__u16 type;          /* MW_REC_CGROUP */
	__u16 pad;
	__u32 pad2;
	__u64 cgroup_id;
};

/* code_write's route (args[0] of MW_EV_CODE_WRITE, src/bpf/codewrite.bpf.h):
 * how a process wrote into memory that is executable in a process. */
enum mw_cw_via {
	MW_CW_NONE = 0,
	MW_CW_PTRACE = 1,    /* ptrace(PTRACE_POKETEXT/POKEDATA) */
	MW_CW_PVW = 2,       /* process_vm_writev */
	MW_CW_PROC_MEM = 3,  /* write/pwrite64/writev/pwritev/pwritev2 on /proc/PID/mem */
	MW_CW_UFFD = 4,      /* ioctl(UFFDIO_COPY/UFFDIO_CONTINUE/UFFDIO_MOVE) on a userfaultfd */
	MW_CW_FILE = 5,      /* a write call on a regular file whose written pages are mapped executable */
	MW_CW_MAX = 6,
};

/* Syscall numbers the hooks can map to events, per ABI (nr_event map). */
#define MW_NR_SLOTS 512
/* Function-hook slots: (event, ABI) pairs attached by fentry/fexit. */
#define MW_FN_SLOTS 64
/* Every function slot, for a macro X(i): the BPF programs (hooks.bpf.h) and
 * user space's table of them (hooks/load.c) come from this one list. */
#define MW_FN_SLOT_LIST(X) \
	X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) \
	X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15) \
	X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23) \
	X(24) X(25) X(26) X(27) X(28) X(29) X(30) X(31) \
	X(32) X(33) X(34) X(35) X(36) X(37) X(38) X(39) \
	X(40) X(41) X(42) X(43) X(44) X(45) X(46) X(47) \
	X(48) X(49) X(50) X(51) X(52) X(53) X(54) X(55) \
	X(56) X(57) X(58) X(59) X(60) X(61) X(62) X(63)

/* Function mode's fexit slots for code_write's routes (mw_calls.h's
 * MW_ROUTES: 11 calls, two ABIs), like MW_FN_SLOT_LIST. */
#define MW_RT_SLOTS 24
#define MW_RT_SLOT_LIST(X) \
	X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) \
	X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15) \
	X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23)

/* A process in scope started (delta 1: exec of a 32-bit image, or fork of
 * a 32-bit process) or stopped (delta -1) running the 32-bit ABI. */
struct mw_compat_rec {
	__u16 type;          /* MW_REC_COMPAT */
	__u16 pad;
	__u32 pid;           /* tgid */
	__s32 delta;
	__u32 pad2;
	__u64 ts;            /* CLOCK_BOOTTIME ns */
};

/* Process lifecycle, sent only when user space asks (alerts keep region maps). */
struct mw_task_rec {
	__u16 type;
	__u16 flags;         /* MW_TASK_F_* */
	__u32 pid;
	__u32 ppid;
	__u32 pad2;
	__u64 ts;            /* CLOCK_BOOTTIME ns */
};

/* struct mw_task_rec.flags */
#define MW_TASK_F_SHARED_MM (1u << 0) /* MW_REC_FORK: the child shares the parent's memory
				       * (vfork, clone(CLONE_VM) without CLONE_THREAD) */

/* struct mw_event.flags */
#define MW_F_COMPAT      (1u << 0) /* task was running the 32-bit ABI */
#define MW_F_TOCTOU      (1u << 1) /* args read from user memory (old_mmap) */
#define MW_F_ARGS_FAULT  (1u << 2) /* user memory could not be read; args invalid */
#define MW_F_HAS_FILE    (1u << 3) /* file member valid */
#define MW_F_IN_SYSCALL  (1u << 4) /* do_mmap: a mapping syscall was in progress */
#define MW_F_ENFORCED    (1u << 5) /* --kill-wx sent SIGKILL (at syscall exit, before the task runs on) */
#define MW_F_NO_VMFLAGS  (1u << 6) /* do_mmap: this kernel's do_mmap has no vm_flags argument */
#define MW_F_EXE_UNSENT  (1u << 7) /* the process record could not be sent: exe unknown here */
#define MW_F_EXIT_ONLY   (1u << 8) /* no entry seen (seccomp refused the call before it): args
				    * read from the registers at exit, fd resolved at exit */
#define MW_F_IPC         (1u << 9) /* i386 shmat/shmdt made through ipc(); shmat's address read from user memory */
#define MW_F_UDATA       (1u << 10) /* a struct mw_udata (user memory) follows instead of a path */

/* struct mw_event.eff_status: the effective protection, read at syscall exit
 * from the VMA the call created or changed (bpf_find_vma on the returned
 * address for mmap/mmap2/old_mmap/mremap, on the given one for mprotect). */
enum mw_eff_status {
	MW_EFF_NONE = 0,    /* not looked up: the call maps nothing, or it failed */
	MW_EFF_OK = 1,      /* vm_flags, vma_start, vma_end are the VMA's */
	MW_EFF_BUSY = 2,    /* the mmap lock was contended (-EBUSY): unknown, not guessed */
	MW_EFF_NOVMA = 3,   /* no VMA at the address any more (-ENOENT): unmapped already */
	MW_EFF_ERROR = 4,   /* the lookup failed otherwise */
};

/* vm_flags bits (include/linux/mm.h), as carried in struct mw_event.vm_flags */
#define MW_VM_READ     0x00000001u
#define MW_VM_WRITE    0x00000002u
#define MW_VM_EXEC     0x00000004u
#define MW_VM_SHARED   0x00000008u
#define MW_VM_MAYREAD  0x00000010u
#define MW_VM_MAYWRITE 0x00000020u
#define MW_VM_MAYEXEC  0x00000040u
#define MW_VM_MAYSHARE 0x00000080u

/* personality(2) flag carried in struct mw_event.personality */
#define MW_READ_IMPLIES_EXEC 0x0400000u

/* struct mw_event.eff_flags */
#define MW_EFFF_ARGS_REREAD (1u << 0) /* old_mmap: struct unreadable at entry, read at exit */
#define MW_EFFF_ALLOWED     (1u << 1) /* the executable is in --allow (by inode, in the kernel) */
#define MW_EFFF_VERIFY      (1u << 2) /* --kill-wx could not judge it (old_mmap struct changeable,
                                       * VMA lock taken): the process was SIGSTOPped for user
                                       * space to read /proc/PID/maps and kill or continue it */
#define MW_EFFF_FROM_PROC   (1u << 3) /* user space: vm_flags' rwx bits read from /proc/PID/maps */
/* Alias views (src/bpf/alias.bpf.h): the VMA's file pages are reachable through another view */
#define MW_EFFF_ALIAS_VIEW  (1u << 4) /* executable VMA; a writable shared VMA of the same file pages
                                       * exists (this or another process: alias_pid, alias_addr) */
#define MW_EFFF_ALIAS_XVIEW (1u << 5) /* writable shared VMA; an executable VMA of the same file pages
                                       * exists (alias_pid, alias_addr) */
#define MW_EFFF_ALIAS_FD    (1u << 6) /* executable VMA of a regular file open for writing somewhere
                                       * (write/pwrite change the mapped pages) */
#define MW_EFFF_ANON_WRITTEN (1u << 7) /* the VMA has an anon_vma: some of its private pages were written
                                       * (a write fault made a private copy) since it was mapped */
#define MW_EFFF_FILE_AGE    (1u << 8) /* the VMA is executable and file-backed: file_age_s is valid (alerts on) */
#define MW_EFFF_WRITTEN_AFTER_START (1u << 9) /* that file's mtime is later than the process's creation */
#define MW_EFFF_CHANGED_AFTER_START (1u << 10) /* its ctime is later than the process's creation, its mtime
                                                * is not (renamed, chmod, or an mtime set back) */
/* dropped_code's window: a file written less than this many seconds ago is "recent" (user space
 * judges it at a mapping; the kernel sends the exec of such a program, lifecycle.bpf.h) */
#define MW_DROPPED_WINDOW_S 60

/* The path is stored leaf first: a series of NUL-terminated components, the
 * last one closest to the root. User space reverses the order. */
struct mw_event {
	__u16 type;          /* MW_REC_EVENT */
	__u16 event;         /* enum mw_event_id */
	__u16 syscall_nr;    /* number in the caller's ABI */
	__u16 flags;         /* MW_F_* */
	__u64 ts;            /* entry time, CLOCK_BOOTTIME ns */
	__u64 args[6];       /* raw arguments in catalogue order, 32-bit ones zero-extended */
	__s64 ret;           /* return value (sign-extended for compat) */
	__u64 cgroup_id;
	__u32 pid, tid, ppid;            /* host view */
	__u32 ns_pid, ns_tid, ns_ppid;   /* view inside the task's pid namespace */
	__u32 uid, gid;
	__u32 mntns, pidns;
	__u32 duration_ns;   /* exit - entry, saturated */
	__u16 path_len;      /* bytes of path data after the struct */
	__u16 file_age_s;    /* MW_EFFF_FILE_AGE: seconds since the executable VMA's file was last
	                      * written (mtime), saturated at 65535 */
	char comm[MW_TASK_COMM_LEN];
	struct mw_file file;
	/* what the kernel did (effect engineer, #11): */
	__u64 vm_flags;      /* the VMA's vm_flags at exit (eff_status MW_EFF_OK) */
	__u64 vma_start, vma_end; /* that VMA (MW_EFF_OK) */
	__u32 personality;   /* the task's personality when it has READ_IMPLIES_EXEC, else 0 */
	__u16 eff_status;    /* enum mw_eff_status */
	__u16 eff_flags;     /* MW_EFFF_* */
	__u32 alias_pid;     /* MW_EFFF_ALIAS_VIEW/XVIEW: tgid of the other view's process, 0 unknown */
	__u32 alias_pad;
	__u64 alias_addr;    /* MW_EFFF_ALIAS_VIEW/XVIEW: the other view's address in that process */
	char path[];         /* leaf-first components, path_len bytes */
};

/* User memory an event's arguments point to (MW_D_USTR, MW_D_NODEMASK, ...),
 * read at entry (IN) or at a successful exit (OUT); follows struct mw_event
 * (path_len = sizeof) when MW_F_UDATA is set. Slot k belongs to argument
 * arg[k]; len[k] is the byte count read, MW_UDATA_UNREAD when nothing was
 * (a fault, a NULL pointer, a failed call), and a string's length counts
 * its NUL. */
#define MW_UDATA_SLOTS 4 /* a power of two (the BPF side masks slot numbers); move_pages uses 3 */
#define MW_UDATA_BYTES 256
#define MW_UDATA_UNREAD 0xffff
#define MW_UDATA_PARTIAL 2
struct mw_udata {
	__u16 len[MW_UDATA_SLOTS];
	__u8 arg[MW_UDATA_SLOTS];
	__u8 trunc[MW_UDATA_SLOTS]; /* 1: more data than MW_UDATA_BYTES existed; MW_UDATA_PARTIAL:
				     * the rest ran into unreadable memory (len bytes were readable;
				     * a string's then have no NUL) */
	char data[MW_UDATA_SLOTS][MW_UDATA_BYTES];
};

/* Sent once per process (thread group) per exec, before its first event. */
struct mw_proc_rec {
	__u16 type;          /* MW_REC_PROC */
	__u16 path_len;
	__u32 pid;
	__u32 flags;         /* MW_FILE_PATH_TRUNC */
	__u32 pad;
	char path[];         /* leaf-first components of the executable's path */
};

/* Per-CPU counters (array map "counters"), indexes: */
enum mw_counter {
	MW_CNT_SEEN = 0,        /* calls that passed scope checks at exit */
	MW_CNT_SUBMITTED,       /* records committed to the ring buffer */
	MW_CNT_RB_FULL,         /* events dropped: ring buffer full */
	MW_CNT_PROC_RB_FULL,    /* process records dropped: ring buffer full */
	MW_CNT_NO_ENTRY,        /* exit without a matching entry */
	MW_CNT_PENDING_FULL,    /* entry could not be stored (pending map full) */
	MW_CNT_FILTERED,        /* events rejected by filters */
	MW_CNT_HOOK_GAP,        /* 32-bit processes started before the dispatcher was attached */
	MW_CNT_SUM_FULL,        /* calls not counted: summary map full (-c) */
	MW_CNT_EXIT_ONLY,       /* events reported from the exit alone (seccomp-refused calls) */
	MW_CNT_TRACED_FULL,     /* new processes not followed: traced map full at fork */
	MW_CNT_OUT_OF_TREE,     /* calls of processes outside the traced tree (-- COMMAND, --follow) */
	MW_CNT_CAP_PAGES,       /* --capture/--yara: pages sent in chunk records (capture_abi.h) */
	MW_CNT_CAP_RB_FULL,     /* captures cut short: ring buffer full */
	MW_CNT_CAP_BUDGET,      /* captures cut short or skipped: the per-second byte budget was spent */
	MW_CNT_CGROUP_RB_FULL,  /* new cgroups not announced to user space: ctr_rb full (named at their first event instead) */
	MW_CNT_MAX,
};

#endif /* MAPWATCH_H */
