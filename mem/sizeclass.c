/* SPDX-License-Identifier: MIT */
/* Size classes: every size is a multiple of 16 (so every object is 16-byte
 * aligned), consecutive classes differ by 16 bytes up to 256 and by 1/8 of
 * the power of two below them after that, which bounds the rounding waste by
 * max(15 bytes, 12.5%).  Each class gets the fewest pages that waste at most
 * 1/8 of the span in its tail. */
#include "base/fatal.h"
#include "mem/mem.h"

mem_class_info mem_classes[MEM_NUM_CLASSES];

/* Lookup tables: by 16-byte steps up to 1 KiB, by 128-byte steps above (all
 * class sizes above 1 KiB are multiples of 128). */
uint8_t mem_class_by_16[MEM_SMALL_LOOKUP_MAX / 16 + 1];
uint8_t mem_class_by_128[MEM_MAX_SMALL / 128 + 1];

static uint32_t step_after(uint32_t size) {
    uint32_t pow2 = 1u << (31 - __builtin_clz(size));
    return pow2 / 8 > 16 ? pow2 / 8 : 16;
}

static uint32_t pages_for(uint32_t size) {
    for (uint32_t npages = 1;; npages++) {
        uint32_t bytes = npages * (uint32_t)MEM_PAGE_SIZE;
        if (bytes >= size && (bytes % size) * 8 <= bytes)
            return npages;
    }
}

void mem_sizeclass_init(void) {
    uint32_t cls = 1;
    for (uint32_t size = 16; size <= MEM_MAX_SMALL && cls < MEM_NUM_CLASSES;
         size += step_after(size), cls++) {
        mem_class_info *ci = &mem_classes[cls];
        ci->size = size;
        ci->npages = pages_for(size);
        ci->nelems = ci->npages * (uint32_t)MEM_PAGE_SIZE / size;
        ci->divmul = UINT32_MAX / size + 1;
    }
    /* The table sizes in mem.h follow from the rule above. */
    if (cls != MEM_NUM_CLASSES || mem_classes[cls - 1].size != MEM_MAX_SMALL)
        fatal("mem: size classes do not match MEM_NUM_CLASSES");
    uint32_t c = 1;
    for (uint32_t i = 0; i <= MEM_SMALL_LOOKUP_MAX / 16; i++) {
        while (mem_classes[c].size < i * 16)
            c++;
        mem_class_by_16[i] = (uint8_t)c;
    }
    for (uint32_t i = MEM_SMALL_LOOKUP_MAX / 128; i <= MEM_MAX_SMALL / 128; i++) {
        while (mem_classes[c].size < i * 128)
            c++;
        mem_class_by_128[i] = (uint8_t)c;
    }
}
