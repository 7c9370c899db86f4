/* hooks.h - the BPF object's lifecycle and its hooks into the kernel: choose, load, attach, detach. */
#ifndef MW_HOOKS_H
#define MW_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include "tracer.h"

struct mapwatch_bpf;
struct mw_hooks;

/* Check that this process and kernel can run mapwatch's programs at all:
 * privileges, BTF, tracefs (mounted here if it is not). Also routes
 * libbpf's messages to stderr when verbose, silences them otherwise.
 * Returns 0, or -1 after printing one line that says what to do. */
int mw_hooks_check_env(bool verbose);

/* Open, configure (rodata from o), load and attach the programs for o.
 * follow: only tgids registered in the traced map are in scope.
 * compat: 32-bit tasks are to be traced.
 * Returns the loaded hooks, or NULL after printing one line saying why. */
struct mw_hooks *mw_hooks_start(const struct mw_opts *o, bool follow, bool compat);

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
