/* hooks.h - the BPF object's lifecycle and its hooks into the kernel: choose, load, attach, detach. */
#ifndef MW_HOOKS_H
#define MW_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "options.h"

struct mapwatch_bpf;
struct mw_hooks;
struct mw_filters;

/* What the kernel side needs to know, built once by the caller
 * (mw_hook_cfg_from_opts), copied by mw_hooks_start. */
struct mw_hook_cfg {
	enum mw_hook hook;              /* the mode asked for (auto: the best that sees every call) */
	bool compat;                    /* trace 32-bit tasks (the caller probed the kernel) */
	bool follow;                    /* only tgids registered in the traced map are in scope */
	uint64_t event_mask;            /* MW_EVBIT(enum mw_event_id) per event */
	size_t buffer_size;             /* ring buffer bytes */
	bool lifecycle;                 /* fork/exec/exit records */
	bool alerts;                    /* alerts (or --kill-wx): lifecycle records, 32-bit coverage from the start */
	bool kill_wx;                   /* SIGKILL W+X requesters from the kernel */
	const char **allow;             /* --allow executables (their identities go to the kernel) */
	int nallow;
	bool summary;                   /* -c: count in the kernel */
	int summary_by;                 /* enum mw_sum_by */
	unsigned stack_depth;           /* -k: user stack frames per call (0: none) */
	uint64_t capture_max;           /* --capture: bytes copied per region made executable (0: none) */
	uint64_t capture_rate;          /* --capture-rate: the kernel's byte budget per second */
	const struct mw_filters *filters; /* in-kernel filters (never NULL) */
	int verbose;                    /* -v count: -vvv asks the verifier's figures */
	/* test knobs, from the environment (mapwatch(8) ENVIRONMENT) */
	uint32_t traced_max;            /* MAPWATCH_TRACED_MAX=N: the traced map's size (0: default), to see a full one */
	bool sync_detach;               /* MAPWATCH_SYNC_DETACH=1: close the links in mapwatch at exit, not in mapwatch-close */
	bool no_callsite;               /* MAPWATCH_NO_CALLSITE=1: no call_from_anon check in the kernel (to measure its cost) */
};

/* Fill c from the options o; follow and compat as mw_hooks_start needs them. */
void mw_hook_cfg_from_opts(struct mw_hook_cfg *c, const struct mw_opts *o, bool follow, bool compat);

/* Check that this process and kernel can run mapwatch's programs at all:
 * privileges, BTF, tracefs (mounted here if it is not). Also routes
 * libbpf's messages to stderr when verbose, silences them otherwise.
 * Returns 0, or -1 after printing one line that says what to do. */
int mw_hooks_check_env(bool verbose);

/* Open, configure (rodata from cfg), load and attach the programs for cfg,
 * in the best hook mode cfg->hook allows that sees every selected call of both
 * ABIs from the first (function; else, where 32-bit tasks are traced, the
 * dispatcher; else tracepoint; see mw_hooks_describe). Only an explicit
 * --hook tracepoint with 32-bit tasks traced switches: a thread of its own
 * attaches the dispatcher as 32-bit processes come and go (each start's
 * window before it is counted), until mw_hooks_stop.
 * Returns the loaded hooks, or NULL after printing one line saying why. */
struct mw_hooks *mw_hooks_start(const struct mw_hook_cfg *cfg);

/* The command cmd (a path, or a name looked up in PATH as execvp does) is
 * about to be exec'd in scope: if it is a 32-bit program and the hooks are
 * the per-syscall tracepoints, attach the dispatcher now, so that none of
 * its calls comes before it (no hook_switch_gap). Best effort, no errors. */
void mw_hooks_before_exec(struct mw_hooks *h, const char *cmd);

/* -v: say what is attached ("mapwatch: attached N programs ..."); called
 * once the programs record, so the line means every call from here on is
 * seen. NULL is fine. */
void mw_hooks_announce(struct mw_hooks *h);

/* One line for people: the hook mode chosen, why better ones were refused,
 * and the hooks this kernel lacks (skipped). Written into buf; returns it. */
const char *mw_hooks_describe(struct mw_hooks *h, char *buf, size_t n);

/* For --list: start the hooks o asks for (quietly), describe them as
 * mw_hooks_describe does, stop them. "unknown: ..." without root. */
const char *mw_hooks_probe(const struct mw_hook_cfg *cfg, char *buf, size_t n);

/* What the hooks did, for --stats. */
struct mw_hooks_stats {
	const char *mode;       /* "function", "tracepoint", "dispatcher" */
	bool switching;         /* tracepoint mode switching on 32-bit processes (--hook tracepoint) */
	bool compat_from_start; /* 32-bit calls (int 0x80 from 64-bit tasks too) seen from a task's first instruction */
	uint64_t to_disp, to_tp; /* switches made to the dispatcher and back */
	uint64_t gap_max_ns;    /* longest 32-bit start -> dispatcher attached */
	uint64_t missed;        /* runs the kernel skipped (bpf_prog_info.recursion_misses, all programs) */
};

/* Fill st for h (zeros and mode "none" for NULL). The count of 32-bit
 * starts the dispatcher missed is the MW_CNT_HOOK_GAP counter. */
void mw_hooks_get_stats(struct mw_hooks *h, struct mw_hooks_stats *st);

/* The loaded skeleton (maps: rb, counters, traced, ...); never NULL for a
 * started mw_hooks. */
struct mapwatch_bpf *mw_hooks_skel(struct mw_hooks *h);

/* Detach every program (exit programs first, links closed in parallel);
 * the maps stay readable: nothing more is counted or committed after it
 * returns. NULL is fine. */
void mw_hooks_detach(struct mw_hooks *h);

/* Detach and unload everything; NULL is fine. */
void mw_hooks_stop(struct mw_hooks *h);

/* Probe whether the do_mmap hook can be attached here (loads and attaches
 * it, then detaches); writes "available (fentry/fexit)", "available
 * (kprobe/kretprobe)" or "unavailable: <why>" into buf and returns it. */
const char *mw_do_mmap_availability(char *buf, size_t n);

/* 1 if this kernel runs 32-bit (compat) syscalls, 0 if not. */
int mw_compat_supported(void);

#endif
