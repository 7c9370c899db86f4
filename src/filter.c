/* filter.c - filter option parsing (one-line errors pointing at the bad word) and loading into BPF rodata and maps. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "mapwatch.h"
#include "mapwatch.skel.h"
#include "catalog.h"
#include "decode.h"
#include "fileid.h"
#include "filter.h"
#include "parse.h"
#include "proc.h"

struct optinfo {
	int opt;
	const char *name;
	uint32_t bit;
};

static const struct optinfo opts[] = {
	{ MW_OPT_PID, "--pid", MW_FLT_PID }, { MW_OPT_TID, "--tid", MW_FLT_TID },
	{ MW_OPT_COMM, "--comm", MW_FLT_COMM }, { MW_OPT_UID, "--uid", MW_FLT_UID },
	{ MW_OPT_EXE, "--exe", MW_FLT_EXE }, { MW_OPT_CGROUP, "--cgroup", MW_FLT_CGROUP },
	{ MW_OPT_CONTAINER, "--container", MW_FLT_CONTAINER },
	{ MW_OPT_POD, "--pod", MW_FLT_CONTAINER }, { MW_OPT_K8SNS, "--k8s-namespace", MW_FLT_CONTAINER },
	{ MW_OPT_MNTNS, "--mntns", MW_FLT_MNTNS }, { MW_OPT_PIDNS, "--pidns", MW_FLT_PIDNS },
	{ MW_OPT_PROT_ALL, "--prot-all", MW_FLT_PROT_ALL },
	{ MW_OPT_PROT_ANY, "--prot-any", MW_FLT_PROT_ANY },
	{ MW_OPT_FLAGS_ALL, "--flags-all", MW_FLT_FLAGS_ALL },
	{ MW_OPT_FLAGS_ANY, "--flags-any", MW_FLT_FLAGS_ANY },
	{ MW_OPT_FDKIND, "--fd-kind", MW_FLT_FDKIND }, { MW_OPT_PATH, "--path", MW_FLT_PATH },
	{ MW_OPT_ERRNO, "--errno", MW_FLT_ERRNO }, { MW_OPT_MINLEN, "--min-length", MW_FLT_MINLEN },
	{ MW_OPT_FAILED, "--failed", MW_FLT_RESULT }, { MW_OPT_SUCCEEDED, "--succeeded", MW_FLT_RESULT },
};

static const struct optinfo *find_opt(int opt)
{
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (opts[i].opt == opt)
			return &opts[i];
	return NULL;
}

/* Where a parse error goes: one line, no prefix, no newline. */
struct ferr {
	char *buf;
	size_t n;
};

static int bad(struct ferr *e, const struct optinfo *o, const char *word, const char *arg, const char *why)
{
	if (e->buf && e->n)
		snprintf(e->buf, e->n, "%s: %s '%s'%s%s%s", o->name, why, word,
			 arg && strcmp(arg, word) ? " in '" : "", arg && strcmp(arg, word) ? arg : "",
			 arg && strcmp(arg, word) ? "'" : "");
	return -1;
}

static int say(struct ferr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int say(struct ferr *e, const char *fmt, ...)
{
	va_list ap;

	if (e->buf && e->n) {
		va_start(ap, fmt);
		vsnprintf(e->buf, e->n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The words of --container, --pod or --k8s-namespace (judged in user space). */
static struct mw_ctr_words *ctr_words(struct mw_filters *f, int opt)
{
	return opt == MW_OPT_CONTAINER ? &f->ctr.ctr : opt == MW_OPT_POD ? &f->ctr.pod : &f->ctr.ns;
}

static int add_key(struct mw_keyset *k, uint64_t v)
{
	if (k->n >= sizeof(k->v) / sizeof(k->v[0]))
		return -1;
	k->v[k->n++] = v;
	return 0;
}

/* Namespace id: a number, or a namespace file such as /proc/PID/ns/mnt of the
 * right type (checked with NS_GET_NSTYPE, or by its file system when the
 * ioctl is not there). */
static int ns_id(struct ferr *e, const struct optinfo *o, const char *w, const char *arg, uint64_t *v)
{
	int want = o->opt == MW_OPT_MNTNS ? CLONE_NEWNS : CLONE_NEWPID;
	const char *kind = o->opt == MW_OPT_MNTNS ? "mount" : "pid";
	struct statfs sfs;
	struct stat st;
	char why[160];
	int fd, type;

	if (w[0] >= '0' && w[0] <= '9') {
		if (mw_parse_u64(w, 1, UINT32_MAX, 0, v))
			return bad(e, o, w, arg, "a namespace id is a number from 1 to 4294967295 (or a /proc/PID/ns path), not");
		return 0;
	}
	fd = open(w, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not block the parser */
	if (fd < 0) {
		snprintf(why, sizeof(why), "cannot open (%s)%s:", strerror(errno),
			 errno == EACCES ? "; it needs root or CAP_SYS_PTRACE over that process" : "");
		return bad(e, o, w, arg, why);
	}
	if (fstat(fd, &st) || fstatfs(fd, &sfs) || sfs.f_type != NSFS_MAGIC) {
		close(fd);
		snprintf(why, sizeof(why), "not a namespace file (use /proc/PID/ns/%s or a %s namespace id):",
			 o->opt == MW_OPT_MNTNS ? "mnt" : "pid", kind);
		return bad(e, o, w, arg, why);
	}
	type = ioctl(fd, NS_GET_NSTYPE);
	close(fd);
	if (type >= 0 && type != want) {
		snprintf(why, sizeof(why), "not a %s namespace (use /proc/PID/ns/%s):", kind,
			 o->opt == MW_OPT_MNTNS ? "mnt" : "pid");
		return bad(e, o, w, arg, why);
	}
	*v = st.st_ino;
	return 0;
}

/* Expand a kind name or alias into bits of enum mw_file_kind. */
static int kind_bits(const char *w, uint32_t *bits)
{
	int k;

	if (!strcasecmp(w, "anon") || !strcasecmp(w, "anonymous")) {
		*bits |= 1u << MW_FK_NONE;
		return 0;
	}
	if (!strcasecmp(w, "file")) {
		*bits |= 1u << MW_FK_REGULAR | 1u << MW_FK_SHM | 1u << MW_FK_DELETED | 1u << MW_FK_MEMFD;
		return 0;
	}
	if (!strcasecmp(w, "device")) {
		*bits |= 1u << MW_FK_CHARDEV | 1u << MW_FK_BLOCKDEV;
		return 0;
	}
	k = mw_file_kind_by_name(w);
	if (k < 0)
		return -1;
	*bits |= 1u << k;
	return 0;
}

#define MW_PID_MAX 4194304 /* PID_MAX_LIMIT on 64-bit kernels */

static int add_word(struct ferr *e, struct mw_filters *f, const struct optinfo *o, const char *w, const char *arg)
{
	uint64_t v;

	switch (o->opt) {
	case MW_OPT_PID:
	case MW_OPT_TID:
		if (mw_parse_u64(w, 1, MW_PID_MAX, 0, &v))
			return bad(e, o, w, arg, o->opt == MW_OPT_PID ? "a process id is a number from 1 to 4194304, not" :
				   "a thread id is a number from 1 to 4194304, not");
		return add_key(o->opt == MW_OPT_PID ? &f->pid : &f->tid, v) ? bad(e, o, w, arg, "too many values at") : 0;
	case MW_OPT_UID:
		if (w[0] >= '0' && w[0] <= '9') {
			if (mw_parse_u64(w, 0, UINT32_MAX - 1, 0, &v))
				return bad(e, o, w, arg, "a user id is a number from 0 to 4294967294 (or a user name), not");
		} else {
			struct passwd *pw = getpwnam(w);
			if (!pw)
				return bad(e, o, w, arg, "no such user or uid:");
			v = pw->pw_uid;
		}
		return add_key(&f->uid, v) ? bad(e, o, w, arg, "too many values at") : 0;
	case MW_OPT_COMM:
		if (w[0] == '!')
			return say(e, "%s: '!' negates the whole list and goes first ('!a,b' means neither a nor b); plain and negated names cannot be mixed: '%s' in '%s'",
				   o->name, w, arg);
		if (strlen(w) > 15)
			return say(e, "%s: '%s' has %zu bytes, but the kernel keeps only 15 bytes of a command name: it would show it as '%.15s'",
				   o->name, w, strlen(w), w);
		if (f->ncomm >= 64)
			return bad(e, o, w, arg, "too many values at");
		memset(f->comm[f->ncomm], 0, 16);
		memcpy(f->comm[f->ncomm++], w, strlen(w));
		return 0;
	case MW_OPT_EXE:
	case MW_OPT_PATH: {
		struct mw_inode_key *k = o->opt == MW_OPT_EXE ? &f->exe[f->nexe] : &f->path[f->npath];
		unsigned *n = o->opt == MW_OPT_EXE ? &f->nexe : &f->npath;
		struct stat st;
		if (*n >= 64)
			return bad(e, o, w, arg, "too many values at");
		if (mw_path_key(w, k, &st)) {
			char why[128];
			snprintf(why, sizeof(why), "cannot stat (%s):", strerror(errno));
			return bad(e, o, w, arg, why);
		}
		if (o->opt == MW_OPT_EXE && S_ISDIR(st.st_mode))
			return bad(e, o, w, arg, "is a directory; --exe takes executable files (--path takes directories):");
		if (o->opt == MW_OPT_EXE && !S_ISREG(st.st_mode))
			return bad(e, o, w, arg, "not a regular file; --exe takes executable files:");
		(*n)++;
		return 0;
	}
	case MW_OPT_CGROUP: {
		char p[4096];
		struct stat st;
		if (w[0] >= '0' && w[0] <= '9' && mw_parse_u64(w, 1, UINT64_MAX, 0, &v) == 0)
			return add_key(&f->cgroup, v) ? bad(e, o, w, arg, "too many values at") : 0;
		const char *root = mw_cgroup2_root();
		if (!strncmp(w, root, strlen(root)))
			snprintf(p, sizeof(p), "%s", w);
		else
			snprintf(p, sizeof(p), "%s/%s", root, w);
		if (stat(p, &st) || !S_ISDIR(st.st_mode))
			return bad(e, o, w, arg, "no such cgroup (a path under /sys/fs/cgroup, or an id):");
		return add_key(&f->cgroup, st.st_ino) ? bad(e, o, w, arg, "too many values at") : 0;
	}
	case MW_OPT_CONTAINER:
	case MW_OPT_POD:
	case MW_OPT_K8SNS: {
		struct mw_ctr_words *ws = ctr_words(f, o->opt);
		bool special = o->opt == MW_OPT_CONTAINER && (!strcasecmp(w, "all") || !strcasecmp(w, "none"));
		if (special || ws->any) {
			if (ws->n || ws->any)
				return bad(e, o, w, arg, "'all'/'none' cannot be mixed with other words:");
			ws->any = true;
			if (!strcasecmp(w, "none"))
				ws->neg = !ws->neg;
			return 0;
		}
		if (strlen(w) >= MW_CTR_WORD_MAX)
			return bad(e, o, w, arg, "too long (255 characters at most):");
		if (ws->n >= MW_CTR_WORDS)
			return bad(e, o, w, arg, "at most 16 values; too many at");
		snprintf(ws->w[ws->n++], MW_CTR_WORD_MAX, "%s", w);
		return 0;
	}
	case MW_OPT_MNTNS:
	case MW_OPT_PIDNS:
		if (ns_id(e, o, w, arg, &v))
			return -1;
		return add_key(o->opt == MW_OPT_MNTNS ? &f->mntns : &f->pidns, v) ? bad(e, o, w, arg, "too many values at") : 0;
	case MW_OPT_PROT_ALL:
	case MW_OPT_PROT_ANY:
		if (mw_flag_value("prot", w, &v) || (!v && strcasecmp(w, "none") && strcasecmp(w, "PROT_NONE")))
			return bad(e, o, w, arg, "unknown protection flag (R, W, X, PROT_READ..., none):");
		if (!v && o->opt == MW_OPT_PROT_ALL)
			return bad(e, o, w, arg, "PROT_NONE has no bits to require (use --prot-any none for PROT_NONE guard pages):");
		if (!v)
			f->prot_none = 1;
		*(o->opt == MW_OPT_PROT_ALL ? &f->prot_all : &f->prot_any) |= (uint32_t)v;
		return 0;
	case MW_OPT_FLAGS_ALL:
	case MW_OPT_FLAGS_ANY: {
		bool all = o->opt == MW_OPT_FLAGS_ALL;
		if (mw_flag_value("mmap", w, &v))
			return bad(e, o, w, arg, "unknown mmap flag (MAP_SHARED, MAP_FIXED, ...):");
		if (!strncasecmp(w, "MAP_HUGE_", 9) || !strncasecmp(w, "HUGE_", 5))
			return bad(e, o, w, arg, "huge page sizes cannot be filtered on:");
		if (v >= 1 && v <= 3) { /* a mapping type, not a bit */
			uint32_t *t = all ? &f->type_all : &f->type_any;
			if (all && *t && *t != v)
				return bad(e, o, w, arg, "a mapping has one type; conflicting");
			if (!all && *t && *t != v)
				return bad(e, o, w, arg, "--flags-any takes one mapping type; second one");
			*t = (uint32_t)v;
		} else {
			*(all ? &f->flags_all : &f->flags_any) |= v;
		}
		return 0;
	}
	case MW_OPT_FDKIND:
		if (kind_bits(w, &f->fdkind))
			return bad(e, o, w, arg, "unknown file kind (anon, file, device, regular, chardev, memfd, shm, deleted, ...):");
		return 0;
	case MW_OPT_ERRNO: {
		int en = mw_errno_value(w);
		if (en <= 0 || en > 4095)
			return bad(e, o, w, arg, "unknown errno:");
		f->errno_bits[en >> 6] |= 1ull << (en & 63);
		return 0;
	}
	case MW_OPT_MINLEN:
		if (mw_parse_u64(w, 0, (uint64_t)INT64_MAX, 1, &v))
			return bad(e, o, w, arg, "a length is a number of bytes up to 8E (K/M/G/T suffix), not");
		f->min_len = v;
		return 0;
	}
	return -1;
}

int mw_filter_add(struct mw_filters *f, int opt, const char *arg, char *err, size_t errlen)
{
	const struct optinfo *o = find_opt(opt);
	struct ferr ebuf = { err, errlen }, *e = &ebuf;
	bool neg = false, any = false;
	char *copy, *s, *w;
	int rc = 0;

	if (opt == MW_OPT_FOLLOW) {
		f->follow = true;
		return 0;
	}
	if (!o)
		return say(e, "unknown filter option");
	if (opt == MW_OPT_FAILED || opt == MW_OPT_SUCCEEDED) {
		uint8_t r = opt == MW_OPT_FAILED ? 1 : 2;
		if (f->result && f->result != r)
			return say(e, "--failed and --succeeded exclude each other");
		f->result = r;
		f->on |= MW_FLT_RESULT;
		return 0;
	}
	while (*arg == ' ' || *arg == '\t')
		arg++;
	if (!strncmp(arg, "!=", 2))
		neg = true, arg += 2;
	else if (arg[0] == '!')
		neg = true, arg += 1;
	if (opt == MW_OPT_MINLEN && neg)
		return bad(e, o, "!", NULL, "cannot be negated; use a smaller length instead of");
	if (o->bit != MW_FLT_CONTAINER && (f->on & o->bit) && !!(f->neg & o->bit) != neg)
		return say(e, "%s: cannot mix negated and plain values ('%s')", o->name, arg);
	if (o->bit == MW_FLT_CONTAINER) {
		const struct mw_ctr_words *ws = ctr_words(f, opt);
		if (ws->given && ws->neg_given != neg)
			return say(e, "%s: cannot mix negated and plain values ('%s')", o->name, arg);
	}
	copy = strdup(arg);
	if (!copy)
		return say(e, "out of memory");
	s = copy;
	while (!rc && (w = mw_list_next(&s))) {
		if (!*w)
			continue;
		if (opt == MW_OPT_MINLEN && s)
			rc = bad(e, o, arg, NULL, "takes one length, not a list:");
		else
			rc = add_word(e, f, o, w, arg);
		any = true;
	}
	free(copy);
	if (!rc && !any)
		rc = bad(e, o, "", NULL, "empty value");
	if (rc)
		return rc;
	if (o->bit == MW_FLT_CONTAINER) { /* negated in user space, per option */
		struct mw_ctr_words *ws = ctr_words(f, opt);
		ws->given = true;
		ws->neg_given = neg;
		ws->neg ^= neg;
		f->on |= o->bit;
		return 0;
	}
	f->on |= o->bit;
	if (neg)
		f->neg |= o->bit;
	return 0;
}

int mw_filter_finish(struct mw_filters *f, char *err, size_t errlen)
{
	struct ferr ebuf = { err, errlen };

	if (f->follow && !(f->on & MW_FLT_PID))
		return say(&ebuf, "--follow needs --pid (a command after -- is always followed)");
	if (f->follow && (f->neg & MW_FLT_PID))
		return say(&ebuf, "--follow cannot follow a negated --pid");
	if (f->result == 2 && (f->on & MW_FLT_ERRNO) && !(f->neg & MW_FLT_ERRNO))
		return say(&ebuf, "--errno selects failed calls; it cannot be combined with --succeeded");
	if (f->follow) /* pids go to the traced map instead; the fork hook adds children */
		f->on &= ~MW_FLT_PID;
	return 0;
}

void mw_filter_rodata(const struct mw_filters *f, struct mapwatch_bpf *skel)
{
	struct mapwatch_bpf__rodata *r = skel->rodata;

	r->flt_on = f->on;
	r->flt_neg = f->neg;
	r->flt_prot_all = f->prot_all;
	r->flt_prot_any = f->prot_any;
	r->flt_prot_none = f->prot_none;
	r->flt_flags_all = f->flags_all;
	r->flt_flags_any = f->flags_any;
	r->flt_type_all = f->type_all;
	r->flt_type_any = f->type_any;
	r->flt_fdkind = f->fdkind;
	r->flt_min_len = f->min_len;
	r->flt_result = f->result;
	memcpy((void *)r->flt_errno, f->errno_bits, sizeof(f->errno_bits));
	/* --container all or none, alone: decided by the kernel for cgroups named by a 64-hex id */
	r->flt_ctr_any = (f->on & MW_FLT_CONTAINER) && f->ctr.ctr.any && !f->ctr.pod.n && !f->ctr.ns.n;
	r->flt_ctr_any_in = !f->ctr.ctr.neg;
}

static int fill(struct bpf_map *m, const void *keys, size_t ksz, unsigned n)
{
	uint8_t one = 1;

	for (unsigned i = 0; i < n; i++)
		if (bpf_map__update_elem(m, (const char *)keys + i * ksz, ksz, &one, 1, BPF_ANY))
			return -errno;
	return 0;
}

static int fill_u32(struct bpf_map *m, const struct mw_keyset *k)
{
	uint8_t one = 1;

	for (unsigned i = 0; i < k->n; i++) {
		uint32_t v = (uint32_t)k->v[i];
		if (bpf_map__update_elem(m, &v, sizeof(v), &one, 1, BPF_ANY))
			return -errno;
	}
	return 0;
}

int mw_filter_maps(const struct mw_filters *f, struct mapwatch_bpf *skel)
{
	int err = 0;

	err = err ?: fill_u32(f->follow ? skel->maps.traced : skel->maps.f_pid, &f->pid);
	err = err ?: fill_u32(skel->maps.f_tid, &f->tid);
	err = err ?: fill_u32(skel->maps.f_uid, &f->uid);
	err = err ?: fill_u32(skel->maps.f_mntns, &f->mntns);
	err = err ?: fill_u32(skel->maps.f_pidns, &f->pidns);
	err = err ?: fill(skel->maps.f_cgroup, f->cgroup.v, sizeof(uint64_t), f->cgroup.n);
	err = err ?: fill(skel->maps.f_comm, f->comm, sizeof(f->comm[0]), f->ncomm);
	err = err ?: fill(skel->maps.f_exe, f->exe, sizeof(f->exe[0]), f->nexe);
	err = err ?: fill(skel->maps.f_pathdir, f->path, sizeof(f->path[0]), f->npath);
	return err;
}
