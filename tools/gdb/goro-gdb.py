# goro-gdb.py — gdb support for programs using goro (Go's runtime-gdb.py for C).
#
#   (gdb) source tools/gdb/goro-gdb.py     # or let gdb auto-load it: docs/gdb.md
#   (gdb) info goroutines                  # one line per goroutine
#   (gdb) goroutine 3 bt                   # backtrace of goroutine 3
#   (gdb) goroutine 3 frame function f     # any gdb command, in goroutine 3
#   (gdb) goroutine all bt                 # every goroutine
#   (gdb) p *$goro_g(3)                    # goroutine 3's record
#
# Works on a live process (run or attached) and on a core file.  Everything
# is read from the program's own data and debug info (struct goro_g, the
# all-goroutines list, the wait-reason table), so the output never drifts
# from the runtime it describes.  Needs the library's debug info (-g).
#
# How a parked goroutine gets a backtrace.  Its whole context is g->sp: the
# frame goro__ctx_switch left there (src/arch/switch_x86_64.S) holds the
# callee-saved registers and the resume pc.  A core file cannot have its
# registers set, so instead of pointing a thread's registers at that frame
# (what Go's script does on a live process) we register a gdb unwinder that,
# while a `goroutine N` command runs, claims frame #0 of the selected thread
# and reports the goroutine's saved registers as its caller's.  Frame #1 on
# is then the goroutine's own stack, unwound by gdb's normal DWARF unwinder
# (the library has CFI, not frame pointers).  A frame filter prints that
# stand-in frame #0 as goro__ctx_switch, which is where the goroutine is.
#
# Loading this file twice (auto-load plus `source`) is harmless: commands,
# the unwinder and the frame filter replace their earlier selves.

import re
import time

import gdb
import gdb.unwinder
from gdb.FrameDecorator import FrameDecorator

# Layout of the switch frame at a parked sp (switch_x86_64.S): 8 bytes of
# FP control words, then these registers, then the resume pc.
_SWITCH_FRAME_REGS = ("r15", "r14", "r13", "r12", "rbx", "rbp")
_SWITCH_FRAME_SIZE = 64  # rsp after the resume: sp + 64 (GORO_CTX_FRAME_SIZE)
_MAX_GOROUTINES = 10_000_000  # a bound on list walks, against corrupt links
# Slots per chunk of a shard of the all-goroutines set (src/sched/allg.c).
_CHUNK_SLOTS = 4096


class _Error(gdb.GdbError):
    pass


# ---------------------------------------------------------------------------
# Reading the runtime's data


def _static_var(name, source_suffix):
    """The value of file-static `name` defined in a file ending in source_suffix."""
    for sym in gdb.lookup_static_symbols(name):
        if sym.symtab is not None and sym.symtab.filename.endswith(source_suffix):
            return sym.value()
    return None


def _global_var(name):
    sym = gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)
    return sym.value() if sym is not None else None


class _Layout:
    """Decodes selected scalar fields of a struct from its raw bytes.

    One memory read per record instead of one per field: `info goroutines`
    stays quick with the many thousands of goroutines a leaking program has.
    """

    def __init__(self, struct_type, names):
        self.size = struct_type.sizeof
        self.fields = {}
        by_name = {f.name: f for f in struct_type.fields()}
        for name in names:
            f = by_name[name]
            t = f.type.strip_typedefs()
            signed = t.code == gdb.TYPE_CODE_INT and getattr(t, "is_signed", True)
            self.fields[name] = (f.bitpos // 8, t.sizeof, signed)

    def decode(self, raw):
        out = {}
        for name, (off, size, signed) in self.fields.items():
            out[name] = int.from_bytes(raw[off : off + size], "little", signed=signed)
        return out


class _G:
    """A snapshot of one struct goro_g."""

    def __init__(self, addr, f):
        self.addr = addr
        self.id = f["id"]
        self.state = f["state"]
        self.wait_reason = f["wait_reason"]
        self.wait_since = f["wait_since"]
        self.parent_id = f["parent_id"]
        self.create_pc = f["create_pc"]
        self.fn = f["fn"]
        self.sp = f["sp"]
        self.started = bool(f["started"])
        self.on_cpu = bool(f["on_cpu"])
        self.stack_lo = f["stack_lo"]
        self.stack_hi = f["stack_hi"]

    def on_stack(self, sp):
        # The record (and a goroutine's arguments) sit just above stack_hi;
        # a little slack keeps a thread that is still in g_entry counted.
        return self.stack_lo <= sp < self.stack_hi + 4096


_G_FIELDS = ("id", "state", "wait_reason", "wait_since", "parent_id", "create_pc",
             "fn", "sp", "started", "on_cpu", "stack_lo", "stack_hi")


class _Worker:
    """A worker thread: its kernel thread id and what it runs."""

    def __init__(self, value):
        self.tid = int(value["tid"])
        self.curg = int(value["curg"])
        self.prev = int(value["prev"])


class _Runtime:
    """The goro runtime of the selected inferior, read once per command."""

    def __init__(self):
        if gdb.selected_inferior().pid == 0 and not _is_core():
            raise _Error("goro: no process and no core file")
        self.sched = _global_var("goro__sched")
        self.allg = _static_var("allg", "sched/allg.c")
        if self.sched is None or self.allg is None:
            raise _Error("goro: no goro runtime with debug info in this program "
                         "(goro__sched and allg in sched/allg.c not found)")
        self.inferior = gdb.selected_inferior()
        gtype = gdb.lookup_type("struct goro_g")
        self.g_ptr_type = gtype.pointer()
        self.layout = _Layout(gtype, _G_FIELDS)
        self.state_names = _enum_names("enum goro_gstate", "G_")
        try:
            self.reasons = _wait_reasons()
            self.workers = self._read_workers()
        except gdb.MemoryError as e:
            raise _Error("goro: cannot read the runtime's data (%s); is the core "
                         "file from another build of this program?" % e)

    def _read_workers(self):
        n = int(self.sched["nworkers"])
        base = self.sched["workers"]
        if n <= 0 or int(base) == 0:
            return []
        return [_Worker(base[i]) for i in range(n)]

    def _slots(self, shard):
        """Record addresses in one shard of the all-goroutines set (allg.c:
        chunks of slots; odd values are free slots)."""
        s = self.allg[shard]
        used = int(s["used"])
        chunks = s["chunk"]
        for c in range(chunks.type.range()[1] + 1):
            base = int(chunks[c])
            if used <= 0 or base == 0:
                return
            n = min(used, _CHUNK_SLOTS)
            raw = bytes(self.inferior.read_memory(base, n * 8))
            for i in range(n):
                v = int.from_bytes(raw[i * 8 : i * 8 + 8], "little")
                if v and not v & 1:
                    yield v
            used -= n

    def goroutines(self):
        """Every goroutine in the all-goroutines set, sorted by id."""
        out = []
        for shard in range(self.allg.type.range()[1] + 1):
            try:
                addrs = list(self._slots(shard))
            except gdb.MemoryError:
                gdb.write("warning: goro: cannot read all-goroutines shard %d\n" % shard)
                continue
            for addr in addrs:
                if len(out) >= _MAX_GOROUTINES:
                    break
                try:
                    raw = bytes(self.inferior.read_memory(addr, self.layout.size))
                except gdb.MemoryError:
                    # A core may lack the page: list the others rather
                    # than nothing.
                    gdb.write("warning: goro: cannot read goroutine record at 0x%x "
                              "(all-goroutines shard %d)\n" % (addr, shard))
                    continue
                out.append(_G(addr, self.layout.decode(raw)))
        out.sort(key=lambda g: g.id)
        return out

    def find(self, gid):
        for g in self.goroutines():
            if g.id == gid:
                return g
        raise _Error("goro: no goroutine %d" % gid)

    def state_name(self, g):
        return self.state_names.get(g.state, "state %d" % g.state)

    def reason(self, g):
        if 0 <= g.wait_reason < len(self.reasons):
            return self.reasons[g.wait_reason]
        return "wait reason %d" % g.wait_reason

    def worker_running(self, g):
        """The worker whose current goroutine g is, or None."""
        for w in self.workers:
            if w.curg == g.addr:
                return w
        return None


def _enum_names(type_name, prefix):
    names = {}
    for f in gdb.lookup_type(type_name).fields():
        name = f.name[len(prefix):] if f.name.startswith(prefix) else f.name
        names[f.enumval] = name.lower()
    return names


# Only if the program's table cannot be read (it always can with -g).
_FALLBACK_REASONS = (
    "", "chan send", "chan receive", "select", "chan send (nil chan)",
    "chan receive (nil chan)", "select (no cases)", "sync.Mutex.Lock",
    "sync.RWMutex.Lock", "sync.RWMutex.RLock", "sync.WaitGroup.Wait",
    "sync.Cond.Wait", "sleep", "IO wait", "syscall", "synctest.Wait",
    "synctest.Run",
)


def _wait_reasons():
    """Go's wait-reason strings, from the program's own table (waitreason.c)."""
    table = _static_var("reasons", "sched/waitreason.c")
    if table is None:
        return list(_FALLBACK_REASONS)
    lo, hi = table.type.range()
    out = []
    for i in range(lo, hi + 1):
        p = table[i]
        out.append(p.string() if int(p) else "")
    return out


# ---------------------------------------------------------------------------
# Time and symbols


def _connection_type():
    """'native', 'core', 'remote', ... (None before gdb 12 or with no target)."""
    conn = getattr(gdb.selected_inferior(), "connection", None)
    return conn.type if conn is not None else None


def _is_core():
    return _connection_type() == "core"


def _now_ns():
    """CLOCK_MONOTONIC of the inferior now, or None (core file: unknowable).

    wait_since is CLOCK_MONOTONIC(_COARSE) ns.  A native live process shares
    the clock with gdb itself, so no code runs in the inferior; a remote one
    is asked (goro__nanotime is a plain clock_gettime call).
    """
    kind = _connection_type()
    if gdb.selected_inferior().pid == 0 or kind in (None, "core"):
        return None
    if kind == "native":
        return time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    try:
        return int(gdb.parse_and_eval("goro__nanotime()"))
    except gdb.error:
        return None


def _format_duration(ns):
    if ns < 0:
        ns = 0
    s = ns / 1e9
    if s < 60:
        return "%.3fs" % s
    m, sec = divmod(int(s), 60)
    if m < 60:
        return "%dm%02ds" % (m, sec)
    h, m = divmod(m, 60)
    return "%dh%02dm" % (h, m)


def _function_at(pc):
    """Name of the function containing pc (innermost inline function)."""
    if not pc:
        return None
    try:
        block = gdb.block_for_pc(pc)
    except RuntimeError:
        block = None
    while block is not None:
        if block.function is not None:
            return block.function.print_name
        block = block.superblock
    text = gdb.format_address(pc)  # "0x... <sym+off>" from the ELF symbols
    m = re.search(r"<([^+>]+)", text)
    return m.group(1) if m else "0x%x" % pc


def _call_site(ret_pc):
    """'fn at file:line' for the call whose return address is ret_pc."""
    if not ret_pc:
        return "-"
    call = ret_pc - 1  # inside the call instruction, not after it
    where = _function_at(call)
    sal = gdb.find_pc_line(call)
    if sal.symtab is not None and sal.line:
        return "%s at %s:%d" % (where, sal.symtab.filename, sal.line)
    return where


# ---------------------------------------------------------------------------
# info goroutines


class _InfoGoroutines(gdb.Command):
    """List goroutines: id, state, wait reason and how long, parent, thread,
start function and creation site.

A '*' marks the goroutine each worker thread is running; the Thread column
is gdb's thread number for it.  How long a goroutine has been waiting is
unknown in a core file ('?'): wait_since (CLOCK_MONOTONIC ns) is in
$goro_g(ID)->wait_since."""

    def __init__(self):
        super().__init__("info goroutines", gdb.COMMAND_STACK, gdb.COMPLETE_NONE)

    def invoke(self, arg, from_tty):
        rt = _Runtime()
        now = _now_ns()
        threads = _threads_by_lwp()
        symbols = _SymbolCache()
        rows = [("", "Id", "State", "Wait reason", "Waiting", "Parent", "Thread",
                 "Function", "Created by")]
        for g in rt.goroutines():
            w = rt.worker_running(g)
            thread = threads.get(w.tid) if w is not None else None
            reason = waiting = "-"
            if rt.state_name(g) == "waiting":
                reason = rt.reason(g)
                if now is None or not g.wait_since:
                    waiting = "?"
                else:
                    waiting = _format_duration(now - g.wait_since)
            rows.append((
                "*" if w is not None else "",
                str(g.id),
                rt.state_name(g),
                reason,
                waiting,
                str(g.parent_id) if g.parent_id else "-",
                str(thread.num) if thread is not None else "-",
                symbols.function(g.fn) or ("(main)" if g.id == 1 else "-"),
                symbols.call_site(g.create_pc),
            ))
        _print_table(rows, right=(1, 4, 5, 6))
        if now is None and any(r[4] == "?" for r in rows[1:]):
            gdb.write("(no current time in a core file: Waiting is '?'; "
                      "wait_since is in $goro_g(ID)->wait_since)\n")


class _SymbolCache:
    """Symbol lookups memoized for one command: goroutines share start
    functions and creation sites by the thousand."""

    def __init__(self):
        self.functions = {}
        self.sites = {}

    def function(self, pc):
        if pc not in self.functions:
            self.functions[pc] = _function_at(pc)
        return self.functions[pc]

    def call_site(self, pc):
        if pc not in self.sites:
            self.sites[pc] = _call_site(pc)
        return self.sites[pc]


def _print_table(rows, right):
    """Columns as wide as their widest cell; `right` ones right-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                 for i, cell in enumerate(r)]
        gdb.write(" ".join(cells).rstrip() + "\n")


def _threads_by_lwp():
    return {t.ptid[1]: t for t in gdb.selected_inferior().threads()}


# ---------------------------------------------------------------------------
# Backtraces of parked goroutines


class _FrameId:
    """What gdb needs to identify the stand-in frame #0 (gdb < 14 has no
    gdb.unwinder.FrameId, and gdb 13 wants gdb.Values here)."""

    def __init__(self, sp, pc):
        ptr = gdb.lookup_type("void").pointer()
        self.sp = _value_of(sp, ptr)
        self.pc = _value_of(pc, ptr)


class _Seed:
    """The saved context of the goroutine a `goroutine N` command looks at.

    The stand-in frame #0 is identified as goro__ctx_switch's frame at the
    parked sp: that is what it stands for, and being below every frame of
    the goroutine's stack it keeps gdb's "previous frame inner to this
    frame" check quiet (the thread's own sp may lie anywhere).
    """

    def __init__(self, ptid, sp, pc, regs):
        self.ptid = ptid  # the thread whose frame #0 stands in
        self.sp = sp
        self.pc = pc
        self.regs = regs  # register name -> value, for frame #1


class _SwitchFrameUnwinder(gdb.unwinder.Unwinder):
    """While seeded, makes the selected thread's frame #0 return into a
    parked goroutine: its caller's registers are the switch frame's."""

    def __init__(self):
        super().__init__("goro-switch-frame")
        self.seed = None

    def __call__(self, pending_frame):
        seed = self.seed
        if seed is None or pending_frame.level() != 0:
            return None
        thread = gdb.selected_thread()
        if thread is None or thread.ptid != seed.ptid:
            return None
        info = pending_frame.create_unwind_info(_FrameId(seed.sp, seed.pc))
        for name, value in seed.regs.items():
            rtype = pending_frame.read_register(name).type
            info.add_saved_register(name, _value_of(value, rtype))
        return info


def _value_of(n, rtype):
    if n >= 1 << 63:  # gdb.Value takes Python ints as signed 64-bit
        n -= 1 << 64
    return gdb.Value(n).cast(rtype)


class _SwitchFrameDecorator(FrameDecorator):
    """Prints the stand-in frame #0 as the place the goroutine sits in."""

    def function(self):
        return "goro__ctx_switch"

    def address(self):
        return None

    def filename(self):
        return None

    def line(self):
        return None

    def frame_args(self):
        return None

    def frame_locals(self):
        return None


class _SwitchFrameFilter:
    """Dresses frame #0 of the seeded thread (other threads' backtraces, as
    in `goroutine 3 thread apply all bt`, are left alone)."""

    def __init__(self, unwinder):
        self.name = "goro-switch-frame"
        self.priority = 100
        self.enabled = False  # only while a goroutine is seeded
        self.unwinder = unwinder

    def filter(self, frames):
        seed = self.unwinder.seed
        thread = gdb.selected_thread()
        seeded = seed is not None and thread is not None and thread.ptid == seed.ptid
        for fd in frames:
            if seeded and fd.inferior_frame().level() == 0:
                yield _SwitchFrameDecorator(fd)
            else:
                yield fd


_unwinder = _SwitchFrameUnwinder()
_frame_filter = _SwitchFrameFilter(_unwinder)


def _switch_frame_regs(g):
    """Registers saved in g's switch frame (the layout switch_x86_64.S documents)."""
    raw = bytes(gdb.selected_inferior().read_memory(g.sp, _SWITCH_FRAME_SIZE))
    words = [int.from_bytes(raw[i : i + 8], "little") for i in range(0, _SWITCH_FRAME_SIZE, 8)]
    regs = dict(zip(_SWITCH_FRAME_REGS, words[1:7]))
    regs["rip"] = words[7]
    regs["rsp"] = g.sp + _SWITCH_FRAME_SIZE
    return regs


def _ctx_switch_pc():
    sym = gdb.lookup_global_symbol("goro__ctx_switch") or gdb.lookup_static_symbol("goro__ctx_switch")
    if sym is not None:
        return int(sym.value().address)
    try:
        return int(gdb.parse_and_eval("(long)&goro__ctx_switch"))
    except gdb.error:
        return 0


class _SelectionSaved:
    """Restores the selected thread and frame level after a command ran
    somewhere else (another thread, or a seeded goroutine)."""

    def __enter__(self):
        self.thread = gdb.selected_thread()
        try:
            self.level = gdb.selected_frame().level()
        except gdb.error:
            self.level = None
        return self

    def __exit__(self, *exc):
        if self.thread is not None and self.thread.is_valid():
            self.thread.switch()
        if self.level is not None:
            try:
                _select_level(self.level)
            except gdb.error:
                pass
        return False


def _select_level(level):
    frame = gdb.newest_frame()
    for _ in range(level):
        older = frame.older()
        if older is None:
            break
        frame = older
    frame.select()


class _Seeded:
    """Makes the selected thread's frames, from #1 on, those of a parked goroutine."""

    def __init__(self, g):
        arch = gdb.selected_inferior().architecture().name()
        if arch != "i386:x86-64":
            raise _Error("goro: parked goroutines can only be unwound on x86-64 "
                         "(this is %s)" % arch)
        thread = gdb.selected_thread()
        if thread is None:
            raise _Error("goro: no thread to show the goroutine's frames on")
        self.seed = _Seed(thread.ptid, g.sp, _ctx_switch_pc(), _switch_frame_regs(g))

    def __enter__(self):
        _unwinder.seed = self.seed
        _frame_filter.enabled = True
        gdb.invalidate_cached_frames()
        try:
            first = gdb.newest_frame().older()
            if first is None:
                raise _Error("goro: cannot unwind the goroutine's saved context")
            first.select()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        _unwinder.seed = None
        _frame_filter.enabled = False
        gdb.invalidate_cached_frames()
        return False


def _where(rt, g, threads):
    """('thread', t) if g is on a CPU now, ('parked', None) if its context is
    g->sp, or ('unstarted', None).

    A worker sets curg before switching, and the goroutine it leaves stays
    on_cpu until its registers are saved; the thread's sp tells on which of
    the two stacks it really is during that window.
    """
    state = rt.state_name(g)
    if state in ("dead", "idle"):
        raise _Error("goro: goroutine %d has exited" % g.id)
    for w in rt.workers:
        if w.curg != g.addr and not (w.prev == g.addr and g.on_cpu):
            continue
        t = threads.get(w.tid)
        if t is None or not t.is_valid():
            continue
        if g.on_stack(_thread_sp(t)):
            return ("thread", t)
    if not g.started:
        return ("unstarted", None)
    if not g.sp:
        raise _Error("goro: goroutine %d has no saved context" % g.id)
    if state == "running":
        # E.g. a core without that thread's registers: the last switch frame
        # is all there is, and it is stale.
        gdb.write("warning: goroutine %d is running but its thread is unknown; "
                  "showing where it last switched\n" % g.id)
    return ("parked", None)


def _thread_sp(thread):
    with _SelectionSaved():
        thread.switch()
        return int(gdb.newest_frame().read_register("rsp"))


def _run_in_goroutine(rt, g, command, from_tty, threads):
    kind, thread = _where(rt, g, threads)
    if kind == "unstarted":
        fn = _function_at(g.fn) or "?"
        if command.split()[:1] in (["bt"], ["backtrace"], ["where"]):
            gdb.write("goroutine %d has not started yet: it will run %s (created by %s)\n"
                      % (g.id, fn, _call_site(g.create_pc)))
            return
        raise _Error("goro: goroutine %d has not started yet (it will run %s): "
                     "it has no frames" % (g.id, fn))
    with _SelectionSaved():
        if kind == "thread":
            thread.switch()
            gdb.execute(command, from_tty)
        else:
            with _Seeded(g):
                gdb.execute(command, from_tty)


# ---------------------------------------------------------------------------
# goroutine N <command>


def _split_goroutine_args(arg):
    """'N cmd' -> ('N', 'cmd'); N may be '(any expression)'."""
    arg = arg.strip()
    if arg.startswith("("):
        depth = 0
        for i, c in enumerate(arg):
            depth += c == "("
            depth -= c == ")"
            if depth == 0:
                return arg[: i + 1], arg[i + 1 :].strip()
        raise _Error("goro: unbalanced parentheses in %r" % arg)
    parts = arg.split(None, 1)
    return parts[0], (parts[1] if len(parts) > 1 else "")


class _Goroutine(gdb.Command):
    """Run a gdb command in a goroutine's context.

Usage: goroutine ID [COMMAND]      (COMMAND defaults to bt)
       goroutine all [COMMAND]

ID is a goroutine id or any expression, e.g. `goroutine (worker_id) bt`.
A running goroutine's command runs on its worker thread.  For a parked
goroutine the command sees the goroutine's frames from #1 on, with #1
selected; frame #0 only stands in for goro__ctx_switch, where it sits
(`frame 0` and `info frame` there describe the thread, not the goroutine).
Each command starts afresh, so reach other frames within it:
    goroutine 3 info locals
    goroutine 3 frame function compare
    goroutine 3 frame apply level 5 p x
Works on live processes and core files alike; the selected thread and
frame are restored afterwards."""

    def __init__(self):
        super().__init__("goroutine", gdb.COMMAND_STACK, gdb.COMPLETE_COMMAND)

    def invoke(self, arg, from_tty):
        if not arg.strip():
            raise _Error("usage: goroutine ID|all [COMMAND]")
        which, command = _split_goroutine_args(arg)
        command = command or "bt"
        rt = _Runtime()
        threads = _threads_by_lwp()
        if which == "all":
            for g in rt.goroutines():
                header = "goroutine %d [%s" % (g.id, rt.state_name(g))
                if rt.state_name(g) == "waiting":
                    header += ", " + rt.reason(g)
                gdb.write("\n" + header + "]:\n")
                try:
                    _run_in_goroutine(rt, g, command, from_tty, threads)
                except (gdb.error, gdb.GdbError) as e:
                    gdb.write("%s\n" % e)
            return
        try:
            gid = int(gdb.parse_and_eval(which))
        except gdb.error as e:
            raise _Error("goro: bad goroutine id %r: %s" % (which, e))
        _run_in_goroutine(rt, rt.find(gid), command, from_tty, threads)


class _GoroG(gdb.Function):
    """$goro_g(ID): pointer to goroutine ID's struct goro_g."""

    def __init__(self):
        super().__init__("goro_g")

    def invoke(self, gid):
        rt = _Runtime()
        g = rt.find(int(gid))
        return gdb.Value(g.addr).cast(rt.g_ptr_type)


def _register():
    gdb.unwinder.register_unwinder(None, _unwinder, replace=True)
    gdb.frame_filters[_frame_filter.name] = _frame_filter
    _InfoGoroutines()
    _Goroutine()
    _GoroG()


_register()
