# SPDX-License-Identifier: MIT
# mem: the collected heap's allocator.
libgoc_a_SOURCES += \
	mem/mem.h \
	mem/bitmap.h \
	mem/sizeclass.c \
	mem/meta.c \
	mem/arena.c \
	mem/pageheap.c \
	mem/pagecache.c \
	mem/span.c \
	mem/central.c \
	mem/cache.c \
	mem/malloc.c \
	mem/stats.c \
	mem/scavenge.c \
	mem/writeprot.c

# goc's private jemalloc: the PIC archive linked into one relocatable object
# in which every symbol is local except the explicit API, renamed goc_je_*.
# Its bss (2 MiB, mostly the extent map) gets a section of its own, which
# the linker brackets with __start_goc_je_bss/__stop_goc_je_bss: it holds
# no pointer into the collected heap, and the collector skips it.
# The program's malloc/free therefore stay the C library's.  The C++
# operators are left out (they would pull in libstdc++).
libgoc_a_LIBADD = mem/jemalloc_private.o
EXTRA_DIST += mem/jemalloc-keep.syms mem/jemalloc-rename.syms
CLEANFILES = mem/jemalloc_private.o

mem/jemalloc_private.o: $(srcdir)/mem/jemalloc-keep.syms $(srcdir)/mem/jemalloc-rename.syms $(srcdir)/mem/local.mk
	$(AM_V_GEN)set -e; \
	archive=`$(CC) -print-file-name=libjemalloc_pic.a`; \
	test -f "$$archive" || { echo "libjemalloc_pic.a not found: install libjemalloc-dev" >&2; exit 1; }; \
	tmp=mem/jemalloc_private.d; rm -rf $$tmp; mkdir -p $$tmp; \
	(cd $$tmp && $(AR) x "$$archive"); \
	rm -f $$tmp/jemalloc_cpp.pic.o; \
	$(CC) -r -nostdlib -o $$tmp/all.o $$tmp/*.o; \
	$(OBJCOPY) --keep-global-symbols=$(srcdir)/mem/jemalloc-keep.syms $$tmp/all.o $$tmp/kept.o; \
	$(OBJCOPY) --redefine-syms=$(srcdir)/mem/jemalloc-rename.syms \
	    --rename-section .bss=goc_je_bss $$tmp/kept.o $@; \
	rm -rf $$tmp

# Tests (plain programs: exit 0 on success).
check_PROGRAMS += \
	tests/mem_sizeclass \
	tests/mem_alloc \
	tests/mem_large \
	tests/mem_realloc \
	tests/mem_collector_iface \
	tests/mem_concurrent \
	tests/mem_scavenge \
	tests/mem_bad_sizes \
	tests/mem_malloc_is_libc
tests_mem_sizeclass_SOURCES = tests/mem_sizeclass.c tests/mem_check.h
tests_mem_alloc_SOURCES = tests/mem_alloc.c tests/mem_check.h
tests_mem_large_SOURCES = tests/mem_large.c tests/mem_check.h
tests_mem_realloc_SOURCES = tests/mem_realloc.c tests/mem_check.h
tests_mem_collector_iface_SOURCES = tests/mem_collector_iface.c tests/mem_check.h
tests_mem_concurrent_SOURCES = tests/mem_concurrent.c tests/mem_check.h
tests_mem_scavenge_SOURCES = tests/mem_scavenge.c tests/mem_check.h
tests_mem_bad_sizes_SOURCES = tests/mem_bad_sizes.c tests/mem_check.h
tests_mem_malloc_is_libc_SOURCES = tests/mem_malloc_is_libc.c
tests_mem_malloc_is_libc_LDADD = $(GOC_LDADD) -ldl
