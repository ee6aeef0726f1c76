/* SPDX-License-Identifier: MIT */
/* Cheap random numbers for the scheduler's choices (select order, steal
 * order, sampling): not for anything an adversary may guess. */
#ifndef GOC_BASE_RAND_H
#define GOC_BASE_RAND_H

#include <stdint.h>

uint32_t fastrand(void);
/* Uniform in [0, n). */
uint32_t fastrandn(uint32_t n);

#endif
