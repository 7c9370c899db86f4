/* decode.c - strace-style names for the mmap-family flag words and for Linux errno numbers. */
#define MW_STRBUF_INLINE /* per-event code: sb_put and friends inline (strbuf.h) */
#include "decode.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Linux uapi values (x86_64 and asm-generic), defined here so that an older
 * libc without the newer ones does not matter. */
#define MW_PROT_READ            0x1u
#define MW_PROT_WRITE           0x2u
#define MW_PROT_EXEC            0x4u
#define MW_PROT_SEM             0x8u
#define MW_PROT_GROWSDOWN       0x01000000u
#define MW_PROT_GROWSUP         0x02000000u

#define MW_MAP_SHARED           0x01u
#define MW_MAP_PRIVATE          0x02u
#define MW_MAP_SHARED_VALIDATE  0x03u
#define MW_MAP_DROPPABLE        0x08u /* Linux 6.11 */
#define MW_MAP_TYPE             0x0fu
#define MW_MAP_FIXED            0x10u
#define MW_MAP_ANONYMOUS        0x20u
#define MW_MAP_32BIT            0x40u
#define MW_MAP_GROWSDOWN        0x100u
#define MW_MAP_DENYWRITE        0x800u
#define MW_MAP_EXECUTABLE       0x1000u
#define MW_MAP_LOCKED           0x2000u
#define MW_MAP_NORESERVE        0x4000u
#define MW_MAP_POPULATE         0x8000u
#define MW_MAP_NONBLOCK         0x10000u
#define MW_MAP_STACK            0x20000u
#define MW_MAP_HUGETLB          0x40000u
#define MW_MAP_SYNC             0x80000u
#define MW_MAP_FIXED_NOREPLACE  0x100000u
#define MW_MAP_UNINITIALIZED    0x4000000u
#define MW_MAP_HUGE_SHIFT       26
#define MW_MAP_HUGE_MASK        0x3fu

#define MW_MREMAP_MAYMOVE       0x1u
#define MW_MREMAP_FIXED         0x2u
#define MW_MREMAP_DONTUNMAP     0x4u

#define MW_MS_ASYNC             0x1u
#define MW_MS_INVALIDATE        0x2u
#define MW_MS_SYNC              0x4u

#define MW_MAX_ERRNO            4095

struct flag_name {
	uint64_t val;
	const char *name;
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Tables are in output order. */
static const struct flag_name prot_names[] = {
	{ MW_PROT_READ, "PROT_READ" },
	{ MW_PROT_WRITE, "PROT_WRITE" },
	{ MW_PROT_EXEC, "PROT_EXEC" },
	{ MW_PROT_SEM, "PROT_SEM" },
	{ MW_PROT_GROWSDOWN, "PROT_GROWSDOWN" },
	{ MW_PROT_GROWSUP, "PROT_GROWSUP" },
};

static const struct flag_name map_type_names[] = {
	{ MW_MAP_SHARED, "MAP_SHARED" },
	{ MW_MAP_PRIVATE, "MAP_PRIVATE" },
	{ MW_MAP_SHARED_VALIDATE, "MAP_SHARED_VALIDATE" },
	{ MW_MAP_DROPPABLE, "MAP_DROPPABLE" },
};

static const struct flag_name map_names[] = {
	{ MW_MAP_FIXED, "MAP_FIXED" },
	{ MW_MAP_ANONYMOUS, "MAP_ANONYMOUS" },
	{ MW_MAP_32BIT, "MAP_32BIT" },
	{ MW_MAP_GROWSDOWN, "MAP_GROWSDOWN" },
	{ MW_MAP_DENYWRITE, "MAP_DENYWRITE" },
	{ MW_MAP_EXECUTABLE, "MAP_EXECUTABLE" },
	{ MW_MAP_LOCKED, "MAP_LOCKED" },
	{ MW_MAP_NORESERVE, "MAP_NORESERVE" },
	{ MW_MAP_POPULATE, "MAP_POPULATE" },
	{ MW_MAP_NONBLOCK, "MAP_NONBLOCK" },
	{ MW_MAP_STACK, "MAP_STACK" },
	{ MW_MAP_HUGETLB, "MAP_HUGETLB" },
	{ MW_MAP_SYNC, "MAP_SYNC" },
	{ MW_MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE" },
};

/* Huge page sizes with a name in <linux/mman.h>, by log2 of the size. */
static const struct {
	unsigned shift;
	const char *name;
} huge_names[] = {
	{ 16, "MAP_HUGE_64KB" },
	{ 19, "MAP_HUGE_512KB" },
	{ 20, "MAP_HUGE_1MB" },
	{ 21, "MAP_HUGE_2MB" },
	{ 23, "MAP_HUGE_8MB" },
	{ 24, "MAP_HUGE_16MB" },
	{ 25, "MAP_HUGE_32MB" },
	{ 28, "MAP_HUGE_256MB" },
	{ 29, "MAP_HUGE_512MB" },
	{ 30, "MAP_HUGE_1GB" },
	{ 31, "MAP_HUGE_2GB" },
	{ 34, "MAP_HUGE_16GB" },
};

static const struct flag_name mremap_names[] = {
	{ MW_MREMAP_MAYMOVE, "MREMAP_MAYMOVE" },
	{ MW_MREMAP_FIXED, "MREMAP_FIXED" },
	{ MW_MREMAP_DONTUNMAP, "MREMAP_DONTUNMAP" },
};

/* strace's order */
static const struct flag_name msync_names[] = {
	{ MW_MS_SYNC, "MS_SYNC" },
	{ MW_MS_ASYNC, "MS_ASYNC" },
	{ MW_MS_INVALIDATE, "MS_INVALIDATE" },
};

static void put_sep(struct strbuf *b, int *first)
{
	if (!*first)
		sb_putc(b, '|');
	*first = 0;
}

/* Appends the name of every table bit set in v; returns the bits left over. */
static uint64_t put_bits(struct strbuf *b, const struct flag_name *t, size_t n,
			 uint64_t v, int *first)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].val && (v & t[i].val) == t[i].val) {
			put_sep(b, first);
			sb_puts(b, t[i].name);
			v &= ~t[i].val;
		}
	}
	return v;
}

/* The unknown remainder: "|0x80" after names, or "0x80 (MREMAP_??? comment)"
 * alone (strace's way of saying none of the bits has a name). */
static void put_rest(struct strbuf *b, uint64_t v, int *first, const char *prefix)
{
	if (!v)
		return;
	if (*first && prefix) {
		*first = 0;
		sb_printf(b, "0x%" PRIx64 " /* %s??? */", v, prefix);
		return;
	}
	put_sep(b, first);
	sb_printf(b, "0x%" PRIx64, v);
}

/* Plain bit-flag word: zero as zero_name, else names then hex remainder. */
static void decode_bits(struct strbuf *b, const struct flag_name *t, size_t n,
			uint64_t v, const char *zero_name, const char *prefix)
{
	int first = 1;

	if (v == 0) {
		sb_puts(b, zero_name);
		return;
	}
	put_rest(b, put_bits(b, t, n, v, &first), &first, prefix);
}

void mw_decode_prot(struct strbuf *b, uint64_t prot)
{
	decode_bits(b, prot_names, N(prot_names), prot, "PROT_NONE", "PROT_");
}

/* As strace prints it:
 * - The mapping type first: MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE,
 *   MAP_DROPPABLE (8, Linux 6.11), MAP_FILE for 0 (so flags 0 is "MAP_FILE"
 *   and 0x20 is "MAP_FILE|MAP_ANONYMOUS"), else "0x4 (MAP_??? comment)".
 * - Then the flag bits by name, then the huge page size field (bits
 *   26..31): with MAP_HUGETLB and a size that has a name in <linux/mman.h>,
 *   that name (MAP_HUGE_2MB; strace writes 21<<MAP_HUGE_SHIFT: README),
 *   otherwise "N<<MAP_HUGE_SHIFT" (bit 26 alone, MAP_UNINITIALIZED on the
 *   few kernels that have it, is 1<<MAP_HUGE_SHIFT as in strace).
 * - Then any remainder in hex ("|0x80"). Bits 32..63 are never valid (mmap
 *   takes an int): part of the remainder. Callers zero-extend an int. */
void mw_decode_mmap_flags(struct strbuf *b, uint64_t flags)
{
	int first = 1;
	uint64_t type = flags & MW_MAP_TYPE;
	uint64_t rest = flags & ~(uint64_t)MW_MAP_TYPE;
	unsigned huge = (unsigned)((rest >> MW_MAP_HUGE_SHIFT) & MW_MAP_HUGE_MASK);
	const char *tname = type == 0 ? "MAP_FILE" : NULL;

	rest &= ~((uint64_t)MW_MAP_HUGE_MASK << MW_MAP_HUGE_SHIFT);
	/* the type is a value, not bits: match it exactly */
	for (size_t i = 0; i < N(map_type_names); i++)
		if (map_type_names[i].val == type)
			tname = map_type_names[i].name;
	put_sep(b, &first);
	if (tname)
		sb_puts(b, tname);
	else
		sb_printf(b, "0x%" PRIx64 " /* MAP_??? */", type);
	rest = put_bits(b, map_names, N(map_names), rest, &first);
	if (huge) {
		const char *name = NULL;
		for (size_t i = 0; (flags & MW_MAP_HUGETLB) && i < N(huge_names); i++)
			if (huge_names[i].shift == huge)
				name = huge_names[i].name;
		put_sep(b, &first);
		if (name)
			sb_puts(b, name);
		else
			sb_printf(b, "%u<<MAP_HUGE_SHIFT", huge);
	}
	put_rest(b, rest, &first, NULL);
}

void mw_decode_mremap_flags(struct strbuf *b, uint64_t flags)
{
	decode_bits(b, mremap_names, N(mremap_names), flags, "0", "MREMAP_");
}

void mw_decode_msync_flags(struct strbuf *b, uint64_t flags)
{
	decode_bits(b, msync_names, N(msync_names), flags, "0", "MS_");
}

/* Linux errno names, generic numbering (x86_64, arm64, arm, i386 share it).
 * 41 and 58 are unused in Linux (glibc aliases EWOULDBLOCK = EAGAIN and
 * EDEADLOCK = EDEADLK live at 11 and 35), so they have no name. */
static const char *const errno_names[] = {
	[1] = "EPERM", [2] = "ENOENT", [3] = "ESRCH", [4] = "EINTR",
	[5] = "EIO", [6] = "ENXIO", [7] = "E2BIG", [8] = "ENOEXEC",
	[9] = "EBADF", [10] = "ECHILD", [11] = "EAGAIN", [12] = "ENOMEM",
	[13] = "EACCES", [14] = "EFAULT", [15] = "ENOTBLK", [16] = "EBUSY",
	[17] = "EEXIST", [18] = "EXDEV", [19] = "ENODEV", [20] = "ENOTDIR",
	[21] = "EISDIR", [22] = "EINVAL", [23] = "ENFILE", [24] = "EMFILE",
	[25] = "ENOTTY", [26] = "ETXTBSY", [27] = "EFBIG", [28] = "ENOSPC",
	[29] = "ESPIPE", [30] = "EROFS", [31] = "EMLINK", [32] = "EPIPE",
	[33] = "EDOM", [34] = "ERANGE", [35] = "EDEADLK", [36] = "ENAMETOOLONG",
	[37] = "ENOLCK", [38] = "ENOSYS", [39] = "ENOTEMPTY", [40] = "ELOOP",
	[42] = "ENOMSG", [43] = "EIDRM", [44] = "ECHRNG",
	[45] = "EL2NSYNC", [46] = "EL3HLT", [47] = "EL3RST", [48] = "ELNRNG",
	[49] = "EUNATCH", [50] = "ENOCSI", [51] = "EL2HLT", [52] = "EBADE",
	[53] = "EBADR", [54] = "EXFULL", [55] = "ENOANO", [56] = "EBADRQC",
	[57] = "EBADSLT", [59] = "EBFONT", [60] = "ENOSTR",
	[61] = "ENODATA", [62] = "ETIME", [63] = "ENOSR", [64] = "ENONET",
	[65] = "ENOPKG", [66] = "EREMOTE", [67] = "ENOLINK", [68] = "EADV",
	[69] = "ESRMNT", [70] = "ECOMM", [71] = "EPROTO", [72] = "EMULTIHOP",
	[73] = "EDOTDOT", [74] = "EBADMSG", [75] = "EOVERFLOW", [76] = "ENOTUNIQ",
	[77] = "EBADFD", [78] = "EREMCHG", [79] = "ELIBACC", [80] = "ELIBBAD",
	[81] = "ELIBSCN", [82] = "ELIBMAX", [83] = "ELIBEXEC", [84] = "EILSEQ",
	[85] = "ERESTART", [86] = "ESTRPIPE", [87] = "EUSERS", [88] = "ENOTSOCK",
	[89] = "EDESTADDRREQ", [90] = "EMSGSIZE", [91] = "EPROTOTYPE",
	[92] = "ENOPROTOOPT", [93] = "EPROTONOSUPPORT", [94] = "ESOCKTNOSUPPORT",
	[95] = "EOPNOTSUPP", [96] = "EPFNOSUPPORT", [97] = "EAFNOSUPPORT",
	[98] = "EADDRINUSE", [99] = "EADDRNOTAVAIL", [100] = "ENETDOWN",
	[101] = "ENETUNREACH", [102] = "ENETRESET", [103] = "ECONNABORTED",
	[104] = "ECONNRESET", [105] = "ENOBUFS", [106] = "EISCONN",
	[107] = "ENOTCONN", [108] = "ESHUTDOWN", [109] = "ETOOMANYREFS",
	[110] = "ETIMEDOUT", [111] = "ECONNREFUSED", [112] = "EHOSTDOWN",
	[113] = "EHOSTUNREACH", [114] = "EALREADY", [115] = "EINPROGRESS",
	[116] = "ESTALE", [117] = "EUCLEAN", [118] = "ENOTNAM", [119] = "ENAVAIL",
	[120] = "EISNAM", [121] = "EREMOTEIO", [122] = "EDQUOT",
	[123] = "ENOMEDIUM", [124] = "EMEDIUMTYPE", [125] = "ECANCELED",
	[126] = "ENOKEY", [127] = "EKEYEXPIRED", [128] = "EKEYREVOKED",
	[129] = "EKEYREJECTED", [130] = "EOWNERDEAD", [131] = "ENOTRECOVERABLE",
	[132] = "ERFKILL", [133] = "EHWPOISON",
};

/* Kernel-internal codes (include/linux/errno.h). They never reach user
 * space, but a syscall-exit tracepoint runs before signal delivery turns a
 * restart code into EINTR or a restarted call, so the tracer can see them. */
static const char *const kerrno_names[] = {
	[0] = "ERESTARTSYS", [1] = "ERESTARTNOINTR", [2] = "ERESTARTNOHAND",
	[3] = "ENOIOCTLCMD", [4] = "ERESTART_RESTARTBLOCK", [5] = "EPROBE_DEFER",
	[6] = "EOPENSTALE", [7] = "ENOPARAM", [9] = "EBADHANDLE",
	[10] = "ENOTSYNC", [11] = "EBADCOOKIE", [12] = "ENOTSUPP",
	[13] = "ETOOSMALL", [14] = "ESERVERFAULT", [15] = "EBADTYPE",
	[16] = "EJUKEBOX", [17] = "EIOCBQUEUED", [18] = "ERECALLCONFLICT",
	[19] = "ENOGRACE",
};
#define MW_KERRNO_BASE 512

/* Second names that parse but are never printed. */
static const struct {
	const char *name;
	int err;
} errno_aliases[] = {
	{ "EWOULDBLOCK", 11 },
	{ "EDEADLOCK", 35 },
	{ "ENOTSUP", 95 },
};

const char *mw_errno_text(int err)
{
	static const char *const ktext[] = {
		[0] = "To be restarted if SA_RESTART is set", [1] = "To be restarted",
		[2] = "To be restarted if no handler", [4] = "Interrupted by signal",
	};

	if (err > 0 && (size_t)err < N(errno_names) && errno_names[err])
		return strerror(err);
	if (err >= MW_KERRNO_BASE && (size_t)(err - MW_KERRNO_BASE) < N(ktext))
		return ktext[err - MW_KERRNO_BASE];
	return NULL;
}

const char *mw_errno_name(int err)
{
	if (err > 0 && (size_t)err < N(errno_names))
		return errno_names[err];
	if (err >= MW_KERRNO_BASE && (size_t)(err - MW_KERRNO_BASE) < N(kerrno_names))
		return kerrno_names[err - MW_KERRNO_BASE];
	return NULL;
}

/* Accepts a name (case-insensitive, including the aliases above) or a
 * decimal number 1..4095 (MAX_ERRNO) with digits only, no sign, no spaces;
 * a number need not have a name. */
int mw_errno_value(const char *name)
{
	if (!name || !*name)
		return -1;
	if (name[0] >= '0' && name[0] <= '9') {
		long v = 0;
		for (const char *p = name; *p; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			v = v * 10 + (*p - '0');
			if (v > MW_MAX_ERRNO)
				return -1;
		}
		return v >= 1 ? (int)v : -1;
	}
	for (size_t i = 1; i < N(errno_names); i++)
		if (errno_names[i] && strcasecmp(name, errno_names[i]) == 0)
			return (int)i;
	for (size_t i = 0; i < N(kerrno_names); i++)
		if (kerrno_names[i] && strcasecmp(name, kerrno_names[i]) == 0)
			return (int)i + MW_KERRNO_BASE;
	for (size_t i = 0; i < N(errno_aliases); i++)
		if (strcasecmp(name, errno_aliases[i].name) == 0)
			return errno_aliases[i].err;
	return -1;
}

/* Names a family accepts beyond "<prefix><table name>". */
static const struct flag_name prot_extra[] = {
	{ 0, "NONE" }, { MW_PROT_READ, "R" }, { MW_PROT_WRITE, "W" }, { MW_PROT_EXEC, "X" },
};
static const struct flag_name map_extra[] = {
	{ MW_MAP_ANONYMOUS, "ANON" },   /* glibc's MAP_ANON */
	{ MW_MAP_UNINITIALIZED, "UNINITIALIZED" }, /* bit 26: printed as 1<<MAP_HUGE_SHIFT, as strace does */
};

/* Finds name (prefix already stripped) among table names minus the prefix. */
static int lookup(const struct flag_name *t, size_t n, size_t plen,
		  const char *key, uint64_t *val)
{
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(key, t[i].name + plen) == 0) {
			*val = t[i].val;
			return 0;
		}
	}
	return -1;
}

/* Family names are matched case-insensitively. Only that family's prefix
 * is stripped ("MAP_FIXED" is not a mremap flag). Accepted for mmap: the
 * three mapping types (their values are not single bits: MAP_SHARED_VALIDATE
 * is 3), every flag bit, "ANON", and the huge sizes MAP_HUGE_64KB ..
 * MAP_HUGE_16GB and MAP_HUGE_SHIFT_<1..63>, whose value is the shifted size
 * field (a filter should compare the field, not test bits). Numbers are not
 * accepted here. */
int mw_flag_value(const char *family, const char *name, uint64_t *val)
{
	const struct flag_name *t, *extra = NULL;
	size_t n, nextra = 0;
	const char *prefix;
	uint64_t v;

	if (!family || !name || !val)
		return -1;
	if (strcasecmp(family, "prot") == 0) {
		t = prot_names; n = N(prot_names); prefix = "PROT_";
		extra = prot_extra; nextra = N(prot_extra);
	} else if (strcasecmp(family, "mmap") == 0) {
		t = map_names; n = N(map_names); prefix = "MAP_";
		extra = map_extra; nextra = N(map_extra);
	} else if (strcasecmp(family, "mremap") == 0) {
		t = mremap_names; n = N(mremap_names); prefix = "MREMAP_";
	} else if (strcasecmp(family, "msync") == 0) {
		t = msync_names; n = N(msync_names); prefix = "MS_";
	} else {
		return -1;
	}

	size_t plen = strlen(prefix);
	const char *key = strncasecmp(name, prefix, plen) == 0 ? name + plen : name;

	/* the size field as printed: "21<<MAP_HUGE_SHIFT" */
	if (t == map_names && name[0] >= '0' && name[0] <= '9' && strstr(name, "<<")) {
		const char *lt = strstr(name, "<<");
		unsigned sft = 0;
		if (strcasecmp(lt + 2, "MAP_HUGE_SHIFT") || lt - name > 2)
			return -1;
		for (const char *p = name; p < lt; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			sft = sft * 10 + (unsigned)(*p - '0');
		}
		if (sft == 0 || sft > MW_MAP_HUGE_MASK)
			return -1;
		*val = (uint64_t)sft << MW_MAP_HUGE_SHIFT;
		return 0;
	}
	if (!*key)
		return -1;

	if (lookup(t, n, plen, key, &v) == 0 ||
	    (extra && lookup(extra, nextra, 0, key, &v) == 0)) {
		*val = v;
		return 0;
	}
	if (t == map_names) {
		if (lookup(map_type_names, N(map_type_names), plen, key, &v) == 0) {
			*val = v;
			return 0;
		}
		for (size_t i = 0; i < N(huge_names); i++) {
			if (strcasecmp(key, huge_names[i].name + plen) == 0) {
				*val = (uint64_t)huge_names[i].shift << MW_MAP_HUGE_SHIFT;
				return 0;
			}
		}
		if (strncasecmp(key, "HUGE_SHIFT_", 11) == 0) {
			const char *p = key + 11;
			unsigned s = 0;
			if (!*p)
				return -1;
			for (; *p; p++) {
				if (*p < '0' || *p > '9')
					return -1;
				s = s * 10 + (unsigned)(*p - '0');
				if (s > MW_MAP_HUGE_MASK)
					return -1;
			}
			if (s == 0)
				return -1;
			*val = (uint64_t)s << MW_MAP_HUGE_SHIFT;
			return 0;
		}
	}
	return -1;
}
