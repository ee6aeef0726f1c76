/* SPDX-License-Identifier: MIT */
/* Mappings for records the runtime keeps densely by the million (G
 * records, packed stacks), backed by transparent huge pages where the
 * kernel allows: on a paravirtualized VM every 4 KiB page first touched
 * costs 5-10 us, populated or not, and a huge page takes one fault for
 * 512 of them. */
#ifndef GOC_BASE_HUGEMAP_H
#define GOC_BASE_HUGEMAP_H

#include <stddef.h>

#define HUGE_PAGE_BYTES ((size_t)2 << 20)

/* len bytes (a multiple of HUGE_PAGE_BYTES), zeroed, aligned to
 * HUGE_PAGE_BYTES and populated; NULL when out of memory. */
void *huge_map(size_t len);

#endif
