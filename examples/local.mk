# SPDX-License-Identifier: MIT
# examples: small real servers on goc (used by tests/io_examples and bench/).
noinst_PROGRAMS += examples/echo examples/httpd examples/chat
EXAMPLES_CFLAGS = $(AM_CFLAGS) -O2

examples_echo_SOURCES = examples/echo.c examples/net.h
examples_echo_CFLAGS = $(EXAMPLES_CFLAGS)
examples_echo_LDADD = $(GOC_LDADD)

examples_httpd_SOURCES = examples/httpd.c examples/net.h
examples_httpd_CFLAGS = $(EXAMPLES_CFLAGS)
examples_httpd_LDADD = $(GOC_LDADD)

examples_chat_SOURCES = examples/chat.c examples/net.h
examples_chat_CFLAGS = $(EXAMPLES_CFLAGS)
examples_chat_LDADD = $(GOC_LDADD)
