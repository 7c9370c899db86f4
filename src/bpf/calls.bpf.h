/* calls.bpf.h - the catalogue (include/mw_calls.h) as BPF tables: argument roles, entry work, number switches. */
#ifndef MW_CALLS_BPF_H
#define MW_CALLS_BPF_H

/* Per event, each argument's decoder and type (zero past nargs). Indexed
 * with a constant event id (the per-syscall programs) these fold away at
 * compile time; with a variable one (raw_syscalls) they are .rodata loads. */
#define MW_A(n, t, f, tg) MW_D_##f
#define MW__FMT_ROW(id, ID, name, kind, nargs, x86_64, i386, arm64, arm, stem, i386_fn, classes, \
		    entry, ret, args, doc)                                                     \
	[id] = { MW_UNPAREN args },
/* The per-event tables have a power-of-two number of rows and are read at
 * [mw_ev_row(ev)]: an older verifier (Debian's 6.1) does not carry the
 * bound of an `ev < MW_EV_MAX` check to the copy the compiler indexes with
 * ("unbounded memory access"), while the mask bounds that very register. */
#define MW_EV_ROWS 64
#define MW_EV_MASK (MW_EV_ROWS - 1)
_Static_assert(MW_EV_MAX <= MW_EV_ROWS, "event tables too small");
/* the empty asm keeps the compiler from dropping the mask after a bound check */
static __always_inline __u32 mw_ev_row(__u32 ev)
{
	asm volatile("" : "+r"(ev));
	return ev & MW_EV_MASK;
}
static const __u8 mw_arg_fmt[MW_EV_ROWS][6] = { MW_CALLS(MW__FMT_ROW) };
#undef MW_A
#define MW_A(n, t, f, tg) MW_T_##t
static const __u8 mw_arg_type[MW_EV_ROWS][6] = { MW_CALLS(MW__FMT_ROW) };
#undef MW_A
#undef MW__FMT_ROW

#define MW__ENTRY_ROW(id, ID, name, kind, nargs, x86_64, i386, arm64, arm, stem, i386_fn, classes, \
		      entry, ...)                                                                \
	[id] = entry,
static const __u8 mw_entry_of[MW_EV_ROWS] = { MW_CALLS(MW__ENTRY_ROW) };
#undef MW__ENTRY_ROW

#define MW__CLASSES_ROW(id, ID, name, kind, nargs, x86_64, i386, arm64, arm, stem, i386_fn, classes, ...) \
	[id] = classes,
static const __u16 mw_classes_of[MW_EV_ROWS] = { MW_CALLS(MW__CLASSES_ROW) };
#undef MW__CLASSES_ROW

/* The event's MW_CL_* bits (what it does to the address space: MW_CL_MAPS, ...); 0 if none. */
static __always_inline __u32 mw_classes(__u32 ev)
{
	return ev < MW_EV_MAX ? mw_classes_of[mw_ev_row(ev)] : 0;
}

/* i386 old_mmap (x86 only; event mmap, number MW_I386_NR_OLD_MMAP): its
 * six values live in a struct of 32-bit words in user memory at a[0]. */
static __always_inline bool mw_is_old_mmap(int ev, __u32 flags, long nr)
{
#if defined(__TARGET_ARCH_x86)
	return ev == MW_EV_MMAP && (flags & MW_F_COMPAT) && nr == MW_I386_NR_OLD_MMAP;
#else
	return false;
#endif
}

/* The one reader of that struct: a[0..5] become its values (the fd
 * sign-extended: -1 stays -1). 0, or -1 when it could not be read (a[]
 * unchanged). */
static __always_inline int mw_read_old_mmap(__u64 a[6])
{
	__u32 w[6] = {};

	if (bpf_probe_read_user(w, sizeof(w), (void *)a[0]))
		return -1;
	for (int i = 0; i < 6; i++)
		a[i] = w[i];
	a[4] = (__u64)(__s64)(__s32)w[4];
	return 0;
}

/* Index of the event's first argument decoded as fmt (MW_D_PROT, ...); -1 if none. */
static __always_inline int mw_arg_by_fmt(__u32 ev, __u8 fmt)
{
	if (ev >= MW_EV_MAX)
		return -1;
	for (int i = 0; i < 6; i++)
		if (mw_arg_fmt[mw_ev_row(ev)][i] == fmt)
			return i;
	return -1;
}

/* Is argument i of the event a C int (sign-extended from a 32-bit register)? */
static __always_inline bool mw_arg_is_int(__u32 ev, int i)
{
	return ev < MW_EV_MAX && i >= 0 && i < 6 && mw_arg_type[mw_ev_row(ev)][i] == MW_T_INT;
}

static __always_inline __u8 mw_entry(__u32 ev)
{
	return ev < MW_EV_MAX ? mw_entry_of[mw_ev_row(ev)] : MW_IN_NONE;
}

/* Map a syscall number of the 32-bit (compat) / native ABI to an event; -1 if not traced. */
#define MW__COMPAT_CASE(id, ID, name, kind, nargs, x86_64, i386, arm64, arm, ...) \
	MW_NR_CASE(MW_NR_COMPAT(x86_64, i386, arm64, arm), MW_EV_##ID)
#define MW__NATIVE_CASE(id, ID, name, kind, nargs, x86_64, i386, arm64, arm, ...) \
	MW_NR_CASE(MW_NR_NATIVE(x86_64, i386, arm64, arm), MW_EV_##ID)

static __always_inline int compat_event(long nr)
{
	switch (nr) {
	MW_CALLS(MW__COMPAT_CASE)
	}
	return -1;
}

static __always_inline int native_event(long nr)
{
	switch (nr) {
	MW_CALLS(MW__NATIVE_CASE)
	}
	return -1;
}
#undef MW__COMPAT_CASE
#undef MW__NATIVE_CASE

/* i386 ipc(call, ...): the event of a SysV shm call made through it; -1 otherwise. */
static __always_inline int mw_ipc_event(__u32 call)
{
	switch (call & 0xffff) {
	case MW_IPC_SHMAT: return MW_EV_SHMAT;
	case MW_IPC_SHMDT: return MW_EV_SHMDT;
	}
	return -1;
}

/* ---- user memory behind arguments (struct mw_udata) ---- */

static __always_inline bool mw_has_udata(__u32 ev)
{
	if (ev >= MW_EV_MAX)
		return false;
	for (int i = 0; i < 6; i++)
		if (MW_D_IS_UMEM_IN(mw_arg_fmt[mw_ev_row(ev)][i]) || MW_D_IS_UMEM_OUT(mw_arg_fmt[mw_ev_row(ev)][i]))
			return true;
	return false;
}

/* Bytes an argument of decoder fmt points to, from the call's size
 * arguments (MAXNODE, COUNT, LEN) and the caller's word size. */
static __always_inline __u64 udata_want(__u32 ev, __u8 fmt, const __u64 *a, bool compat)
{
	__u64 w = compat ? 4 : 8, n;
	int j;

	switch (fmt) {
	case MW_D_NODEMASK:
	case MW_D_NODEMASK_OUT:
		j = mw_arg_by_fmt(ev, MW_D_MAXNODE);
		if (j < 0)
			return 0;
		n = a[j & 7];
		if (n > 65536)
			return 65536;
		/* the kernel reads maxnode - 1 bits (get_nodes): 65 bits are one 64-bit word */
		if (n == 0)
			return 0;
		return (n - 1 + w * 8 - 1) / (w * 8) * w;
	case MW_D_PTRS:
	case MW_D_IOVEC:
	case MW_D_INTS_OUT:
	case MW_D_INTS:
		j = mw_arg_by_fmt(ev, MW_D_COUNT);
		if (j < 0)
			return 0;
		n = a[j & 7];
		if (n > 65536)
			return 65536;
		return fmt == MW_D_PTRS ? n * w : fmt == MW_D_IOVEC ? n * 2 * w : n * 4; /* INTS, INTS_OUT */
	case MW_D_MINCORE_VEC:
		j = mw_arg_by_fmt(ev, MW_D_LEN);
		if (j < 0)
			return 0;
		n = a[j & 7];
		return n > 65536ull * 4096 ? 65536 : (n + 4095) / 4096;
	case MW_D_MPOL_OUT:
		return 4;
	}
	return 0;
}

/* A read of want bytes at ptr faulted: the bytes up to the next page
 * boundary may still be readable (an array or string that runs into an
 * unmapped page). Keeps them with trunc MW_UDATA_PARTIAL (strace prints them,
 * then where the rest begins). Pages are 4 KiB or a multiple of it, so the
 * hole starts on a 4 KiB boundary. */
static __always_inline void udata_partial(struct mw_udata *ud, int k, __u64 ptr, __u64 want)
{
	__u64 first = 4096 - (ptr & 4095);

	k &= MW_UDATA_SLOTS - 1;
	if (first >= want)
		return;
	asm volatile("" : "+r"(first));
	first &= 2 * MW_UDATA_BYTES - 1;
	if (first == 0 || first > MW_UDATA_BYTES)
		return;
	if (bpf_probe_read_user(ud->data[k], first, (void *)ptr) == 0) {
		ud->len[k] = first;
		ud->trunc[k] = MW_UDATA_PARTIAL;
	}
}

static __always_inline void udata_fill(struct mw_udata *ud, int k, __u8 fmt, __u64 ptr, __u64 want)
{
	k &= MW_UDATA_SLOTS - 1;
	ud->len[k] = MW_UDATA_UNREAD;
	ud->trunc[k] = 0;
	if (!ptr)
		return;
	if (fmt == MW_D_USTR) {
		long n = bpf_probe_read_user_str(ud->data[k], MW_UDATA_BYTES, (void *)ptr);
		if (n > 0) {
			ud->len[k] = n;
			ud->trunc[k] = n == MW_UDATA_BYTES;
		} else {
			udata_partial(ud, k, ptr, MW_UDATA_BYTES);
		}
		return;
	}
	if (want > MW_UDATA_BYTES) {
		ud->trunc[k] = 1;
		want = MW_UDATA_BYTES;
	}
	if (want == 0) {
		ud->len[k] = 0;
		return;
	}
	/* the empty asm keeps the mask and check the compiler would drop (the
	 * 6.1 verifier needs them on the very register passed as the size) */
	asm volatile("" : "+r"(want));
	want &= 2 * MW_UDATA_BYTES - 1;
	if (want > MW_UDATA_BYTES)
		return;
	if (bpf_probe_read_user(ud->data[k], want, (void *)ptr) == 0)
		ud->len[k] = want;
	else
		udata_partial(ud, k, ptr, want);
}

/* Read the user memory of the event's arguments: at entry (out false) the
 * IN ones, marking the OUT ones unread; at a successful exit the OUT ones.
 * Slots go to the user-memory arguments in argument order. */
static __always_inline void udata_pass(struct mw_udata *ud, __u32 ev, const __u64 *a, bool compat, bool out)
{
	int k = 0;

	if (ev >= MW_EV_MAX)
		return;
	if (!out)
		for (int s = 0; s < MW_UDATA_SLOTS; s++)
			ud->arg[s] = 0xff; /* unused slots */
	for (int i = 0; i < 6; i++) {
		__u8 f = mw_arg_fmt[mw_ev_row(ev)][i];
		bool in = MW_D_IS_UMEM_IN(f), o = MW_D_IS_UMEM_OUT(f);

		if (!in && !o)
			continue;
		if (k >= MW_UDATA_SLOTS)
			break;
		if (!out) {
			ud->arg[k] = i;
			ud->len[k] = MW_UDATA_UNREAD;
			ud->trunc[k] = 0;
		}
		if (in != out)
			udata_fill(ud, k, f, a[i], udata_want(ev, f, a, compat));
		k++;
	}
}

/* udata_pass() with the event as a compile-time constant in each case: for
 * a variable event (dispatcher, function hooks) the verifier then walks
 * only the few calls that have user memory, each folded to its own reads,
 * not every path of the generic loops. */
#define MW__UD_CASE(id, ID, ...)                                    \
	case id:                                                    \
		if (mw_has_udata(id))                               \
			udata_pass(ud, id, a, compat, out);         \
		break;
static __always_inline void udata_pass_ev(struct mw_udata *ud, int ev, const __u64 *a, bool compat, bool out)
{
	switch (ev) {
	MW_CALLS(MW__UD_CASE)
	}
}
#undef MW__UD_CASE

#endif
