# SPDX-License-Identifier: MIT
# goc-trace2json: an execution trace (GODEBUG=trace=FILE, goc_trace_start)
# as the JSON Perfetto opens.
bin_PROGRAMS = tools/goc-trace2json
tools_goc_trace2json_SOURCES = tools/goc-trace2json.c
tools_goc_trace2json_LDADD = $(GOC_LDADD)
