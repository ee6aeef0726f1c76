noinst_PROGRAMS += examples/primes
examples_primes_SOURCES = examples/primes.c
