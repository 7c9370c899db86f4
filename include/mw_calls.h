/* mw_calls.h - THE catalogue of traced calls: one X-macro row per event, read by BPF C and user space. */
#ifndef MW_CALLS_H
#define MW_CALLS_H

/*
 * Adding a call is one row in MW_CALLS below (plus, at most, one decoder in
 * src/decode.c for a new flag set, and `make doc/EVENTS.md` to write the row
 * into the documentation). Everything else comes from the row:
 *   BPF:        the per-syscall tracepoint programs (src/bpf/mapwatch.bpf.c),
 *               the syscall-number -> event switches per ABI (raw_syscalls),
 *               which argument is prot / mmap flags / length / fd (filters,
 *               --kill-wx), what is read at entry (fd, user memory);
 *   user space: the event table of src/catalog.c (names, arguments, types,
 *               tags, decoders, numbers, classes, doc), --list, --events
 *               names and %classes, the program list of src/tracer.c, the
 *               JSON "args" descriptions and the table rendering.
 * Rows must stay in id order; ids are stable (eventId in JSON): new rows go
 * at the end, with the next id. This header includes nothing so that it
 * works under vmlinux.h (BPF) and under linux/types.h (user space).
 *
 * MW_CALLS(X) calls X once per row with these columns:
 *   id        stable event id (enum mw_event_id value MW_EV_<ID>)
 *   ID        enum suffix
 *   name      event name (also the syscall name: tracepoint syscalls:sys_enter_<name>)
 *   kind      SYS: a system call; KFN: a kernel function (no syscall numbers)
 *   nargs     number of arguments
 *   x86_64, i386, arm64, arm   syscall number per ABI, -1 when the ABI lacks it
 *             (i386 and arm EABI are also the compat ABIs of x86_64 and arm64)
 *   stem      native kernel entry stem: "mmap" -> __x64_sys_mmap / __arm64_sys_mmap
 *             (for KFN: the kernel function itself)
 *   i386_fn   the i386 entry on an x86_64 kernel (syscall_32.tbl's compat column,
 *             as this 6.18 kernel names it in kallsyms), "" when none
 *   classes   MW_CL_* bits (--events %class; strace's %memory, ours %mapping, %shm)
 *   entry     MW_IN_*: what the entry program reads besides the registers
 *   ret       MW_R_*: how the return value is shown
 *   args      (MW_A(name, TYPE, FMT, TAGS), ...): TYPE MW_T_<TYPE>, FMT MW_D_<FMT>
 *             (decoder), TAGS MW_TG_<TAGS> (U, K, U_OPT, U_TOCTOU, ...)
 *   doc       one line for --list
 */

/* Argument types (JSON "type"). */
enum mw_arg_type { MW_T_POINTER, MW_T_U64, MW_T_INT };

/* How an argument is decoded for people (one decoder per flag set). */
enum mw_arg_fmt {
	MW_D_HEX,      /* address: 0x... / NULL */
	MW_D_DEC,      /* plain number */
	MW_D_PROT,
	MW_D_MMAP_FLAGS,
	MW_D_MREMAP_FLAGS,
	MW_D_MSYNC_FLAGS,
	MW_D_FD,
	MW_D_PGOFF,    /* pages of 4096 bytes */
	MW_D_LEN,      /* a length in bytes (--min-length applies to it), decimal */
	/* value tables of the memory family (src/decode_mem.c) */
	MW_D_MADV,          /* MADV_* advice (a value) */
	MW_D_MLOCK2_FLAGS,  /* MLOCK_ONFAULT */
	MW_D_MCL_FLAGS,     /* MCL_* */
	MW_D_MPOL_MODE,     /* MPOL_* mode | MPOL_F_* mode flags */
	MW_D_MPOL_MF,       /* MPOL_MF_* (mbind, move_pages) */
	MW_D_GETPOL_FLAGS,  /* MPOL_F_NODE, MPOL_F_ADDR, MPOL_F_MEMS_ALLOWED */
	MW_D_SHMAT_FLAGS,   /* SHM_RDONLY, SHM_RND, SHM_REMAP, SHM_EXEC */
	MW_D_MFD_FLAGS,     /* MFD_* and the hugetlb size bits */
	MW_D_SECRET_FLAGS,  /* memfd_secret: O_CLOEXEC */
	MW_D_SHSTK_FLAGS,   /* SHADOW_STACK_SET_TOKEN, SHADOW_STACK_SET_MARKER */
	MW_D_XFLAGS,        /* flags with no names yet: 0, else hex */
	MW_D_PROT0,         /* a prot the kernel ignores or wants 0 (decoded, no filter role) */
	MW_D_RFP_FLAGS,     /* remap_file_pages: mapping type (MAP_FILE for 0) and MAP_* */
	MW_D_SHMID,         /* SysV segment id (decimal; key/size/owner added when known) */
	MW_D_MAXNODE,       /* bits in the node masks of the call (decimal) */
	MW_D_COUNT,         /* elements in the call's arrays (decimal) */
	/* user memory, read by the BPF side into struct mw_udata (IN at entry, OUT at exit on success) */
	MW_D_USTR,          /* IN: NUL-terminated string ("name") */
	MW_D_NODEMASK,      /* IN: node mask of MAXNODE bits, words of the caller's long */
	MW_D_NODEMASK_OUT,  /* OUT: the same, written by the kernel */
	MW_D_MPOL_OUT,      /* OUT: an int policy mode */
	MW_D_MINCORE_VEC,   /* OUT: one byte per page of LEN */
	MW_D_PTRS,          /* IN: COUNT pointers */
	MW_D_INTS_OUT,      /* OUT: COUNT ints */
	MW_D_INTS,          /* IN: COUNT ints (move_pages' target nodes) */
	MW_D_IOVEC,         /* IN: COUNT struct iovec */
	MW_D_CW_VIA,        /* code_write's route: enum mw_cw_via (mapwatch.h) */
	MW_D_MAX,
};

/* Decoders that read user memory, and when. */
#define MW_D_IS_UMEM_IN(f)  ((f) == MW_D_USTR || (f) == MW_D_NODEMASK || (f) == MW_D_PTRS || (f) == MW_D_IOVEC || \
			     (f) == MW_D_INTS)
#define MW_D_IS_UMEM_OUT(f) ((f) == MW_D_NODEMASK_OUT || (f) == MW_D_MPOL_OUT || (f) == MW_D_MINCORE_VEC || \
			     (f) == MW_D_INTS_OUT)

/* Argument tags (doc/EVENTS.md): U from user space, K from the kernel, TOCTOU read
 * from user memory at entry (the caller can change it), OPT optional. */
#define MW_TAG_U      (1u << 0)
#define MW_TAG_K      (1u << 1)
#define MW_TAG_TOCTOU (1u << 2)
#define MW_TAG_OPT    (1u << 3)
/* The kernel reads only the low 32 bits (its prototype says int or unsigned
 * int, or it converts to int first, as mbind's mode): decoders drop the
 * upper half of a 64-bit register as the kernel does. Not shown in JSON tags
 * (JSON "value" keeps the register as the caller passed it). */
#define MW_TAG_W32    (1u << 4)
#define MW_TG_U        MW_TAG_U
#define MW_TG_K        MW_TAG_K
#define MW_TG_U_OPT    (MW_TAG_U | MW_TAG_OPT)
#define MW_TG_U_TOCTOU (MW_TAG_U | MW_TAG_TOCTOU)
#define MW_TG_U_OPT_TOCTOU (MW_TAG_U | MW_TAG_OPT | MW_TAG_TOCTOU)
#define MW_TG_U_W32    (MW_TAG_U | MW_TAG_W32)

/* Classes (--events %name). */
#define MW_CL_MAPPING (1u << 0) /* %mapping: mapwatch's original set (the default) */
#define MW_CL_MEMORY  (1u << 1) /* %memory: strace's memory class */
#define MW_CL_SHM     (1u << 2) /* %shm: SysV shared memory and memfd */
#define MW_CL_KERNEL  (1u << 3) /* not a syscall: a kernel-function hook (never in "all") */
#define MW_CL_ALERTS  (1u << 4) /* not a --events class: added to the default set when alerts are on */
/* What a call does to the address space (not --events classes either): the
 * one source for the VMA the exit looks up (src/bpf), the bytes -c counts
 * as mapped, unmapped and protected (summary.c), and the alert rules. */
#define MW_CL_MAPS     (1u << 5) /* makes a mapping; the result is its address (mremap: the new place) */
#define MW_CL_UNMAPS   (1u << 6) /* removes a range (mremap: its old place, old_size) */
#define MW_CL_PROTECTS (1u << 7) /* changes the protection of the range at argument 0 */

/* What the entry program reads besides the six registers. */
enum mw_entry {
	MW_IN_NONE,
	MW_IN_MMAPFD,  /* resolve fd (arg 4) to its file unless MAP_ANONYMOUS (arg 3) */
};

/* How the return value is shown. */
enum mw_ret {
	MW_R_INT,
	MW_R_ADDR,  /* an address (hex), or -errno */
	MW_R_BRK,   /* brk: the new break; a refused brk returns the old break, never an errno */
	MW_R_FD,    /* a new file descriptor, or -errno */
};

#define MW_CALLS(X)                                                                                \
	X(0, MMAP, mmap, SYS, 6, 9, 90, 222, -1, "mmap", "__ia32_compat_sys_ia32_mmap",            \
	  MW_CL_MAPPING | MW_CL_MEMORY | MW_CL_MAPS, MW_IN_MMAPFD, MW_R_ADDR,                       \
	  (MW_A(addr, POINTER, HEX, U), MW_A(length, U64, LEN, U), MW_A(prot, INT, PROT, U),        \
	   MW_A(flags, INT, MMAP_FLAGS, U), MW_A(fd, INT, FD, U), MW_A(off, U64, HEX, U)),           \
	  "map memory (i386 90 is old_mmap: args read from a user struct, TOCTOU)")                 \
	X(1, MMAP2, mmap2, SYS, 6, -1, 192, -1, 192, "mmap2", "__ia32_sys_mmap_pgoff",              \
	  MW_CL_MAPPING | MW_CL_MEMORY | MW_CL_MAPS, MW_IN_MMAPFD, MW_R_ADDR,                       \
	  (MW_A(addr, POINTER, HEX, U), MW_A(length, U64, LEN, U), MW_A(prot, INT, PROT, U),        \
	   MW_A(flags, INT, MMAP_FLAGS, U), MW_A(fd, INT, FD, U), MW_A(pgoffset, U64, PGOFF, U)),    \
	  "32-bit ABI mmap, offset in 4096-byte pages")                                             \
	X(2, MUNMAP, munmap, SYS, 2, 11, 91, 215, 91, "munmap", "__ia32_sys_munmap",                \
	  MW_CL_MAPPING | MW_CL_MEMORY | MW_CL_UNMAPS, MW_IN_NONE, MW_R_INT,                        \
	  (MW_A(addr, POINTER, HEX, U), MW_A(length, U64, LEN, U)),                                 \
	  "unmap memory")                                                                           \
	X(3, MPROTECT, mprotect, SYS, 3, 10, 125, 226, 125, "mprotect", "__ia32_sys_mprotect",      \
	  MW_CL_MAPPING | MW_CL_MEMORY | MW_CL_PROTECTS, MW_IN_NONE, MW_R_INT,                      \
	  (MW_A(addr, POINTER, HEX, U), MW_A(len, U64, LEN, U), MW_A(prot, INT, PROT, U)),          \
	  "change protection")                                                                      \
	X(4, PKEY_MPROTECT, pkey_mprotect, SYS, 4, 329, 380, 288, 394, "pkey_mprotect",             \
	  "__ia32_sys_pkey_mprotect", MW_CL_MAPPING | MW_CL_MEMORY | MW_CL_PROTECTS, MW_IN_NONE, MW_R_INT, \
	  (MW_A(addr, POINTER, HEX, U), MW_A(len, U64, LEN, U), MW_A(prot, INT, PROT, U),           \
	   MW_A(pkey, INT, DEC, U)),                                                                \
	  "change protection and protection key")                                                   \
	X(5, MREMAP, mremap, SYS, 5, 25, 163, 216, 163, "mremap", "__ia32_sys_mremap",              \
	  MW_CL_MAPPING | MW_CL_MEMORY | MW_CL_MAPS | MW_CL_UNMAPS, MW_IN_NONE, MW_R_ADDR,          \
	  (MW_A(old_address, POINTER, HEX, U), MW_A(old_size, U64, LEN, U),                         \
	   MW_A(new_size, U64, DEC, U), MW_A(flags, INT, MREMAP_FLAGS, U),                          \
	   MW_A(new_address, POINTER, HEX, U_OPT)),                                                 \
	  "resize or move a mapping")                                                               \
	X(6, MSYNC, msync, SYS, 3, 26, 144, 227, 144, "msync", "__ia32_sys_msync",                  \
	  MW_CL_MAPPING | MW_CL_MEMORY, MW_IN_NONE, MW_R_INT,                                        \
	  (MW_A(addr, POINTER, HEX, U), MW_A(length, U64, LEN, U), MW_A(flags, INT, MSYNC_FLAGS, U_W32)),\
	  "flush a file mapping")                                                                   \
	X(7, DO_MMAP, do_mmap, KFN, 6, -1, -1, -1, -1, "do_mmap", "", MW_CL_KERNEL | MW_CL_MAPS, MW_IN_NONE, \
	  MW_R_ADDR,                                                                                \
	  (MW_A(addr, POINTER, HEX, K), MW_A(len, U64, LEN, K), MW_A(prot, U64, PROT, K),           \
	   MW_A(flags, U64, MMAP_FLAGS, K), MW_A(vm_flags, U64, HEX, K), MW_A(pgoff, U64, PGOFF, K)),\
	  "kernel mapping function (needs kprobes or fentry)")                                     \
	X(8, BRK, brk, SYS, 1, 12, 45, 214, 45, "brk", "__ia32_sys_brk",                           \
	  MW_CL_MEMORY | MW_CL_ALERTS, MW_IN_NONE, MW_R_BRK,                                         \
	  (MW_A(addr, POINTER, HEX, U)),                                                            \
	  "set the end of the data segment (result: the break; a refusal returns the old one)")     \
	X(9, MADVISE, madvise, SYS, 3, 28, 219, 233, 220, "madvise", "__ia32_sys_madvise",          \
	  MW_CL_MEMORY | MW_CL_ALERTS, MW_IN_NONE, MW_R_INT,                                         \
	  (MW_A(addr, POINTER, HEX, U), MW_A(length, U64, LEN, U), MW_A(advice, INT, MADV, U_W32)), \
	  "advise the kernel about a memory range")                                                 \
	X(10, PROCESS_MADVISE, process_madvise, SYS, 5, 440, 440, 440, 440, "process_madvise",      \
	  "__ia32_sys_process_madvise", 0, MW_IN_NONE, MW_R_INT,                                     \
	  (MW_A(pidfd, INT, DEC, U), MW_A(iovec, POINTER, IOVEC, U_TOCTOU),                         \
	   MW_A(vlen, U64, COUNT, U), MW_A(advice, INT, MADV, U_W32),                               \
	   MW_A(flags, U64, XFLAGS, U_W32)),                                                        \
	  "advise about another process's memory (iovec read from user memory)")                    \
	X(11, MLOCK, mlock, SYS, 2, 149, 150, 228, 150, "mlock", "__ia32_sys_mlock",                \
	  MW_CL_MEMORY, MW_IN_NONE, MW_R_INT,                                                        \
	  (MW_A(addr, POINTER, HEX, U), MW_A(len, U64, LEN, U)),                                    \
	  "lock pages in memory")                                                                   \
	X(12, MLOCK2, mlock2, SYS, 3, 325, 376, 284, 390, "mlock2", "__ia32_sys_mlock2",            \
	  MW_CL_MEMORY, MW_IN_NONE, MW_R_INT,                                                        \
	  (MW_A(addr, POINTER, HEX, U), MW_A(len, U64, LEN, U), MW_A(flags, INT, MLOCK2_FLAGS, U_W32)), \
	  "lock pages in memory, now or on fault")                                                  \
	X(13, MUNLOCK, munlock, SYS, 2, 150, 151, 229, 151, "munlock", "__ia32_sys_munlock",        \
	  MW_CL_MEMORY, MW_IN_NONE, MW_R_INT,                                                        \
	  (MW_A(addr, POINTER, HEX, U), MW_A(len, U64, LEN, U)),                                    \
	  "unlock pages")                                                                           \
	X(14, MLOCKALL, mlockall, SYS, 1, 151, 152, 230, 152, "mlockall", "__ia32_sys_mlockall",    \
	  MW_CL_MEMORY, MW_IN_NONE, MW_R_INT,                                                        \
	  (MW_A(flags, INT, MCL_FLAGS, U_W32)),                                                         \
	  "lock the whole address space")                                                           \
	X(15, MUNLOCKALL, munlockall, SYS, 0, 152, 153, 231, 153, "munlockall",                     \
	  "__ia32_sys_munlockall", MW_CL_MEMORY, MW_IN_NONE, MW_R_INT, (),                           \
	  "unlock the whole address space")                                                         \
	X(16, MINCORE, mincore, SYS, 3, 27, 218, 232, 219, "mincore", "__ia32_sys_mincore",         \
	  MW_CL_MEMORY, MW_IN_NONE, MW_R_INT,                                                        \
	  (MW_A(addr, POINTER, HEX, U), MW_A(length, U64, LEN, U),                                  \
	   MW_A(vec, POINTER, MINCORE_VEC, U)),                                                     \
	  "which pages are resident (vec read back at exit)")                                       \
	X(17, REMAP_FILE_PAGES, remap_file_pages, SYS, 5, 216, 257, 234, 253, "remap_file_pages",   \
	  "__ia32_sys_remap_file_pages", MW_CL_MEMORY, MW_IN_NONE, MW_R_INT,                         \
	  (MW_A(addr, POINTER, HEX, U), MW_A(size, U64, LEN, U), MW_A(prot, INT, PROT0, U),         \
	   MW_A(pgoff, U64, DEC, U), MW_A(flags, INT, RFP_FLAGS, U)),                               \
	  "rearrange the pages of a shared file mapping (deprecated, emulated)")                    \
	X(18, MBIND, mbind, SYS, 6, 237, 274, 235, 319, "mbind", "__ia32_sys_mbind",                \
	  MW_CL_MEMORY, MW_IN_NONE, MW_R_INT,                                                        \
	  (MW_A(addr, POINTER, HEX, U), MW_A(len, U64, LEN, U), MW_A(mode, U64, MPOL_MODE, U_W32),  \
	   MW_A(nodemask, POINTER, NODEMASK, U_OPT_TOCTOU), MW_A(maxnode, U64, MAXNODE, U),         \
	   MW_A(flags, U64, MPOL_MF, U_W32)),                                                       \
	  "set the NUMA policy of a range (node mask read from user memory)")                       \
	X(19, SET_MEMPOLICY, set_mempolicy, SYS, 3, 238, 276, 237, 321, "set_mempolicy",            \
	  "__ia32_sys_set_mempolicy", MW_CL_MEMORY, MW_IN_NONE, MW_R_INT,                            \
	  (MW_A(mode, INT, MPOL_MODE, U_W32), MW_A(nodemask, POINTER, NODEMASK, U_OPT_TOCTOU),          \
	   MW_A(maxnode, U64, MAXNODE, U)),                                                         \
	  "set the thread's NUMA policy")                                                           \
	X(20, GET_MEMPOLICY, get_mempolicy, SYS, 5, 239, 275, 236, 320, "get_mempolicy",            \
	  "__ia32_sys_get_mempolicy", MW_CL_MEMORY, MW_IN_NONE, MW_R_INT,                            \
	  (MW_A(mode, POINTER, MPOL_OUT, U_OPT), MW_A(nodemask, POINTER, NODEMASK_OUT, U_OPT),      \
	   MW_A(maxnode, U64, MAXNODE, U), MW_A(addr, POINTER, HEX, U_OPT),                         \
	   MW_A(flags, U64, GETPOL_FLAGS, U)),                                                      \
	  "read a NUMA policy (mode and mask read back at exit)")                                   \
	X(21, SET_MEMPOLICY_HOME_NODE, set_mempolicy_home_node, SYS, 4, 450, 450, 450, 450,         \
	  "set_mempolicy_home_node", "__ia32_sys_set_mempolicy_home_node", MW_CL_MEMORY, MW_IN_NONE, \
	  MW_R_INT,                                                                                 \
	  (MW_A(start, POINTER, HEX, U), MW_A(len, U64, LEN, U), MW_A(home_node, U64, DEC, U),      \
	   MW_A(flags, U64, XFLAGS, U)),                                                            \
	  "set the home node of a range's NUMA policy")                                             \
	X(22, MIGRATE_PAGES, migrate_pages, SYS, 4, 256, 294, 238, 400, "migrate_pages",            \
	  "__ia32_sys_migrate_pages", MW_CL_MEMORY, MW_IN_NONE, MW_R_INT,                            \
	  (MW_A(pid, INT, DEC, U), MW_A(maxnode, U64, MAXNODE, U),                                  \
	   MW_A(old_nodes, POINTER, NODEMASK, U_TOCTOU), MW_A(new_nodes, POINTER, NODEMASK, U_TOCTOU)),\
	  "move a process's pages between nodes")                                                   \
	X(23, MOVE_PAGES, move_pages, SYS, 6, 279, 317, 239, 344, "move_pages",                     \
	  "__ia32_sys_move_pages", MW_CL_MEMORY, MW_IN_NONE, MW_R_INT,                               \
	  (MW_A(pid, INT, DEC, U), MW_A(count, U64, COUNT, U), MW_A(pages, POINTER, PTRS, U_TOCTOU), \
	   MW_A(nodes, POINTER, INTS, U_OPT), MW_A(status, POINTER, INTS_OUT, U),                   \
	   MW_A(flags, INT, MPOL_MF, U_W32)),                                                       \
	  "move or query pages of a process (pages read at entry, status at exit)")                 \
	X(24, MSEAL, mseal, SYS, 3, 462, 462, 462, 462, "mseal", "__ia32_sys_mseal",                \
	  MW_CL_MEMORY, MW_IN_NONE, MW_R_INT,                                                        \
	  (MW_A(addr, POINTER, HEX, U), MW_A(len, U64, LEN, U), MW_A(flags, U64, XFLAGS, U)),       \
	  "seal a range against changes (Linux 6.10+)")                                             \
	X(25, MAP_SHADOW_STACK, map_shadow_stack, SYS, 3, 453, 453, 453, 453, "map_shadow_stack",   \
	  "__ia32_sys_map_shadow_stack", MW_CL_MEMORY | MW_CL_MAPS, MW_IN_NONE, MW_R_ADDR,          \
	  (MW_A(addr, POINTER, HEX, U), MW_A(size, U64, LEN, U), MW_A(flags, U64, SHSTK_FLAGS, U_W32)), \
	  "map a shadow stack (Linux 6.6+, x86 with user shadow stacks)")                           \
	X(26, SHMAT, shmat, SYS, 3, 30, 397, 196, 305, "shmat", "__ia32_compat_sys_shmat",          \
	  MW_CL_MEMORY | MW_CL_SHM | MW_CL_ALERTS | MW_CL_MAPS, MW_IN_NONE, MW_R_ADDR,              \
	  (MW_A(shmid, INT, SHMID, U), MW_A(shmaddr, POINTER, HEX, U_OPT),                          \
	   MW_A(shmflg, INT, SHMAT_FLAGS, U_W32)),                                                      \
	  "attach a SysV shared memory segment (i386: also ipc(SHMAT), address written to memory)") \
	X(27, SHMDT, shmdt, SYS, 1, 67, 398, 197, 306, "shmdt", "__ia32_sys_shmdt",                 \
	  MW_CL_MEMORY | MW_CL_SHM | MW_CL_ALERTS | MW_CL_UNMAPS, MW_IN_NONE, MW_R_INT,             \
	  (MW_A(shmaddr, POINTER, HEX, U)),                                                         \
	  "detach a SysV shared memory segment (i386: also ipc(SHMDT))")                            \
	X(28, MEMFD_CREATE, memfd_create, SYS, 2, 319, 356, 279, 385, "memfd_create",               \
	  "__ia32_sys_memfd_create", MW_CL_SHM | MW_CL_ALERTS, MW_IN_NONE, MW_R_FD,                  \
	  (MW_A(name, POINTER, USTR, U_TOCTOU), MW_A(flags, INT, MFD_FLAGS, U_W32)),                \
	  "create an anonymous memory file (name read from user memory)")                           \
	X(29, MEMFD_SECRET, memfd_secret, SYS, 1, 447, 447, 447, -1, "memfd_secret",                \
	  "__ia32_sys_memfd_secret", MW_CL_SHM, MW_IN_NONE, MW_R_FD,                                 \
	  (MW_A(flags, INT, SECRET_FLAGS, U_W32)),                                                      \
	  "create a secret memory area, unmapped from the kernel (Linux 5.14+)")                     \
	X(30, EXEC, exec, KFN, 0, -1, -1, -1, -1, "sched_process_exec", "", MW_CL_KERNEL, MW_IN_NONE, \
	  MW_R_INT, (),                                                                             \
	  "a program run from a memfd, tmpfs or deleted file, or a freshly written one, at exec (file: the executable; sent with alerts)") \
	X(31, CODE_WRITE, code_write, KFN, 4, -1, -1, -1, -1, "code_write", "", MW_CL_KERNEL, MW_IN_NONE, \
	  MW_R_INT,                                                                                 \
	  (MW_A(via, INT, CW_VIA, K), MW_A(pid, INT, DEC, K), MW_A(addr, POINTER, HEX, K),          \
	   MW_A(len, U64, DEC, K)),                                                                 \
	  "a write into executable memory by ptrace, process_vm_writev or /proc/PID/mem (file: the target VMA's; sent with alerts)")

/*
 * code_write's routes: calls that are not traced as events but whose exit
 * is judged in alerts mode (src/bpf/codewrite.bpf.h: a write into
 * executable memory from outside the mapping calls). Every hook mode takes
 * them from these rows: the dispatcher by number (nr_event values
 * MW_NR_ROUTE + route), per-syscall tracepoints sys_exit_<name>, and
 * function mode's fexit slots on the entry functions, found in BTF from the
 * stem (32-bit on x86_64: __ia32_compat_sys_<stem>, else
 * __ia32_sys_ia32_<stem>, else __ia32_sys_<stem>, the order in which the
 * i386 table prefers them). Adding a route is one row here and its case in
 * cw_route_exit.
 *
 * MW_ROUTES(X) calls X once per row:
 *   ID    enum suffix (MW_RT_<ID>)
 *   name  syscall name (tracepoint syscalls:sys_exit_<name>, the stem)
 *   x86_64, i386, arm64, arm   syscall number per ABI, -1 when the ABI lacks it
 */
#define MW_ROUTES(X)                                  \
	X(PTRACE, ptrace, 101, 26, 117, 26)              \
	X(PVW, process_vm_writev, 311, 348, 271, 377)    \
	X(OPEN, open, 2, 5, -1, 5)                       \
	X(OPENAT, openat, 257, 295, 56, 322)             \
	X(OPENAT2, openat2, 437, 437, 437, 437)          \
	X(WRITE, write, 1, 4, 64, 4)                     \
	X(PWRITE64, pwrite64, 18, 181, 68, 181)          \
	X(WRITEV, writev, 20, 146, 66, 146)              \
	X(PWRITEV, pwritev, 296, 334, 70, 362)           \
	X(PWRITEV2, pwritev2, 328, 379, 287, 393)        \
	X(IOCTL, ioctl, 16, 54, 29, 54)

#define MW__RT_ENUM(ID, ...) MW_RT_##ID,
enum mw_route {
	MW_RT_NONE = 0,
	MW_ROUTES(MW__RT_ENUM)
	MW_RT_MAX,
};
#undef MW__RT_ENUM
/* nr_event's value for a route's number: MW_NR_ROUTE + route (events are 1..MW_EV_MAX) */
#define MW_NR_ROUTE 0x80

/* Event identifiers, from the rows: stable, they appear as eventId in JSON. */
#define MW__EV_ENUM(id, ID, ...) MW_EV_##ID = id,
enum mw_event_id {
	MW_CALLS(MW__EV_ENUM)
	MW_EV_MAX,
};

/* A set of events: bit MW_EVBIT(id) per enum mw_event_id (--events, the
 * kernel's event_mask, classes). 64 bits: room for 64 calls in the catalogue
 * (catalog.c asserts MW_EV_MAX fits). */
#define MW_EVBIT(ev) (1ull << (ev))
#undef MW__EV_ENUM

/* The syscall number of this build's native ABI and of its 32-bit (compat) ABI. */
#if defined(__TARGET_ARCH_arm64) || defined(__aarch64__)
#define MW_NR_NATIVE(x86_64, i386, arm64, arm) (arm64)
#define MW_NR_COMPAT(x86_64, i386, arm64, arm) (arm)
#else
#define MW_NR_NATIVE(x86_64, i386, arm64, arm) (x86_64)
#define MW_NR_COMPAT(x86_64, i386, arm64, arm) (i386)
#endif

/* i386's old_mmap (x86 only): event mmap, its six values in a struct in user memory. */
#define MW_I386_NR_OLD_MMAP 90
/* i386's ipc() multiplexer (x86 only): calls SHMAT / SHMDT become events shmat / shmdt. */
#define MW_I386_NR_IPC 117
#define MW_IPC_SHMAT 21
#define MW_IPC_SHMDT 22
#define MW_I386_IPC_FN "__ia32_compat_sys_ipc" /* its entry function (function mode) */
#define MW_FN_IPC 255 /* a function slot's event for ipc(): the call's first argument says which */

/* "(a, b, c)" -> "a, b, c": unwraps a row's argument list. */
#define MW_UNPAREN(...) __VA_ARGS__

/* A switch case for a syscall number, or a unique unreachable case when the
 * ABI lacks the call (-1), so that absent numbers never collide. */
#define MW_NR_CASE(nr, ev) case ((nr) >= 0 ? (nr) : -1000 - __COUNTER__): return (ev);

#endif /* MW_CALLS_H */
