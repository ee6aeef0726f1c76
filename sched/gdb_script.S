/* SPDX-License-Identifier: MIT */
/* tools/goc-gdb.py, inline in a .debug_gdb_scripts section: every program
 * linked with libgoc.a carries its gdb extension, and gdb loads it (once
 * the program is in its auto-load safe-path) for a live process, an
 * attached one or a core file alike.  An entry is the byte 4 (an inline
 * Python script), the script's name on the first line, the script, and a
 * NUL; "MS" lets the linker merge identical entries. */
    .pushsection .debug_gdb_scripts, "MS", %progbits, 1
    .byte   4
    .ascii  "goc-gdb.py\n"
    .incbin "tools/goc-gdb.py"
    .byte   0
    .popsection

    .section .note.GNU-stack, "", %progbits
