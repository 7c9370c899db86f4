/* hooks/internal.h - what the files of src/hooks/ share: the hooks' state, the link and program tables. Not for the rest of mapwatch (src/hooks.h is). */
#ifndef MW_HOOKS_INTERNAL_H
#define MW_HOOKS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <bpf/libbpf.h>
#include "mapwatch.h"
#include "hooks.h"

#define MW_MAX_PROGS (2 * MW_EV_MAX + 2 * MW_FN_SLOTS + MW_RT_SLOTS + MW_RT_MAX + 24) /* tracepoint pairs, function slots, route slots and tracepoints, the rest */

/* The mode in force is one of enum mw_hook's (options.h) but MW_HOOK_AUTO,
 * which only asks for the best; its name, indexed by that value: */
extern const char *const mw_hook_mode_names[];

/* How the do_mmap hook is attached. */
enum dm_mode { DM_NONE, DM_FENTRY, DM_KPROBE };

/* What a program of the object is (load.c's table, built from the
 * skeleton and the catalogue: no name parsing). */
enum prog_kind { PK_OTHER, PK_TP, PK_DISP, PK_FN, PK_LIFE, PK_DM_FENTRY, PK_DM_KPROBE,
		 PK_ROUTE, /* code_write's route tracepoints (hooks.bpf.h): alerts in tracepoint mode */
		 PK_RT /* code_write's route fexit slots (hooks.bpf.h): alerts in function mode */ };

struct prog_info {
	const struct bpf_program *prog;
	enum prog_kind kind;
	int event;  /* PK_TP: the event; else -1 */
	int slot;   /* PK_FN, PK_RT: the function slot; else -1 */
	bool exit;  /* runs at a call's exit (sys_exit, fexit, kretprobe, a task's exit) */
};

/* One function hook: the syscall entry function of one event (a route's:
 * one enum mw_route) in one ABI. */
struct fn_slot {
	int event;
	int compat; /* 0 native, 1 32-bit, 2 both (one function serves both ABIs: ask the task) */
	char func[64];
};

/* A link, and whether its program runs at an exit (those are detached
 * first when mapwatch stops: an entry left without its exit only leaves a
 * stale slot, an exit without its entry would be counted as unmatched). */
struct hlink {
	struct bpf_link *l;
	bool exit;
};

struct mw_hooks {
	struct mw_hook_cfg cfg;         /* the caller's, copied */
	struct mapwatch_bpf *skel;
	struct prog_info progs[MW_MAX_PROGS]; /* every program of the object (load.c) */
	int nprogs;
	enum mw_hook mode;
	enum dm_mode dm;
	bool track;                     /* tracepoint mode: switch on 32-bit processes */
	struct hlink links[MW_MAX_PROGS];    /* attached for the whole run */
	int nlinks;
	struct hlink tp_links[MW_MAX_PROGS]; /* per-syscall tracepoints */
	int ntp;
	struct hlink disp_links[2];          /* the dispatcher */
	int ndisp;
	struct fn_slot fn[MW_FN_SLOTS];
	int nfn;
	struct fn_slot rt[MW_RT_SLOTS];     /* code_write's routes (alerts in function mode) */
	int nrt;
	char refused[512];              /* why better modes were refused */
	char skipped[1024];             /* hooks this kernel lacks */
	uint64_t to_disp, to_tp;        /* switches made */
	uint64_t gap_max_ns, gap_sum_ns;/* 32-bit start -> dispatcher live */
	uint64_t live_ns;               /* when the dispatcher was last attached */
	pthread_t detachers[16];        /* links being destroyed in the background */
	int ndetachers;
	/* the watcher: a thread of its own that switches hooks as 32-bit
	 * processes come and go, never waiting behind the event reader */
	struct ring_buffer *ctl;
	pthread_t watcher;
	bool watching;
	int stop_fd;                    /* eventfd: tells the watcher to end */
	pthread_mutex_t lock;           /* the switch state, between watcher and stats */
};

/* Every program of the object. */
#define for_each_prog(h, p) bpf_object__for_each_program(p, (h)->skel->obj)

/* hooks.c: append "; "-separated text to buf. */
void mw_hooks_append(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* env.c: the environment */
void mw_hooks_libbpf_print(int verbose);  /* libbpf's messages on stderr (verbose >= 2) or none */
bool mw_have_cap(int cap);
int mw_check_tracefs(void);               /* 0, or -1 after saying what to do */
const char *mw_tracefs_dir(void);
bool mw_tracepoint_exists(const char *dir, const char *sec);

/* plan.c: function hooks, from the kernel's BTF */
int mw_catalog_nr(int ev, bool compat);  /* the event's number in that ABI of this machine; -1: none */
int mw_function_mode_refused(struct mw_hooks *h, char *why, size_t n); /* 0 with h->fn planned, -1 with why */
int mw_do_mmap_has_vmflags(void);        /* 1 (6.3+), 0, -1 not in BTF */

/* load.c: the BPF object */
const struct prog_info *mw_prog_info(const struct mw_hooks *h, const struct bpf_program *p);
int mw_hooks_load_all(struct mw_hooks *h); /* 0, or -1 after saying why */

/* links.c: attaching and detaching */
int mw_attach_into(struct mw_hooks *h, struct bpf_program *p, struct hlink *links, int *n, int cap); /* 0, or -errno */
int mw_attach_kind(struct mw_hooks *h, enum prog_kind k, struct hlink *links, int *n, int cap); /* 0, or -1 after saying why */
void mw_detach_later(struct mw_hooks *h, struct hlink *links, int *n);
void mw_join_detachers(struct mw_hooks *h);
void mw_hooks_detach_all(struct mw_hooks *h);
void mw_hooks_unload(struct mw_hooks *h);

/* compat.c: 32-bit processes (tracepoint mode's switching) */
int mw_switch_to_dispatcher(struct mw_hooks *h);  /* 0, or -1 after saying why */
int mw_hooks_settle(struct mw_hooks *h, const struct mw_compat_rec *rec);
void mw_seed_compat_procs(struct mw_hooks *h);
int mw_watch_start(struct mw_hooks *h);
void mw_watch_stop(struct mw_hooks *h);

#endif
