/* symbolize.c - ELF symbol tables (libelf) read once per (device, inode), and the paths of those files learnt from events and /proc. */
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fileid.h"
#include "proc.h"
#include "symbolize.h"

struct sym {
	uint64_t addr, size;
	const char *name;      /* in names */
};

struct seg {
	uint64_t off, vaddr, filesz;
};

struct file_ent {
	uint32_t dev;
	uint64_t ino;
	char *path;
	bool loaded;           /* symbols read (or tried) */
	int fd;                /* kept open to read code bytes; -1 when closed */
	char build_id[41];
	struct sym *syms;
	size_t nsyms;
	char *names;           /* all symbol names, NUL-separated */
	struct seg segs[16];
	int nsegs;
};

struct mw_symbolizer {
	struct file_ent *f;
	size_t n, cap;
	uint32_t *pids;        /* pids whose maps were read */
	size_t npids, cappids;
};

static struct file_ent *find(struct mw_symbolizer *s, uint32_t dev, uint64_t ino)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->f[i].ino == ino && s->f[i].dev == dev)
			return &s->f[i];
	return NULL;
}

void mw_sym_learn(struct mw_symbolizer *s, uint32_t dev, uint64_t ino, const char *path)
{
	if (!s || !ino || !path || path[0] != '/' || find(s, dev, ino))
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct file_ent *f = realloc(s->f, cap * sizeof(*f));
		if (!f)
			return;
		s->f = f;
		s->cap = cap;
	}
	struct file_ent *e = &s->f[s->n];
	memset(e, 0, sizeof(*e));
	e->dev = dev;
	e->ino = ino;
	e->fd = -1;
	e->path = strdup(path);
	if (e->path)
		s->n++;
}

void mw_sym_learn_path(struct mw_symbolizer *s, const char *path)
{
	struct stat st;

	if (path && stat(path, &st) == 0)
		mw_sym_learn(s, mw_kdev(st.st_dev), st.st_ino, path);
}

void mw_sym_learn_maps_text(struct mw_symbolizer *s, const char *text)
{
	const char *l = text;

	while (l && *l) {
		const char *nl = strchr(l, '\n');
		char line[4352];
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		unsigned maj, min;
		unsigned long long ino;
		int pos = 0;

		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, l, n);
		line[n] = 0;
		/* start-end perms offset maj:min inode path */
		if (sscanf(line, "%*x-%*x %*s %*x %x:%x %llu %n", &maj, &min, &ino, &pos) == 3 && pos > 0 &&
		    line[pos] == '/') {
			char *path = line + pos;
			char *del = strstr(path, " (deleted)");
			if (!del)
				mw_sym_learn(s, mw_kdev_make(maj, min), ino, path);
		}
		l = nl ? nl + 1 : NULL;
	}
}

static void learn_maps_file(struct mw_symbolizer *s, const char *file)
{
	size_t len;
	char *buf = mw_read_file(file, &len);

	if (buf)
		mw_sym_learn_maps_text(s, buf);
	free(buf);
}

void mw_sym_learn_pid(struct mw_symbolizer *s, uint32_t pid)
{
	char p[64];

	if (!s)
		return;
	for (size_t i = 0; i < s->npids; i++)
		if (s->pids[i] == pid)
			return;
	if (s->npids == s->cappids) {
		size_t cap = s->cappids ? s->cappids * 2 : 64;
		uint32_t *n = realloc(s->pids, cap * sizeof(*n));
		if (!n)
			return;
		s->pids = n;
		s->cappids = cap;
	}
	s->pids[s->npids++] = pid;
	snprintf(p, sizeof(p), "/proc/%u/maps", pid);
	learn_maps_file(s, p);
}

struct mw_symbolizer *mw_sym_new(void)
{
	struct mw_symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	elf_version(EV_CURRENT);
	learn_maps_file(s, "/proc/self/maps");
	return s;
}

void mw_sym_free(struct mw_symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		if (s->f[i].fd >= 0)
			close(s->f[i].fd);
		free(s->f[i].path);
		free(s->f[i].syms);
		free(s->f[i].names);
	}
	free(s->f);
	free(s->pids);
	free(s);
}

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* the sized, global names first among aliases */
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return 0;
}

/* Read e's segments, build id and function symbols (.symtab, else .dynsym). */
static void load(struct file_ent *e)
{
	int fd;
	Elf *elf;
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	struct sym *syms = NULL;
	size_t nsyms = 0, cap = 0, namelen = 0, namecap = 0;
	char *names = NULL;
	bool have_symtab = false;

	e->loaded = true;
	fd = open(e->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx))
		goto out;
	size_t nph = 0;
	elf_getphdrnum(elf, &nph);
	for (size_t i = 0; i < nph && e->nsegs < 16; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD)
			e->segs[e->nsegs++] = (struct seg){ ph.p_offset, ph.p_vaddr, ph.p_filesz };
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			have_symtab = true;
	}
	scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_NOTE && !e->build_id[0] && (d = elf_getdata(scn, NULL))) {
			size_t off = 0, noff, doff;
			GElf_Nhdr nh;
			while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
				if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
				    !memcmp((char *)d->d_buf + noff, "GNU", 4)) {
					const unsigned char *id = (const unsigned char *)d->d_buf + doff;
					for (size_t k = 0; k < nh.n_descsz && k < 20; k++)
						snprintf(e->build_id + 2 * k, 3, "%02x", id[k]);
				}
			}
		}
		if (sh.sh_type != (have_symtab ? SHT_SYMTAB : SHT_DYNSYM) || !(d = elf_getdata(scn, NULL)))
			continue;
		size_t count = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; i < count; i++) {
			GElf_Sym st;
			if (!gelf_getsym(d, (int)i, &st) || GELF_ST_TYPE(st.st_info) != STT_FUNC || !st.st_value ||
			    st.st_shndx == SHN_UNDEF)
				continue;
			const char *name = elf_strptr(elf, sh.sh_link, st.st_name);
			if (!name || !*name)
				continue;
			size_t nl = strlen(name) + 1;
			if (nsyms == cap) {
				size_t nc = cap ? cap * 2 : 256;
				struct sym *ns = realloc(syms, nc * sizeof(*ns));
				if (!ns)
					goto out;
				syms = ns;
				cap = nc;
			}
			if (namelen + nl > namecap) {
				size_t nc = namecap ? namecap * 2 : 4096;
				while (nc < namelen + nl)
					nc *= 2;
				char *nn = realloc(names, nc);
				if (!nn)
					goto out;
				names = nn;
				namecap = nc;
			}
			memcpy(names + namelen, name, nl);
			syms[nsyms++] = (struct sym){ st.st_value, st.st_size, (const char *)(uintptr_t)namelen };
			namelen += nl;
		}
	}
	for (size_t i = 0; i < nsyms; i++)
		syms[i].name = names + (uintptr_t)syms[i].name;
	if (nsyms > 1)
		qsort(syms, nsyms, sizeof(*syms), sym_cmp);
	e->syms = syms;
	e->nsyms = nsyms;
	e->names = names;
	syms = NULL;
	names = NULL;
out:
	free(syms);
	free(names);
	if (elf)
		elf_end(elf);
	e->fd = fd;
}

/* Does the function at vaddr va begin with push %ebp/%rbp; mov %esp,%ebp
 * (after an optional endbr32/endbr64)? */
static bool has_fp_prologue(struct file_ent *e, uint64_t va)
{
	unsigned char c[8];

	for (int i = 0; i < e->nsegs; i++) {
		const struct seg *g = &e->segs[i];
		if (va < g->vaddr || va >= g->vaddr + g->filesz)
			continue;
		if (e->fd < 0 || pread(e->fd, c, sizeof(c), (off_t)(va - g->vaddr + g->off)) != (ssize_t)sizeof(c))
			return false;
		const unsigned char *p = c;
		if (p[0] == 0xf3 && p[1] == 0x0f && p[2] == 0x1e && (p[3] == 0xfa || p[3] == 0xfb))
			p += 4;
		return p[0] == 0x55 && ((p[1] == 0x89 && p[2] == 0xe5) || (p[1] == 0x48 && p[2] == 0x89 && p[3] == 0xe5));
	}
	return false;
}

int mw_sym_lookup(struct mw_symbolizer *s, uint32_t dev, uint64_t ino, uint64_t off, bool ret,
		  struct mw_sym *out)
{
	struct file_ent *e = s ? find(s, dev, ino) : NULL;
	uint64_t look = ret && off ? off - 1 : off, va = 0;
	bool in_seg = false;

	out->symbol = NULL;
	out->offset = off;
	out->file = NULL;
	out->fp_prologue = false;
	if (!e)
		return -1;
	out->file = e->path;
	if (!e->loaded)
		load(e);
	for (int i = 0; i < e->nsegs; i++) {
		if (look >= e->segs[i].off && look < e->segs[i].off + e->segs[i].filesz) {
			va = look - e->segs[i].off + e->segs[i].vaddr;
			in_seg = true;
			break;
		}
	}
	if (!in_seg || !e->nsyms)
		return 0;
	/* the last symbol starting at or below va */
	size_t lo = 0, hi = e->nsyms;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (e->syms[mid].addr <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return 0;
	size_t i = lo - 1;
	while (i > 0 && e->syms[i - 1].addr == e->syms[i].addr)
		i--; /* the first of its aliases: the sized one (sorted first) */
	const struct sym *sy = &e->syms[i];
	if (sy->size && va >= sy->addr + sy->size)
		return 0; /* past its end: in no function we know */
	out->symbol = sy->name;
	out->offset = va + (off - look) - sy->addr;
	out->fp_prologue = has_fp_prologue(e, sy->addr);
	return 0;
}

const char *mw_sym_build_id(struct mw_symbolizer *s, uint32_t dev, uint64_t ino)
{
	struct file_ent *e = s ? find(s, dev, ino) : NULL;

	if (!e)
		return NULL;
	if (!e->loaded)
		load(e);
	return e->build_id;
}
