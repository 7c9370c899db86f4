/* test_decode.c - unit tests for the flag decoders, errno names and name parsers (src/decode.c). */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "decode.h"
#include "t.h"

static struct strbuf db;

static const char *prot(uint64_t v) { sb_reset(&db); mw_decode_prot(&db, v); return db.p; }
static const char *mmf(uint64_t v) { sb_reset(&db); mw_decode_mmap_flags(&db, v); return db.p; }
static const char *mrf(uint64_t v) { sb_reset(&db); mw_decode_mremap_flags(&db, v); return db.p; }
static const char *msf(uint64_t v) { sb_reset(&db); mw_decode_msync_flags(&db, v); return db.p; }

#define HUGE(shift) ((uint64_t)(shift) << 26)

TEST(decode_prot)
{
	CHECK_STR(prot(0), "PROT_NONE");
	CHECK_STR(prot(1), "PROT_READ");
	CHECK_STR(prot(2), "PROT_WRITE");
	CHECK_STR(prot(4), "PROT_EXEC");
	CHECK_STR(prot(3), "PROT_READ|PROT_WRITE");
	CHECK_STR(prot(5), "PROT_READ|PROT_EXEC");
	CHECK_STR(prot(7), "PROT_READ|PROT_WRITE|PROT_EXEC");
	CHECK_STR(prot(0xf), "PROT_READ|PROT_WRITE|PROT_EXEC|PROT_SEM");
	CHECK_STR(prot(0x01000000), "PROT_GROWSDOWN");
	CHECK_STR(prot(0x02000000), "PROT_GROWSUP");
	CHECK_STR(prot(0x01000005), "PROT_READ|PROT_EXEC|PROT_GROWSDOWN");
	CHECK_STR(prot(0x101), "PROT_READ|0x100");
	CHECK_STR(prot(0x100), "0x100 /* PROT_??? */"); /* strace: no bit has a name */
	CHECK_STR(prot(0x101), "PROT_READ|0x100");
	CHECK_STR(prot(0x10), "0x10 /* PROT_??? */");
	CHECK_STR(prot(0xffffffffu),
		  "PROT_READ|PROT_WRITE|PROT_EXEC|PROT_SEM|PROT_GROWSDOWN|PROT_GROWSUP|0xfcfffff0");
	CHECK_STR(prot(1ULL << 40 | 2), "PROT_WRITE|0x10000000000");
	CHECK_STR(prot(UINT64_MAX),
		  "PROT_READ|PROT_WRITE|PROT_EXEC|PROT_SEM|PROT_GROWSDOWN|PROT_GROWSUP|0xfffffffffcfffff0");
	sb_free(&db);
}

TEST(decode_mmap_types)
{
	CHECK_STR(mmf(0), "MAP_FILE"); /* strace names type 0 MAP_FILE */
	CHECK_STR(mmf(0x1), "MAP_SHARED");
	CHECK_STR(mmf(0x2), "MAP_PRIVATE");
	CHECK_STR(mmf(0x3), "MAP_SHARED_VALIDATE");
	CHECK_STR(mmf(0x22), "MAP_PRIVATE|MAP_ANONYMOUS");
	CHECK_STR(mmf(0x21), "MAP_SHARED|MAP_ANONYMOUS");
	CHECK_STR(mmf(0x13), "MAP_SHARED_VALIDATE|MAP_FIXED");
	/* unknown type: its raw value in hex, first */
	CHECK_STR(mmf(0x20), "MAP_FILE|MAP_ANONYMOUS");
	CHECK_STR(mmf(0x4), "0x4 /* MAP_??? */");
	CHECK_STR(mmf(0x8), "MAP_DROPPABLE"); /* Linux 6.11 */
	CHECK_STR(mmf(0xf), "0xf /* MAP_??? */");
	CHECK_STR(mmf(0x2f), "0xf /* MAP_??? */|MAP_ANONYMOUS");
	CHECK_STR(mmf(0x200), "MAP_FILE|0x200");
	sb_free(&db);
}

TEST(decode_mmap_bits)
{
	CHECK_STR(mmf(0x12), "MAP_PRIVATE|MAP_FIXED");
	CHECK_STR(mmf(0x32), "MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS");
	CHECK_STR(mmf(0x100022), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE");
	CHECK_STR(mmf(0x20022), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_STACK");
	CHECK_STR(mmf(0x80003), "MAP_SHARED_VALIDATE|MAP_SYNC");
	CHECK_STR(mmf(0x1802), "MAP_PRIVATE|MAP_DENYWRITE|MAP_EXECUTABLE");
	CHECK_STR(mmf(0x4000022), "MAP_PRIVATE|MAP_ANONYMOUS|1<<MAP_HUGE_SHIFT"); /* bit 26 alone, as strace */
	/* every named bit, no MAP_HUGETLB so bit 26 is MAP_UNINITIALIZED */
	CHECK_STR(mmf(0x1 | 0x10 | 0x20 | 0x40 | 0x100 | 0x800 | 0x1000 | 0x2000 | 0x4000 |
		      0x8000 | 0x10000 | 0x20000 | 0x80000 | 0x100000 | 0x4000000),
		  "MAP_SHARED|MAP_FIXED|MAP_ANONYMOUS|MAP_32BIT|MAP_GROWSDOWN|MAP_DENYWRITE|"
		  "MAP_EXECUTABLE|MAP_LOCKED|MAP_NORESERVE|MAP_POPULATE|MAP_NONBLOCK|MAP_STACK|"
		  "MAP_SYNC|MAP_FIXED_NOREPLACE|1<<MAP_HUGE_SHIFT");
	/* unknown low bits (0x80, 0x200, 0x400 are unused on x86_64) */
	CHECK_STR(mmf(0x602), "MAP_PRIVATE|0x600");
	CHECK_STR(mmf(0x80 | 0x22), "MAP_PRIVATE|MAP_ANONYMOUS|0x80");
	CHECK_STR(mmf(0x200000 | 0x1), "MAP_SHARED|0x200000");
	/* bits above 31 are remainder */
	CHECK_STR(mmf(1ULL << 32 | 0x22), "MAP_PRIVATE|MAP_ANONYMOUS|0x100000000");
	/* a sign-extended int -1 */
	CHECK_STR(mmf(UINT64_MAX),
		  "0xf /* MAP_??? */|MAP_FIXED|MAP_ANONYMOUS|MAP_32BIT|MAP_GROWSDOWN|MAP_DENYWRITE|"
		  "MAP_EXECUTABLE|MAP_LOCKED|MAP_NORESERVE|MAP_POPULATE|MAP_NONBLOCK|MAP_STACK|"
		  "MAP_HUGETLB|MAP_SYNC|MAP_FIXED_NOREPLACE|63<<MAP_HUGE_SHIFT|0xffffffff03e00680");
	sb_free(&db);
}

TEST(decode_mmap_huge)
{
	const uint64_t base = 0x40022;   /* MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB */

	CHECK_STR(mmf(base), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB");
	CHECK_STR(mmf(base | HUGE(21)), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_2MB");
	CHECK_INT(base | HUGE(21), 0x54040022);
	CHECK_STR(mmf(0x54040022), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_2MB");
	CHECK_STR(mmf(0x78040022), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_1GB");
	CHECK_STR(mmf(base | HUGE(16)), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_64KB");
	CHECK_STR(mmf(base | HUGE(19)), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_512KB");
	CHECK_STR(mmf(base | HUGE(20)), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_1MB");
	CHECK_STR(mmf(base | HUGE(23)), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_8MB");
	CHECK_STR(mmf(base | HUGE(24)), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_16MB");
	CHECK_STR(mmf(base | HUGE(25)), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_32MB");
	CHECK_STR(mmf(base | HUGE(28)), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_256MB");
	CHECK_STR(mmf(base | HUGE(29)), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_512MB");
	CHECK_STR(mmf(base | HUGE(31)), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_2GB");
	CHECK_STR(mmf(base | HUGE(34)), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_16GB");
	CHECK_INT(HUGE(34), 0x88000000);
	/* sizes without a name */
	CHECK_STR(mmf(base | HUGE(1)), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|1<<MAP_HUGE_SHIFT");
	CHECK_STR(mmf(base | HUGE(22)), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|22<<MAP_HUGE_SHIFT");
	CHECK_STR(mmf(base | HUGE(63)), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|63<<MAP_HUGE_SHIFT"); /* not an invented MAP_HUGE_SHIFT_63 */
	/* without MAP_HUGETLB the same bits: bit 26 is MAP_UNINITIALIZED, rest hex */
	CHECK_STR(mmf(0x22 | HUGE(21)), "MAP_PRIVATE|MAP_ANONYMOUS|21<<MAP_HUGE_SHIFT"); /* size bits without MAP_HUGETLB */
	CHECK_STR(mmf(0x22 | HUGE(30)), "MAP_PRIVATE|MAP_ANONYMOUS|30<<MAP_HUGE_SHIFT");
	CHECK_STR(mmf(0x22 | HUGE(1)), "MAP_PRIVATE|MAP_ANONYMOUS|1<<MAP_HUGE_SHIFT");
	CHECK_STR(mmf(0x22 | HUGE(16)), "MAP_PRIVATE|MAP_ANONYMOUS|16<<MAP_HUGE_SHIFT"); /* not 0x40000000 */
	/* everything at once: unknown type, huge size, remainder last */
	CHECK_STR(mmf(1ULL << 32 | 0x40000 | HUGE(21) | 0x600 | 0x5),
		  "0x5 /* MAP_??? */|MAP_HUGETLB|MAP_HUGE_2MB|0x100000600");
	sb_free(&db);
}

TEST(decode_mremap_msync)
{
	CHECK_STR(mrf(0), "0");
	CHECK_STR(mrf(1), "MREMAP_MAYMOVE");
	CHECK_STR(mrf(2), "MREMAP_FIXED");
	CHECK_STR(mrf(3), "MREMAP_MAYMOVE|MREMAP_FIXED");
	CHECK_STR(mrf(5), "MREMAP_MAYMOVE|MREMAP_DONTUNMAP");
	CHECK_STR(mrf(7), "MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP");
	CHECK_STR(mrf(8), "0x8 /* MREMAP_??? */");
	CHECK_STR(mrf(0x81), "MREMAP_MAYMOVE|0x80");
	CHECK_STR(mrf(0xd), "MREMAP_MAYMOVE|MREMAP_DONTUNMAP|0x8");
	CHECK_STR(mrf(0xffffffffu), "MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP|0xfffffff8");

	CHECK_STR(msf(0), "0");
	CHECK_STR(msf(1), "MS_ASYNC");
	CHECK_STR(msf(2), "MS_INVALIDATE");
	CHECK_STR(msf(4), "MS_SYNC");
	CHECK_STR(msf(5), "MS_SYNC|MS_ASYNC"); /* strace's order */
	CHECK_STR(msf(7), "MS_SYNC|MS_ASYNC|MS_INVALIDATE");
	CHECK_STR(msf(6), "MS_SYNC|MS_INVALIDATE");
	CHECK_STR(msf(0x10), "0x10 /* MS_??? */");
	CHECK_STR(msf(0x13), "MS_ASYNC|MS_INVALIDATE|0x10");
	sb_free(&db);
}

TEST(decode_appends)
{
	struct strbuf b = { 0 };

	sb_puts(&b, "prot=");
	mw_decode_prot(&b, 3);
	sb_puts(&b, ", flags=");
	mw_decode_mmap_flags(&b, 0x22);
	sb_puts(&b, ", mremap=");
	mw_decode_mremap_flags(&b, 0);
	sb_puts(&b, ", msync=");
	mw_decode_msync_flags(&b, 4);
	CHECK_STR(b.p, "prot=PROT_READ|PROT_WRITE, flags=MAP_PRIVATE|MAP_ANONYMOUS, mremap=0, msync=MS_SYNC");
	CHECK_INT(b.len, strlen(b.p));
	sb_free(&b);
}

TEST(errno_names)
{
	CHECK_STR(mw_errno_name(1), "EPERM");
	CHECK_STR(mw_errno_name(9), "EBADF");
	CHECK_STR(mw_errno_name(11), "EAGAIN");
	CHECK_STR(mw_errno_name(12), "ENOMEM");
	CHECK_STR(mw_errno_name(13), "EACCES");
	CHECK_STR(mw_errno_name(17), "EEXIST");
	CHECK_STR(mw_errno_name(19), "ENODEV");
	CHECK_STR(mw_errno_name(22), "EINVAL");
	CHECK_STR(mw_errno_name(26), "ETXTBSY");
	CHECK_STR(mw_errno_name(35), "EDEADLK");
	CHECK_STR(mw_errno_name(75), "EOVERFLOW");
	CHECK_STR(mw_errno_name(95), "EOPNOTSUPP");
	CHECK_STR(mw_errno_name(125), "ECANCELED");
	CHECK_STR(mw_errno_name(133), "EHWPOISON");
	CHECK(mw_errno_name(0) == NULL);
	CHECK(mw_errno_name(-1) == NULL);
	CHECK(mw_errno_name(-22) == NULL);
	CHECK(mw_errno_name(41) == NULL);
	CHECK(mw_errno_name(58) == NULL);
	CHECK(mw_errno_name(134) == NULL);
	CHECK(mw_errno_name(511) == NULL);
	CHECK(mw_errno_name(520) == NULL);
	CHECK(mw_errno_name(532) == NULL);
	CHECK(mw_errno_name(4095) == NULL);
	CHECK(mw_errno_name(INT_MAX) == NULL);
	CHECK(mw_errno_name(INT_MIN) == NULL);
	/* kernel-internal restart codes a syscall-exit hook can see */
	CHECK_STR(mw_errno_name(512), "ERESTARTSYS");
	CHECK_STR(mw_errno_name(513), "ERESTARTNOINTR");
	CHECK_STR(mw_errno_name(514), "ERESTARTNOHAND");
	CHECK_STR(mw_errno_name(516), "ERESTART_RESTARTBLOCK");
	CHECK_STR(mw_errno_name(524), "ENOTSUPP");
	CHECK_STR(mw_errno_name(531), "ENOGRACE");
}

/* The table against the C library's own <errno.h> for every Linux errno. */
TEST(errno_names_match_libc)
{
#define E(x) { x, #x }
	static const struct { int v; const char *n; } libc[] = {
		E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
		E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
		E(EFAULT), E(ENOTBLK), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV),
		E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY),
		E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK),
		E(EPIPE), E(EDOM), E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK),
		E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EIDRM), E(ECHRNG),
		E(EL2NSYNC), E(EL3HLT), E(EL3RST), E(ELNRNG), E(EUNATCH), E(ENOCSI),
		E(EL2HLT), E(EBADE), E(EBADR), E(EXFULL), E(ENOANO), E(EBADRQC),
		E(EBADSLT), E(EBFONT), E(ENOSTR), E(ENODATA), E(ETIME), E(ENOSR),
		E(ENONET), E(ENOPKG), E(EREMOTE), E(ENOLINK), E(EADV), E(ESRMNT),
		E(ECOMM), E(EPROTO), E(EMULTIHOP), E(EDOTDOT), E(EBADMSG),
		E(EOVERFLOW), E(ENOTUNIQ), E(EBADFD), E(EREMCHG), E(ELIBACC),
		E(ELIBBAD), E(ELIBSCN), E(ELIBMAX), E(ELIBEXEC), E(EILSEQ),
		E(ERESTART), E(ESTRPIPE), E(EUSERS), E(ENOTSOCK), E(EDESTADDRREQ),
		E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT), E(EPROTONOSUPPORT),
		E(ESOCKTNOSUPPORT), E(EOPNOTSUPP), E(EPFNOSUPPORT), E(EAFNOSUPPORT),
		E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN), E(ENETUNREACH),
		E(ENETRESET), E(ECONNABORTED), E(ECONNRESET), E(ENOBUFS), E(EISCONN),
		E(ENOTCONN), E(ESHUTDOWN), E(ETOOMANYREFS), E(ETIMEDOUT),
		E(ECONNREFUSED), E(EHOSTDOWN), E(EHOSTUNREACH), E(EALREADY),
		E(EINPROGRESS), E(ESTALE), E(EUCLEAN), E(ENOTNAM), E(ENAVAIL),
		E(EISNAM), E(EREMOTEIO), E(EDQUOT), E(ENOMEDIUM), E(EMEDIUMTYPE),
		E(ECANCELED), E(ENOKEY), E(EKEYEXPIRED), E(EKEYREVOKED),
		E(EKEYREJECTED), E(EOWNERDEAD), E(ENOTRECOVERABLE), E(ERFKILL),
		E(EHWPOISON),
	};
#undef E
	int seen[134] = { 0 };

	CHECK_INT(sizeof(libc) / sizeof(libc[0]), 131);
	for (size_t i = 0; i < sizeof(libc) / sizeof(libc[0]); i++) {
		CHECK(libc[i].v >= 1 && libc[i].v <= 133);
		CHECK_STR(mw_errno_name(libc[i].v), libc[i].n);
		if (libc[i].v >= 1 && libc[i].v <= 133)
			seen[libc[i].v]++;
	}
	/* exactly 1..133 minus the two holes, each once */
	for (int e = 1; e <= 133; e++)
		CHECK_INT(seen[e], (e == 41 || e == 58) ? 0 : 1);
	CHECK_INT(EWOULDBLOCK, EAGAIN);
	CHECK_INT(EDEADLOCK, EDEADLK);
	CHECK_INT(ENOTSUP, EOPNOTSUPP);
}

TEST(errno_value)
{
	CHECK_INT(mw_errno_value("EINVAL"), 22);
	CHECK_INT(mw_errno_value("einval"), 22);
	CHECK_INT(mw_errno_value("EAcces"), 13);
	CHECK_INT(mw_errno_value("EPERM"), 1);
	CHECK_INT(mw_errno_value("EHWPOISON"), 133);
	CHECK_INT(mw_errno_value("EWOULDBLOCK"), 11);
	CHECK_INT(mw_errno_value("EDEADLOCK"), 35);
	CHECK_INT(mw_errno_value("ENOTSUP"), 95);
	CHECK_INT(mw_errno_value("ENOTSUPP"), 524);
	CHECK_INT(mw_errno_value("ERESTARTSYS"), 512);
	CHECK_INT(mw_errno_value("22"), 22);
	CHECK_INT(mw_errno_value("1"), 1);
	CHECK_INT(mw_errno_value("007"), 7);
	CHECK_INT(mw_errno_value("41"), 41);     /* a number need not have a name */
	CHECK_INT(mw_errno_value("4095"), 4095);
	CHECK_INT(mw_errno_value("4096"), -1);
	CHECK_INT(mw_errno_value("99999999999999999999999"), -1);
	CHECK_INT(mw_errno_value("0"), -1);
	CHECK_INT(mw_errno_value("-22"), -1);
	CHECK_INT(mw_errno_value("+22"), -1);
	CHECK_INT(mw_errno_value("22x"), -1);
	CHECK_INT(mw_errno_value("0x16"), -1);
	CHECK_INT(mw_errno_value(""), -1);
	CHECK_INT(mw_errno_value(NULL), -1);
	CHECK_INT(mw_errno_value("E"), -1);
	CHECK_INT(mw_errno_value("EFOO"), -1);
	CHECK_INT(mw_errno_value(" EINVAL"), -1);
	CHECK_INT(mw_errno_value("EINVAL "), -1);
	CHECK_INT(mw_errno_value("INVAL"), -1);
}

TEST(errno_round_trip)
{
	int named = 0;

	for (int e = -5; e < 5000; e++) {
		const char *n = mw_errno_name(e);
		if (!n)
			continue;
		named++;
		CHECK_INT(mw_errno_value(n), e);
		char low[64];
		size_t k = 0;
		for (; n[k] && k < sizeof(low) - 1; k++)
			low[k] = (char)(n[k] >= 'A' && n[k] <= 'Z' ? n[k] + 32 : n[k]);
		low[k] = '\0';
		CHECK_INT(mw_errno_value(low), e);
		char num[16];
		snprintf(num, sizeof(num), "%d", e);
		CHECK_INT(mw_errno_value(num), e);
	}
	CHECK_INT(named, 131 + 19);
}

static int fv(const char *fam, const char *name, uint64_t *v)
{
	*v = 0xdeadbeef;
	return mw_flag_value(fam, name, v);
}

TEST(flag_value_prot)
{
	uint64_t v;

	CHECK_INT(fv("prot", "PROT_READ", &v), 0); CHECK_INT(v, 1);
	CHECK_INT(fv("prot", "read", &v), 0); CHECK_INT(v, 1);
	CHECK_INT(fv("prot", "Prot_Write", &v), 0); CHECK_INT(v, 2);
	CHECK_INT(fv("prot", "exec", &v), 0); CHECK_INT(v, 4);
	CHECK_INT(fv("prot", "R", &v), 0); CHECK_INT(v, 1);
	CHECK_INT(fv("prot", "w", &v), 0); CHECK_INT(v, 2);
	CHECK_INT(fv("prot", "X", &v), 0); CHECK_INT(v, 4);
	CHECK_INT(fv("prot", "none", &v), 0); CHECK_INT(v, 0);
	CHECK_INT(fv("prot", "PROT_NONE", &v), 0); CHECK_INT(v, 0);
	CHECK_INT(fv("prot", "sem", &v), 0); CHECK_INT(v, 8);
	CHECK_INT(fv("prot", "growsdown", &v), 0); CHECK_INT(v, 0x01000000);
	CHECK_INT(fv("prot", "PROT_GROWSUP", &v), 0); CHECK_INT(v, 0x02000000);
	CHECK_INT(fv("PROT", "write", &v), 0); CHECK_INT(v, 2);

	CHECK_INT(fv("prot", "", &v), -1); CHECK_INT(v, 0xdeadbeef);
	CHECK_INT(fv("prot", "PROT_", &v), -1);
	CHECK_INT(fv("prot", "RW", &v), -1);
	CHECK_INT(fv("prot", "exe", &v), -1);
	CHECK_INT(fv("prot", "PROT_READX", &v), -1);
	CHECK_INT(fv("prot", "MAP_SHARED", &v), -1);
	CHECK_INT(fv("prot", "PROT_PROT_READ", &v), -1);
	CHECK_INT(fv("prot", NULL, &v), -1);
	CHECK_INT(fv("bogus", "read", &v), -1);
	CHECK_INT(fv(NULL, "read", &v), -1);
	CHECK_INT(fv("", "read", &v), -1);
	CHECK_INT(v, 0xdeadbeef);
}

TEST(flag_value_mmap)
{
	uint64_t v;

	CHECK_INT(fv("mmap", "MAP_PRIVATE", &v), 0); CHECK_INT(v, 2);
	CHECK_INT(fv("mmap", "shared", &v), 0); CHECK_INT(v, 1);
	CHECK_INT(fv("mmap", "shared_validate", &v), 0); CHECK_INT(v, 3);
	CHECK_INT(fv("mmap", "anonymous", &v), 0); CHECK_INT(v, 0x20);
	CHECK_INT(fv("mmap", "anon", &v), 0); CHECK_INT(v, 0x20);
	CHECK_INT(fv("mmap", "MAP_ANON", &v), 0); CHECK_INT(v, 0x20);
	CHECK_INT(fv("mmap", "fixed", &v), 0); CHECK_INT(v, 0x10);
	CHECK_INT(fv("mmap", "Map_Fixed_NoReplace", &v), 0); CHECK_INT(v, 0x100000);
	CHECK_INT(fv("mmap", "32bit", &v), 0); CHECK_INT(v, 0x40);
	CHECK_INT(fv("mmap", "hugetlb", &v), 0); CHECK_INT(v, 0x40000);
	CHECK_INT(fv("mmap", "sync", &v), 0); CHECK_INT(v, 0x80000);
	CHECK_INT(fv("mmap", "uninitialized", &v), 0); CHECK_INT(v, 0x4000000);
	CHECK_INT(fv("mmap", "huge_2mb", &v), 0); CHECK_INT(v, HUGE(21));
	CHECK_INT(fv("mmap", "MAP_HUGE_1GB", &v), 0); CHECK_INT(v, HUGE(30));
	CHECK_INT(fv("mmap", "MAP_HUGE_16GB", &v), 0); CHECK_INT(v, 0x88000000);
	CHECK_INT(fv("mmap", "MAP_HUGE_SHIFT_21", &v), 0); CHECK_INT(v, HUGE(21));
	CHECK_INT(fv("mmap", "huge_shift_63", &v), 0); CHECK_INT(v, HUGE(63));

	CHECK_INT(fv("mmap", "MAP_HUGE_SHIFT_0", &v), -1);
	CHECK_INT(fv("mmap", "MAP_HUGE_SHIFT_64", &v), -1);
	CHECK_INT(fv("mmap", "MAP_HUGE_SHIFT_", &v), -1);
	CHECK_INT(fv("mmap", "MAP_HUGE_SHIFT_2x", &v), -1);
	CHECK_INT(fv("mmap", "MAP_HUGE_3MB", &v), -1);
	CHECK_INT(fv("mmap", "MAP_TYPE", &v), -1);
	CHECK_INT(fv("mmap", "R", &v), -1);
	CHECK_INT(fv("mmap", "none", &v), -1);
	CHECK_INT(fv("mmap", "PROT_READ", &v), -1);
	CHECK_INT(fv("mmap", "MAP_", &v), -1);
	CHECK_INT(v, 0xdeadbeef);
}

TEST(flag_value_mremap_msync)
{
	uint64_t v;

	CHECK_INT(fv("mremap", "maymove", &v), 0); CHECK_INT(v, 1);
	CHECK_INT(fv("mremap", "MREMAP_FIXED", &v), 0); CHECK_INT(v, 2);
	CHECK_INT(fv("mremap", "mremap_dontunmap", &v), 0); CHECK_INT(v, 4);
	CHECK_INT(fv("mremap", "MAP_FIXED", &v), -1);
	CHECK_INT(fv("mremap", "MREMAP_", &v), -1);
	CHECK_INT(fv("msync", "MS_SYNC", &v), 0); CHECK_INT(v, 4);
	CHECK_INT(fv("msync", "async", &v), 0); CHECK_INT(v, 1);
	CHECK_INT(fv("msync", "Invalidate", &v), 0); CHECK_INT(v, 2);
	CHECK_INT(fv("msync", "MAP_SYNC", &v), -1);
	CHECK_INT(fv("msync", "MS_", &v), -1);
	CHECK_INT(v, 0xdeadbeef);
}

/* Every single-bit name the decoders print parses back to that bit. */
TEST(flag_value_round_trip)
{
	static const struct {
		const char *fam;
		void (*dec)(struct strbuf *, uint64_t);
		uint64_t mask;
	} fams[] = {
		{ "prot", mw_decode_prot, 0x0300000f },
		{ "mremap", mw_decode_mremap_flags, 0x7 },
		{ "msync", mw_decode_msync_flags, 0x7 },
		{ "mmap", mw_decode_mmap_flags, 0x01ff970 }, /* MAP_PRIVATE plus each named bit (26 prints as 1<<MAP_HUGE_SHIFT) */
	};
	int checked = 0;

	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		for (int bit = 0; bit < 64; bit++) {
			uint64_t m = 1ULL << bit;
			if (!(fams[f].mask & m))
				continue;
			struct strbuf b = { 0 };
			int is_mmap = fams[f].dec == mw_decode_mmap_flags;
			fams[f].dec(&b, is_mmap ? (m | 2) : m);
			const char *name = b.p;
			if (is_mmap) {
				CHECK(strncmp(name, "MAP_PRIVATE|", 12) == 0);
				name += 12;
			}
			CHECK(strchr(name, '|') == NULL);
			CHECK(strncmp(name, "0x", 2) != 0);
			uint64_t v = 0;
			CHECK_INT(mw_flag_value(fams[f].fam, name, &v), 0);
			CHECK_INT(v, m);
			checked++;
			sb_free(&b);
		}
	}
	CHECK_INT(checked, 6 + 3 + 3 + 14);
	/* huge sizes, too */
	for (unsigned s = 1; s < 64; s++) {
		struct strbuf b = { 0 };
		uint64_t v = 0;
		mw_decode_mmap_flags(&b, 0x40002 | HUGE(s));
		const char *last = strrchr(b.p, '|');
		CHECK(last != NULL);
		if (last) {
			CHECK_INT(mw_flag_value("mmap", last + 1, &v), 0);
			CHECK_INT(v, HUGE(s));
		}
		sb_free(&b);
	}
}

/* ---- the memory family through the table renderer (issue #27) ---- */
#include "format.h"
#include "mapwatch.h"
#include "t_event.h"


/* The table line of e with udata u (NULL: none), up to " = ". */
static const char *line(const struct mw_event *e, const struct mw_udata *u)
{
	struct mw_view v = { .e = e, .udata = u };

	sb_reset(&db);
	mw_format_call(&db, &v);
	return db.p;
}

static const char *jsonl(const struct mw_event *e)
{
	struct mw_view v = { .e = e };

	sb_reset(&db);
	mw_format_json(&db, &v);
	return db.p;
}

TEST(decode_lengths_unsigned)
{
	/* size_t / unsigned long lengths: 2^63 and more are not negative */
	struct mw_event e = t_event(MW_EV_MUNMAP, 0x10000, 18446744073709547520ull, 0, 0, 0, 0, -22);
	CHECK_STR(line(&e, NULL), "munmap(addr=0x10000, length=18446744073709547520) = -1 EINVAL (Invalid argument)");
	e = t_event(MW_EV_PKEY_MPROTECT, 0x1000, 18072592288390840320ull, 0, 0, 0, 0, -22);
	CHECK(strstr(line(&e, NULL), "len=18072592288390840320,") != NULL);
	e = t_event(MW_EV_MREMAP, 0x1000, 1ull << 63, UINT64_MAX, 0, 0, 0, -22);
	CHECK(strstr(line(&e, NULL), "old_size=9223372036854775808, new_size=18446744073709551615,") != NULL);
	e = t_event(MW_EV_MSYNC, 0x1000, (1ull << 63) + 1, 0, 0, 0, 0, -12);
	CHECK(strstr(line(&e, NULL), "length=9223372036854775809,") != NULL);
	e = t_event(MW_EV_SET_MEMPOLICY, 0, 0, UINT64_MAX, 0, 0, 0, -22);
	CHECK(strstr(line(&e, NULL), "maxnode=18446744073709551615)") != NULL);
	/* an int stays signed (pkey -1) */
	e = t_event(MW_EV_PKEY_MPROTECT, 0x1000, 4096, 1, 0xffffffffull, 0, 0, -22);
	CHECK(strstr(line(&e, NULL), "pkey=-1)") != NULL);
	sb_free(&db);
}

TEST(decode_int_args_low_half)
{
	/* madvise(int behavior): the kernel sees 1, MADV_RANDOM */
	struct mw_event e = t_event(MW_EV_MADVISE, 0x1000, 4096, 0xfacefeed00000001ull, 0, 0, 0, 0);
	CHECK(strstr(line(&e, NULL), "advice=MADV_RANDOM)") != NULL);
	/* JSON: value as the caller passed it (an int: the low half), decoded as the kernel read it */
	CHECK(strstr(jsonl(&e), "\"decoded\":\"MADV_RANDOM\"") != NULL);
	e = t_event(MW_EV_SET_MEMPOLICY, 0xffffffff00000002ull, 0, 0, 0, 0, 0, -22);
	CHECK(strstr(line(&e, NULL), "mode=MPOL_BIND,") != NULL);
	/* mbind: mode is an unsigned long converted to int, flags an unsigned int */
	e = t_event(MW_EV_MBIND, 0x1000, 4096, 0xffffffff00000002ull, 0, 0, 0xffffffff00000001ull, -22);
	CHECK(strstr(line(&e, NULL), "mode=MPOL_BIND,") != NULL);
	CHECK(strstr(line(&e, NULL), "flags=MPOL_MF_STRICT)") != NULL);
	CHECK(strstr(jsonl(&e), "\"value\":18446744069414584321") != NULL); /* JSON value: the register */
	e = t_event(MW_EV_MLOCKALL, 0xdead000000000001ull, 0, 0, 0, 0, 0, 0);
	CHECK(strstr(line(&e, NULL), "flags=MCL_CURRENT)") != NULL);
	e = t_event(MW_EV_MSYNC, 0x1000, 4096, 0xbad0000000000004ull, 0, 0, 0, 0);
	CHECK(strstr(line(&e, NULL), "flags=MS_SYNC)") != NULL);
	e = t_event(MW_EV_MEMFD_SECRET, 0x100000000ull, 0, 0, 0, 0, 0, 3);
	CHECK_STR(line(&e, NULL), "memfd_secret(flags=0) = 3");
	e = t_event(MW_EV_SHMAT, 1, 0, 0x7700000000001000ull, 0, 0, 0, -22);
	CHECK(strstr(line(&e, NULL), "shmflg=SHM_RDONLY)") != NULL);
	e = t_event(MW_EV_MEMFD_CREATE, 0, 0xff00000000000001ull, 0, 0, 0, 0, -14);
	CHECK(strstr(line(&e, NULL), "flags=MFD_CLOEXEC)") != NULL);
	e = t_event(MW_EV_MOVE_PAGES, 0, 0, 0, 0, 0, 0x1234000000000002ull, -22);
	CHECK(strstr(line(&e, NULL), "flags=MPOL_MF_MOVE)") != NULL);
	e = t_event(MW_EV_MLOCK2, 0x1000, 4096, 0x1000000001ull, 0, 0, 0, 0);
	CHECK(strstr(line(&e, NULL), "flags=MLOCK_ONFAULT)") != NULL);
	e = t_event(MW_EV_PROCESS_MADVISE, 3, 0, 0, 0x100000000ull | 8, 0x500000000ull, 0, -22);
	CHECK(strstr(line(&e, NULL), "advice=MADV_FREE, flags=0)") != NULL);
	/* mmap's flags and prot, mremap's flags are unsigned longs to the kernel: all 64 bits */
	e = t_event(MW_EV_MMAP, 0, 4096, 0x100000001ull, 0xfacefeed00000022ull, 0xffffffffull, 0, -22);
	CHECK(strstr(line(&e, NULL), "prot=PROT_READ|0x100000000, flags=MAP_PRIVATE|MAP_ANONYMOUS|0xfacefeed00000000, fd=-1,") != NULL);
	e = t_event(MW_EV_MREMAP, 0x1000, 4096, 4096, 0x100000001ull, 0, 0, -22);
	CHECK(strstr(line(&e, NULL), "flags=MREMAP_MAYMOVE|0x100000000)") != NULL);
	sb_free(&db);
}

TEST(decode_mpol_mode_invalid_base)
{
	/* strace: an unknown mode with mode flags keeps their names */
	struct mw_event e = t_event(MW_EV_SET_MEMPOLICY, 0xffffffffull, 0, 0, 0, 0, 0, -22);
	CHECK(strstr(line(&e, NULL),
		      "mode=MPOL_F_STATIC_NODES|MPOL_F_RELATIVE_NODES|MPOL_F_NUMA_BALANCING|0xffff1fff,") != NULL);
	e = t_event(MW_EV_MBIND, 0x1000, 4096, 0x8007, 0, 0, 0, -22);
	CHECK(strstr(line(&e, NULL), "mode=MPOL_F_STATIC_NODES|0x7,") != NULL);
	e = t_event(MW_EV_SET_MEMPOLICY, 0x7, 0, 0, 0, 0, 0, -22);
	CHECK(strstr(line(&e, NULL), "mode=0x7 /* MPOL_??? */,") != NULL);
	e = t_event(MW_EV_SET_MEMPOLICY, 0x8002, 0, 0, 0, 0, 0, -22);
	CHECK(strstr(line(&e, NULL), "mode=MPOL_BIND|MPOL_F_STATIC_NODES,") != NULL);
	sb_free(&db);
}

TEST(decode_rfp_flags_as_mmap)
{
	struct mw_event e = t_event(MW_EV_REMAP_FILE_PAGES, 0x1000, 4096, 0, 0, 0x40000 | (21ull << 26), 0, -22);
	CHECK(strstr(line(&e, NULL), "flags=MAP_FILE|MAP_HUGETLB|MAP_HUGE_2MB)") != NULL);
	e = t_event(MW_EV_REMAP_FILE_PAGES, 0x1000, 4096, 0, 0, 0x1 | (21ull << 26), 0, -22);
	CHECK(strstr(line(&e, NULL), "flags=MAP_SHARED|21<<MAP_HUGE_SHIFT)") != NULL);
	e = t_event(MW_EV_REMAP_FILE_PAGES, 0x1000, 4096, 0, 0, 0x10001, 0, -22);
	CHECK(strstr(line(&e, NULL), "flags=MAP_SHARED|MAP_NONBLOCK)") != NULL);
	sb_free(&db);
}

TEST(decode_move_pages_status_errnos)
{
	struct mw_udata u;
	int32_t st[3] = { -14, 0, -2 };

	memset(&u, 0, sizeof(u));
	u.arg[0] = 2, u.arg[1] = 4;
	u.len[0] = MW_UDATA_UNREAD;
	u.len[1] = sizeof(st);
	memcpy(u.data[1], st, sizeof(st));
	struct mw_event e = t_event(MW_EV_MOVE_PAGES, 0, 3, 0x5000, 0, 0x6000, 0, 0);
	CHECK(strstr(line(&e, &u), "status=[-EFAULT, 0, -ENOENT],") != NULL);
	sb_free(&db);
}

TEST(decode_move_pages_nodes)
{
	/* move_pages has three user-memory arguments: pages and nodes read at entry, status at exit */
	struct mw_udata u;
	uint64_t pg[2] = { 0x7f0000001000ull, 0x10000 };
	int32_t nodes[2] = { 0, 1 }, st[2] = { 0, -14 };

	memset(&u, 0, sizeof(u));
	memset(u.arg, 0xff, sizeof(u.arg));
	u.arg[0] = 2, u.arg[1] = 3, u.arg[2] = 4;
	u.len[0] = sizeof(pg), u.len[1] = sizeof(nodes), u.len[2] = sizeof(st);
	memcpy(u.data[0], pg, sizeof(pg));
	memcpy(u.data[1], nodes, sizeof(nodes));
	memcpy(u.data[2], st, sizeof(st));
	struct mw_event e = t_event(MW_EV_MOVE_PAGES, 0, 2, 0x5000, 0x5100, 0x6000, 0, 0);
	CHECK(strstr(line(&e, &u), "pages=[0x7f0000001000, 0x10000], nodes=[0, 1], status=[0, -EFAULT],") != NULL);
	/* nodes NULL (a query): NULL, not an array */
	u.len[1] = MW_UDATA_UNREAD;
	e = t_event(MW_EV_MOVE_PAGES, 0, 2, 0x5000, 0, 0x6000, 0, 0);
	CHECK(strstr(line(&e, &u), "nodes=NULL, status=[0, -EFAULT],") != NULL);
	sb_free(&db);
}

TEST(decode_partial_user_memory)
{
	/* a node mask whose second word is in an unmapped page (BPF: MW_UDATA_PARTIAL, 8 bytes read) */
	struct mw_udata u;
	uint64_t w1 = 1;

	memset(&u, 0, sizeof(u));
	u.arg[0] = 1, u.arg[1] = 0xff;
	u.len[0] = 8, u.trunc[0] = MW_UDATA_PARTIAL;
	memcpy(u.data[0], &w1, 8);
	struct mw_event e = t_event(MW_EV_SET_MEMPOLICY, 2, 0x7f0000000ff8ull, 129, 0, 0, 0, -14);
	CHECK(strstr(line(&e, &u), "nodemask=[0x00000000000001, ... /* 0x7f0000001000 */], maxnode=129)") != NULL);
	/* nothing whole readable: the pointer */
	u.len[0] = 4;
	CHECK(strstr(line(&e, &u), "nodemask=0x7f0000000ff8,") != NULL);
	/* maxnode 1: the kernel reads no word, the pointer (len 0) */
	u.len[0] = 0, u.trunc[0] = 0;
	e = t_event(MW_EV_SET_MEMPOLICY, 2, 0x7f0000000ff8ull, 1, 0, 0, 0, -22);
	CHECK(strstr(line(&e, &u), "nodemask=0x7f0000000ff8,") != NULL);
	/* an iovec array, one of two readable, 32-bit caller */
	uint32_t iov[2] = { 0xf7f30000u, 4096 };
	memset(&u, 0, sizeof(u));
	u.arg[0] = 1, u.arg[1] = 0xff;
	u.len[0] = 8, u.trunc[0] = MW_UDATA_PARTIAL;
	memcpy(u.data[0], iov, 8);
	e = t_event(MW_EV_PROCESS_MADVISE, 0xffffffffull, 0xf7f31ff8ull, 2, 20, 0, 0, -14);
	e.flags = MW_F_COMPAT;
	CHECK(strstr(line(&e, &u), "iovec=[{iov_base=0xf7f30000, iov_len=4096}, ... /* 0xf7f32000 */], vlen=2, advice=MADV_COLD,") != NULL);
	sb_free(&db);
}

TEST(decode_memfd_name_limits)
{
	struct mw_udata u;

	memset(&u, 0, sizeof(u));
	u.arg[0] = 0, u.arg[1] = 0xff;
	/* 251 readable bytes, no NUL, then unmapped: 250 and "..." (strace -s 300) */
	memset(u.data[0], 'x', 251);
	u.len[0] = 251, u.trunc[0] = MW_UDATA_PARTIAL;
	struct mw_event e = t_event(MW_EV_MEMFD_CREATE, 0x7f0000000f06ull, 0, 0, 0, 0, 0, -22);
	const char *t = line(&e, &u);
	CHECK(strncmp(t, "memfd_create(name=\"xxx", 22) == 0);
	CHECK(strstr(t, "\"..., flags=0)") != NULL);
	CHECK(strlen(t) == strlen("memfd_create(name=\"\"..., flags=0) = -1 EINVAL (Invalid argument)") + 250);
	/* 250 readable, unterminated: the kernel still faults reading the end, yet strace
	 * prints them (paritycalls.c): "..." */
	u.len[0] = 250;
	CHECK(strstr(line(&e, &u), "\"..., flags=0)") != NULL);
	/* 100 readable, then the hole: the kernel faults; the pointer */
	u.len[0] = 100;
	CHECK(strstr(line(&e, &u), "name=0x7f0000000f06,") != NULL);
	/* a terminated short name as it is */
	strcpy(u.data[0], "mw");
	u.len[0] = 3, u.trunc[0] = 0;
	CHECK(strstr(line(&e, &u), "name=\"mw\", flags=0)") != NULL);
	sb_free(&db);
}
