/* test_pidtab.c - unit tests for the table keyed by pid (src/pidtab.c): adds, removals that shift probe chains, growth, the walk. */
#include <stdint.h>
#include <string.h>

#include "pidtab.h"
#include "t.h"

struct ent {
	uint64_t v;
	char tag[13];   /* an odd size: entries are padded to the slot's alignment */
};

TEST(pidtab_add_get_del)
{
	struct mw_pidtab t = { .esz = sizeof(struct ent) };
	enum { N = 5000 };
	int added;

	CHECK(mw_pidtab_get(&t, 1) == NULL);
	for (uint32_t pid = 1; pid <= N; pid++) {
		struct ent *e = mw_pidtab_add(&t, pid * 7, &added);
		CHECK(e != NULL && added == 1);
		CHECK(e->v == 0 && e->tag[12] == 0);
		e->v = pid;
	}
	CHECK(t.count == N);
	struct ent *again = mw_pidtab_add(&t, 7, &added);
	CHECK(again != NULL && added == 0 && again->v == 1);
	/* remove every third: the others stay reachable whatever moved */
	for (uint32_t pid = 1; pid <= N; pid += 3)
		mw_pidtab_del(&t, mw_pidtab_get(&t, pid * 7));
	size_t left = 0;
	for (uint32_t pid = 1; pid <= N; pid++) {
		struct ent *e = mw_pidtab_get(&t, pid * 7);
		if ((pid - 1) % 3 == 0) {
			CHECK(e == NULL);
		} else {
			CHECK(e != NULL && e->v == pid);
			left++;
		}
	}
	CHECK(t.count == left);
	size_t i = 0, walked = 0;
	uint32_t pid;
	struct ent *e;
	while ((e = mw_pidtab_next(&t, &i, &pid))) {
		CHECK(e->v * 7 == pid);
		walked++;
	}
	CHECK(walked == left);
	/* a re-added pid starts zeroed */
	e = mw_pidtab_add(&t, 7, &added);
	CHECK(e != NULL && added == 1 && e->v == 0);
	mw_pidtab_free(&t);
	CHECK(mw_pidtab_get(&t, 14) == NULL);
}
