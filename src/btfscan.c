/* btfscan.c - one function's type id read straight from raw BTF (the kernel's /sys/kernel/btf/vmlinux), without libbpf's full parse. */
/* Deciding whether function mode is possible needs the id of one function;
 * libbpf's btf__load_vmlinux_btf() parses and indexes the kernel's whole
 * BTF for it, a large part of mapwatch's start; a walk over the raw type
 * section finds it many times faster (BENCHMARKS.md). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "btfscan.h"

#define BTF_MAGIC 0xeB9F

/* Bytes that follow a type's 12-byte header, by kind (vlen: its count of
 * members, parameters, values...); -1 for a kind this reader does not know. */
static long trailer(unsigned kind, unsigned vlen)
{
	switch (kind) {
	case 1: /* INT */ case 14: /* VAR */ case 17: /* DECL_TAG */
		return 4;
	case 2: /* PTR */ case 7: /* FWD */ case 8: /* TYPEDEF */ case 9: /* VOLATILE */
	case 10: /* CONST */ case 11: /* RESTRICT */ case 12: /* FUNC */ case 16: /* FLOAT */
	case 18: /* TYPE_TAG */
		return 0;
	case 3: /* ARRAY */
		return 12;
	case 4: /* STRUCT */ case 5: /* UNION */ case 15: /* DATASEC */ case 19: /* ENUM64 */
		return 12L * vlen;
	case 6: /* ENUM */ case 13: /* FUNC_PROTO */
		return 8L * vlen;
	default:
		return -1;
	}
}

static uint32_t u32_at(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int mw_btf_func_id(const void *data, size_t len, const char *name)
{
	const unsigned char *b = data;
	size_t nlen = strlen(name);
	uint16_t magic;

	if (!b || len < 24 || !nlen)
		return -1;
	memcpy(&magic, b, sizeof(magic));
	if (magic != BTF_MAGIC)
		return -1; /* absent, or the other byte order */
	uint32_t hdr_len = u32_at(b + 4), type_off = u32_at(b + 8), type_len = u32_at(b + 12);
	uint32_t str_off = u32_at(b + 16), str_len = u32_at(b + 20);
	if (hdr_len < 24 || hdr_len > len || type_off > len - hdr_len || type_len > len - hdr_len - type_off ||
	    str_off > len - hdr_len || str_len > len - hdr_len - str_off)
		return -1;
	const unsigned char *types = b + hdr_len + type_off, *strs = b + hdr_len + str_off;

	/* the name's offset in the string section: strings are NUL-separated and
	 * de-duplicated, so "\0name\0" appears once (offset 0 is the empty string) */
	size_t want = 0;
	for (size_t i = 1; i + nlen < str_len; i++) {
		if (strs[i - 1] == 0 && strs[i + nlen] == 0 && memcmp(strs + i, name, nlen) == 0) {
			want = i;
			break;
		}
	}
	if (!want)
		return -1;
	size_t at = 0;
	for (long id = 1; at + 12 <= type_len && id < INT32_MAX; id++) {
		uint32_t name_off = u32_at(types + at), info = u32_at(types + at + 4);
		unsigned kind = (info >> 24) & 0x1f, vlen = info & 0xffff;
		long extra = trailer(kind, vlen);
		if (extra < 0)
			return -1;
		if (kind == 12 && name_off == want)
			return (int)id;
		if ((size_t)extra > type_len - at - 12)
			return -1; /* truncated */
		at += 12 + (size_t)extra;
	}
	return -1;
}
