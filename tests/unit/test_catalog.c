/* test_catalog.c - the catalogue (include/mw_calls.h): stable ids, classes, --events lists. */
#include "t.h"
#include "catalog.h"

TEST(catalog_stable_ids)
{
	/* eventId values are released: they never change */
	static const char *const first[] = { "mmap", "mmap2", "munmap", "mprotect", "pkey_mprotect",
					     "mremap", "msync", "do_mmap" };
	for (int i = 0; i < 8; i++) {
		CHECK_INT(mw_event_by_name(first[i]), i);
		CHECK_STR(mw_event_desc(i)->name, first[i]);
	}
	CHECK(mw_event_desc(MW_EV_MAX) == NULL);
}

TEST(catalog_rows_consistent)
{
	for (unsigned i = 0; i < MW_EV_MAX; i++) {
		const struct mw_event_desc *d = mw_event_desc(i);
		CHECK(d != NULL);
		CHECK(d->nargs >= 0 && d->nargs <= 6);
		CHECK(d->doc && d->doc[0]);
		CHECK(d->stem && d->stem[0]);
		if (!d->syscall) /* kernel functions have no numbers and no class but KERNEL (and what they do) */
			CHECK(d->nr_x86_64 < 0 && d->nr_i386 < 0 && d->nr_arm64 < 0 && d->nr_arm < 0 &&
			      (d->classes & ~(unsigned)(MW_CL_MAPS | MW_CL_UNMAPS | MW_CL_PROTECTS)) == MW_CL_KERNEL);
		else
			CHECK(d->nr_x86_64 >= 0 || d->nr_i386 >= 0 || d->nr_arm64 >= 0 || d->nr_arm >= 0);
		for (int a = 0; a < d->nargs; a++)
			CHECK(d->args[a].name && d->args[a].name[0]);
	}
	/* the roles the filters use */
	CHECK_INT(mw_event_arg_by_fmt(mw_event_desc(MW_EV_MMAP), MW_D_PROT), 2);
	CHECK_INT(mw_event_arg_by_fmt(mw_event_desc(MW_EV_MREMAP), MW_D_LEN), 1);
	CHECK_INT(mw_event_arg_by_fmt(mw_event_desc(MW_EV_MUNMAP), MW_D_PROT), -1);
#if defined(__x86_64__)
	CHECK_INT(mw_event_nr_native(mw_event_desc(MW_EV_MMAP)), 9);
	CHECK_INT(mw_event_nr_compat(mw_event_desc(MW_EV_MMAP)), 90);
	CHECK_INT(mw_event_nr_native(mw_event_desc(MW_EV_MMAP2)), -1);
#endif
}

TEST(catalog_events_lists)
{
	uint64_t m, mapping = mw_class_mask(MW_CL_MAPPING);
	char err[1400];

	CHECK_INT(mapping, (1u << 7) - 1); /* today's seven syscalls */
	CHECK_INT(mw_events_parse("%mapping", &m, err, sizeof(err)), 0);
	CHECK_INT(m, mapping);
	CHECK_INT(mw_events_parse("mmap,,MPROTECT", &m, err, sizeof(err)), 0);
	CHECK_INT(m, (MW_EVBIT(MW_EV_MMAP)) | (MW_EVBIT(MW_EV_MPROTECT)));
	CHECK_INT(mw_events_parse("all", &m, err, sizeof(err)), 0);
	CHECK(!(m & (MW_EVBIT(MW_EV_DO_MMAP))) && (m & mapping) == mapping);
	CHECK_INT(mw_events_parse("all,do_mmap", &m, err, sizeof(err)), 0);
	CHECK(m & (MW_EVBIT(MW_EV_DO_MMAP)));
	CHECK_INT(mw_events_parse("%memory", &m, err, sizeof(err)), 0);
	CHECK((m & mapping) == mapping);
	CHECK_INT(mw_events_parse("%nope", &m, err, sizeof(err)), -1);
	CHECK(strstr(err, "%nope") && strstr(err, "%memory"));
	CHECK_INT(mw_events_parse("mmap,bogus", &m, err, sizeof(err)), -1);
	CHECK(strstr(err, "bogus") && strstr(err, "msync"));
	CHECK_INT(mw_events_parse(",", &m, err, sizeof(err)), -1);
	char cls[64];
	CHECK_STR(mw_class_str(MW_CL_MAPPING | MW_CL_MEMORY, cls), "%mapping,%memory");
}

/* What each call does to the address space comes from its row alone (the
 * BPF exit's VMA lookup, -c's byte counts and the alerts read these bits). */
TEST(catalog_address_space_effects)
{
	unsigned want[MW_EV_MAX] = { 0 };
	const unsigned fx = MW_CL_MAPS | MW_CL_UNMAPS | MW_CL_PROTECTS;

	want[MW_EV_MMAP] = want[MW_EV_MMAP2] = want[MW_EV_DO_MMAP] = MW_CL_MAPS;
	want[MW_EV_SHMAT] = want[MW_EV_MAP_SHADOW_STACK] = MW_CL_MAPS;
	want[MW_EV_MREMAP] = MW_CL_MAPS | MW_CL_UNMAPS;
	want[MW_EV_MUNMAP] = want[MW_EV_SHMDT] = MW_CL_UNMAPS;
	want[MW_EV_MPROTECT] = want[MW_EV_PKEY_MPROTECT] = MW_CL_PROTECTS;
	for (int i = 0; i < MW_EV_MAX; i++)
		CHECK_INT(mw_event_desc(i)->classes & fx, want[i]);
	/* and none of them is an --events class */
	char cls[64];
	CHECK_STR(mw_class_str(fx, cls), "");
	_Static_assert(MW_EV_MAX <= 64, "MW_EVBIT covers the catalogue");
	CHECK(MW_EVBIT(63) == 0x8000000000000000ull);
}
