/* SPDX-License-Identifier: MIT */
/* Sorting arrays that usually come sorted already. */
#ifndef GOC_BASE_SORT_H
#define GOC_BASE_SORT_H

#include <stddef.h>

/* qsort's contract.  An array already in order, or in reverse order, costs
 * one pass: the collector lists a million parked goroutines' stacks in
 * the order they were created, and qsort took a tenth of a second over
 * them inside a pause. */
void sort_mostly_sorted(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

#endif
