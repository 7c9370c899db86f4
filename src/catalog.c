/* catalog.c - the event catalogue of SPEC.md as data. */
#include <string.h>
#include <strings.h>
#include "catalog.h"

#define A(n, t, f, tg) { n, t, f, tg }
#define U MW_TAG_U
#define K MW_TAG_K

static const struct mw_event_desc events[MW_EV_MAX] = {
	[MW_EV_MMAP] = { "mmap", 6, {
		A("addr", MW_T_POINTER, MW_D_HEX, U), A("length", MW_T_U64, MW_D_DEC, U),
		A("prot", MW_T_INT, MW_D_PROT, U), A("flags", MW_T_INT, MW_D_MMAP_FLAGS, U),
		A("fd", MW_T_INT, MW_D_FD, K), A("off", MW_T_U64, MW_D_HEX, K) },
		9, 90, 222, -1, "map memory (i386 90 is old_mmap: args read from a user struct, TOCTOU)" },
	[MW_EV_MMAP2] = { "mmap2", 6, {
		A("addr", MW_T_POINTER, MW_D_HEX, U), A("length", MW_T_U64, MW_D_DEC, U),
		A("prot", MW_T_U64, MW_D_PROT, U), A("flags", MW_T_U64, MW_D_MMAP_FLAGS, U),
		A("fd", MW_T_U64, MW_D_FD, K), A("pgoffset", MW_T_U64, MW_D_PGOFF, K) },
		-1, 192, -1, 192, "32-bit ABI mmap, offset in 4096-byte pages" },
	[MW_EV_MUNMAP] = { "munmap", 2, {
		A("addr", MW_T_POINTER, MW_D_HEX, U), A("length", MW_T_U64, MW_D_DEC, U) },
		11, 91, 215, 91, "unmap memory" },
	[MW_EV_MPROTECT] = { "mprotect", 3, {
		A("addr", MW_T_POINTER, MW_D_HEX, U), A("len", MW_T_U64, MW_D_DEC, U),
		A("prot", MW_T_INT, MW_D_PROT, U) },
		10, 125, 226, 125, "change protection" },
	[MW_EV_PKEY_MPROTECT] = { "pkey_mprotect", 4, {
		A("addr", MW_T_POINTER, MW_D_HEX, U), A("len", MW_T_U64, MW_D_DEC, U),
		A("prot", MW_T_INT, MW_D_PROT, U), A("pkey", MW_T_INT, MW_D_DEC, U) },
		329, 380, 288, 394, "change protection and protection key" },
	[MW_EV_MREMAP] = { "mremap", 5, {
		A("old_address", MW_T_POINTER, MW_D_HEX, U), A("old_size", MW_T_U64, MW_D_DEC, U),
		A("new_size", MW_T_U64, MW_D_DEC, U), A("flags", MW_T_INT, MW_D_MREMAP_FLAGS, U),
		A("new_address", MW_T_POINTER, MW_D_HEX, U | MW_TAG_OPT) },
		25, 163, 216, 163, "resize or move a mapping" },
	[MW_EV_MSYNC] = { "msync", 3, {
		A("addr", MW_T_POINTER, MW_D_HEX, U), A("length", MW_T_U64, MW_D_DEC, U),
		A("flags", MW_T_INT, MW_D_MSYNC_FLAGS, U) },
		26, 144, 227, 144, "flush a file mapping" },
	[MW_EV_DO_MMAP] = { "do_mmap", 6, {
		A("addr", MW_T_POINTER, MW_D_HEX, K), A("len", MW_T_U64, MW_D_DEC, K),
		A("prot", MW_T_U64, MW_D_PROT, K), A("flags", MW_T_U64, MW_D_MMAP_FLAGS, K),
		A("vm_flags", MW_T_U64, MW_D_HEX, K), A("pgoff", MW_T_U64, MW_D_PGOFF, K) },
		-1, -1, -1, -1, "kernel mapping function (needs kprobes or fentry)" },
};

const struct mw_event_desc *mw_event_desc(unsigned id)
{
	return id < MW_EV_MAX && events[id].name ? &events[id] : NULL;
}

int mw_event_by_name(const char *name)
{
	for (int i = 0; i < MW_EV_MAX; i++)
		if (events[i].name && !strcasecmp(events[i].name, name))
			return i;
	return -1;
}

const char *mw_arg_type_name(enum mw_arg_type t)
{
	switch (t) {
	case MW_T_POINTER: return "pointer";
	case MW_T_U64: return "u64";
	case MW_T_INT: return "int";
	}
	return "?";
}

const char *mw_tags_str(unsigned tags, char *buf)
{
	static const char *const names[] = { "U", "K", "TOCTOU", "OPT" };

	buf[0] = 0;
	for (unsigned i = 0; i < 4; i++) {
		if (!(tags & (1u << i)))
			continue;
		if (buf[0])
			strcat(buf, ",");
		strcat(buf, names[i]);
	}
	return buf;
}

const char *mw_event_names(void)
{
	static char buf[256];

	if (!buf[0])
		for (int i = 0; i < MW_EV_MAX; i++) {
			if (i)
				strcat(buf, ", ");
			strcat(buf, events[i].name);
		}
	return buf;
}

static const char *const kinds[MW_FK_MAX] = {
	[MW_FK_NONE] = "none", [MW_FK_BADFD] = "badfd", [MW_FK_REGULAR] = "regular",
	[MW_FK_CHARDEV] = "chardev", [MW_FK_BLOCKDEV] = "blockdev", [MW_FK_DIR] = "dir",
	[MW_FK_FIFO] = "fifo", [MW_FK_SOCKET] = "socket", [MW_FK_SYMLINK] = "symlink",
	[MW_FK_MEMFD] = "memfd", [MW_FK_SHM] = "shm", [MW_FK_DELETED] = "deleted",
	[MW_FK_ANON_INODE] = "anon_inode", [MW_FK_UNKNOWN] = "unknown",
};

const char *mw_file_kind_name(unsigned kind)
{
	return kind < MW_FK_MAX ? kinds[kind] : "?";
}

int mw_file_kind_by_name(const char *name)
{
	for (int i = 0; i < MW_FK_MAX; i++)
		if (!strcasecmp(kinds[i], name))
			return i;
	return -1;
}
