# SPDX-License-Identifier: MIT
noinst_PROGRAMS += examples/primes
examples_primes_SOURCES = examples/primes.c
examples_primes_LDADD = $(GOC_LDADD)
