/* fuzz_maps.c - libFuzzer harness: the /proc/PID/maps parser (region seeding) and the mountinfo parser on any text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "proc.h"
#include "regions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mw_regions *t = mw_regions_new();
	char root[512];
	size_t bad = 0;
	size_t n;

	memset(root, 'x', sizeof(root)); /* so an unterminated result is seen */

	if (t) {
		if (mw_regions_seed_maps(t, 1, (const char *)data, size, &bad) >= 0) {
			const struct mw_region *r = mw_regions_list(t, 1, &n);
			for (size_t i = 0; i < n; i++) /* sorted, disjoint, page-aligned, non-empty */
				if (r[i].start >= r[i].end || (r[i].start & 4095) || (i && r[i - 1].end > r[i].start))
					abort();
		}
		mw_regions_free(t);
	}
	if (mw_mountinfo_cgroup2((const char *)data, size, root, sizeof(root)) == 0 &&
	    !memchr(root, 0, sizeof(root)))
		abort();
	return 0;
}
