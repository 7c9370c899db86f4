/* format_int.h - what the JSON (format_json.c) and table (format_table.c) formatters share with format.c: each call's fixed texts, decoded arguments, error names. */
#ifndef MW_FORMAT_INT_H
#define MW_FORMAT_INT_H

#include <stddef.h>
#include <stdint.h>
#include "catalog.h"
#include "format.h"

#define MW_MAJOR(d) ((unsigned)((d) >> 20))
#define MW_MINOR(d) ((unsigned)((d) & 0xfffff))

#if defined(__aarch64__)
#define MW_ABI_NATIVE "arm64"
#define MW_ABI_COMPAT "arm"
#else
#define MW_ABI_NATIVE "x86_64"
#define MW_ABI_COMPAT "i386"
/* Free what format.c keeps from line to line (mw_format_free calls it). */
void mw_format_core_free(void);

#endif

/* A text and its length. */
struct txt {
	const char *p;
	size_t n;
};

/* The text of a call that is the same for every event of it, made once per
 * process: JSON's ,"eventId":...,"syscallNr": and each argument's
 * {"name":...,"value": and ,"tags":"..." (without and with TOCTOU), the
 * table's "name(" and "arg=" / ", arg=". Lengths known, so no strlen per event. */
struct call_text {
	struct txt json_head;          /* ,"eventId":"N","eventName":"x","syscall":"x","syscallNr": */
	struct txt json_arg[6];        /* {"name":"a","type":"t","value":  (a comma before all but the first) */
	struct txt json_tags[2][6];    /* ,"tags":"U"  /  ,"tags":"U,TOCTOU" */
	struct txt table_open;         /* name( */
	struct txt table_arg[6];       /* a=  /  , a= */
};

/* The texts of call ev (a valid event id), made on its first use. */
const struct call_text *mw_call_text(unsigned ev);

/* An argument's value in the type the catalogue gives it. */
static inline int64_t mw_arg_signed(const struct mw_arg_desc *a, uint64_t raw)
{
	return a->type == MW_T_INT ? (int64_t)(int32_t)raw : (int64_t)raw;
}

/* Argument i's decoded text for people (PROT_READ|PROT_EXEC, the string a
 * pointer points to, ...): *t gets it ("" and 0 when the argument has none),
 * valid until the next call; the return value is 1 when the text needs no
 * JSON escaping (printable ASCII without '"' and '\\'), else 0. The flag
 * words, a pure function of their value, come from a small cache per thread. */
int mw_decoded(const struct mw_view *v, const struct mw_arg_desc *a, int i, uint64_t x, struct txt *t);

/* The errno name of err ("EINVAL"), its length in *n; NULL when it has none. */
const char *mw_errno_name_n(int err, size_t *n);

/* Free what format.c keeps from line to line (mw_format_free calls it). */
void mw_format_core_free(void);

#endif
