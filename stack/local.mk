libgoc_a_SOURCES += stack/stack.h stack/arena.c stack/context.c
if ARCH_X86_64
libgoc_a_SOURCES += stack/switch_x86_64.S
endif
if ARCH_AARCH64
libgoc_a_SOURCES += stack/switch_aarch64.S
endif
