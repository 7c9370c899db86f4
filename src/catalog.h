/* catalog.h - the event catalogue: names, arguments with types and tags, syscall numbers per ABI. */
#ifndef MW_CATALOG_H
#define MW_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mapwatch.h"

/* enum mw_arg_type, enum mw_arg_fmt, MW_TAG_*, MW_CL_*, MW_IN_*, MW_R_* come with the
 * rows themselves from include/mw_calls.h (through mapwatch.h). */

struct mw_arg_desc {
	const char *name;
	enum mw_arg_type type;
	enum mw_arg_fmt fmt;
	unsigned tags;
};

/* One row of include/mw_calls.h. */
struct mw_event_desc {
	const char *name;
	int nargs;
	struct mw_arg_desc args[6];
	int nr_x86_64, nr_i386, nr_arm64, nr_arm; /* -1: not in that ABI */
	const char *doc;
	bool syscall;        /* false: a kernel function (do_mmap) */
	const char *stem;    /* native entry stem ("mmap": __x64_sys_mmap) or the kernel function */
	const char *i386_fn; /* i386 entry on x86_64 ("__ia32_sys_mmap_pgoff"), "" if none */
	unsigned classes;    /* MW_CL_* */
	enum mw_entry entry; /* what the entry program reads besides the registers */
	enum mw_ret ret;     /* how the result is shown */
};

/* The syscall number of an event in this build's native / 32-bit ABI; -1 if none. */
int mw_event_nr_native(const struct mw_event_desc *d);
int mw_event_nr_compat(const struct mw_event_desc *d);

/* code_write's routes (mw_calls.h's MW_ROUTES, enum mw_route): the syscall
 * name, and the number in this build's native or 32-bit ABI (-1: none). */
const char *mw_route_name(int route);
int mw_route_nr(int route, bool compat);

/* Index of the first argument decoded as fmt (MW_D_PROT, MW_D_LEN, ...); -1 if none. */
int mw_event_arg_by_fmt(const struct mw_event_desc *d, enum mw_arg_fmt fmt);

/* Events of the classes in cl (MW_CL_* bits), as a mask of bits per event id. */
uint64_t mw_class_mask(unsigned cl);

/* Parse an --events list: event names, class names (%mapping, %memory, %shm)
 * and "all" (every syscall event; do_mmap only by name), comma-separated.
 * Returns 0 and sets *mask, or -1 after writing a one-line reason to err. */
int mw_events_parse(const char *list, uint64_t *mask, char *err, size_t errlen);

/* Class names of cl ("%mapping,%memory"); buf must hold 64 bytes. */
const char *mw_class_str(unsigned cl, char *buf);

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
