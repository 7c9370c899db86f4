/* catalog.h - the event catalogue: names, arguments with types and tags, syscall numbers per ABI. */
#ifndef MW_CATALOG_H
#define MW_CATALOG_H

#include <stdbool.h>
#include <stdint.h>
#include "mapwatch.h"

enum mw_arg_type { MW_T_POINTER, MW_T_U64, MW_T_INT };

/* How an argument is decoded for people. */
enum mw_arg_fmt {
	MW_D_HEX,      /* address: 0x... / NULL */
	MW_D_DEC,      /* plain number */
	MW_D_PROT,
	MW_D_MMAP_FLAGS,
	MW_D_MREMAP_FLAGS,
	MW_D_MSYNC_FLAGS,
	MW_D_FD,
	MW_D_PGOFF,    /* pages of 4096 bytes */
};

#define MW_TAG_U      (1u << 0)
#define MW_TAG_K      (1u << 1)
#define MW_TAG_TOCTOU (1u << 2)
#define MW_TAG_OPT    (1u << 3)

struct mw_arg_desc {
	const char *name;
	enum mw_arg_type type;
	enum mw_arg_fmt fmt;
	unsigned tags;
};

struct mw_event_desc {
	const char *name;
	int nargs;
	struct mw_arg_desc args[6];
	int nr_x86_64, nr_i386, nr_arm64, nr_arm; /* -1: not in that ABI */
	const char *doc;
};

/* Descriptor of an event id; NULL when out of range. */
const struct mw_event_desc *mw_event_desc(unsigned id);

/* Event id by name ("mmap2"); -1 if unknown. */
int mw_event_by_name(const char *name);

/* Name of the argument type ("pointer", "u64", "int"). */
const char *mw_arg_type_name(enum mw_arg_type t);

/* Tags as text ("U", "K,TOCTOU"); buf must hold 32 bytes. */
const char *mw_tags_str(unsigned tags, char *buf);

/* Comma-separated list of all event names, for error messages. */
const char *mw_event_names(void);

/* Names of enum mw_file_kind values ("regular", "memfd", ...); "?" if out of range. */
const char *mw_file_kind_name(unsigned kind);

/* enum mw_file_kind value by name; -1 if unknown. */
int mw_file_kind_by_name(const char *name);

#endif
