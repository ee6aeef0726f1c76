# SPDX-License-Identifier: MIT
# io: goc_read/goc_write/... parking goroutines on io_uring and epoll.
libgoc_a_SOURCES += \
	io/io.h \
	io/api.c \
	io/backend.c \
	io/blocking.c \
	io/epoll.c \
	io/fdtable.c \
	io/hybrid.c \
	io/uring.c

# Tests of section 6 (each runs itself under every back-end).
IO_TESTS = tests/io_deadline tests/io_close tests/io_errors tests/io_files \
	tests/io_short_reads tests/io_echo_10k tests/io_examples tests/io_fallback
check_PROGRAMS += $(IO_TESTS)
IO_TEST_COMMON = tests/io_test.h tests/testing.h

tests_io_deadline_SOURCES = tests/io_deadline.c $(IO_TEST_COMMON)
tests_io_close_SOURCES = tests/io_close.c $(IO_TEST_COMMON)
tests_io_errors_SOURCES = tests/io_errors.c $(IO_TEST_COMMON)
tests_io_files_SOURCES = tests/io_files.c $(IO_TEST_COMMON)
tests_io_short_reads_SOURCES = tests/io_short_reads.c $(IO_TEST_COMMON)
tests_io_echo_10k_SOURCES = tests/io_echo_10k.c $(IO_TEST_COMMON)
tests_io_examples_SOURCES = tests/io_examples.c $(IO_TEST_COMMON)
tests_io_fallback_SOURCES = tests/io_fallback.c $(IO_TEST_COMMON)
