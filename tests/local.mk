# SPDX-License-Identifier: MIT
# The runtime core's test suite (API.md sections 1-4 and 7).  tests/run runs
# every check program, these and the ones other fragments add: as tests/cases
# declares (GOMAXPROCS values, expected exit status and stderr), or else once,
# expecting exit 0.
check_PROGRAMS += \
	tests/lib_clash \
	tests/go_ids \
	tests/go_count \
	tests/go_yield \
	tests/go_exit \
	tests/go_main \
	tests/go_foreign \
	tests/go_lock_thread \
	tests/go_blocking \
	tests/sched_gqueue \
	tests/go_maxprocs \
	tests/gc_stw_spin \
	tests/gc_stw_threads \
	tests/chan_unbuffered \
	tests/chan_buffered \
	tests/chan_try \
	tests/chan_close \
	tests/chan_zero_size \
	tests/chan_nil \
	tests/chan_big_elem \
	tests/chan_typed \
	tests/chan_outsiders \
	tests/chan_panics \
	tests/select_basic \
	tests/select_fairness \
	tests/select_many \
	tests/select_forever \
	tests/time_sleep \
	tests/time_after \
	tests/time_tick \
	tests/time_now \
	tests/time_idle \
	tests/sync_mutex \
	tests/sync_cond \
	tests/sync_waitgroup \
	tests/panic_traceback \
	tests/deadlock \
	tests/sigquit \
	tests/env_check \
	tests/godebug_trace \
	tests/trace_json \
	tests/heap_profile \
	tests/stress_pingpong \
	tests/stress_prodcons \
	tests/stress_fanin \
	tests/stress_spawn \
	tests/stress_timers \
	tests/stress_wakeup \
	tests/sched_deferred_wake \
	tests/gc_torture \
	tests/gc_checkmark_catches \
	tests/gc_reclaim \
	tests/gc_mallocfin \
	tests/gc_gc2 \
	tests/gc_fincycle \
	tests/gc_kernel_write \
	tests/gc_fork \
	tests/gc_mprotect \
	tests/gc_scavenge_wp \
	tests/gc_stack_relist \
	tests/gc_io_stack \
	tests/gc_goroutine_leak

# Links libgoc.a as a user's program does, next to globals of its own named
# like goc's internals.
tests_lib_clash_SOURCES = tests/lib_clash.c
tests_lib_clash_LDADD = $(GOC_LDADD)
tests_go_ids_SOURCES = tests/go_ids.c tests/testing.h
tests_go_count_SOURCES = tests/go_count.c tests/testing.h
tests_go_yield_SOURCES = tests/go_yield.c tests/testing.h
tests_sched_gqueue_SOURCES = tests/sched_gqueue.c tests/testing.h
tests_go_exit_SOURCES = tests/go_exit.c tests/testing.h
tests_go_main_SOURCES = tests/go_main.c tests/testing.h
tests_go_foreign_SOURCES = tests/go_foreign.c tests/testing.h
tests_go_lock_thread_SOURCES = tests/go_lock_thread.c tests/testing.h
tests_go_blocking_SOURCES = tests/go_blocking.c tests/testing.h
tests_go_maxprocs_SOURCES = tests/go_maxprocs.c tests/testing.h
tests_gc_stw_spin_SOURCES = tests/gc_stw_spin.c tests/testing.h
tests_gc_stw_threads_SOURCES = tests/gc_stw_threads.c tests/testing.h
tests_chan_unbuffered_SOURCES = tests/chan_unbuffered.c tests/testing.h
tests_chan_buffered_SOURCES = tests/chan_buffered.c tests/testing.h
tests_chan_try_SOURCES = tests/chan_try.c tests/testing.h
tests_chan_close_SOURCES = tests/chan_close.c tests/testing.h
tests_chan_zero_size_SOURCES = tests/chan_zero_size.c tests/testing.h
tests_chan_nil_SOURCES = tests/chan_nil.c tests/testing.h
tests_chan_big_elem_SOURCES = tests/chan_big_elem.c tests/testing.h
tests_chan_typed_SOURCES = tests/chan_typed.c tests/testing.h
tests_chan_outsiders_SOURCES = tests/chan_outsiders.c tests/testing.h
tests_chan_panics_SOURCES = tests/chan_panics.c tests/testing.h
tests_select_basic_SOURCES = tests/select_basic.c tests/testing.h
tests_select_fairness_SOURCES = tests/select_fairness.c tests/testing.h
tests_select_many_SOURCES = tests/select_many.c tests/testing.h
tests_select_forever_SOURCES = tests/select_forever.c tests/testing.h
tests_time_sleep_SOURCES = tests/time_sleep.c tests/testing.h
tests_time_after_SOURCES = tests/time_after.c tests/testing.h
tests_time_tick_SOURCES = tests/time_tick.c tests/testing.h
tests_time_now_SOURCES = tests/time_now.c tests/testing.h
tests_time_idle_SOURCES = tests/time_idle.c tests/testing.h
tests_sync_mutex_SOURCES = tests/sync_mutex.c tests/testing.h
tests_sync_cond_SOURCES = tests/sync_cond.c tests/testing.h
tests_sync_waitgroup_SOURCES = tests/sync_waitgroup.c tests/testing.h
tests_panic_traceback_SOURCES = tests/panic_traceback.c tests/testing.h
tests_deadlock_SOURCES = tests/deadlock.c tests/testing.h
tests_sigquit_SOURCES = tests/sigquit.c tests/testing.h
tests_env_check_SOURCES = tests/env_check.c tests/testing.h
tests_godebug_trace_SOURCES = tests/godebug_trace.c tests/testing.h
tests_trace_json_SOURCES = tests/trace_json.c tests/testing.h
tests_heap_profile_SOURCES = tests/heap_profile.c tests/testing.h
tests_stress_pingpong_SOURCES = tests/stress_pingpong.c tests/testing.h
tests_stress_prodcons_SOURCES = tests/stress_prodcons.c tests/testing.h
tests_stress_fanin_SOURCES = tests/stress_fanin.c tests/testing.h
tests_stress_spawn_SOURCES = tests/stress_spawn.c tests/testing.h
tests_stress_timers_SOURCES = tests/stress_timers.c tests/testing.h
tests_stress_wakeup_SOURCES = tests/stress_wakeup.c tests/testing.h
tests_sched_deferred_wake_SOURCES = tests/sched_deferred_wake.c tests/testing.h
tests_gc_torture_SOURCES = tests/gc_torture.c tests/testing.h
tests_gc_checkmark_catches_SOURCES = tests/gc_checkmark_catches.c tests/testing.h
tests_gc_reclaim_SOURCES = tests/gc_reclaim.c tests/testing.h
tests_gc_mallocfin_SOURCES = tests/gc_mallocfin.c tests/testing.h
tests_gc_gc2_SOURCES = tests/gc_gc2.c tests/testing.h
tests_gc_fincycle_SOURCES = tests/gc_fincycle.c tests/testing.h
tests_gc_kernel_write_SOURCES = tests/gc_kernel_write.c tests/testing.h
tests_gc_fork_SOURCES = tests/gc_fork.c tests/testing.h
tests_gc_mprotect_SOURCES = tests/gc_mprotect.c tests/testing.h
tests_gc_scavenge_wp_SOURCES = tests/gc_scavenge_wp.c tests/testing.h
tests_gc_stack_relist_SOURCES = tests/gc_stack_relist.c tests/testing.h
tests_gc_io_stack_SOURCES = tests/gc_io_stack.c tests/testing.h
tests_gc_goroutine_leak_SOURCES = tests/gc_goroutine_leak.c tests/testing.h

EXTRA_DIST += tests/run tests/cases

# The collector as a user sees it: gctrace, memstats, the pacer, roots.
check_PROGRAMS += \
	tests/gc_trace \
	tests/gc_memstats \
	tests/gc_int_words \
	tests/gc_assist \
	tests/gc_pacer \
	tests/gc_roots
tests_gc_trace_SOURCES = tests/gc_trace.c tests/testing.h
tests_gc_memstats_SOURCES = tests/gc_memstats.c tests/testing.h
tests_gc_int_words_SOURCES = tests/gc_int_words.c tests/testing.h
tests_gc_assist_SOURCES = tests/gc_assist.c tests/testing.h
tests_gc_pacer_SOURCES = tests/gc_pacer.c tests/testing.h
tests_gc_roots_SOURCES = tests/gc_roots.c tests/testing.h
# A shared object gc_roots loads with dlopen after start: a global of its
# own is a root.  Built by hand (the project does not use libtool), next to
# the program, which finds it through /proc/self/exe.
tests_gc_roots_DEPENDENCIES = libgoc-internal.a tests/gc_roots_dso.so
tests/gc_roots_dso.so: tests/gc_roots_dso.c
	$(AM_V_CC)$(CC) $(AM_CFLAGS) $(CFLAGS) -fPIC -shared -o $@ $<
EXTRA_DIST += tests/gc_roots_dso.c
CLEANFILES += tests/gc_roots_dso.so

# tools/goc-gdb.py on gdb_target, by a script run as a check program.
check_PROGRAMS += tests/gdb_target
tests_gdb_target_SOURCES = tests/gdb_target.c tests/testing.h
tests_gdb_target_LDADD = $(GOC_LDADD)
check_SCRIPTS = tests/gdb_goroutines
tests/gdb_goroutines: $(srcdir)/tests/gdb_goroutines.sh
	$(AM_V_GEN)cp $(srcdir)/tests/gdb_goroutines.sh $@ && chmod +x $@
EXTRA_DIST += tests/gdb_goroutines.sh
CLEANFILES += tests/gdb_goroutines

check-local: $(check_PROGRAMS) $(check_SCRIPTS)
	$(srcdir)/tests/run $(abs_builddir) $(check_PROGRAMS) $(check_SCRIPTS)
