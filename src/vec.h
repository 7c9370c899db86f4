/* vec.h - growing an array by doubling. */
#ifndef MW_VEC_H
#define MW_VEC_H

#include <stddef.h>

/* Make room in *v (elements of sz bytes, *cap of them) for an element at
 * index n: when n reaches *cap, the array doubles (first: the first
 * capacity). 0, or -1 when out of memory (*v and *cap unchanged). */
int mw_vec_grow(void **v, size_t *cap, size_t n, size_t sz, size_t first);

/* Make room in *v for want elements: the capacity doubles (from the first
 * capacity, or from *cap) until it holds them. 0, or -1 with errno ENOMEM
 * (*v and *cap unchanged). */
int mw_vec_reserve(void **v, size_t *cap, size_t want, size_t sz, size_t first);

#endif
