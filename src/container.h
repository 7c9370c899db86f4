/* container.h - who a containerised process is (container name, image, Kubernetes pod), read from the runtimes' state once per cgroup and cached by cgroup id. */
#ifndef MW_CONTAINER_H
#define MW_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ctr_state.h"

/* One container's identity. Every string is non-NULL ("" when unknown). */
struct mw_container {
	const char *id, *name, *image, *image_digest, *runtime;
	const char *pod_name, *pod_namespace, *pod_uid;
};

/* Entries the cache keeps by default (containers and host cgroups). */
#define MW_CTR_CACHE_DEFAULT 4096

/* Add runtime state roots: "KIND=DIR[,KIND=DIR...]" with KIND one of runc,
 * crun, containerd, moby (runc-format state directories: DIR/<id>/state.json),
 * docker (docker's data root: DIR/containers/<id>/config.v2.json), podman
 * (containers/storage's root: DIR/overlay-containers/containers.json). The
 * first root given for a kind replaces that kind's default roots. Returns 0,
 * or -1 with a one-line reason in err. */
int mw_ctr_add_roots(const char *spec, char *err, size_t errlen);

/* How many entries the cache keeps (1..1048576); older ones are evicted. */
void mw_ctr_set_cache_size(unsigned n);

/* A BPF map (cgroup id -> {u8 len; char id[64]}) where the kernel keeps the
 * 64-hex container ids it saw: asked for a cgroup removed before user space
 * could look it up. -1: none. */
void mw_ctr_set_kernel_ids(int map_fd);

/* The container of the cgroup with this id (v2), NULL for none (the host,
 * or a cgroup that names no container). Looked up once per cgroup id (by
 * the resolver thread when the kernel announced the cgroup, else here) and
 * cached; for the reader thread only: the result stays valid until its next
 * call (which may evict the least recently used entries). comm (NULL: none)
 * is the caller's command: a cgroup cached as naming no container yet is
 * looked up again when another command calls (a runtime's init has exec'd
 * the container's program, after writing the state). */
const struct mw_container *mw_container_get(uint64_t cgid, const char *comm);

/* For the resolver thread: look the cgroup up if it is not cached, or
 * (recheck) again if it is cached as tentative (no container yet: the
 * runtime may not have written its state yet); the cache may then hold
 * more than its size until the reader's next mw_container_get evicts. Then
 * judge it: returns judge's verdict on its container (NULL: none), -1
 * without judge. *tentative: whether it is worth asking again later;
 * *is_ctr: whether it is a container (named or not). */
int mw_container_resolve(uint64_t cgid, bool recheck, bool (*judge)(const struct mw_container *c, void *arg),
			 void *arg, bool *tentative, bool *is_ctr);

/* Resolve a cgroup path (as /proc/PID/cgroup or /proc/self/fd show it)
 * through the runtimes' state into out (cleared first). Returns 1 for a
 * container (out->id set; the rest where the runtime says), 0 for none. */
int mw_ctr_resolve_path(const char *cgpath, struct mw_ctr_info *out);

/* What the resolver did (--stats, metrics). */
struct mw_ctr_stats {
	uint64_t lookups;       /* cgroups looked up (cache misses) */
	uint64_t containers;    /* ... found to be containers named by a runtime's state */
	uint64_t unresolved;    /* ... whose cgroup names a container that no runtime's state describes */
	uint64_t state_errors;  /* state files present but unreadable, malformed or too large */
	uint64_t gone;          /* cgroups removed before they could be looked up */
	uint64_t late;          /* containers named on a second look (their state came after the cgroup) */
	uint64_t evictions, entries;
	uint64_t lookup_ns, lookup_max_ns; /* time spent looking up: total, longest */
};
void mw_ctr_stats(struct mw_ctr_stats *st);

/* The name to show for a container in a table: its name, else its id's
 * first 12 characters, into buf. */
const char *mw_ctr_display(const struct mw_container *c, char *buf, size_t n);

/* Drop every entry and configured root (at exit, for leak checkers). */
void mw_ctr_clear(void);

#endif
