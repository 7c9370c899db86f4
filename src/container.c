/* container.c - container identities: a cgroup's path -> the runtimes' state files -> struct mw_container, cached by cgroup id (bounded, least recently used evicted). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "container.h"
#include "proc.h"

/* A state file larger than this is not read (counted as a state error). */
#define MAX_STATE (16u << 20)
#define MAX_ROOTS 8
/* Lookups of a cgroup that names no container yet, at most. */
#define MW_CTR_TRIES 16

/* The runtimes' state, by kind: where it lives and how it is read. */
enum kind { K_RUNC, K_CRUN, K_CONTAINERD, K_MOBY, K_DOCKER, K_PODMAN, K_N };

static const struct {
	const char *name;      /* in --runtime-root */
	const char *runtime;   /* the "runtime" key */
	const char *defaults[3];
} kinds[K_N] = {
	[K_RUNC] = { "runc", "runc", { "/run/runc" } },
	[K_CRUN] = { "crun", "crun", { "/run/crun" } },
	[K_CONTAINERD] = { "containerd", "containerd",
			   { "/run/containerd/runc/k8s.io", "/run/containerd/runc/default" } },
	[K_MOBY] = { "moby", "docker", { "/run/docker/runtime-runc/moby" } },
	[K_DOCKER] = { "docker", "docker", { "/var/lib/docker" } },
	[K_PODMAN] = { "podman", "podman", { "/var/lib/containers/storage" } },
};

static struct {
	char *dir[MAX_ROOTS];
	unsigned n;
} roots[K_N];

/* The cache: a hash of cgroup ids (chained) and a list from the most to
 * the least recently used. */
struct entry {
	uint64_t cgid;
	struct entry *hnext, *prev, *next;
	bool is_ctr;
	/* no container yet, but the cgroup was there: a runtime may not have
	 * written its state yet (runc's init runs before state.json exists),
	 * so the cgroup is looked up again (MW_CTR_TRIES times at most) */
	bool tentative;
	uint8_t tries;
	char comm[16];   /* the command of the last event that looked it up */
	struct mw_container c;
	char text[];  /* the strings of c */
};

#define HBITS 12
/* The reader thread looks entries up (mw_container_get) and alone evicts
 * them, so that what it holds stays valid while it handles one record; the
 * resolver thread (mw_container_resolve) only adds. The lock covers the
 * hash and the list, never a lookup's file reads. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* proc.c's cgroup lookups keep state of their own (a root fd, a cache):
 * one thread at a time */
static pthread_mutex_t proc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *hash[1u << HBITS];
static struct entry *mru, *lru;
static unsigned cache_max = MW_CTR_CACHE_DEFAULT, cache_n;
/* Bumped (lock held) at every change of the cache: an entry added, moved in
 * the list, taken out or changed, the size set. The reader's last answer
 * (mw_container_get) holds while it has not moved. */
static uint64_t gen;
static __thread struct {
	uint64_t cgid, gen;
	const struct mw_container *c;
	bool tentative;  /* looked up again for another command than comm */
	char comm[16];
} last;

static void changed(void)
{
	__atomic_store_n(&gen, gen + 1, __ATOMIC_RELEASE);
}
static int kernel_ids_fd = -1;
static struct mw_ctr_stats st;

#define BUMP(f) __atomic_add_fetch(&st.f, 1, __ATOMIC_RELAXED)

static unsigned hslot(uint64_t id)
{
	return (unsigned)((id * 0x9E3779B97F4A7C15ull) >> (64 - HBITS));
}

int mw_ctr_add_roots(const char *spec, char *err, size_t errlen)
{
	char *copy = strdup(spec ? spec : ""), *save = NULL;
	int rc = 0;

	if (!copy)
		return -1;
	for (char *w = strtok_r(copy, ",", &save); w && !rc; w = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(w, '=');
		int k;

		for (k = 0; k < K_N; k++)
			if (eq && (size_t)(eq - w) == strlen(kinds[k].name) && !strncmp(w, kinds[k].name, (size_t)(eq - w)))
				break;
		if (!eq || k == K_N || eq[1] != '/') {
			snprintf(err, errlen,
				 "--runtime-root '%s' must be KIND=/DIR with KIND runc, crun, containerd, moby, docker or podman", w);
			rc = -1;
		} else if (roots[k].n >= MAX_ROOTS) {
			snprintf(err, errlen, "--runtime-root: at most %d directories for %s", MAX_ROOTS, kinds[k].name);
			rc = -1;
		} else if (!(roots[k].dir[roots[k].n] = strdup(eq + 1))) {
			rc = -1;
		} else {
			roots[k].n++;
		}
	}
	free(copy);
	return rc;
}

void mw_ctr_set_cache_size(unsigned n)
{
	pthread_mutex_lock(&lock);
	cache_max = n ? n : 1;
	changed();
	pthread_mutex_unlock(&lock);
}

void mw_ctr_set_kernel_ids(int map_fd)
{
	kernel_ids_fd = map_fd;
}

/* The directories of kind k: the configured ones, else the defaults. */
static unsigned dirs_of(int k, const char **out)
{
	unsigned n = 0;

	if (roots[k].n) {
		for (; n < roots[k].n; n++)
			out[n] = roots[k].dir[n];
		return n;
	}
	for (unsigned i = 0; i < 3 && kinds[k].defaults[i]; i++)
		out[n++] = kinds[k].defaults[i];
	return n;
}

/* A state file's whole text (NUL-terminated), or NULL: absent (ENOENT,
 * not counted), or present but not readable as a file of at most MAX_STATE
 * bytes (counted). A file replaced or truncated while it is read is read
 * as it was: the parser then rejects what does not parse. */
static char *read_state(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat sb;
	char *buf = NULL;
	size_t n = 0;

	if (fd < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			BUMP(state_errors);
		return NULL;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size > (off_t)MAX_STATE)
		goto bad;
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf)
		goto bad;
	while (n < (size_t)sb.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)sb.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto bad;
		if (r == 0)
			break; /* truncated while read */
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	*len = n;
	return buf;
bad:
	free(buf);
	close(fd);
	BUMP(state_errors);
	return NULL;
}

/* dir/name into out; -1 when it does not fit. */
static int path_join(char *out, size_t n, const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);

	if (a + 1 + b + 1 > n)
		return -1;
	memcpy(out, dir, a);
	out[a] = '/';
	memcpy(out + a + 1, name, b + 1);
	return 0;
}

/* An id a runtime could have given: a single path component. */
static bool plausible_id(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n < MW_CTR_ID_MAX && !strchr(id, '/') && strcmp(id, ".") && strcmp(id, "..");
}

/* runc's, crun's or containerd's state of id under the runc-format roots. */
static bool from_runc(const char *id, struct mw_ctr_info *out)
{
	static const char *const files[] = { "state.json", "status" }; /* runc's, crun's */
	const char *dirs[MAX_ROOTS];

	for (int k = K_RUNC; k <= K_MOBY; k++) {
		unsigned nd = dirs_of(k, dirs);
		for (unsigned d = 0; d < nd; d++) {
			for (unsigned f = 0; f < 2; f++) {
				char path[PATH_MAX], bundle[PATH_MAX];
				size_t len;
				char *text;
				int rc;

				snprintf(path, sizeof(path), "%s/%s/%s", dirs[d], id, files[f]);
				text = read_state(path, &len);
				if (!text)
					continue;
				rc = mw_ctr_parse_runc_state(text, len, out, bundle, sizeof(bundle));
				free(text);
				if (rc) {
					BUMP(state_errors);
					continue;
				}
				snprintf(out->id, sizeof(out->id), "%s", id);
				snprintf(out->runtime, sizeof(out->runtime), "%s", kinds[k].runtime);
				/* the annotations: the bundle's config.json (runc), or the copy
				 * crun keeps beside its status */
				if (!bundle[0] || path_join(path, sizeof(path), bundle, "config.json"))
					snprintf(path, sizeof(path), "%s/%s/config.json", dirs[d], id);
				text = read_state(path, &len);
				if (text && mw_ctr_parse_oci_config(text, len, out))
					BUMP(state_errors);
				free(text);
				return true;
			}
		}
	}
	return false;
}

static bool from_docker(const char *id, struct mw_ctr_info *out)
{
	const char *dirs[MAX_ROOTS];
	unsigned nd = dirs_of(K_DOCKER, dirs);

	for (unsigned d = 0; d < nd; d++) {
		char path[PATH_MAX];
		size_t len;
		char *text;
		int rc;

		snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json", dirs[d], id);
		text = read_state(path, &len);
		if (!text)
			continue;
		rc = mw_ctr_parse_docker_config(text, len, out);
		free(text);
		if (rc) {
			BUMP(state_errors);
			continue;
		}
		snprintf(out->runtime, sizeof(out->runtime), "docker");
		return true;
	}
	return false;
}

static bool from_podman(const char *id, struct mw_ctr_info *out)
{
	static const char *const drivers[] = { "overlay", "vfs", "btrfs", "zfs" };
	const char *dirs[MAX_ROOTS];
	unsigned nd = dirs_of(K_PODMAN, dirs);

	for (unsigned d = 0; d < nd; d++) {
		for (unsigned v = 0; v < sizeof(drivers) / sizeof(drivers[0]); v++) {
			char path[PATH_MAX], image_id[160];
			size_t len;
			char *text;
			int rc;

			snprintf(path, sizeof(path), "%s/%s-containers/containers.json", dirs[d], drivers[v]);
			text = read_state(path, &len);
			if (!text)
				continue;
			rc = mw_ctr_parse_podman_containers(text, len, id, out, image_id, sizeof(image_id));
			free(text);
			if (rc)
				continue; /* not there (or not readable: the next driver's may be) */
			snprintf(out->runtime, sizeof(out->runtime), "podman");
			snprintf(path, sizeof(path), "%s/%s-images/images.json", dirs[d], drivers[v]);
			text = image_id[0] ? read_state(path, &len) : NULL;
			if (text)
				mw_ctr_parse_podman_images(text, len, image_id, out);
			free(text);
			return true;
		}
	}
	return false;
}

/* The runtimes' state for a container id; the more specific stores
 * (docker's, podman's) name it over the runc-format state. */
static bool lookup_id(const char *id, struct mw_ctr_info *out)
{
	bool found;

	if (!plausible_id(id))
		return false;
	found = from_runc(id, out);
	found |= from_docker(id, out);
	found |= from_podman(id, out);
	if (found)
		snprintf(out->id, sizeof(out->id), "%s", id);
	return found;
}

/* The ids a cgroup's name can stand for: the name itself (runc's
 * cgroupfs default /<id>), and without a runtime's systemd scope or
 * cgroupfs prefix (docker-<id>.scope, cri-containerd-<id>.scope,
 * crio-<id>.scope, libpod-<id>.scope, runc-<id>.scope, libpod-<id>). */
static unsigned candidates(const char *name, size_t len, char out[3][MW_CTR_ID_MAX])
{
	static const char *const pre[] = { "cri-containerd-", "docker-", "crio-", "libpod-", "runc-", "crun-" };
	unsigned n = 0;

	if (len == 0 || len >= MW_CTR_ID_MAX)
		return 0;
	if (len > 6 && !memcmp(name + len - 6, ".scope", 6))
		len -= 6;
	snprintf(out[n++], MW_CTR_ID_MAX, "%.*s", (int)len, name);
	for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
		size_t p = strlen(pre[i]);
		if (len > p && !memcmp(name, pre[i], p)) {
			snprintf(out[n++], MW_CTR_ID_MAX, "%.*s", (int)(len - p), name + p);
			break;
		}
	}
	if (n == 1) { /* another systemd driver's PREFIX-<id>.scope */
		const char *dash = memchr(name, '-', len);
		if (dash && dash + 1 < name + len)
			snprintf(out[n++], MW_CTR_ID_MAX, "%.*s", (int)(len - (size_t)(dash + 1 - name)), dash + 1);
	}
	return n;
}

int mw_ctr_resolve_path(const char *cgpath, struct mw_ctr_info *out)
{
	const char *end = cgpath + strlen(cgpath);
	char hex[65];

	memset(out, 0, sizeof(*out));
	/* from the leaf up: a container's own processes may sit in a child
	 * (libpod-<id>.scope/container with a private cgroup namespace) */
	for (int level = 0; level < 4 && end > cgpath; level++) {
		const char *start = end;
		char cand[3][MW_CTR_ID_MAX];

		while (start > cgpath && start[-1] != '/')
			start--;
		if (mw_cgroup_is_conmon(start, (size_t)(end - start)))
			return 0; /* the monitor, on the host side */
		unsigned n = candidates(start, (size_t)(end - start), cand);
		for (unsigned i = 0; i < n; i++)
			if (lookup_id(cand[i], out))
				return 1;
		memset(out, 0, sizeof(*out));
		end = start > cgpath ? start - 1 : cgpath;
	}
	/* a container no runtime's state describes (gone, or a runtime whose
	 * state is not read): its id alone, when the path holds one */
	if (mw_container_id_from_cgroup(cgpath, hex) == 0) {
		snprintf(out->id, sizeof(out->id), "%s", hex);
		BUMP(unresolved);
		return 1;
	}
	return 0;
}

/* The kernel's id for a cgroup gone before it was looked up. */
static int from_kernel(uint64_t cgid, struct mw_ctr_info *out)
{
	struct {
		uint8_t len;
		char id[64];
	} v;

	if (kernel_ids_fd < 0 || bpf_map_lookup_elem(kernel_ids_fd, &cgid, &v) || v.len != 64)
		return 0;
	memset(out, 0, sizeof(*out));
	memcpy(out->id, v.id, 64);
	out->id[64] = 0;
	if (!lookup_id(out->id, out))
		BUMP(unresolved);
	return 1;
}

static void unlink_lru(struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		mru = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		lru = e->prev;
	e->prev = e->next = NULL;
}

static void push_mru(struct entry *e)
{
	changed();
	e->next = mru;
	e->prev = NULL;
	if (mru)
		mru->prev = e;
	mru = e;
	if (!lru)
		lru = e;
}

/* Take e out of the cache: its hash chain, the LRU list, the count. */
static void detach(struct entry *e)
{
	struct entry **pp = &hash[hslot(e->cgid)];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	unlink_lru(e);
	cache_n--;
	changed();
}

static void drop(struct entry *e)
{
	detach(e);
	free(e);
}

/* A new entry holding a copy of info's strings (info NULL: not a container). */
static struct entry *insert(uint64_t cgid, const struct mw_ctr_info *info)
{
	const char *f[8] = { "", "", "", "", "", "", "", "" };
	size_t total = 0, lens[8];
	struct entry *e;
	char *p;

	if (info) {
		f[0] = info->id, f[1] = info->name, f[2] = info->image, f[3] = info->image_digest;
		f[4] = info->runtime, f[5] = info->pod_name, f[6] = info->pod_namespace, f[7] = info->pod_uid;
	}
	for (int i = 0; i < 8; i++)
		total += (lens[i] = strnlen(f[i], MW_CTR_STR_MAX - 1)) + 1;
	e = calloc(1, sizeof(*e) + total);
	if (!e)
		return NULL;
	p = e->text;
	const char **dst[8] = { &e->c.id, &e->c.name, &e->c.image, &e->c.image_digest,
				&e->c.runtime, &e->c.pod_name, &e->c.pod_namespace, &e->c.pod_uid };
	for (int i = 0; i < 8; i++) {
		memcpy(p, f[i], lens[i]);
		p[lens[i]] = 0;
		*dst[i] = p;
		p += lens[i] + 1;
	}
	e->cgid = cgid;
	e->is_ctr = info != NULL;
	e->hnext = hash[hslot(cgid)];
	hash[hslot(cgid)] = e;
	push_mru(e);
	cache_n++;
	return e;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct entry *find(uint64_t cgid)
{
	for (struct entry *e = hash[hslot(cgid)]; e; e = e->hnext)
		if (e->cgid == cgid)
			return e;
	return NULL;
}

/* Look cgid up in the runtimes' state (no lock held): *info filled,
 * returns whether it is a container. */
static bool lookup_cgroup(uint64_t cgid, struct mw_ctr_info *info)
{
	char path[PATH_MAX];
	bool found = false;
	uint64_t t0 = now_ns(), dt;
	int rc;

	BUMP(lookups);
	pthread_mutex_lock(&proc_lock);
	rc = mw_cgroup_path(cgid, path, sizeof(path));
	if (rc < 0) {
		/* no file handles here: the id the cgroup's path holds */
		const char *hex = mw_container_of_cgroup(cgid);
		snprintf(path, sizeof(path), "%s", hex ? hex : "");
	}
	pthread_mutex_unlock(&proc_lock);
	if (rc > 0) {
		found = mw_ctr_resolve_path(path, info);
	} else if (rc < 0) {
		const char *hex = path;
		if (hex[0]) {
			memset(info, 0, sizeof(*info));
			snprintf(info->id, sizeof(info->id), "%.64s", hex);
			if (!lookup_id(hex, info))
				BUMP(unresolved);
			found = true;
		}
	} else {
		BUMP(gone);
		found = from_kernel(cgid, info);
	}
	if (found && info->runtime[0])
		BUMP(containers);
	dt = now_ns() - t0;
	__atomic_add_fetch(&st.lookup_ns, dt, __ATOMIC_RELAXED);
	if (dt > st.lookup_max_ns)
		__atomic_store_n(&st.lookup_max_ns, dt, __ATOMIC_RELAXED);
	return found;
}

/* Entries replaced while the reader may hold them: freed by the reader's
 * next mw_container_get (lock held). */
static struct entry *graveyard;

static void bury(struct entry *e)
{
	detach(e);
	e->hnext = graveyard;
	graveyard = e;
}

/* Cache what a lookup found (lock held): a new entry, or the tentative one
 * replaced when the cgroup turned out a container its runtime describes
 * (named: found with a runtime). */
static struct entry *add(uint64_t cgid, bool found, const struct mw_ctr_info *info, const char *comm)
{
	struct entry *e = find(cgid);
	bool named = found && info->runtime[0];

	if (e && !(named && e->tentative)) {
		if (e->tentative) {
			changed();
			e->tries++;
			if (comm)
				snprintf(e->comm, sizeof(e->comm), "%.15s", comm);
			if (e->tries >= MW_CTR_TRIES)
				e->tentative = false; /* asked often enough: final */
		}
		return e;
	}
	uint8_t tries = e ? e->tries : 0;
	if (e)
		bury(e);
	e = insert(cgid, found ? info : NULL);
	if (!e)
		return NULL;
	e->tries = tries + 1;
	/* no runtime describes it (yet): worth another look (a cgroup the
	 * handle did not open was seen gone while it ran, once: looked at again too) */
	e->tentative = !named && cgid > 1 && e->tries < MW_CTR_TRIES;
	if (comm)
		snprintf(e->comm, sizeof(e->comm), "%.15s", comm);
	if (named && tries)
		BUMP(late);
	return e;
}

const struct mw_container *mw_container_get(uint64_t cgid, const char *comm)
{
	struct mw_ctr_info info;
	struct entry *e;
	bool found;

	if (cgid <= 1)
		return NULL; /* the root cgroup */
	/* The same cgroup as the last call, and nothing changed since: the same
	 * answer, without the lock (the common case: a burst of calls from one
	 * process): nothing to look up (a tentative entry is, for another
	 * command than its last), it is the most recently used already,
	 * nothing to evict, the graveyard was emptied. */
	if (cgid == last.cgid && __atomic_load_n(&gen, __ATOMIC_ACQUIRE) == last.gen &&
	    (!last.tentative || !comm || !strncmp(last.comm, comm, 15)))
		return last.c;
	pthread_mutex_lock(&lock);
	while (graveyard) { /* what the reader held until this call */
		struct entry *g = graveyard;
		graveyard = g->hnext;
		free(g);
	}
	e = find(cgid);
	/* a tentative entry is asked again when another program calls (the
	 * runtime's init has exec'd the container's own: its state is written) */
	if (!e || (e->tentative && comm && e->tries < MW_CTR_TRIES && strncmp(e->comm, comm, 15))) {
		pthread_mutex_unlock(&lock);
		found = lookup_cgroup(cgid, &info);
		pthread_mutex_lock(&lock);
		e = add(cgid, found, &info, comm);
	}
	if (e && e != mru) {
		unlink_lru(e);
		push_mru(e);
	}
	while (cache_n > cache_max && lru && lru != e) {
		drop(lru);
		BUMP(evictions);
	}
	__atomic_store_n(&st.entries, cache_n, __ATOMIC_RELAXED);
	last.cgid = e ? cgid : 0;
	last.gen = gen;
	last.tentative = e && e->tentative && e->tries < MW_CTR_TRIES;
	if (last.tentative)
		memcpy(last.comm, e->comm, sizeof(last.comm));
	last.c = e && e->is_ctr ? &e->c : NULL;
	pthread_mutex_unlock(&lock);
	return last.c;
}

int mw_container_resolve(uint64_t cgid, bool recheck, bool (*judge)(const struct mw_container *c, void *arg),
			 void *arg, bool *tentative, bool *is_ctr)
{
	struct mw_ctr_info info;
	struct entry *e;
	bool found, again;
	int in = -1;

	*tentative = *is_ctr = false;
	if (cgid <= 1)
		return judge ? judge(NULL, arg) : -1;
	pthread_mutex_lock(&lock);
	e = find(cgid);
	again = !e || (recheck && e->tentative && e->tries < MW_CTR_TRIES);
	pthread_mutex_unlock(&lock);
	if (again) {
		found = lookup_cgroup(cgid, &info);
		pthread_mutex_lock(&lock);
		add(cgid, found, &info, NULL);
		__atomic_store_n(&st.entries, cache_n, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&lock);
	}
	pthread_mutex_lock(&lock); /* the reader may evict it: judge it under the lock */
	e = find(cgid);
	*tentative = e && e->tentative && e->tries < MW_CTR_TRIES;
	*is_ctr = e && e->is_ctr;
	if (judge)
		in = judge(e && e->is_ctr ? &e->c : NULL, arg);
	pthread_mutex_unlock(&lock);
	return in;
}

void mw_ctr_stats(struct mw_ctr_stats *out)
{
	uint64_t *src = (uint64_t *)&st, *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(st) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

const char *mw_ctr_display(const struct mw_container *c, char *buf, size_t n)
{
	if (c->name[0])
		snprintf(buf, n, "%s", c->name);
	else
		snprintf(buf, n, "%.12s", c->id);
	return buf;
}

void mw_ctr_clear(void)
{
	changed();
	while (lru)
		drop(lru);
	while (graveyard) {
		struct entry *g = graveyard;
		graveyard = g->hnext;
		free(g);
	}
	for (int k = 0; k < K_N; k++) {
		for (unsigned i = 0; i < roots[k].n; i++)
			free(roots[k].dir[i]);
		roots[k].n = 0;
	}
	cache_n = 0;
	st.entries = 0;
}
