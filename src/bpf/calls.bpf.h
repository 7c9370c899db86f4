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
static const __u8 mw_arg_fmt[MW_EV_MAX][6] = { MW_CALLS(MW__FMT_ROW) };
#undef MW_A
#define MW_A(n, t, f, tg) MW_T_##t
static const __u8 mw_arg_type[MW_EV_MAX][6] = { MW_CALLS(MW__FMT_ROW) };
#undef MW_A
#undef MW__FMT_ROW

#define MW__ENTRY_ROW(id, ID, name, kind, nargs, x86_64, i386, arm64, arm, stem, i386_fn, classes, \
		      entry, ...)                                                                \
	[id] = entry,
static const __u8 mw_entry_of[MW_EV_MAX] = { MW_CALLS(MW__ENTRY_ROW) };
#undef MW__ENTRY_ROW

/* Index of the event's first argument decoded as fmt (MW_D_PROT, ...); -1 if none. */
static __always_inline int mw_arg_by_fmt(__u32 ev, __u8 fmt)
{
	if (ev >= MW_EV_MAX)
		return -1;
	for (int i = 0; i < 6; i++)
		if (mw_arg_fmt[ev][i] == fmt)
			return i;
	return -1;
}

/* Is argument i of the event a C int (sign-extended from a 32-bit register)? */
static __always_inline bool mw_arg_is_int(__u32 ev, int i)
{
	return ev < MW_EV_MAX && i >= 0 && i < 6 && mw_arg_type[ev][i] == MW_T_INT;
}

static __always_inline __u8 mw_entry(__u32 ev)
{
	return ev < MW_EV_MAX ? mw_entry_of[ev] : MW_IN_NONE;
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

#endif
