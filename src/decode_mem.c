/* decode_mem.c - strace-style decoding of the memory family's flag sets (one value table each) and of the user memory their arguments point to. */
#include "decode_mem.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>
#include "decode.h"

/* Linux uapi values, here so that older C library headers do not matter.
 * Each table: the kernel version that added a value when newer than 4.x. */
struct xval {
	uint64_t val;
	const char *name;
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* <asm-generic/mman-common.h> advice values (a value, not bits) */
static const struct xval madv[] = {
	{ 0, "MADV_NORMAL" },
	{ 1, "MADV_RANDOM" },
	{ 2, "MADV_SEQUENTIAL" },
	{ 3, "MADV_WILLNEED" },
	{ 4, "MADV_DONTNEED" },
	{ 8, "MADV_FREE" },                  /* 4.5 */
	{ 9, "MADV_REMOVE" },
	{ 10, "MADV_DONTFORK" },
	{ 11, "MADV_DOFORK" },
	{ 12, "MADV_MERGEABLE" },
	{ 13, "MADV_UNMERGEABLE" },
	{ 14, "MADV_HUGEPAGE" },
	{ 15, "MADV_NOHUGEPAGE" },
	{ 16, "MADV_DONTDUMP" },
	{ 17, "MADV_DODUMP" },
	{ 18, "MADV_WIPEONFORK" },           /* 4.14 */
	{ 19, "MADV_KEEPONFORK" },           /* 4.14 */
	{ 20, "MADV_COLD" },                 /* 5.4 */
	{ 21, "MADV_PAGEOUT" },              /* 5.4 */
	{ 22, "MADV_POPULATE_READ" },        /* 5.14 */
	{ 23, "MADV_POPULATE_WRITE" },       /* 5.14 */
	{ 24, "MADV_DONTNEED_LOCKED" },      /* 5.18 */
	{ 25, "MADV_COLLAPSE" },             /* 6.1 */
	{ 100, "MADV_HWPOISON" },
	{ 101, "MADV_SOFT_OFFLINE" },
	{ 102, "MADV_GUARD_INSTALL" },       /* 6.13 */
	{ 103, "MADV_GUARD_REMOVE" },        /* 6.13 */
};

static const struct xval mlock2_flags[] = {
	{ 1, "MLOCK_ONFAULT" },              /* 4.4 */
};

static const struct xval mcl_flags[] = {
	{ 1, "MCL_CURRENT" },
	{ 2, "MCL_FUTURE" },
	{ 4, "MCL_ONFAULT" },                /* 4.4 */
};

/* <linux/mempolicy.h> modes (values) and mode flags (bits) */
static const struct xval mpol_modes[] = {
	{ 0, "MPOL_DEFAULT" },
	{ 1, "MPOL_PREFERRED" },
	{ 2, "MPOL_BIND" },
	{ 3, "MPOL_INTERLEAVE" },
	{ 4, "MPOL_LOCAL" },                 /* 3.8 */
	{ 5, "MPOL_PREFERRED_MANY" },        /* 5.15 */
	{ 6, "MPOL_WEIGHTED_INTERLEAVE" },   /* 6.9 */
};
#define MPOL_MODE_FLAGS (0x8000u | 0x4000u | 0x2000u)
static const struct xval mpol_mode_flags[] = {
	{ 0x8000, "MPOL_F_STATIC_NODES" },
	{ 0x4000, "MPOL_F_RELATIVE_NODES" },
	{ 0x2000, "MPOL_F_NUMA_BALANCING" }, /* 5.12 */
};

static const struct xval mpol_mf[] = {
	{ 1, "MPOL_MF_STRICT" },
	{ 2, "MPOL_MF_MOVE" },
	{ 4, "MPOL_MF_MOVE_ALL" },
};

static const struct xval getpol_flags[] = {
	{ 1, "MPOL_F_NODE" },
	{ 2, "MPOL_F_ADDR" },
	{ 4, "MPOL_F_MEMS_ALLOWED" },
};

/* <linux/shm.h> */
static const struct xval shmat_flags[] = {
	{ 010000, "SHM_RDONLY" },
	{ 020000, "SHM_RND" },
	{ 040000, "SHM_REMAP" },
	{ 0100000, "SHM_EXEC" },
};

/* <linux/memfd.h>; bits 26..31 are the hugetlb page size (log2) */
static const struct xval mfd_flags[] = {
	{ 1, "MFD_CLOEXEC" },
	{ 2, "MFD_ALLOW_SEALING" },
	{ 4, "MFD_HUGETLB" },
	{ 8, "MFD_NOEXEC_SEAL" },            /* 6.3 */
	{ 0x10, "MFD_EXEC" },                /* 6.3 */
};
#define MFD_HUGE_SHIFT 26
#define MFD_HUGE_MASK 0x3fu

static const struct xval secret_flags[] = {
	{ 02000000, "O_CLOEXEC" },
};

/* <asm/mman.h> x86 */
static const struct xval shstk_flags[] = {
	{ 1, "SHADOW_STACK_SET_TOKEN" },     /* 6.6 */
	{ 2, "SHADOW_STACK_SET_MARKER" },    /* 6.13 (arm64 GCS) */
};

/* The shared style for an unknown value: 0x4d followed by the comment MADV_??? (as strace). */
static void put_unknown(struct strbuf *b, uint64_t v, const char *unknown)
{
	sb_printf(b, "0x%" PRIx64, v);
	if (unknown)
		sb_printf(b, " /* %s */", unknown);
}

static void mw_decode_xval(struct strbuf *b, const struct xval *t, size_t n, uint64_t v, const char *unknown)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].val == v) {
			sb_puts(b, t[i].name);
			return;
		}
	put_unknown(b, v, unknown);
}

/* Bit flags: names joined by '|', an unknown remainder as |0x..; a word of
 * only unknown bits as 0x.. with the comment; zero as "0". */
static void put_flags(struct strbuf *b, const struct xval *t, size_t n, uint64_t v, const char *unknown)
{
	uint64_t rest = v;
	int named = 0;

	if (v == 0) {
		sb_putc(b, '0');
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (t[i].val && (rest & t[i].val) == t[i].val) {
			if (named++)
				sb_putc(b, '|');
			sb_puts(b, t[i].name);
			rest &= ~t[i].val;
		}
	if (!rest)
		return;
	if (named)
		sb_printf(b, "|0x%" PRIx64, rest);
	else
		put_unknown(b, rest, unknown);
}

/* strace's print_mode: a mode value with its mode flags after it; an
 * unknown mode with flags keeps the flags' names, the rest in hex
 * (MPOL_F_STATIC_NODES|0xffff1fff), an unknown mode alone is 0x.. MPOL_???. */
static void put_mpol_mode(struct strbuf *b, uint64_t arg)
{
	uint64_t mode = arg & ~(uint64_t)MPOL_MODE_FLAGS, fl = arg & MPOL_MODE_FLAGS;
	const char *mname = NULL;

	for (size_t i = 0; i < N(mpol_modes); i++)
		if (mpol_modes[i].val == mode)
			mname = mpol_modes[i].name;
	if (!mname) {
		if (fl)
			put_flags(b, mpol_mode_flags, N(mpol_mode_flags), arg, "MPOL_???");
		else
			put_unknown(b, arg, "MPOL_???");
		return;
	}
	sb_puts(b, mname);
	if (fl) {
		sb_putc(b, '|');
		put_flags(b, mpol_mode_flags, N(mpol_mode_flags), fl, "MPOL_???");
	}
}

static void put_mfd(struct strbuf *b, uint64_t v)
{
	uint64_t huge = v & ((uint64_t)MFD_HUGE_MASK << MFD_HUGE_SHIFT), fl = v & ~huge;

	if (fl || !huge)
		put_flags(b, mfd_flags, N(mfd_flags), fl, "MFD_???");
	if (huge) {
		if (fl)
			sb_putc(b, '|');
		sb_printf(b, "%" PRIu64 "<<MFD_HUGE_SHIFT", huge >> MFD_HUGE_SHIFT);
	}
}

const char *mw_cw_via_name(uint64_t via)
{
	static const char *const names[MW_CW_MAX] = {
		[MW_CW_PTRACE] = "ptrace", [MW_CW_PVW] = "process_vm_writev", [MW_CW_PROC_MEM] = "proc_mem",
		[MW_CW_UFFD] = "userfaultfd", [MW_CW_FILE] = "file_write",
	};

	return via < MW_CW_MAX && names[via] ? names[via] : NULL;
}

int mw_decode_mem_arg(struct strbuf *b, enum mw_arg_fmt fmt, uint64_t v)
{
	switch (fmt) {
	case MW_D_CW_VIA:
		if (mw_cw_via_name(v))
			sb_puts(b, mw_cw_via_name(v));
		else
			sb_printf(b, "%" PRIu64, v);
		return 1;
	case MW_D_MADV: mw_decode_xval(b, madv, N(madv), v, "MADV_???"); return 1;
	case MW_D_MLOCK2_FLAGS: put_flags(b, mlock2_flags, N(mlock2_flags), v, "MLOCK_???"); return 1;
	case MW_D_MCL_FLAGS: put_flags(b, mcl_flags, N(mcl_flags), v, "MCL_???"); return 1;
	case MW_D_MPOL_MODE: put_mpol_mode(b, v); return 1;
	case MW_D_MPOL_MF: put_flags(b, mpol_mf, N(mpol_mf), v, "MPOL_???"); return 1;
	case MW_D_GETPOL_FLAGS: put_flags(b, getpol_flags, N(getpol_flags), v, "MPOL_???"); return 1;
	case MW_D_SHMAT_FLAGS: put_flags(b, shmat_flags, N(shmat_flags), v, "SHM_???"); return 1;
	case MW_D_MFD_FLAGS: put_mfd(b, v); return 1;
	case MW_D_SECRET_FLAGS: put_flags(b, secret_flags, N(secret_flags), v, NULL); return 1;
	case MW_D_SHSTK_FLAGS: put_flags(b, shstk_flags, N(shstk_flags), v, "SHADOW_STACK_???"); return 1;
	case MW_D_XFLAGS:
		if (v)
			sb_printf(b, "0x%" PRIx64, v);
		else
			sb_putc(b, '0');
		return 1;
	case MW_D_PROT0: mw_decode_prot(b, v); return 1;
	case MW_D_RFP_FLAGS: mw_decode_mmap_flags(b, v); return 1; /* the same MAP_* word, huge size bits included */
	default: return 0;
	}
}

/* strace's string quoting: printable ASCII as is, \" \\ \t \n \v \f \r, others in octal. */
static void put_quoted(struct strbuf *b, const unsigned char *s, size_t n)
{
	sb_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned c = s[i];
		switch (c) {
		case '"': sb_puts(b, "\\\""); continue;
		case '\\': sb_puts(b, "\\\\"); continue;
		case '\t': sb_puts(b, "\\t"); continue;
		case '\n': sb_puts(b, "\\n"); continue;
		case '\v': sb_puts(b, "\\v"); continue;
		case '\f': sb_puts(b, "\\f"); continue;
		case '\r': sb_puts(b, "\\r"); continue;
		}
		if (c >= 0x20 && c < 0x7f) {
			sb_putc(b, (char)c);
		} else {
			/* octal, three digits when the next character is a digit */
			int next_digit = i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7';
			sb_printf(b, next_digit ? "\\%03o" : "\\%o", c);
		}
	}
	sb_putc(b, '"');
}

static uint64_t word_at(const unsigned char *d, unsigned w)
{
	uint64_t v = 0;

	if (w == 4) {
		uint32_t x;
		memcpy(&x, d, 4);
		v = x;
	} else {
		memcpy(&v, d, 8);
	}
	return v;
}

#define MAX_ELEMS 32 /* strace's default -s: 32 elements, then "..." */
#define MAX_USTR 250 /* memfd_create: MFD_NAME_MAX_LEN (249) and one more, as strace prints it */

void mw_decode_udata(struct strbuf *b, enum mw_arg_fmt fmt, uint64_t ptr, const unsigned char *d,
		     unsigned len, int trunc, int compat)
{
	unsigned w = compat ? 4 : 8, elem, n;

	if (len == MW_UDATA_UNREAD || !d) {
		if (ptr)
			sb_printf(b, "0x%" PRIx64, ptr);
		else
			sb_puts(b, "NULL");
		return;
	}
	if (len == 0 && (fmt == MW_D_NODEMASK || fmt == MW_D_NODEMASK_OUT)) {
		/* maxnode 0 or 1: the kernel reads no word (strace: the pointer) */
		sb_printf(b, "0x%" PRIx64, ptr);
		return;
	}
	switch (fmt) {
	case MW_D_USTR: {
		/* memfd_create's name: the kernel takes 249 bytes (MFD_NAME_MAX_LEN);
		 * strace prints 250 (an over-long name shows as one) then "...".
		 * Unterminated and unreadable before that: the kernel faults, and
		 * the pointer is printed. */
		size_t sl = trunc == MW_UDATA_PARTIAL ? len : len ? len - 1 : 0; /* len counts a NUL */
		size_t sn = strnlen((const char *)d, sl);
		if (trunc == MW_UDATA_PARTIAL && sn == sl && sl < MAX_USTR) {
			sb_printf(b, "0x%" PRIx64, ptr);
			return;
		}
		put_quoted(b, d, sn > MAX_USTR ? MAX_USTR : sn);
		if (trunc || sn > MAX_USTR)
			sb_puts(b, "...");
		return;
	}
	case MW_D_MPOL_OUT: {
		int32_t m;
		memcpy(&m, d, 4);
		sb_putc(b, '[');
		put_mpol_mode(b, (uint64_t)(uint32_t)m);
		sb_putc(b, ']');
		return;
	}
	case MW_D_NODEMASK:
	case MW_D_NODEMASK_OUT:
	case MW_D_PTRS:
		elem = w;
		break;
	case MW_D_INTS_OUT:
	case MW_D_INTS:
		elem = 4;
		break;
	case MW_D_IOVEC:
		elem = 2 * w;
		break;
	case MW_D_MINCORE_VEC:
		elem = 1;
		break;
	default:
		sb_printf(b, "0x%" PRIx64, ptr);
		return;
	}
	n = len / elem;
	if (n == 0 && trunc == MW_UDATA_PARTIAL) {
		/* not even the first element is readable: the pointer, as strace */
		sb_printf(b, "0x%" PRIx64, ptr);
		return;
	}
	sb_putc(b, '[');
	for (unsigned i = 0; i < n; i++) {
		const unsigned char *e = d + (size_t)i * elem;
		if (i)
			sb_puts(b, ", ");
		if (i == MAX_ELEMS) {
			sb_puts(b, "...");
			break;
		}
		switch (fmt) {
		case MW_D_NODEMASK:
		case MW_D_NODEMASK_OUT:
			/* strace: "%#0*lx" with the width of the word's hex digits */
			sb_printf(b, "%#0*" PRIx64, (int)(2 * w), word_at(e, w));
			break;
		case MW_D_PTRS: {
			uint64_t p = word_at(e, w);
			if (p)
				sb_printf(b, "0x%" PRIx64, p);
			else
				sb_puts(b, "NULL");
			break;
		}
		case MW_D_INTS_OUT: {
			/* move_pages' status: a node, or a negative errno (strace: -EFAULT) */
			int32_t x;
			const char *en;
			memcpy(&x, e, 4);
			if (x < 0 && x > -4096 && (en = mw_errno_name(-x)))
				sb_printf(b, "-%s", en);
			else
				sb_printf(b, "%d", x);
			break;
		}
		case MW_D_INTS: {
			int32_t x;
			memcpy(&x, e, 4);
			sb_printf(b, "%d", x);
			break;
		}
		case MW_D_IOVEC:
			sb_printf(b, "{iov_base=0x%" PRIx64 ", iov_len=%" PRIu64 "}", word_at(e, w), word_at(e + w, w));
			break;
		default:
			sb_printf(b, "%u", e[0] & 1);
			break;
		}
	}
	if (trunc == MW_UDATA_PARTIAL && n <= MAX_ELEMS)
		/* the rest is unreadable: where it starts, as strace writes it */
		sb_printf(b, ", ... /* 0x%" PRIx64 " */", ptr + (uint64_t)n * elem);
	else if (trunc && n <= MAX_ELEMS)
		sb_puts(b, n ? ", ..." : "...");
	sb_putc(b, ']');
}

int mw_brk_failed(uint64_t addr, int64_t ret)
{
	return addr != 0 && (uint64_t)ret != addr;
}
