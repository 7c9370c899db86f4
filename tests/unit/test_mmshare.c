/* test_mmshare.c - the table of processes sharing one memory (src/mmshare.c). */
#include "mmshare.h"
#include "t.h"

TEST(mmshare_owner_chain_and_leave)
{
	struct mw_mmshare *s = mw_mmshare_new();

	CHECK(s != NULL);
	CHECK_INT(mw_mmshare_owner(s, 10), 10);
	CHECK_INT(mw_mmshare_add(s, 11, 10), 0);
	CHECK_INT(mw_mmshare_add(s, 12, 11), 0);   /* a child of a sharer: the first owner */
	CHECK_INT(mw_mmshare_add(s, 13, 10), 0);
	CHECK_INT(mw_mmshare_owner(s, 11), 10);
	CHECK_INT(mw_mmshare_owner(s, 12), 10);
	CHECK_INT(mw_mmshare_count(s), 3);
	CHECK_INT(mw_mmshare_leave(s, 12), 0);     /* a sharer leaves: nothing moves */
	CHECK_INT(mw_mmshare_owner(s, 12), 12);
	uint32_t heir = mw_mmshare_leave(s, 10);   /* the owner leaves: a sharer inherits */
	CHECK(heir == 11 || heir == 13);
	CHECK_INT(mw_mmshare_owner(s, heir), heir);
	CHECK_INT(mw_mmshare_owner(s, heir == 11 ? 13 : 11), heir);
	CHECK_INT(mw_mmshare_count(s), 1);
	CHECK_INT(mw_mmshare_leave(s, 99), 0);     /* unknown pid */
	CHECK_INT(mw_mmshare_add(s, 20, 20), 0);   /* itself: nothing */
	CHECK_INT(mw_mmshare_count(s), 1);
	for (uint32_t p = 100; p < 200; p++)        /* growth */
		CHECK_INT(mw_mmshare_add(s, p, 50), 0);
	CHECK_INT(mw_mmshare_count(s), 101);
	CHECK_INT(mw_mmshare_owner(s, 150), 50);
	mw_mmshare_free(s);
	mw_mmshare_free(NULL);
}
