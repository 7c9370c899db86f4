/* test_btfscan.c - the raw BTF reader: a hand-made blob, damaged ones, and the running kernel's BTF against libbpf's answer. */
#include <bpf/btf.h>
#include <stdint.h>
#include <stdlib.h>
#include "btfscan.h"
#include "proc.h"
#include "t.h"

struct blob {
	unsigned char b[512];
	size_t n, types, strs;
};

static void put32(struct blob *x, uint32_t v)
{
	memcpy(x->b + x->n, &v, 4);
	x->n += 4;
}

static void type(struct blob *x, uint32_t name, unsigned kind, unsigned vlen, uint32_t size, size_t extra)
{
	put32(x, name);
	put32(x, (kind << 24) | vlen);
	put32(x, size);
	memset(x->b + x->n, 0, extra);
	x->n += extra;
}

/* header, then types: 1 INT "int", 2 FUNC_PROTO (1 param), 3 FUNC "foo",
 * 4 STRUCT "x" (2 members), 5 FUNC "bar"; strings "\0int\0foo\0bar\0x\0" */
static void make(struct blob *x)
{
	static const char strs[] = "\0int\0foo\0bar\0x";
	memset(x, 0, sizeof(*x));
	x->n = 24;
	type(x, 1, 1, 0, 4, 4);
	type(x, 0, 13, 1, 1, 8);
	type(x, 5, 12, 0, 2, 0);
	type(x, 13, 4, 2, 8, 24);
	type(x, 9, 12, 0, 2, 0);
	size_t tl = x->n - 24;
	memcpy(x->b + x->n, strs, sizeof(strs));
	x->n += sizeof(strs);
	uint16_t magic = 0xeB9F;
	memcpy(x->b, &magic, 2);
	x->b[2] = 1;
	uint32_t h[5] = { 24, 0, (uint32_t)tl, (uint32_t)tl, sizeof(strs) };
	memcpy(x->b + 4, h, sizeof(h));
}

TEST(btfscan_blob)
{
	struct blob x;

	make(&x);
	CHECK_INT(mw_btf_func_id(x.b, x.n, "foo"), 3);
	CHECK_INT(mw_btf_func_id(x.b, x.n, "bar"), 5);
	CHECK_INT(mw_btf_func_id(x.b, x.n, "int"), -1); /* a name, not a function's */
	CHECK_INT(mw_btf_func_id(x.b, x.n, "fo"), -1);
	CHECK_INT(mw_btf_func_id(x.b, x.n, "oo"), -1);
	CHECK_INT(mw_btf_func_id(x.b, x.n, "baz"), -1);
	CHECK_INT(mw_btf_func_id(x.b, x.n, ""), -1);
	for (size_t n = 0; n < x.n; n++) /* any truncation: never past the end (ASan), never a wrong id */
		CHECK(mw_btf_func_id(x.b, n, "bar") == -1 || mw_btf_func_id(x.b, n, "bar") == 5);
	CHECK_INT(mw_btf_func_id(NULL, 0, "foo"), -1);
	x.b[0] ^= 0xff; /* the other byte order, or no BTF */
	CHECK_INT(mw_btf_func_id(x.b, x.n, "foo"), -1);
	make(&x);
	x.b[24 + 16 + 7] = 31; /* type 2's kind byte: unknown */
	CHECK_INT(mw_btf_func_id(x.b, x.n, "foo"), -1);
	make(&x);
	uint32_t big = 1u << 30; /* a type section said to be longer than the data */
	memcpy(x.b + 12, &big, 4);
	CHECK_INT(mw_btf_func_id(x.b, x.n, "foo"), -1);
}

TEST(btfscan_kernel)
{
	size_t len = 0;
	void *d = mw_read_file("/sys/kernel/btf/vmlinux", &len);
	struct btf *vb = btf__load_vmlinux_btf();

	if (d && vb) {
		static const char *const names[] = { "__x64_sys_mmap", "__arm64_sys_mmap", "do_mmap",
						     "__ia32_compat_sys_ipc", "no_such_function_here" };
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			int want = btf__find_by_name_kind(vb, names[i], BTF_KIND_FUNC);
			CHECK_INT(mw_btf_func_id(d, len, names[i]), want > 0 ? want : -1);
		}
	} /* no kernel BTF readable here: nothing to compare */
	free(d);
	btf__free(vb);
	CHECK(mw_read_file("/nonexistent/file", &len) == NULL);
}
