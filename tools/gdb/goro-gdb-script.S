/*
 * goro-gdb-script.S — goro-gdb.py embedded in the program itself.
 *
 * gdb runs the scripts listed in an objfile's .debug_gdb_scripts section
 * when it loads the objfile (if `auto-load safe-path` allows that file).
 * A statically linked program has no libgoro.so whose <lib>-gdb.py gdb
 * could find, so linking this object in is how it gets `info goroutines`
 * by itself.  The entry is the whole script as text (kind 4, "inline
 * Python"), not a path: the program keeps working after the source tree
 * or the install has moved.
 *
 * Entry format (gdb manual, "The .debug_gdb_scripts section"): one kind
 * byte, the script's name on the first line, its text, a NUL.  The section
 * is "MS" (mergeable strings), so several copies linked in collapse into
 * one; it is not allocated, so it costs no memory at run time, and `strip`
 * drops it together with the debug info the script needs anyway.
 *
 * GORO_GDB_SCRIPT is the script's path, a string (set by the build).
 */
#ifndef GORO_GDB_SCRIPT
#error "define GORO_GDB_SCRIPT as the quoted path of goro-gdb.py"
#endif

#define SECTION_SCRIPT_ID_PYTHON_TEXT 4

	.pushsection .debug_gdb_scripts, "MS", @progbits, 1
	.byte SECTION_SCRIPT_ID_PYTHON_TEXT
	.ascii "goro-gdb.py\n"
	.incbin GORO_GDB_SCRIPT
	.byte 0
	.popsection

	.section .note.GNU-stack, "", @progbits
