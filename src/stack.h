/* stack.h - --stack: user stacks from the kernel's records, matched to their events, symbolized and written. */
#ifndef MW_STACK_H
#define MW_STACK_H

#include <stddef.h>
#include <stdint.h>
#include "stack_abi.h"
#include "strbuf.h"

struct mw_frame_view {
	uint64_t addr;
	const char *symbol;   /* NULL: unknown */
	uint64_t offset;      /* from symbol (or, without one, in file) */
	const char *file;     /* NULL: unknown ("[vdso]" for the vDSO) */
	uint16_t flags;       /* MW_SF_* */
};

/* How a stack ends. */
enum mw_stack_end {
	MW_SE_COMPLETE = 0,   /* down to the program's entry (main, start_thread, ...) or a zero frame pointer */
	MW_SE_CUT = 1,        /* cut short: a caller without frame pointer (or no frame pointer at all) */
	MW_SE_DEPTH = 2,      /* --stack-depth frames taken: there may be more */
};

struct mw_stack_view {
	int n;
	enum mw_stack_end end;
	struct mw_frame_view f[MW_STACK_MAX];
};

struct mw_stacks;

/* A new matcher and symbolizer; NULL when out of memory. */
struct mw_stacks *mw_stacks_new(void);

/* Free it; NULL is a no-op. */
void mw_stacks_free(struct mw_stacks *s);

/* Keep a MW_REC_STACK record (data, size bytes) until its thread's event comes. */
void mw_stacks_record(struct mw_stacks *s, const void *data, size_t size);

/* Learn the path of a mapped file (dev, ino) from an event, or of an executable. */
void mw_stacks_learn_file(struct mw_stacks *s, uint32_t dev, uint64_t ino, const char *path);
void mw_stacks_learn_exe(struct mw_stacks *s, const char *path);

/* The symbolized stack of the event of thread tid of process pid: the
 * record kept for that thread (consumed), or NULL when none is kept (the
 * record was lost). Valid until the next call. */
const struct mw_stack_view *mw_stacks_take(struct mw_stacks *s, uint32_t pid, uint32_t tid);

/* Append the stack as lines following a table line: "\n    > function+0xoff (file)" per frame,
 * then a marker line when the stack was cut short or reached the depth. */
void mw_stack_table(struct strbuf *b, const struct mw_stack_view *st);

/* Append ,"stack":[{address, symbol, offset, file, unwind}, ...],"stackEnd":"..." (no braces). */
void mw_stack_json(struct strbuf *b, const struct mw_stack_view *st);

#endif
