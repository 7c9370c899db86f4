/* alerts_family.c - the alert rules and region upkeep of the memory family: SysV shm attaches, brk, memfd fileless chains. */
#include "alerts_family.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "decode_mem.h"
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
	uint32_t flags;
	int exec_ok;             /* the kernel lets this memfd be executed */
	char name[MW_UDATA_BYTES];
};

struct brk_rec {
	uint32_t pid;
	uint64_t brk;            /* the break after the last successful brk */
};

struct mw_family {
	struct shm_att *att;
	size_t natt, catt;
	int *wseg;               /* segment ids attached writable somewhere (sticky) */
	size_t nwseg, cwseg;
	struct memfd_rec *mfd;
	size_t nmfd, cmfd;
	struct brk_rec *brk;
	size_t nbrk, cbrk;
	uint32_t *execd;         /* pids that exec'd since their last event */
	size_t nexecd, cexecd;
	int memfd_noexec;        /* vm.memfd_noexec at start (0: exec allowed unless sealed) */
};

/* Grow *v (element size sz) to hold one more; -1 when out of memory. */
static int grow(void **v, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 16;
	void *p = realloc(*v, nc * sz);
	if (!p)
		return -1;
	*v = p;
	*cap = nc;
	return 0;
}

struct mw_family *mw_family_new(void)
{
	struct mw_family *f = calloc(1, sizeof *f);
	FILE *s;

	if (!f)
		return NULL;
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
	free(f->att);
	free(f->wseg);
	free(f->mfd);
	free(f->brk);
	free(f->execd);
	free(f);
}

void mw_family_set_memfd_noexec(struct mw_family *f, int v)
{
	f->memfd_noexec = v;
}

static void drop_pid(struct mw_family *f, uint32_t pid, int memfds_too)
{
	size_t j = 0;

	for (size_t i = 0; i < f->natt; i++)
		if (f->att[i].pid != pid)
			f->att[j++] = f->att[i];
	f->natt = j;
	j = 0;
	for (size_t i = 0; i < f->nbrk; i++)
		if (f->brk[i].pid != pid)
			f->brk[j++] = f->brk[i];
	f->nbrk = j;
	if (!memfds_too)
		return;
	j = 0;
	for (size_t i = 0; i < f->nmfd; i++)
		if (f->mfd[i].pid != pid)
			f->mfd[j++] = f->mfd[i];
	f->nmfd = j;
	j = 0;
	for (size_t i = 0; i < f->nexecd; i++)
		if (f->execd[i] != pid)
			f->execd[j++] = f->execd[i];
	f->nexecd = j;
}

void mw_family_task(struct mw_family *f, const struct mw_task_rec *r)
{
	switch (r->type) {
	case MW_REC_FORK: {
		/* the child inherits the parent's descriptors: its memfds too */
		size_t n = f->nmfd;
		for (size_t i = 0; i < n; i++) {
			if (f->mfd[i].pid != r->ppid || grow((void **)&f->mfd, &f->cmfd, f->nmfd, sizeof *f->mfd))
				continue;
			f->mfd[f->nmfd] = f->mfd[i];
			f->mfd[f->nmfd++].pid = r->pid;
		}
		return;
	}
	case MW_REC_EXEC:
		/* the old mappings are gone; descriptors (and memfds) stay */
		drop_pid(f, r->pid, 0);
		if (!grow((void **)&f->execd, &f->cexecd, f->nexecd, sizeof *f->execd))
			f->execd[f->nexecd++] = r->pid;
		return;
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
	for (size_t i = 0; i < f->natt; i++) {
		struct shm_att *s = &f->att[i];
		if (s->pid != pid || s->end <= lo || s->start >= hi)
			continue;
		if (s->start >= lo && s->end <= hi) {
			*s = f->att[--f->natt];
			i--;
		} else if (s->start < lo && s->end > hi) {
			struct shm_att tail = *s;
			tail.start = hi;
			s->end = lo;
			if (!grow((void **)&f->att, &f->catt, f->natt, sizeof *f->att))
				f->att[f->natt++] = tail;
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

static const struct memfd_rec *find_memfd(const struct mw_family *f, uint32_t pid, int fd, const char *name)
{
	for (size_t i = f->nmfd; i-- > 0;) {
		const struct memfd_rec *m = &f->mfd[i];
		if (pid && m->pid != pid)
			continue;
		if (name ? !strcmp(m->name, name) : m->fd == fd)
			return m;
	}
	return NULL;
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
	/* a reused descriptor number replaces the old record */
	for (size_t i = 0; i < f->nmfd; i++)
		if (f->mfd[i].pid == m.pid && f->mfd[i].fd == m.fd) {
			f->mfd[i] = m;
			return 0;
		}
	if (grow((void **)&f->mfd, &f->cmfd, f->nmfd, sizeof *f->mfd))
		return -1;
	f->mfd[f->nmfd++] = m;
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
	if (!ro && !seg_writable(f, id) && !grow((void **)&f->wseg, &f->cwseg, f->nwseg, sizeof *f->wseg))
		f->wseg[f->nwseg++] = id;
	/* the region maps: a shared mapping with no file of its own on disk */
	if (mw_regions_mmap(regions, e->pid, addr, end - addr, prot, MAP_SHARED))
		(*errors)++;
	if (mw_regions_mmap(fileless, e->pid, addr, end - addr, prot, MAP_SHARED))
		(*errors)++;
	trim(f, e->pid, addr, end);
	if (!grow((void **)&f->att, &f->catt, f->natt, sizeof *f->att))
		f->att[f->natt++] = (struct shm_att){ .pid = e->pid, .id = id, .base = addr, .start = addr, .end = end };
	return 0;
}

static void on_shmdt(struct mw_family *f, struct mw_regions *regions, struct mw_regions *fileless,
		     const struct mw_event *e, uint64_t *errors)
{
	uint64_t addr = e->args[0];

	if (mw_is_error(e->ret))
		return;
	for (size_t i = 0; i < f->natt; i++) {
		struct shm_att *s = &f->att[i];
		if (s->pid != e->pid || s->base != addr)
			continue;
		if (mw_regions_munmap(regions, e->pid, s->start, s->end - s->start))
			(*errors)++;
		if (mw_regions_state(fileless, e->pid) != MW_PROC_ABSENT &&
		    mw_regions_munmap(fileless, e->pid, s->start, s->end - s->start))
			(*errors)++;
		*s = f->att[--f->natt];
		i--;
	}
}

/* brk moves the end of the heap: [old, new) appears (read-write, private,
 * anonymous) or disappears, page-rounded as the kernel rounds it. */
static void on_brk(struct mw_family *f, struct mw_regions *regions, const struct mw_event *e, uint64_t *errors)
{
	uint64_t want = e->args[0], now = (e->flags & MW_F_COMPAT) ? (uint32_t)e->ret : (uint64_t)e->ret;
	struct brk_rec *r = NULL;

	for (size_t i = 0; i < f->nbrk; i++)
		if (f->brk[i].pid == e->pid)
			r = &f->brk[i];
	if (!r) {
		if (grow((void **)&f->brk, &f->cbrk, f->nbrk, sizeof *f->brk))
			return;
		r = &f->brk[f->nbrk++];
		*r = (struct brk_rec){ .pid = e->pid, .brk = now };
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
	size_t i;
	char name[MW_UDATA_BYTES];

	for (i = 0; i < f->nexecd && f->execd[i] != e->pid; i++)
		;
	if (i == f->nexecd)
		return;
	f->execd[i] = f->execd[--f->nexecd];
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
