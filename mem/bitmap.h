/* SPDX-License-Identifier: MIT */
/* Word-array bitmaps used by the page heap and the spans. */
#ifndef GOC_MEM_BITMAP_H
#define GOC_MEM_BITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline uint64_t bits_mask(size_t from_bit, size_t to_bit) {
    /* bits [from_bit, to_bit) of one word, 0 <= from_bit < to_bit <= 64 */
    uint64_t hi = to_bit == 64 ? ~(uint64_t)0 : ((uint64_t)1 << to_bit) - 1;
    return hi & ~(((uint64_t)1 << from_bit) - 1);
}

/* Apply fn to each word slice of [start, start + n): fn(word, mask). */
#define BITS_FOR_RANGE(bits, start, n, word, mask, body)                          \
    do {                                                                          \
        size_t br_i_ = (start), br_end_ = (start) + (n);                          \
        while (br_i_ < br_end_) {                                                 \
            size_t br_w_ = br_i_ / 64, br_lo_ = br_i_ % 64;                       \
            size_t br_hi_ = br_end_ - br_w_ * 64 < 64 ? br_end_ - br_w_ * 64 : 64; \
            uint64_t *word = &(bits)[br_w_];                                      \
            uint64_t mask = bits_mask(br_lo_, br_hi_);                            \
            body;                                                                 \
            br_i_ = br_w_ * 64 + br_hi_;                                          \
        }                                                                         \
    } while (0)

static inline void bits_set_range(uint64_t *bits, size_t start, size_t n) {
    BITS_FOR_RANGE(bits, start, n, w, m, *w |= m);
}
static inline void bits_clear_range(uint64_t *bits, size_t start, size_t n) {
    BITS_FOR_RANGE(bits, start, n, w, m, *w &= ~m);
}
static inline size_t bits_count_range(uint64_t *bits, size_t start, size_t n) {
    size_t count = 0;
    BITS_FOR_RANGE(bits, start, n, w, m, count += (size_t)__builtin_popcountll(*w & m));
    return count;
}

/* First index in [from, limit) whose bit in (a & ~b) is set (b may be NULL
 * for plain a); limit if none. */
static inline size_t bits_find_set(const uint64_t *a, const uint64_t *b, size_t from, size_t limit) {
    while (from < limit) {
        size_t w = from / 64;
        uint64_t word = a[w] & (b ? ~b[w] : ~(uint64_t)0);
        word &= ~(((uint64_t)1 << (from % 64)) - 1);
        if (word) {
            size_t i = w * 64 + (size_t)__builtin_ctzll(word);
            return i < limit ? i : limit;
        }
        from = (w + 1) * 64;
    }
    return limit;
}

/* Last index in [from, limit) whose bit in (a & ~b) equals want (b not
 * NULL); none if there is none. */
static inline size_t bits_find_last(const uint64_t *a, const uint64_t *b, size_t from, size_t limit,
                                    bool want, size_t none) {
    size_t end = limit;
    while (end > from) {
        size_t w = (end - 1) / 64;
        uint64_t word = a[w] & ~b[w];
        if (!want)
            word = ~word;
        if (end % 64)
            word &= ((uint64_t)1 << (end % 64)) - 1;
        if (word) {
            size_t i = w * 64 + 63 - (size_t)__builtin_clzll(word);
            return i >= from ? i : none;
        }
        end = w * 64;
    }
    return none;
}

/* Last set bit of (a & ~b) in [from, limit), or limit. */
static inline size_t bits_find_last_set(const uint64_t *a, const uint64_t *b, size_t from,
                                        size_t limit) {
    return bits_find_last(a, b, from, limit, true, limit);
}

/* Last clear bit of (a & ~b) in [from, limit), or SIZE_MAX. */
static inline size_t bits_find_last_clear(const uint64_t *a, const uint64_t *b, size_t from,
                                          size_t limit) {
    return bits_find_last(a, b, from, limit, false, SIZE_MAX);
}

/* First index in [from, limit) whose bit in (a & ~b) is clear; limit if none. */
static inline size_t bits_find_clear(const uint64_t *a, const uint64_t *b, size_t from, size_t limit) {
    while (from < limit) {
        size_t w = from / 64;
        uint64_t word = ~(a[w] & (b ? ~b[w] : ~(uint64_t)0));
        word &= ~(((uint64_t)1 << (from % 64)) - 1);
        if (word) {
            size_t i = w * 64 + (size_t)__builtin_ctzll(word);
            return i < limit ? i : limit;
        }
        from = (w + 1) * 64;
    }
    return limit;
}

#endif
