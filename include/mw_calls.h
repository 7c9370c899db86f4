/* mw_calls.h - THE catalogue of traced calls: one X-macro row per event, read by BPF C and user space. */
#ifndef MW_CALLS_H
#define MW_CALLS_H

/*
 * Adding a call is one row in MW_CALLS below (plus, at most, one decoder in
 * src/decode.c for a new flag set). Everything else comes from the row:
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
};

/* Argument tags (SPEC.md): U from user space, K from the kernel, TOCTOU read
 * from user memory at entry (the caller can change it), OPT optional. */
#define MW_TAG_U      (1u << 0)
#define MW_TAG_K      (1u << 1)
#define MW_TAG_TOCTOU (1u << 2)
#define MW_TAG_OPT    (1u << 3)
#define MW_TG_U        MW_TAG_U
#define MW_TG_K        MW_TAG_K
#define MW_TG_U_OPT    (MW_TAG_U | MW_TAG_OPT)
#define MW_TG_U_TOCTOU (MW_TAG_U | MW_TAG_TOCTOU)

/* Classes (--events %name). */
#define MW_CL_MAPPING (1u << 0) /* %mapping: mapwatch's original set (the default) */
#define MW_CL_MEMORY  (1u << 1) /* %memory: strace's memory class */
#define MW_CL_SHM     (1u << 2) /* %shm: SysV shared memory and memfd */
#define MW_CL_KERNEL  (1u << 3) /* not a syscall: a kernel-function hook (never in "all") */

/* What the entry program reads besides the six registers. */
enum mw_entry {
	MW_IN_NONE,
	MW_IN_MMAPFD,  /* resolve fd (arg 4) to its file unless MAP_ANONYMOUS (arg 3) */
};

/* How the return value is shown. */
enum mw_ret { MW_R_INT, MW_R_ADDR };

#define MW_CALLS(X)                                                                                \
	X(0, MMAP, mmap, SYS, 6, 9, 90, 222, -1, "mmap", "__ia32_compat_sys_ia32_mmap",            \
	  MW_CL_MAPPING | MW_CL_MEMORY, MW_IN_MMAPFD, MW_R_ADDR,                                     \
	  (MW_A(addr, POINTER, HEX, U), MW_A(length, U64, LEN, U), MW_A(prot, INT, PROT, U),        \
	   MW_A(flags, INT, MMAP_FLAGS, U), MW_A(fd, INT, FD, U), MW_A(off, U64, HEX, U)),           \
	  "map memory (i386 90 is old_mmap: args read from a user struct, TOCTOU)")                 \
	X(1, MMAP2, mmap2, SYS, 6, -1, 192, -1, 192, "mmap2", "__ia32_sys_mmap_pgoff",              \
	  MW_CL_MAPPING | MW_CL_MEMORY, MW_IN_MMAPFD, MW_R_ADDR,                                     \
	  (MW_A(addr, POINTER, HEX, U), MW_A(length, U64, LEN, U), MW_A(prot, INT, PROT, U),        \
	   MW_A(flags, INT, MMAP_FLAGS, U), MW_A(fd, INT, FD, U), MW_A(pgoffset, U64, PGOFF, U)),    \
	  "32-bit ABI mmap, offset in 4096-byte pages")                                             \
	X(2, MUNMAP, munmap, SYS, 2, 11, 91, 215, 91, "munmap", "__ia32_sys_munmap",                \
	  MW_CL_MAPPING | MW_CL_MEMORY, MW_IN_NONE, MW_R_INT,                                        \
	  (MW_A(addr, POINTER, HEX, U), MW_A(length, U64, LEN, U)),                                 \
	  "unmap memory")                                                                           \
	X(3, MPROTECT, mprotect, SYS, 3, 10, 125, 226, 125, "mprotect", "__ia32_sys_mprotect",      \
	  MW_CL_MAPPING | MW_CL_MEMORY, MW_IN_NONE, MW_R_INT,                                        \
	  (MW_A(addr, POINTER, HEX, U), MW_A(len, U64, LEN, U), MW_A(prot, INT, PROT, U)),          \
	  "change protection")                                                                      \
	X(4, PKEY_MPROTECT, pkey_mprotect, SYS, 4, 329, 380, 288, 394, "pkey_mprotect",             \
	  "__ia32_sys_pkey_mprotect", MW_CL_MAPPING | MW_CL_MEMORY, MW_IN_NONE, MW_R_INT,            \
	  (MW_A(addr, POINTER, HEX, U), MW_A(len, U64, LEN, U), MW_A(prot, INT, PROT, U),           \
	   MW_A(pkey, INT, DEC, U)),                                                                \
	  "change protection and protection key")                                                   \
	X(5, MREMAP, mremap, SYS, 5, 25, 163, 216, 163, "mremap", "__ia32_sys_mremap",              \
	  MW_CL_MAPPING | MW_CL_MEMORY, MW_IN_NONE, MW_R_ADDR,                                       \
	  (MW_A(old_address, POINTER, HEX, U), MW_A(old_size, U64, LEN, U),                         \
	   MW_A(new_size, U64, DEC, U), MW_A(flags, INT, MREMAP_FLAGS, U),                          \
	   MW_A(new_address, POINTER, HEX, U_OPT)),                                                 \
	  "resize or move a mapping")                                                               \
	X(6, MSYNC, msync, SYS, 3, 26, 144, 227, 144, "msync", "__ia32_sys_msync",                  \
	  MW_CL_MAPPING | MW_CL_MEMORY, MW_IN_NONE, MW_R_INT,                                        \
	  (MW_A(addr, POINTER, HEX, U), MW_A(length, U64, LEN, U), MW_A(flags, INT, MSYNC_FLAGS, U)),\
	  "flush a file mapping")                                                                   \
	X(7, DO_MMAP, do_mmap, KFN, 6, -1, -1, -1, -1, "do_mmap", "", MW_CL_KERNEL, MW_IN_NONE,     \
	  MW_R_ADDR,                                                                                \
	  (MW_A(addr, POINTER, HEX, K), MW_A(len, U64, LEN, K), MW_A(prot, U64, PROT, K),           \
	   MW_A(flags, U64, MMAP_FLAGS, K), MW_A(vm_flags, U64, HEX, K), MW_A(pgoff, U64, PGOFF, K)),\
	  "kernel mapping function (needs kprobes or fentry)")

/* Event identifiers, from the rows: stable, they appear as eventId in JSON. */
#define MW__EV_ENUM(id, ID, ...) MW_EV_##ID = id,
enum mw_event_id {
	MW_CALLS(MW__EV_ENUM)
	MW_EV_MAX,
};
#undef MW__EV_ENUM

/* The syscall number of this build's native ABI and of its 32-bit (compat) ABI. */
#if defined(__TARGET_ARCH_arm64) || defined(__aarch64__)
#define MW_NR_NATIVE(x86_64, i386, arm64, arm) (arm64)
#define MW_NR_COMPAT(x86_64, i386, arm64, arm) (arm)
#else
#define MW_NR_NATIVE(x86_64, i386, arm64, arm) (x86_64)
#define MW_NR_COMPAT(x86_64, i386, arm64, arm) (i386)
#endif

/* "(a, b, c)" -> "a, b, c": unwraps a row's argument list. */
#define MW_UNPAREN(...) __VA_ARGS__

/* A switch case for a syscall number, or a unique unreachable case when the
 * ABI lacks the call (-1), so that absent numbers never collide. */
#define MW_NR_CASE(nr, ev) case ((nr) >= 0 ? (nr) : -1000 - __COUNTER__): return (ev);

#endif /* MW_CALLS_H */
