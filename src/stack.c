/* stack.c - --stack: keeps each thread's stack record until its event arrives, symbolizes it, writes it for tables and JSON. */
#include <stdlib.h>
#include <string.h>
#include "stack.h"
#include "symbolize.h"

#define SLOTS 256  /* threads whose stack waits for its event (the event follows at once) */

struct slot {
	uint32_t tid;
	uint16_t used;
	struct mw_stack_rec h;
	struct mw_stack_frame f[MW_STACK_MAX];
};

struct mw_stacks {
	struct mw_symbolizer *sym;
	struct slot *slots;
	struct mw_stack_view view;
};

struct mw_stacks *mw_stacks_new(void)
{
	struct mw_stacks *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->sym = mw_sym_new();
	s->slots = calloc(SLOTS, sizeof(*s->slots));
	if (!s->sym || !s->slots) {
		mw_stacks_free(s);
		return NULL;
	}
	return s;
}

void mw_stacks_free(struct mw_stacks *s)
{
	if (!s)
		return;
	mw_sym_free(s->sym);
	free(s->slots);
	free(s);
}

void mw_stacks_record(struct mw_stacks *s, const void *data, size_t size)
{
	const struct mw_stack_rec *r = data;

	if (size < sizeof(*r))
		return;
	size_t n = (size - sizeof(*r)) / sizeof(struct mw_stack_frame);
	if (n > r->nframes)
		n = r->nframes;
	if (n > MW_STACK_MAX)
		n = MW_STACK_MAX;
	struct slot *sl = &s->slots[r->tid % SLOTS];
	sl->tid = r->tid;
	sl->used = 1;
	sl->h = *r;
	sl->h.nframes = (uint16_t)n;
	memcpy(sl->f, r->f, n * sizeof(struct mw_stack_frame));
}

void mw_stacks_learn_file(struct mw_stacks *s, uint32_t dev, uint64_t ino, const char *path)
{
	mw_sym_learn(s->sym, dev, ino, path);
}

void mw_stacks_learn_exe(struct mw_stacks *s, const char *path)
{
	mw_sym_learn_path(s->sym, path);
}

/* Functions a complete stack ends in (a walk may stop in them without a zero frame pointer). */
static bool entry_function(const char *name)
{
	static const char *const names[] = { "main", "__libc_start_call_main", "__libc_start_main",
		"__libc_start_main_impl", "_start", "start_thread", "clone", "clone3", "__clone",
		"__clone3", "__clone_internal", "_dl_start_user", "_dl_start", NULL };

	for (int i = 0; name && names[i]; i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

const struct mw_stack_view *mw_stacks_take(struct mw_stacks *s, uint32_t pid, uint32_t tid)
{
	struct slot *sl = &s->slots[tid % SLOTS];
	struct mw_stack_view *v = &s->view;
	bool learnt = false;

	if (!sl->used || sl->tid != tid)
		return NULL;
	sl->used = 0;
	int n = sl->h.nframes;
	bool owner_seen = false;  /* a scanned return into a function that keeps a frame pointer */
	v->n = 0;
	for (int i = 0; i < n; i++) {
		const struct mw_stack_frame *fr = &sl->f[i];
		struct mw_frame_view *o = &v->f[v->n];
		struct mw_sym sy = { NULL, fr->off, NULL, false };
		o->addr = fr->addr;
		o->flags = fr->flags;
		if (fr->flags & MW_SF_VDSO) {
			sy.file = "[vdso]";
		} else if (fr->flags & MW_SF_FILE) {
			bool ret = (fr->flags & MW_SF_HOW) != MW_SF_IP;
			if (mw_sym_lookup(s->sym, fr->dev, fr->ino, fr->off, ret, &sy) && !learnt) {
				/* a file not seen yet: the process's maps, if it still runs */
				mw_sym_learn_pid(s->sym, pid);
				learnt = true;
				mw_sym_lookup(s->sym, fr->dev, fr->ino, fr->off, ret, &sy);
			}
		}
		/* Scanning the words above the stack pointer finds the return
		 * addresses of the callers without frame pointer up to the first one
		 * with it, whose frame the chain starts from; words past that one are
		 * stale (old calls' leftovers in its frame): dropped. */
		if ((fr->flags & MW_SF_HOW) == MW_SF_SCAN && owner_seen)
			continue;
		if ((fr->flags & MW_SF_HOW) == MW_SF_SCAN && sy.fp_prologue)
			owner_seen = true;
		o->symbol = sy.symbol;
		o->offset = sy.offset;
		o->file = sy.file;
		v->n++;
	}
	if (sl->h.flags & MW_ST_DEPTH)
		v->end = MW_SE_DEPTH;
	else
		v->end = (sl->h.flags & (MW_ST_CUT | MW_ST_NOFP)) ? MW_SE_CUT : MW_SE_COMPLETE;
	/* a walk that reached main (or a thread's start) is complete: what
	 * follows is libc's start-up code, which keeps no frame pointer */
	for (int i = v->n - 1; i >= 0 && i >= v->n - 3 && v->end == MW_SE_CUT; i--)
		if (entry_function(v->f[i].symbol))
			v->end = MW_SE_COMPLETE;
	return v;
}

void mw_stack_table(struct strbuf *b, const struct mw_stack_view *st)
{
	for (int i = 0; i < st->n; i++) {
		const struct mw_frame_view *f = &st->f[i];
		sb_puts(b, "\n    > ");
		if (f->symbol) {
			sb_text_str(b, f->symbol, strlen(f->symbol));
			sb_printf(b, "+0x%llx (", (unsigned long long)f->offset);
			sb_text_str(b, f->file, strlen(f->file));
			sb_putc(b, ')');
		} else if (f->file) {
			sb_printf(b, "0x%llx (", (unsigned long long)f->addr);
			sb_text_str(b, f->file, strlen(f->file));
			sb_printf(b, "+0x%llx)", (unsigned long long)f->offset);
		} else if (f->flags & MW_SF_FILE) {
			sb_printf(b, "0x%llx (file not known+0x%llx)", (unsigned long long)f->addr,
				  (unsigned long long)f->offset);
		} else {
			sb_printf(b, "0x%llx (anonymous memory)", (unsigned long long)f->addr);
		}
	}
	if (st->end == MW_SE_CUT)
		sb_puts(b, "\n    > [stack cut short: a caller without frame pointer]");
	else if (st->end == MW_SE_DEPTH)
		sb_puts(b, "\n    > [more frames: --stack-depth]");
}

static const char *const how_names[] = { "ip", "scan", "fp", "?" };
static const char *const end_names[] = { "complete", "cut_short", "depth" };

void mw_stack_json(struct strbuf *b, const struct mw_stack_view *st)
{
	sb_puts(b, ",\"stack\":[");
	for (int i = 0; i < st->n; i++) {
		const struct mw_frame_view *f = &st->f[i];
		sb_printf(b, "%s{\"address\":\"0x%llx\",\"symbol\":", i ? "," : "", (unsigned long long)f->addr);
		if (f->symbol)
			sb_json_str(b, f->symbol, strlen(f->symbol));
		else
			sb_puts(b, "null");
		sb_printf(b, ",\"offset\":%llu,\"file\":", (unsigned long long)f->offset);
		if (f->file)
			sb_json_str(b, f->file, strlen(f->file));
		else
			sb_puts(b, "null");
		sb_printf(b, ",\"unwind\":\"%s\"}", how_names[f->flags & MW_SF_HOW]);
	}
	sb_printf(b, "],\"stackEnd\":\"%s\"", end_names[st->end]);
}
