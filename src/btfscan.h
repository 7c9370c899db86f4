/* btfscan.h - one function's type id read straight from raw BTF (the kernel's /sys/kernel/btf/vmlinux), without libbpf's full parse. */
#ifndef MW_BTFSCAN_H
#define MW_BTFSCAN_H

#include <stddef.h>

/* The type id of the BTF_KIND_FUNC named name in the raw BTF data[0..len),
 * or -1: not found, not BTF of this byte order, truncated or of a kind this
 * reader does not know (the caller then asks libbpf). Any bytes are safe. */
int mw_btf_func_id(const void *data, size_t len, const char *name);

#endif
