/* test_vec.c - growing an array by doubling (vec.c). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "t.h"
#include "vec.h"

TEST(vec_grow_and_reserve)
{
	int *v = NULL;
	size_t cap = 0;

	/* one more element: the first capacity, then doubling */
	CHECK_INT(mw_vec_grow((void **)&v, &cap, 0, sizeof *v, 4), 0);
	CHECK_INT(cap, 4);
	CHECK_INT(mw_vec_grow((void **)&v, &cap, 3, sizeof *v, 4), 0);
	CHECK_INT(cap, 4);
	CHECK_INT(mw_vec_grow((void **)&v, &cap, 4, sizeof *v, 4), 0);
	CHECK_INT(cap, 8);
	/* room for many at once: doubled until they fit, kept when they do */
	CHECK_INT(mw_vec_reserve((void **)&v, &cap, 33, sizeof *v, 4), 0);
	CHECK_INT(cap, 64);
	CHECK_INT(mw_vec_reserve((void **)&v, &cap, 10, sizeof *v, 4), 0);
	CHECK_INT(cap, 64);
	v[63] = 1;
	/* a size that cannot be allocated: ENOMEM, the array as it was */
	errno = 0;
	CHECK_INT(mw_vec_reserve((void **)&v, &cap, SIZE_MAX / 2, sizeof *v, 4), -1);
	CHECK_INT(errno, ENOMEM);
	CHECK_INT(cap, 64);
	CHECK_INT(v[63], 1);
	free(v);
}
