# SPDX-License-Identifier: MIT
libgoc_a_SOURCES += stack/stack.h stack/move.h stack/arena.c stack/context.c stack/move.c \
    stack/grow.c stack/shrink.c stack/pack.c stack/start.c
# The context switch, and the unwind info tracebacks of parked goroutines use.
if ARCH_X86_64
libgoc_a_SOURCES += stack/switch_x86_64.S stack/unwind_x86_64.S
endif
if ARCH_AARCH64
libgoc_a_SOURCES += stack/switch_aarch64.S stack/unwind_aarch64.S
endif

# Growable stacks: deep recursion, many growing goroutines, overflow past
# goc_set_max_stack, stale pointers into moved stacks.
check_PROGRAMS += tests/stack_deep
tests_stack_deep_SOURCES = tests/stack_deep.c tests/testing.h
check_PROGRAMS += tests/stack_partial_words
tests_stack_partial_words_SOURCES = tests/stack_partial_words.c tests/testing.h
check_PROGRAMS += tests/stack_overflow
tests_stack_overflow_SOURCES = tests/stack_overflow.c tests/testing.h
check_PROGRAMS += tests/stack_guard
tests_stack_guard_SOURCES = tests/stack_guard.c tests/testing.h
check_PROGRAMS += tests/stack_shrink
tests_stack_shrink_SOURCES = tests/stack_shrink.c tests/testing.h
