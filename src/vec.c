/* vec.c - growing an array by doubling. */
#include "vec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

int mw_vec_reserve(void **v, size_t *cap, size_t want, size_t sz, size_t first)
{
	if (want <= *cap)
		return 0;
	size_t nc = *cap ? *cap : first ? first : 1;
	while (nc < want && nc <= SIZE_MAX / 2)
		nc *= 2;
	if (nc < want || nc > SIZE_MAX / sz) {
		errno = ENOMEM;
		return -1;
	}
	void *p = realloc(*v, nc * sz);
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	*v = p;
	*cap = nc;
	return 0;
}

int mw_vec_grow(void **v, size_t *cap, size_t n, size_t sz, size_t first)
{
	return n < *cap ? 0 : mw_vec_reserve(v, cap, n + 1, sz, first);
}
