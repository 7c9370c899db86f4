/* eventsdoc.c - writes doc/EVENTS.md from the event catalogue (include/mw_calls.h through src/catalog.c), or checks that it is current.
 *
 *   build/eventsdoc > doc/EVENTS.md       (make doc/EVENTS.md)
 *   build/eventsdoc --check doc/EVENTS.md  (tests/run.sh: "1 passed, 0 failed" or "0 passed, 1 failed")
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "catalog.h"
#include "strbuf.h"

static const char *const fmt_names[MW_D_MAX] = {
	[MW_D_HEX] = "HEX", [MW_D_DEC] = "DEC", [MW_D_PROT] = "PROT", [MW_D_MMAP_FLAGS] = "MMAP_FLAGS",
	[MW_D_MREMAP_FLAGS] = "MREMAP_FLAGS", [MW_D_MSYNC_FLAGS] = "MSYNC_FLAGS", [MW_D_FD] = "FD",
	[MW_D_PGOFF] = "PGOFF", [MW_D_LEN] = "LEN", [MW_D_MADV] = "MADV",
	[MW_D_MLOCK2_FLAGS] = "MLOCK2_FLAGS", [MW_D_MCL_FLAGS] = "MCL_FLAGS",
	[MW_D_MPOL_MODE] = "MPOL_MODE", [MW_D_MPOL_MF] = "MPOL_MF", [MW_D_GETPOL_FLAGS] = "GETPOL_FLAGS",
	[MW_D_SHMAT_FLAGS] = "SHMAT_FLAGS", [MW_D_MFD_FLAGS] = "MFD_FLAGS",
	[MW_D_SECRET_FLAGS] = "SECRET_FLAGS", [MW_D_SHSTK_FLAGS] = "SHSTK_FLAGS", [MW_D_XFLAGS] = "XFLAGS",
	[MW_D_PROT0] = "PROT0", [MW_D_RFP_FLAGS] = "RFP_FLAGS", [MW_D_SHMID] = "SHMID",
	[MW_D_MAXNODE] = "MAXNODE", [MW_D_COUNT] = "COUNT", [MW_D_USTR] = "USTR",
	[MW_D_NODEMASK] = "NODEMASK", [MW_D_NODEMASK_OUT] = "NODEMASK_OUT", [MW_D_MPOL_OUT] = "MPOL_OUT",
	[MW_D_MINCORE_VEC] = "MINCORE_VEC", [MW_D_PTRS] = "PTRS", [MW_D_INTS_OUT] = "INTS_OUT",
	[MW_D_INTS] = "INTS", [MW_D_IOVEC] = "IOVEC",
};

static const char *fmt_name(enum mw_arg_fmt f)
{
	return (unsigned)f < MW_D_MAX && fmt_names[f] ? fmt_names[f] : "?";
}

static const char *ret_name(enum mw_ret r)
{
	switch (r) {
	case MW_R_INT: return "int";
	case MW_R_ADDR: return "address";
	case MW_R_BRK: return "break";
	case MW_R_FD: return "fd";
	}
	return "?";
}

static void nr(struct strbuf *b, int v)
{
	if (v < 0)
		sb_puts(b, " - |");
	else
		sb_printf(b, " %d |", v);
}

static void write_doc(struct strbuf *b)
{
	char buf[64];

	sb_puts(b, "# Events\n\n"
		   "<!-- Written by build/eventsdoc (scripts/eventsdoc.c) from include/mw_calls.h:\n"
		   "     do not edit; run `make doc/EVENTS.md`. tests/run.sh checks that it is current. -->\n\n"
		   "The calls mapwatch traces, one row each of the catalogue in `include/mw_calls.h`. The id is\n"
		   "stable: it is the `eventId` of JSON lines and the bit of the event in `--events` masks; new\n"
		   "calls take the next id. The syscall numbers are those of each ABI (`-` where the ABI lacks\n"
		   "the call); i386 and arm (EABI) are also the 32-bit compat ABIs of x86_64 and arm64.\n\n"
		   "| id | event | kind | x86_64 | i386 | arm64 | arm | result | classes |\n"
		   "|---:|---|---|---:|---:|---:|---:|---|---|\n");
	for (unsigned i = 0; i < MW_EV_MAX; i++) {
		const struct mw_event_desc *d = mw_event_desc(i);
		sb_printf(b, "| %u | [%s](#%s) | %s |", i, d->name, d->name, d->syscall ? "syscall" : "kernel function");
		nr(b, d->nr_x86_64);
		nr(b, d->nr_i386);
		nr(b, d->nr_arm64);
		nr(b, d->nr_arm);
		mw_class_str(d->classes, buf);
		sb_printf(b, " %s | %s |\n", ret_name(d->ret), buf[0] ? buf : "-");
	}
	sb_puts(b, "\nColumns and tags:\n\n"
		   "- result: how the return value is shown. `int`: a number, or -errno; `address`: an\n"
		   "  address in hex, or -errno; `break`: brk's new break (a refused brk returns the old one,\n"
		   "  never an errno); `fd`: a new file descriptor, or -errno.\n"
		   "- classes: the `--events` classes that name the call (`%mapping` is the default set,\n"
		   "  `%memory` is strace's memory class, `%shm` SysV shared memory and memfd; `-`: none). `all`\n"
		   "  is every syscall; `do_mmap` is traced only when named.\n"
		   "- type: `pointer` (an address, a \"0x...\" string in JSON), `int` (a 32-bit signed C int),\n"
		   "  `u64` (an unsigned length, offset or word).\n"
		   "- decoder: how the value is written for people (the `MW_D_*` decoders of `src/decode.c` and\n"
		   "  `src/decode_mem.c`); `USTR`, `NODEMASK`, `PTRS`, `IOVEC`, `INTS` read user memory at entry,\n"
		   "  `NODEMASK_OUT`, `MPOL_OUT`, `MINCORE_VEC`, `INTS_OUT` at exit when the call succeeded.\n"
		   "- tags: `U` the caller passed it; `K` the kernel computed it; `TOCTOU` read from user\n"
		   "  memory, which the caller can change after the kernel read it; `OPT` optional (ignored\n"
		   "  unless a flag asks for it).\n\n"
		   "Every event also carries the caller's context and the result: see [JSON.md](JSON.md).\n");
	for (unsigned i = 0; i < MW_EV_MAX; i++) {
		const struct mw_event_desc *d = mw_event_desc(i);
		sb_printf(b, "\n## %s\n\n%s.\n\n", d->name, d->doc);
		if (d->syscall) {
			const char *sep = "Kernel entry functions: ";
			if (d->nr_x86_64 >= 0)
				sb_printf(b, "%s`__x64_sys_%s` (x86_64)", sep, d->stem), sep = ", ";
			if (d->i386_fn[0])
				sb_printf(b, "%s`%s` (i386 on x86_64)", sep, d->i386_fn), sep = ", ";
			if (d->nr_arm64 >= 0)
				sb_printf(b, "%s`__arm64_sys_%s` (arm64)", sep, d->stem), sep = ", ";
			if (*sep == 'K')
				sb_puts(b, "none named (traced through its syscall number)");
			sb_puts(b, ".");
		} else {
			sb_printf(b, "Kernel function: `%s` (no syscall number).", d->stem);
		}
		if (d->entry == MW_IN_MMAPFD)
			sb_puts(b, " At entry the fd is resolved to its file unless MAP_ANONYMOUS is set.");
		sb_puts(b, "\n\n");
		if (!d->nargs) {
			sb_puts(b, "No arguments.\n");
			continue;
		}
		sb_puts(b, "| # | argument | type | decoder | tags |\n|---:|---|---|---|---|\n");
		for (int a = 0; a < d->nargs; a++) {
			const struct mw_arg_desc *ad = &d->args[a];
			char tags[32];
			sb_printf(b, "| %d | %s | %s | %s | %s |\n", a, ad->name, mw_arg_type_name(ad->type),
				  fmt_name(ad->fmt), mw_tags_str(ad->tags, tags));
		}
	}
}

int main(int argc, char **argv)
{
	struct strbuf b = { 0 };
	int rc = 0;

	write_doc(&b);
	if (b.oom) {
		fprintf(stderr, "eventsdoc: out of memory\n");
		return 1;
	}
	if (argc == 3 && !strcmp(argv[1], "--check")) {
		FILE *f = fopen(argv[2], "r");
		char *old = malloc(b.len + 2);
		size_t n = f && old ? fread(old, 1, b.len + 1, f) : 0;
		int same = f && old && n == b.len && !memcmp(old, b.p, b.len);
		if (f)
			fclose(f);
		free(old);
		printf("%s eventsdoc: %s %s\n", same ? "PASS" : "FAIL", argv[2],
		       same ? "matches include/mw_calls.h" : "is not current: run `make doc/EVENTS.md`");
		printf("%d passed, %d failed\n", same, !same);
		rc = !same;
	} else if (argc == 1) {
		fwrite(b.p, 1, b.len, stdout);
	} else {
		fprintf(stderr, "usage: eventsdoc [--check FILE]\n");
		rc = 2;
	}
	sb_free(&b);
	return rc;
}
