/* maps.bpf.h - the BPF object's configuration (read-only data user space sets between open and load), the constants BTF does not give, and its maps; included by mapwatch.bpf.c only. */
#ifndef MW_MAPS_BPF_H
#define MW_MAPS_BPF_H

/* ---- configuration, set by user space between open and load ---- */
const volatile __u32 self_tgid = 0;        /* mapwatch itself: never reported */
const volatile bool follow_only = false;   /* only tgids present in the traced map */
const volatile __u32 root_dev = 0;         /* st_dev of mapwatch's "/", kernel encoding (0: unknown) */
const volatile __u64 event_mask = 0;       /* MW_EVBIT(enum mw_event_id) per event: --events, always set (hooks/load.c) */
const volatile __u64 wake_bytes = 256 * 1024; /* wake the reader once this much is queued */
const volatile __s64 real_minus_boot_ns = 0; /* CLOCK_REALTIME - CLOCK_BOOTTIME at start; 0: no file ages (alerts off) */
const volatile bool lifecycle_recs = false;  /* send fork/exec/exit records (alerts) */
const volatile bool kill_wx = false;         /* --kill-wx: SIGKILL W+X mappings at syscall exit */
/* Set by user space once its reader runs (after every program is attached):
 * a record made before would only wait in the buffer for the reader. Until
 * then calls are not recorded (those in flight then are unmatched exits, as
 * at any attach); process tracking (the traced map) runs regardless. */
volatile bool reporting = false;
__u32 hooks_overlap = 0; /* > 0 while two hook sets are attached (hooks.c switching) */
/* Tracepoint mode following 32-bit processes (hooks.c): the per-syscall
 * tracepoints stay attached for the whole run, and the dispatcher is
 * attached beside them while a 32-bit process runs; disp_live (set by user
 * space) says which of the two records a native call's entry (entry_turn:
 * the other declines at once, leaving a mark that catches a store landing
 * between the two runs of one entry), and the first exit reports. No call
 * is missed or reported twice at a switch, and no perf event is closed
 * (each close waits for RCU grace periods under a kernel-wide mutex; how
 * long: BENCHMARKS.md). */
const volatile bool track_compat = false;
__u32 disp_live = 0;
const volatile bool allow_on = false;        /* --allow given: allow_ino holds its inodes */
/* evidence (capture.bpf.h) */
const volatile __u64 capture_max = 0;   /* --capture-max, in pages' bytes; 0: no capture (--capture/--yara off) */
const volatile __u64 capture_rate = 0;  /* bytes per second over all captures, in the kernel */
const volatile bool callsite_on = false; /* --alerts: mark calls made from anonymous memory */
__noinline int mw_capture_wx_before(__u64 addr, __u64 len, __u64 ts, __u64 id);

/* ---- constants not in BTF ---- */
#define MW_MAP_ANONYMOUS 0x20
#define MW_S_IFMT   00170000
#define MW_S_IFSOCK 0140000
#define MW_S_IFLNK  0120000
#define MW_S_IFREG  0100000
#define MW_S_IFBLK  0060000
#define MW_S_IFDIR  0040000
#define MW_S_IFCHR  0020000
#define MW_S_IFIFO  0010000
#define MW_TMPFS_MAGIC      0x01021994
#define MW_HUGETLBFS_MAGIC  0x958458f6
#define MW_ANON_INODE_MAGIC 0x09041934
#define MW_TS_COMPAT 0x0002  /* x86 thread_info.status: in a 32-bit syscall */
#define MW_SHM_RDONLY 010000
#define MW_SHM_EXEC   0100000
#define MW_PROT_READ  0x1
#define MW_PROT_WRITE 0x2
#define MW_PROT_EXEC  0x4
#define MW_SIGKILL 9
#define MW_SIGSTOP 19
#define MW_EBUSY 16
#define MW_ENOENT 2
#define MW_ENOMEM 12

/* ---- maps ---- */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024); /* resized by user space (--buffer-size) */
} rb SEC(".maps");

/* A call between its entry and its exit. */
struct pending {
	__u64 ts;
	__u64 args[6];
	__u16 event;
	__u16 nr;
	__u16 flags;
	__u8 has_path;
	__u8 filtered;  /* set (with ts 0) when an argument filter rejected the call at entry */
	__u8 exited;    /* set (with ts 0) once the exit was handled: while hooks switch, a
			 * second hook's exit of the same call stays silent */
	__u8 handoff;   /* set (with ts 0) by a hook that declined this entry (entry_turn) */
	__u8 exe_sent;  /* this thread knows its process's executable path went out (cleared at exec) */
	struct mw_file file;
	__u64 aux;      /* i386 ipc(SHMAT): where the kernel writes the address */
};

/* Calls in progress live in task-local storage: a thread has at most one
 * mapping syscall and one do_mmap in flight, and a lookup there is much
 * cheaper than a hash-map update, lookup and delete per call. */
struct pending_slots {
	struct pending sys;  /* the syscall (pending.ts == 0: none) */
	struct pending dm;   /* do_mmap */
	struct mw_udata ud;  /* the syscall's user memory (pending.flags & MW_F_UDATA) */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pending_slots);
} pending SEC(".maps");

struct path_buf {
	__u32 len;
	__u32 flags;
	char data[MW_PATH_MAX + MW_NAME_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);   /* pid_tgid */
	__type(value, struct path_buf);
} pending_path SEC(".maps");

/* Per-CPU scratch: the event under construction, a path buffer, and the
 * caller's context as mw_context() read it. */
struct scratch {
	struct mw_event ev;
	char evpath[MW_PATH_MAX + MW_NAME_MAX];
	struct path_buf pb;
	struct mw_event cx;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

/* the path data must follow the event header directly */
_Static_assert(__builtin_offsetof(struct scratch, evpath) == sizeof(struct mw_event), "event layout");
_Static_assert(sizeof(struct mw_proc_rec) == 16, "proc record layout");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MW_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* tgids in scope when follow_only is set (the command and its descendants). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} traced SEC(".maps");

/* tgids whose executable path was already sent since their last exec. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} exe_seen SEC(".maps");

/* --allow: inodes (kernel dev encoding) of allowed executables and of
 * allowed directories (an executable anywhere under one is allowed). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct mw_inode_key);
	__type(value, __u8);
} allow_ino SEC(".maps");

/* The --allow verdict of a tgid's executable (1 not allowed, 2 allowed),
 * computed at its first event and forgotten at exec and exit. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} allow_cache SEC(".maps");

#endif
