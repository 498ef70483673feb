#!/usr/bin/env python3
"""Run goro's C benchmarks and their Go counterparts side by side.

    python3 bench/run.py                 every row (what `make bench` runs)
    python3 bench/run.py yield 'chan_*'  selected rows (shell-style patterns)
    python3 bench/run.py --quick         tiny sizes, 1 rep: checks the benches

Each row runs in a fresh process per side (C: build/bench/bench_*, Go:
build/bench/gobench), which repeats it --reps times and reports the median.
Prints a table and writes build/bench.json.  Python 3 stdlib only.
See bench/README.md for what every row measures.
"""

import argparse
import fnmatch
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIN_GO = (1, 26)
# The Go column's toolchain: Go 1.27.3 (the goroutineleak profile without
# GOEXPERIMENT), fetched by the go command through GOTOOLCHAIN.  An explicit
# GOTOOLCHAIN in the environment wins (GOTOOLCHAIN=local: the installed go,
# which may be 1.26).
GO_TOOLCHAIN = "go1.27.3"


@dataclass(frozen=True)
class Target:
    """A goal for a row: goro/Go at most `bound` ("ratio"), at least `bound`
    ("ratio_min", for rates), or goro's value below `bound` `unit`s
    ("below").  met() is None when it cannot tell."""
    kind: str
    bound: float
    text: str
    unit: Optional[str] = None

    def met(self, goro, unit, ratio):
        if self.kind == "ratio":
            return None if ratio is None else ratio <= self.bound
        if self.kind == "ratio_min":  # rates: higher is better
            return None if ratio is None else ratio >= self.bound
        if goro is None or unit != self.unit:
            return None
        return goro < self.bound


def ratio_at_most(x):
    return Target("ratio", x, "<=%gx Go" % x)


def ratio_at_least(x):
    return Target("ratio_min", x, ">=%gx Go" % x)


def below(x, unit):
    return Target("below", x, "<%g %s" % (x, unit), unit)


@dataclass(frozen=True)
class Row:
    name: str
    binary: str                 # C program under build/bench/
    target: Optional[Target] = None
    procs: Optional[str] = None  # "1", "all", or None: the runtimes' default
    max_reps: Optional[int] = None  # cap for heavy rows
    todo: bool = False          # goro side not written yet (its API is missing)


# Every row, in table order.  Targets come from the issues; rows without
# one are reported for comparison only.
ROWS = [
    Row("yield", "bench_core", ratio_at_most(0.3), "1"),
    Row("spawn", "bench_core", ratio_at_most(0.3), "1"),
    Row("chan_unbuffered", "bench_core", ratio_at_most(0.35), "1"),
    Row("chan_buffered", "bench_core", ratio_at_most(0.5), "1"),
    Row("select2", "bench_core", ratio_at_most(0.35), "1"),
    Row("blocked_1m", "bench_core", None, None, max_reps=3),
    Row("blocked_1m_rss", "bench_core", ratio_at_most(2), None, max_reps=3),
    Row("fanin_parallel", "bench_core", None, "all"),
    # Whole programs (issue 14), one worker and all workers.
    Row("skynet", "bench_core", ratio_at_most(1), "1", max_reps=3),
    Row("skynet_rss", "bench_core", ratio_at_most(2), "1", max_reps=3),
    Row("skynet_all", "bench_core", ratio_at_most(1), "all", max_reps=3),
    Row("skynet_all_rss", "bench_core", ratio_at_most(2), "all", max_reps=3),
    Row("ring_10k", "bench_core", None, "1"),
    Row("ring_10k_all", "bench_core", None, "all"),
    Row("sieve_5000", "bench_core", None, "1", max_reps=3),
    Row("sieve_5000_all", "bench_core", None, "all", max_reps=3),
    Row("starve", "bench_core", None, "1", max_reps=3),
    Row("starve_all", "bench_core", None, "all", max_reps=3),
    Row("mutex_uncontended", "bench_sync", ratio_at_most(1), "1"),
    Row("mutex_contended", "bench_sync", ratio_at_most(1), "all"),
    Row("waitgroup", "bench_sync", ratio_at_most(0.5), "1"),
    Row("timer_start_stop", "bench_sync", ratio_at_most(1), "1"),
    Row("sleep_100k", "bench_sync", None, None),
    Row("ctx_cancel_fanout", "bench_sync", ratio_at_most(1), None),
    Row("map_read_mostly", "bench_sync", None, "all"),
    Row("dump_100k", "bench_trace", None, None),
    Row("verify_clean", "bench_trace", below(100, "us"), None),
    Row("verify_leak", "bench_trace", below(1, "ms"), None),
    Row("synctest_small", "bench_synctest", ratio_at_most(0.5), "1"),
    Row("synctest_timers", "bench_synctest", ratio_at_most(0.5), "1"),
    Row("synctest_leak_report", "bench_synctest", below(1000, "us"), "1"),
    Row("leakprof_10k", "bench_leakprof", ratio_at_most(1), None),
    Row("leakprof_100k", "bench_leakprof", ratio_at_most(1), None),
    Row("leakprof_1m", "bench_leakprof", ratio_at_most(1), None, max_reps=3),
    Row("leakprof_heap_1g", "bench_leakprof", ratio_at_most(1), None, max_reps=3),
    Row("leakprof_10k_stall", "bench_leakprof", ratio_at_most(0.5), None),
    Row("leakprof_100k_stall", "bench_leakprof", ratio_at_most(0.5), None),
    Row("leakprof_1m_stall", "bench_leakprof", ratio_at_most(0.5), None, max_reps=3),
    Row("leakprof_heap_stall", "bench_leakprof", ratio_at_most(0.5), None, max_reps=3),
    Row("leakprof_write_1m", "bench_leakprof", ratio_at_most(1), None, max_reps=3),
    Row("echo_rps", "bench_net", ratio_at_least(1), None),
    Row("blocking_offload", "bench_net", None, None),
]

# Keys of a result line that are not row-specific extras.
BASE_KEYS = {"name", "value", "unit"}


@dataclass
class Outcome:
    """One side's result for one row."""
    status: str                  # "ok", "n/a", "error", "TODO"
    value: Optional[float] = None
    unit: Optional[str] = None
    extra: dict = field(default_factory=dict)
    note: str = ""


# ---------------------------------------------------------------- building

def find_go():
    go = shutil.which("go")
    if go is None and os.access("/usr/local/go/bin/go", os.X_OK):
        go = "/usr/local/go/bin/go"
    return go


def go_env():
    """The environment every go command runs in (the toolchain choice)."""
    return dict(os.environ, GOTOOLCHAIN=os.environ.get("GOTOOLCHAIN") or GO_TOOLCHAIN)


def go_version(go, env=None):
    """(major, minor) of the go command, or None."""
    try:
        out = subprocess.run([go, "env", "GOVERSION"], capture_output=True,
                             text=True, timeout=300, env=env).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.match(r"go(\d+)\.(\d+)", out.strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


def build_go(bindir):
    """Builds gobench and its two siblings.  Returns (gobench path or None,
    notes about what could not be built)."""
    go = find_go()
    if go is None:
        return None, ["go not found: Go column skipped"]
    notes = []
    env = go_env()
    ver = go_version(go, env)
    if ver is None and env["GOTOOLCHAIN"] != "local":
        # The toolchain could not be fetched (offline): the installed go.
        notes.append("GOTOOLCHAIN=%s unavailable: using the local go" % env["GOTOOLCHAIN"])
        env["GOTOOLCHAIN"] = "local"
        ver = go_version(go, env)
    if ver is None or ver < MIN_GO:
        return None, notes + ["go %s is older than go%d.%d: Go column skipped"
                              % ("?" if ver is None else "%d.%d" % ver, *MIN_GO)]
    notes.append("Go column: go%d.%d (GOTOOLCHAIN=%s)" % (ver + (env["GOTOOLCHAIN"],)))
    gomod = os.path.join(ROOT, "bench", "go")
    builds = [
        ("gobench", [go, "build", "-buildvcs=false", "-o", None, "."], {}),
        # synctest.Test needs a *testing.T: a test binary.
        ("gobench-synctest", [go, "test", "-buildvcs=false", "-c", "-o", None,
                              "./synctestbench"], {}),
    ]
    if ver < (1, 27):
        # Go 1.26 has the goroutineleak profile only with this experiment
        # (Go 1.27 made it generally available: gobench has it).
        builds.insert(1, ("gobench-leakprof", [go, "build", "-buildvcs=false", "-o", None, "."],
                          {"GOEXPERIMENT": "goroutineleakprofile"}))
    for name, cmd, extra_env in builds:
        out = os.path.join(bindir, name)
        cmd = [out if a is None else a for a in cmd]
        r = subprocess.run(cmd, cwd=gomod, env=dict(env, **extra_env),
                           capture_output=True, text=True)
        if r.returncode != 0:
            notes.append("building %s failed: %s" % (name, last_line(r.stderr)))
            if name == "gobench":
                return None, notes
    return os.path.join(bindir, "gobench"), notes


def last_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1][:200] if lines else ""


# ----------------------------------------------------------------- running

def procs_env(procs):
    """The environment for a row: GORO_MAXPROCS and GOMAXPROCS together."""
    env = dict(os.environ)
    for k in ("GORO_MAXPROCS", "GOMAXPROCS"):
        env.pop(k, None)
    if procs is not None:
        n = str(os.cpu_count() or 1) if procs == "all" else procs
        env["GORO_MAXPROCS"] = env["GOMAXPROCS"] = n
    return env


class Side:
    """One implementation (goro or Go): runs rows, caching the extra result
    lines a run prints for other rows (blocked_1m also prints
    blocked_1m_rss), so those are not run twice."""

    def __init__(self, label, args):
        self.label = label
        self.args = args
        self.cache = {}

    def run(self, prog, row):
        if row.name in self.cache:
            return self.cache.pop(row.name)
        reps = self.args.reps
        if row.max_reps is not None:
            reps = min(reps, row.max_reps)
        cmd = [prog, row.name, "--reps", str(reps)]
        if self.args.quick:
            cmd.append("--quick")
        try:
            r = run_bounded(cmd, procs_env(row.procs), self.args.timeout)
        except subprocess.TimeoutExpired:
            return Outcome("error", note="%s: timed out after %gs"
                           % (self.label, self.args.timeout))
        except OSError as e:
            return Outcome("error", note="%s: %s" % (self.label, e))
        found = self.parse(r.stdout)
        mine = found.pop(row.name, None)
        self.cache.update(found)
        if mine is not None and mine.status == "ok" and r.returncode != 0:
            mine.note = "%s exited %d" % (self.label, r.returncode)
        if mine is None:
            why = last_line(r.stderr) or exit_text(r.returncode)
            mine = Outcome("error", note="%s: %s" % (self.label, why))
        return mine

    def parse(self, stdout):
        """Result lines by row name; other output is ignored."""
        found = {}
        for line in stdout.splitlines():
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            name = obj.get("name")
            if not isinstance(name, str):
                continue
            if "error" in obj or not isinstance(obj.get("value"), (int, float)):
                found[name] = Outcome("error", note="%s: %s"
                                      % (self.label, obj.get("error", "no value")))
                continue
            extra = {k: v for k, v in obj.items() if k not in BASE_KEYS}
            found[name] = Outcome("ok", float(obj["value"]), obj.get("unit"), extra)
        return found


def run_bounded(cmd, env, timeout):
    """subprocess.run with a timeout that also ends the program's children
    (gobench hands some rows to a sibling program): the command gets its own
    process group, and that group is killed when time runs out."""
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as p:
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            raise
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)


def exit_text(code):
    if code < 0:
        try:
            return "killed by %s" % signal.Signals(-code).name
        except ValueError:
            return "killed by signal %d" % -code
    return "exit status %d" % code


def list_rows(prog):
    """Row names a protocol program offers, or None if it cannot say."""
    try:
        r = subprocess.run([prog, "--list"], capture_output=True, text=True,
                           timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode != 0:
        return None
    return [l.strip() for l in r.stdout.splitlines() if l.strip()]


def c_programs(bindir):
    """{program name: (path, rows it lists)} for build/bench/bench_*."""
    progs = {}
    if not os.path.isdir(bindir):
        return progs
    for name in sorted(os.listdir(bindir)):
        path = os.path.join(bindir, name)
        if name.startswith("bench_") and os.path.isfile(path) \
                and os.access(path, os.X_OK):
            progs[name] = (path, list_rows(path) or [])
    return progs


def all_rows(progs):
    """The ROWS table plus any row a C program lists that it lacks."""
    rows = list(ROWS)
    known = {r.name for r in rows}
    for prog, (_, names) in progs.items():
        for n in names:
            if n not in known:
                rows.append(Row(n, prog))
                known.add(n)
    return rows


def select_rows(rows, patterns):
    if not patterns:
        return rows
    chosen, unknown = [], []
    for p in patterns:
        hit = [r for r in rows if fnmatch.fnmatchcase(r.name, p)]
        if not hit:
            unknown.append(p)
        chosen += [r for r in hit if r not in chosen]
    if unknown:
        sys.exit("unknown row(s): %s (see --list)" % " ".join(unknown))
    return [r for r in rows if r in chosen]  # keep table order


def run_c(side, progs, row):
    prog = progs.get(row.binary)
    if prog is None:
        if row.todo:
            return Outcome("TODO", note="goro: API not written yet")
        return Outcome("n/a", note="goro: build/bench/%s not built" % row.binary)
    if row.name not in prog[1]:
        return Outcome("n/a", note="goro: %s has no row %s" % (row.binary, row.name))
    return side.run(prog[0], row)


def run_go(side, gobench, go_rows, row, why_not):
    if gobench is None:
        return Outcome("n/a", note="Go: " + why_not)
    if row.name not in go_rows:
        return Outcome("n/a", note="Go: no counterpart")
    return side.run(gobench, row)


# --------------------------------------------------------------- reporting

def merge(row, c, g):
    """The JSON entry for one row."""
    entry = {"name": row.name, "goro": c.value, "go": g.value,
             "unit": c.unit or g.unit, "target": row.target.text if row.target else "",
             "ratio": None, "met": None, "procs": row.procs or "default",
             "goro_status": c.status, "go_status": g.status}
    notes = [n for n in (c.note, g.note) if n]
    if c.value is not None and g.value is not None:
        if c.unit != g.unit:
            notes.append("unit mismatch: goro %s, Go %s" % (c.unit, g.unit))
        elif g.value != 0:
            entry["ratio"] = c.value / g.value
    if row.target is not None and c.status == "ok":
        entry["met"] = row.target.met(c.value, c.unit, entry["ratio"])
    for prefix, o in (("goro_", c), ("go_", g)):
        for k, v in o.extra.items():
            entry[prefix + k] = v
    entry["note"] = "; ".join(notes)
    return entry


def fmt_value(v, status):
    """A value for the table: 4 significant digits, no exponents."""
    if v is None:
        return status
    a = abs(v)
    if a >= 1e6:
        return "%.4gM" % (v / 1e6)
    if a >= 1e4:
        return "%.0f" % v
    return "%.4g" % v


def fmt_met(met):
    return {True: "yes", False: "NO", None: ""}[met]


def print_table(entries, out=sys.stdout):
    head = ("name", "goro", "Go", "ratio", "unit", "target", "met")
    rows = []
    for e in entries:
        rows.append((e["name"], fmt_value(e["goro"], e["goro_status"]),
                     fmt_value(e["go"], e["go_status"]),
                     "" if e["ratio"] is None else "%.2fx" % e["ratio"],
                     e["unit"] or "", e["target"], fmt_met(e["met"])))
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    right = {1, 2, 3}

    def line(cells):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    print(line(head), file=out)
    print(line(["-" * w for w in widths]), file=out)
    for r in rows:
        print(line(r), file=out)
    # One line per distinct note: a missing program explains many rows.
    by_note = {}
    for e in entries:
        if e["note"]:
            by_note.setdefault(e["note"], []).append(e["name"])
    if by_note:
        print("\nnotes:", file=out)
        for note, names in by_note.items():
            print("  %s: %s" % (", ".join(names), note), file=out)


# -------------------------------------------------------------------- main

def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rows", nargs="*", help="row names or shell patterns (default: all)")
    ap.add_argument("--reps", type=int, default=None,
                    help="repetitions per row; the median is reported (default 5, --quick 1)")
    ap.add_argument("--quick", action="store_true",
                    help="tiny workloads: a smoke test of the benchmarks, not a measurement")
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"),
                    help="CMake build directory (default: build/)")
    ap.add_argument("--json", default=None,
                    help="where to write the results (default: BUILD_DIR/bench.json)")
    ap.add_argument("--no-go", action="store_true", help="skip the Go column")
    ap.add_argument("--timeout", type=float, default=150,
                    help="seconds one row may take per side (default 150)")
    ap.add_argument("--list", action="store_true", help="list the rows and exit")
    args = ap.parse_args(argv)
    if args.reps is None:
        args.reps = 1 if args.quick else 5
    if not 1 <= args.reps <= 99:
        ap.error("--reps must be 1..99")
    return args


def main(argv):
    args = parse_args(argv)
    bindir = os.path.join(args.build_dir, "bench")
    progs = c_programs(bindir)
    rows = all_rows(progs)
    if args.list:
        for r in rows:
            print(r.name)
        return 0
    rows = select_rows(rows, args.rows)

    os.makedirs(bindir, exist_ok=True)
    gobench, go_notes = (None, ["--no-go: Go column skipped"]) if args.no_go \
        else build_go(bindir)
    go_rows = set(list_rows(gobench) or []) if gobench else set()

    print("goro bench: %d row(s), %d rep(s) each (median), %d cores, %s%s"
          % (len(rows), args.reps, os.cpu_count() or 1, platform.machine(),
             ", QUICK sizes: not a measurement" if args.quick else ""))
    for n in go_notes:
        print("  " + n)
    start = time.monotonic()
    c_side, go_side = Side("goro", args), Side("Go", args)
    entries = []
    for row in rows:
        t0 = time.monotonic()
        c = run_c(c_side, progs, row)
        g = run_go(go_side, gobench, go_rows, row, "; ".join(go_notes))
        entries.append(merge(row, c, g))
        print("  %-22s goro %-8s Go %-8s (%.1fs)"
              % (row.name, fmt_value(c.value, c.status), fmt_value(g.value, g.status),
                 time.monotonic() - t0), flush=True)
    print()
    print_table(entries)
    print("\n%d row(s) in %.0fs; ratio = goro / Go (for ns, us, ms, s and MB lower "
          "is better; for /s rates higher is better)" % (len(entries), time.monotonic() - start))

    path = args.json or os.path.join(args.build_dir, "bench.json")
    with open(path, "w") as f:
        json.dump(entries, f, indent=1)
        f.write("\n")
    print("wrote %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
