/* test_symbolize.c - the symbolizer on this very test binary: a function's file offset, taken from /proc/self/maps, names that function. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "t.h"
#include "symbolize.h"
#include "stack.h"

__attribute__((noinline)) int mw_test_symbolize_target(int x)
{
	return x * 3 + 1;
}

/* The file offset of addr in this process's own mapping of /proc/self/exe. */
static int self_offset(uintptr_t addr, uint32_t *dev, uint64_t *ino, uint64_t *off)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int found = -1;

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, o, in;
		unsigned maj, min;
		if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu", &lo, &hi, &o, &maj, &min, &in) == 6 && addr >= lo &&
		    addr < hi) {
			*dev = (maj << 20) | min;
			*ino = in;
			*off = addr - lo + o;
			found = 0;
			break;
		}
	}
	if (f)
		fclose(f);
	return found;
}

TEST(symbolize_own_function)
{
	struct mw_symbolizer *s = mw_sym_new();
	uint32_t dev;
	uint64_t ino, off;
	struct mw_sym sy;
	uintptr_t fn = (uintptr_t)&mw_test_symbolize_target;

	CHECK(s != NULL);
	CHECK(self_offset(fn + 2, &dev, &ino, &off) == 0);
	/* mapwatch's own maps are learnt at start: this binary is known */
	CHECK(mw_sym_lookup(s, dev, ino, off, false, &sy) == 0);
	CHECK_STR(sy.symbol, "mw_test_symbolize_target");
	CHECK_INT(sy.offset, 2);
	CHECK(sy.file && sy.file[0] == '/');
	/* a return address at the function's very end belongs to it: looked up at off - 1 */
	CHECK(mw_sym_lookup(s, dev, ino, off - 2, true, &sy) == 0);
	CHECK(sy.symbol == NULL || strcmp(sy.symbol, "mw_test_symbolize_target") != 0);
	/* an unknown file */
	CHECK(mw_sym_lookup(s, 12345, 678, 0, false, &sy) == -1);
	CHECK(sy.file == NULL);
	CHECK(mw_sym_build_id(s, dev, ino) != NULL);
	mw_sym_free(s);
}

TEST(symbolize_learn_maps_text)
{
	struct mw_symbolizer *s = mw_sym_new();
	struct mw_sym sy;

	mw_sym_learn_maps_text(s, "7f0000000000-7f0000001000 r-xp 00000000 fe:01 4242 /nonexistent/libx.so\n"
				  "7f0000001000-7f0000002000 rw-p 00000000 00:00 0 \n");
	CHECK(mw_sym_lookup(s, (0xfeu << 20) | 1, 4242, 0x10, false, &sy) == 0);
	CHECK_STR(sy.file, "/nonexistent/libx.so");
	CHECK(sy.symbol == NULL); /* the file cannot be read: no symbol, no crash */
	mw_sym_free(s);
}

TEST(stack_record_matching_and_marker)
{
	struct mw_stacks *st = mw_stacks_new();
	struct {
		struct mw_stack_rec h;
		struct mw_stack_frame f[2];
	} r = { .h = { .type = MW_REC_STACK, .nframes = 2, .pid = 1, .tid = 7, .flags = MW_ST_CUT } };
	struct strbuf b = { 0 };

	r.f[0] = (struct mw_stack_frame){ .addr = 0x1000, .flags = MW_SF_IP };
	r.f[1] = (struct mw_stack_frame){ .addr = 0x2000, .off = 0x10, .ino = 9, .dev = 9, .flags = MW_SF_FP | MW_SF_FILE };
	mw_stacks_record(st, &r, sizeof(r));
	CHECK(mw_stacks_take(st, 1, 8) == NULL); /* another thread's */
	const struct mw_stack_view *v = mw_stacks_take(st, 1, 7);
	CHECK(v && v->n == 2 && v->end == MW_SE_CUT);
	mw_stack_table(&b, v);
	CHECK_STR(b.p, "\n    > 0x1000 (anonymous memory)\n    > 0x2000 (file not known+0x10)\n"
		       "    > [stack cut short: a caller without frame pointer]");
	sb_reset(&b);
	mw_stack_json(&b, v);
	CHECK(strstr(b.p, "{\"address\":\"0x2000\",\"symbol\":null,\"offset\":16,\"file\":null,\"unwind\":\"fp\"}") != NULL);
	CHECK(strstr(b.p, "\"stackEnd\":\"cut_short\"") != NULL);
	CHECK(mw_stacks_take(st, 1, 7) == NULL); /* consumed */
	sb_free(&b);
	mw_stacks_free(st);
}
