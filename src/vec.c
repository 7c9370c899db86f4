/* vec.c - growing an array by doubling. */
#include "vec.h"

#include <stdlib.h>

int mw_vec_grow(void **v, size_t *cap, size_t n, size_t sz, size_t first)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : first;
	void *p = realloc(*v, nc * sz);
	if (!p)
		return -1;
	*v = p;
	*cap = nc;
	return 0;
}
