/* alerts_family.c - the alert rules and region upkeep of the memory family: SysV shm attaches, brk, memfd fileless chains. */
#include "alerts_family.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "decode_mem.h"
#include "pidtab.h"
#include "vec.h"
#include "proc.h"

#define SHM_RDONLY_ 010000
#define SHM_EXEC_ 0100000
#define MFD_NOEXEC_SEAL_ 8u
#define MFD_EXEC_ 0x10u
#define PAGE_UP(x) (((x) + MW_PAGE_SIZE - 1) & ~(uint64_t)(MW_PAGE_SIZE - 1))

/* What is left of one attach: pieces [start, end) of the attach made at
 * base (later mappings over it replace parts; shmdt(base) removes the rest). */
struct shm_att {
	uint32_t pid;
	int id;
	uint64_t base, start, end;
};

struct memfd_rec {
	uint32_t pid;
	int fd;
	uint64_t seq;            /* the family's count of memfds when it was recorded: newest last */
	uint32_t flags;
	int exec_ok;             /* the kernel lets this memfd be executed */
	char name[MW_UDATA_BYTES];
};

/* One process's part (pid -> struct fam_proc, f->procs). Not in the
 * region maps' entries: those end at exec (alerts.c forgets the process,
 * its next event seeds it again from /proc) while memfds live on (the
 * execveat chain looks for them after the exec); and a fork copies the
 * memfds whether or not the parent's map is known. */
struct fam_proc {
	struct shm_att *att;     /* what is left of its attaches */
	size_t natt, catt;
	struct memfd_rec *mfd;   /* its memfds, in the order recorded */
	size_t nmfd, cmfd;
	uint64_t brk;            /* the break after the last successful brk, when brk_known */
	uint8_t brk_known;
	uint8_t execd;           /* exec'd since its last event */
};

struct mw_family {
	struct mw_pidtab procs;  /* pid -> struct fam_proc */
	int *wseg;               /* segment ids attached writable somewhere (sticky) */
	size_t nwseg, cwseg;
	uint64_t memfd_seq;      /* memfds recorded so far */
	int memfd_noexec;        /* vm.memfd_noexec at start (0: exec allowed unless sealed) */
};

struct mw_family *mw_family_new(void)
{
	struct mw_family *f = calloc(1, sizeof *f);
	FILE *s;

	if (!f)
		return NULL;
	f->procs.esz = sizeof(struct fam_proc);
	s = fopen("/proc/sys/vm/memfd_noexec", "re");
	if (s) {
		if (fscanf(s, "%d", &f->memfd_noexec) != 1)
			f->memfd_noexec = 0;
		fclose(s);
	}
	return f;
}

void mw_family_free(struct mw_family *f)
{
	if (!f)
		return;
	struct fam_proc *p;
	for (size_t i = 0; (p = mw_pidtab_next(&f->procs, &i, NULL));) {
		free(p->att);
		free(p->mfd);
	}
	mw_pidtab_free(&f->procs);
	free(f->wseg);
	free(f);
}

void mw_family_set_memfd_noexec(struct mw_family *f, int v)
{
	f->memfd_noexec = v;
}

static void drop_pid(struct mw_family *f, uint32_t pid, int memfds_too)
{
	struct fam_proc *p = mw_pidtab_get(&f->procs, pid);

	if (!p)
		return;
	p->natt = 0;
	p->brk_known = 0;
	if (!memfds_too)
		return;
	free(p->att);
	free(p->mfd);
	mw_pidtab_del(&f->procs, p);
}

void mw_family_task(struct mw_family *f, const struct mw_task_rec *r)
{
	switch (r->type) {
	case MW_REC_FORK: {
		/* the child inherits the parent's descriptors: its memfds too */
		struct fam_proc *pp = mw_pidtab_get(&f->procs, r->ppid), *c;
		if (!pp || !pp->nmfd || r->pid == r->ppid || !(c = mw_pidtab_add(&f->procs, r->pid, NULL)))
			return;
		pp = mw_pidtab_get(&f->procs, r->ppid); /* the add may have moved it */
		for (size_t i = 0; i < pp->nmfd; i++) {
			if (mw_vec_grow((void **)&c->mfd, &c->cmfd, c->nmfd, sizeof *c->mfd, 16))
				continue;
			c->mfd[c->nmfd] = pp->mfd[i];
			c->mfd[c->nmfd].pid = r->pid;
			c->mfd[c->nmfd++].seq = ++f->memfd_seq;
		}
		return;
	}
	case MW_REC_EXEC: {
		/* the old mappings are gone; descriptors (and memfds) stay */
		drop_pid(f, r->pid, 0);
		struct fam_proc *p = mw_pidtab_add(&f->procs, r->pid, NULL);
		if (p)
			p->execd = 1;
		return;
	}
	case MW_REC_EXIT:
		drop_pid(f, r->pid, 1);
		return;
	default:
		return;
	}
}

/* Mappings replaced [lo, hi) of pid: what was left of attaches there is gone. */
static void trim(struct mw_family *f, uint32_t pid, uint64_t lo, uint64_t hi)
{
	struct fam_proc *p = mw_pidtab_get(&f->procs, pid);

	for (size_t i = 0; p && i < p->natt; i++) {
		struct shm_att *s = &p->att[i];
		if (s->end <= lo || s->start >= hi)
			continue;
		if (s->start >= lo && s->end <= hi) {
			*s = p->att[--p->natt];
			i--;
		} else if (s->start < lo && s->end > hi) {
			struct shm_att tail = *s;
			tail.start = hi;
			s->end = lo;
			if (!mw_vec_grow((void **)&p->att, &p->catt, p->natt, sizeof *p->att, 16))
				p->att[p->natt++] = tail;
		} else if (s->start < lo) {
			s->end = lo;
		} else {
			s->start = hi;
		}
	}
}

static int seg_writable(const struct mw_family *f, int id)
{
	for (size_t i = 0; i < f->nwseg; i++)
		if (f->wseg[i] == id)
			return 1;
	return 0;
}

/* The newest memfd record of pid (any process when pid is 0) with that name
 * (or, when name is NULL, that descriptor). */
static const struct memfd_rec *find_memfd(const struct mw_family *f, uint32_t pid, int fd, const char *name)
{
	const struct memfd_rec *best = NULL;
	const struct fam_proc *p = NULL;
	size_t it = 0;

	if (pid && !(p = mw_pidtab_get(&f->procs, pid)))
		return NULL;
	while (pid || (p = mw_pidtab_next(&f->procs, &it, NULL))) {
		for (size_t i = p->nmfd; i-- > 0;) {
			const struct memfd_rec *m = &p->mfd[i];
			if ((name ? !strcmp(m->name, name) : m->fd == fd) && (!best || m->seq > best->seq)) {
				best = m;
				break;
			}
		}
		if (pid)
			break;
	}
	return best;
}

static void set_chain(struct mw_alert *x, enum mw_chain kind, const struct memfd_rec *m)
{
	x->chain = (uint8_t)kind;
	if (!m)
		return;
	x->chain_memfd = 1;
	x->chain_fd = m->fd;
	x->chain_pid = m->pid;
	x->chain_flags = m->flags;
	snprintf(x->chain_name, sizeof x->chain_name, "%s", m->name);
}

/* The argument's user memory, as a C string (memfd_create's name). */
static void udata_str(const struct mw_view *v, int arg, char *out, size_t n)
{
	out[0] = 0;
	if (!v->udata)
		return;
	for (int k = 0; k < MW_UDATA_SLOTS; k++)
		if (v->udata->arg[k] == arg && v->udata->len[k] != MW_UDATA_UNREAD) {
			size_t l = strnlen(v->udata->data[k], v->udata->len[k]);
			if (l >= n)
				l = n - 1;
			memcpy(out, v->udata->data[k], l);
			out[l] = 0;
			return;
		}
}

static int on_memfd_create(struct mw_family *f, const struct mw_view *v)
{
	const struct mw_event *e = v->e;
	uint32_t fl = (uint32_t)e->args[1];
	struct memfd_rec m = { .pid = e->pid, .fd = (int)e->ret, .flags = fl };

	if (mw_is_error(e->ret))
		return 0;
	/* vm.memfd_noexec 0: executable unless MFD_NOEXEC_SEAL; 1: only with
	 * MFD_EXEC; 2: never (MFD_EXEC refused) */
	m.exec_ok = (fl & MFD_EXEC_) ? f->memfd_noexec < 2
				     : !(fl & MFD_NOEXEC_SEAL_) && f->memfd_noexec == 0;
	udata_str(v, 0, m.name, sizeof m.name);
	struct fam_proc *p = mw_pidtab_add(&f->procs, m.pid, NULL);
	if (!p)
		return -1;
	/* a reused descriptor number replaces the old record (in its place) */
	for (size_t i = 0; i < p->nmfd; i++)
		if (p->mfd[i].fd == m.fd) {
			m.seq = p->mfd[i].seq;
			p->mfd[i] = m;
			return 0;
		}
	if (mw_vec_grow((void **)&p->mfd, &p->cmfd, p->nmfd, sizeof *p->mfd, 16))
		return -1;
	m.seq = ++f->memfd_seq;
	p->mfd[p->nmfd++] = m;
	return 0;
}

static int on_shmat(struct mw_family *f, struct mw_regions *regions, struct mw_regions *fileless,
		    const struct mw_event *e, struct mw_alert *al, int *n, uint64_t *errors)
{
	int ok = !mw_is_error(e->ret), id = (int)(int32_t)e->args[0];
	uint64_t shmflg = e->args[2], addr = (e->flags & MW_F_COMPAT) ? (uint32_t)e->ret : (uint64_t)e->ret;
	int exec = (shmflg & SHM_EXEC_) != 0, ro = (shmflg & SHM_RDONLY_) != 0;
	unsigned prot = PROT_READ | (ro ? 0 : PROT_WRITE) | (exec ? PROT_EXEC : 0);
	int ep = mw_effective_prot(e), elsewhere;
	uint64_t end = 0;

	if (!ok && !(e->flags & MW_F_ENFORCED))
		return 0;
	if (ep >= 0)
		prot = (unsigned)ep;
	if (ok) {
		struct mw_shm_info si;
		if (e->eff_status == MW_EFF_OK && e->vma_end > addr)
			end = e->vma_end;
		else if (mw_shm_info(id, &si) == 0)
			end = addr + PAGE_UP(si.size);
		else
			end = addr + MW_PAGE_SIZE;
	}
	elsewhere = (prot & PROT_EXEC) && !(prot & PROT_WRITE) && seg_writable(f, id);
	if (((prot & (PROT_WRITE | PROT_EXEC)) == (PROT_WRITE | PROT_EXEC)) || elsewhere) {
		struct mw_alert *x = mw_alert_add(al, n, MW_AL_WX_MAPPING);
		if (elsewhere)
			x->description = "SysV shared memory attached executable while it is attached writable elsewhere";
		else
			x->description = "SysV shared memory attached writable and executable";
		if (end > addr)
			mw_alert_region(x, addr, end);
	}
	if (prot & PROT_EXEC) {
		struct mw_alert *x = mw_alert_add(al, n, MW_AL_EXEC_FILELESS);
		x->fileless = MW_FL_SYSV_SHM;
		x->description = "SysV shared memory attached executable (memory with no file on disk)";
		if (end > addr)
			mw_alert_region(x, addr, end);
	}
	if (!ok)
		return 0;
	if (!ro && !seg_writable(f, id) && !mw_vec_grow((void **)&f->wseg, &f->cwseg, f->nwseg, sizeof *f->wseg, 16))
		f->wseg[f->nwseg++] = id;
	/* the region maps: a shared mapping with no file of its own on disk */
	if (mw_regions_mmap(regions, e->pid, addr, end - addr, prot, MAP_SHARED))
		(*errors)++;
	if (mw_regions_mmap(fileless, e->pid, addr, end - addr, prot, MAP_SHARED))
		(*errors)++;
	trim(f, e->pid, addr, end);
	struct fam_proc *p = mw_pidtab_add(&f->procs, e->pid, NULL);
	if (p && !mw_vec_grow((void **)&p->att, &p->catt, p->natt, sizeof *p->att, 16))
		p->att[p->natt++] = (struct shm_att){ .pid = e->pid, .id = id, .base = addr, .start = addr, .end = end };
	return 0;
}

static void on_shmdt(struct mw_family *f, struct mw_regions *regions, struct mw_regions *fileless,
		     const struct mw_event *e, uint64_t *errors)
{
	uint64_t addr = e->args[0];

	struct fam_proc *p = mw_pidtab_get(&f->procs, e->pid);

	if (mw_is_error(e->ret))
		return;
	for (size_t i = 0; p && i < p->natt; i++) {
		struct shm_att *s = &p->att[i];
		if (s->base != addr)
			continue;
		if (mw_regions_munmap(regions, e->pid, s->start, s->end - s->start))
			(*errors)++;
		if (mw_regions_state(fileless, e->pid) != MW_PROC_ABSENT &&
		    mw_regions_munmap(fileless, e->pid, s->start, s->end - s->start))
			(*errors)++;
		*s = p->att[--p->natt];
		i--;
	}
}

/* brk moves the end of the heap: [old, new) appears (read-write, private,
 * anonymous) or disappears, page-rounded as the kernel rounds it. */
static void on_brk(struct mw_family *f, struct mw_regions *regions, const struct mw_event *e, uint64_t *errors)
{
	uint64_t want = e->args[0], now = (e->flags & MW_F_COMPAT) ? (uint32_t)e->ret : (uint64_t)e->ret;
	struct fam_proc *r = mw_pidtab_add(&f->procs, e->pid, NULL);

	if (!r)
		return;
	if (!r->brk_known) {
		r->brk_known = 1;
		r->brk = now;
		return; /* first sight: the break is known from now on */
	}
	if (mw_brk_failed(want, e->ret) || now == r->brk) {
		r->brk = now;
		return;
	}
	uint64_t o = PAGE_UP(r->brk), nw = PAGE_UP(now);
	if (nw > o && mw_regions_mmap(regions, e->pid, o, nw - o, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS))
		(*errors)++;
	if (nw < o && mw_regions_munmap(regions, e->pid, nw, o - nw))
		(*errors)++;
	r->brk = now;
}

/* The first event of a process since it exec'd: was the program a memfd? */
static void exec_check(struct mw_family *f, const struct mw_view *v, struct mw_alert *al, int *n)
{
	const struct mw_event *e = v->e;
	struct fam_proc *p = mw_pidtab_get(&f->procs, e->pid);
	char name[MW_UDATA_BYTES];

	if (!p || !p->execd)
		return;
	p->execd = 0;
	if (!v->exe || strncmp(v->exe, "/memfd:", 7))
		return;
	snprintf(name, sizeof name, "%s", v->exe + 7);
	char *del = strstr(name, " (deleted)");
	if (del)
		*del = 0;
	const struct memfd_rec *m = find_memfd(f, e->pid, -1, name);
	if (!m)
		m = find_memfd(f, 0, -1, name);
	/* the kernel's "exec" event raised it at exec already (alerts.c): add the chain to that one */
	struct mw_alert *x = NULL;
	for (int k = 0; k < *n && !x; k++)
		if (al[k].kind == MW_AL_EXEC_FILELESS && al[k].at_exec && al[k].fileless == MW_FL_MEMFD)
			x = &al[k];
	if (!x && e->event == MW_EV_EXEC)
		return; /* judged at exec as no memfd (a tmpfs file named memfd:...): no second verdict */
	if (!x)
		x = mw_alert_add(al, n, MW_AL_EXEC_FILELESS);
	x->fileless = MW_FL_MEMFD;
	x->description = m ? "program executed from a memfd (memfd_create, then execveat of it): no file on disk"
			   : "program executed from a memfd: no file on disk";
	set_chain(x, m ? MW_CHAIN_MEMFD_EXECVEAT : MW_CHAIN_EXECVEAT, m);
	if (!m)
		snprintf(x->chain_name, sizeof x->chain_name, "%s", name);
}

int mw_family_event(struct mw_family *f, struct mw_regions *regions, struct mw_regions *fileless,
		    const struct mw_view *v, struct mw_alert *al, int *n, uint64_t *errors)
{
	const struct mw_event *e = v->e;

	if (e->event == MW_EV_DO_MMAP)
		return 0;
	exec_check(f, v, al, n);
	if (e->flags & MW_F_ARGS_FAULT)
		return 0;
	if (!mw_is_error(e->ret)) {
		/* calls that replace or remove what was at a range end the attaches there */
		uint64_t ret = (e->flags & MW_F_COMPAT) ? (uint32_t)e->ret : (uint64_t)e->ret;
		switch (e->event) {
		case MW_EV_MMAP:
		case MW_EV_MMAP2:
			trim(f, e->pid, ret, ret + PAGE_UP(e->args[1]));
			break;
		case MW_EV_MUNMAP:
			trim(f, e->pid, e->args[0], e->args[0] + PAGE_UP(e->args[1]));
			break;
		case MW_EV_MREMAP:
			trim(f, e->pid, e->args[0], e->args[0] + PAGE_UP(e->args[1]));
			trim(f, e->pid, ret, ret + PAGE_UP(e->args[2]));
			break;
		}
	}
	switch (e->event) {
	case MW_EV_SHMAT:
		return on_shmat(f, regions, fileless, e, al, n, errors);
	case MW_EV_SHMDT:
		on_shmdt(f, regions, fileless, e, errors);
		return 0;
	case MW_EV_BRK:
		on_brk(f, regions, e, errors);
		return 0;
	case MW_EV_MEMFD_CREATE:
		return on_memfd_create(f, v);
	default:
		return 0;
	}
}

void mw_family_chain_mmap(struct mw_family *f, const struct mw_event *e, struct mw_alert *al, int n)
{
	if (e->event != MW_EV_MMAP && e->event != MW_EV_MMAP2)
		return;
	for (int i = 0; i < n; i++) {
		if (al[i].kind != MW_AL_EXEC_FILELESS || al[i].fileless != MW_FL_MEMFD)
			continue;
		const struct memfd_rec *m = find_memfd(f, e->pid, (int)(int32_t)e->args[4], NULL);
		if (!m || !m->exec_ok)
			continue;
		set_chain(&al[i], MW_CHAIN_MEMFD_MMAP, m);
		al[i].description = "executable mapping of a memfd made by memfd_create (fileless loader chain)";
	}
}
